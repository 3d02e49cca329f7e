package engine

import (
	"context"
	"fmt"
	"slices"

	"golang.org/x/sync/errgroup"

	"github.com/snowsync/snowsync/internal/guard"
	"github.com/snowsync/snowsync/internal/snowflake"
)

// Reading masks and row filters: the plan.
//
// A table's (or view's) masking and row access policies are read where a Ranger data-mask or row-filter
// policy may touch it (policy.Set.MasksTable, FiltersTable), and on a table or view a request names by
// itself where a policy of ours may be (so that a mask Ranger dropped entirely is found and removed):
// when our schema for its database holds a policy of that kind. A database without any (the usual case
// for grants-only deployments) costs one SHOW per kind and pass, not a read per table (wantsPolicies):
//
//   - DESCRIBE TABLE gives the columns, their types and the masking policy set on each. It needs no
//     warehouse (see package snowflake, policyread.go);
//   - POLICY_REFERENCES(REF_ENTITY_NAME => …) gives the table's row access policy. Nothing else does,
//     and it needs the session's warehouse: it is read only when one is configured
//     (DataPolicy.References) and Ranger filters the table or the request names it. Without a warehouse
//     a table that Ranger filters FAILS, saying so: its current row access policy cannot be known;
//   - SHOW MASKING POLICIES and SHOW ROW ACCESS POLICIES IN SCHEMA <our schema>, once per schema and
//     pass, and only when the policy set has data-mask or row-filter policies at all, tell which of our
//     policies exist already (CREATE only what is missing) and whether the schema exists (CREATE SCHEMA
//     IF NOT EXISTS only when it does not).
//
// A database or schema request with a warehouse reads its tables in bulk instead (policybulk.go).
//
// Round trips: these reads start as soon as the objects are known, beside the grant reads of the same
// objects: with SHOW GRANTS ON a requested table; right after a container's listing, beside its reads
// by role. Only in load_bulk mode, where one INFORMATION_SCHEMA read gives objects and grants at once,
// do they take one more wave. Every full node that needs them is read before planning (loadPolicies),
// whichever way it was loaded.
//
// Not done on purpose: dropping our policies that nothing references any more (that needs
// POLICY_REFERENCES on every pass, and a drop races with another invocation about to attach the same
// content-named policy: they stay in our schema, protecting nothing and costing nothing), and, without
// a warehouse, finding ours on the tables of a database or schema request that Ranger no longer masks
// or filters at all.

// tableState is what the policy reads found on one table or view.
type tableState struct {
	columns []snowflake.ColumnInfo
	// refs are the table's policy references; refsRead is false when they were not read.
	refs     []snowflake.PolicyRef
	refsRead bool
	refsErr  error // why refs were not read, when they were asked for
	// bulk marks a state read in bulk (policybulk.go): it knows only our policies.
	bulk bool
}

// policySchema keys the policies of one kind in one schema.
type policySchema struct {
	kind   snowflake.PolicyKind
	schema snowflake.SchemaID
}

// existing is what SHOW … POLICIES IN SCHEMA found.
type existing struct {
	names   map[string]bool
	missing bool // the schema (or its database) does not exist
}

// policyReads is what must be read on a table or view to plan its masks and row filter.
type policyReads struct {
	describe, refs bool
	// needed: a Ranger mask or filter may touch it, so it fails when the reads do. A table read only
	// because it was requested does not: its reads only look for policies of ours to remove.
	needed bool
}

// wantsPolicies reports what must be read on node n: DESCRIBE when a mask or filter may touch it, or it
// was requested by itself and our masking-policy schema for its database holds any; POLICY_REFERENCES
// (with a warehouse configured) when a filter may touch it, or it was requested by itself and our
// row-access-policy schema holds any. Only for a requested node does it list our schemas (memoized); the
// error is an outage of that listing.
func (p *pass) wantsPolicies(ctx context.Context, kind snowflake.ObjectType, n name, requested bool) (policyReads, error) {
	o := n.policyObject(kind)
	masks, filters := p.set.MasksTable(o), p.set.FiltersTable(o)
	r := policyReads{needed: masks || filters, describe: masks || filters, refs: filters && p.e.opts.DataPolicy.References}
	if !requested {
		return r, nil
	}
	// Our schemas of both kinds are listed at once (memoized), so that the check costs one wave.
	kinds := []snowflake.PolicyKind{}
	if !r.describe {
		kinds = append(kinds, snowflake.MaskingPolicy)
	}
	if !r.refs && p.e.opts.DataPolicy.References {
		kinds = append(kinds, snowflake.RowAccessPolicy)
	}
	has := make([]bool, len(kinds))
	errs := make([]error, len(kinds))
	g := new(errgroup.Group)
	for i, k := range kinds {
		guard.Go(g, func() error {
			ex, err := p.existingPolicies(ctx, k, n.Database)
			if snowflake.Outage(err) {
				errs[i] = err
			}
			has[i] = err != nil || len(ex.names) > 0 // unreadable: look anyway
			return nil
		})
	}
	if err := g.Wait(); err != nil { // a panic
		return r, err
	}
	for i, k := range kinds {
		if errs[i] != nil {
			return r, errs[i]
		}
		if k == snowflake.MaskingPolicy {
			r.describe = has[i]
		} else {
			r.refs = has[i]
		}
	}
	return r, nil
}

// hasDataPolicies reports whether the policy set has data-mask or row-filter policies: only then can a
// pass create a policy, and need our schemas' listings.
func (p *pass) hasDataPolicies() bool {
	st := p.set.Stats()
	return st.Masking+st.RowFilter+st.Failing > 0
}

// prefetchPolicies starts, without waiting, the policy reads that node n needs (memoized: a later
// call costs nothing). Errors are seen by tableStateOf.
func (p *pass) prefetchPolicies(kind snowflake.ObjectType, n name, requested bool) {
	guard.Go(p.bg, func() error {
		r, err := p.wantsPolicies(p.ctx, kind, n, requested)
		if err == nil && (r.describe || r.refs) {
			_, err = p.tableStateOf(p.ctx, kind, n, r.describe, r.refs)
		}
		if snowflake.Outage(err) {
			return fmt.Errorf("%w: %w", errSystemic, err)
		}
		return nil
	})
}

// tableStateOf reads, when describe, DESCRIBE TABLE n and, when refs, POLICY_REFERENCES on it, with the
// existing policies of our schemas for n's database, all at once.
func (p *pass) tableStateOf(ctx context.Context, kind snowflake.ObjectType, n name, describe, refs bool) (tableState, error) {
	var st tableState
	var errs [4]error
	g := new(errgroup.Group) // no shared cancellation: every read completes and is memoized
	if describe {
		guard.Go(g, func() (err error) {
			st.columns, errs[0] = memoRead(p, ctx, &p.described, n, func(ctx context.Context) ([]snowflake.ColumnInfo, error) {
				return snowflake.DescribeTable(ctx, p.e.q, n.id().(snowflake.ObjectID))
			})
			return nil
		})
	}
	if refs {
		guard.Go(g, func() error {
			st.refs, errs[1] = memoRead(p, ctx, &p.refsOn, grantsKey{kind, n}, func(ctx context.Context) ([]snowflake.PolicyRef, error) {
				return snowflake.PolicyReferencesOn(ctx, p.e.q, kind, n.id().(snowflake.ObjectID))
			})
			st.refsRead, st.refsErr = errs[1] == nil, errs[1]
			return nil
		})
	}
	// Our schemas' listings: only an outage matters here; other errors are seen when planning, by the
	// tables that need the listing.
	for i, k := range []snowflake.PolicyKind{snowflake.MaskingPolicy, snowflake.RowAccessPolicy} {
		if !p.hasDataPolicies() {
			break
		}
		guard.Go(g, func() error {
			if _, err := p.existingPolicies(ctx, k, n.Database); snowflake.Outage(err) {
				errs[2+i] = err
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil { // a panic
		return st, err
	}
	for _, err := range errs {
		if snowflake.Outage(err) {
			return st, err
		}
	}
	return st, errs[0]
}

// existingPolicies lists the policies of one kind in our schema for tables of database db (memoized).
func (p *pass) existingPolicies(ctx context.Context, kind snowflake.PolicyKind, db string) (existing, error) {
	schema := p.e.opts.DataPolicy.schemaFor(kind, db)
	return memoRead(p, ctx, &p.ourPolicies, policySchema{kind, schema}, func(ctx context.Context) (existing, error) {
		list, err := snowflake.ShowPolicies(ctx, p.e.q, kind, schema)
		if snowflake.IsNotExist(err) {
			return existing{missing: true}, nil
		}
		if err != nil {
			return existing{}, err
		}
		ex := existing{names: make(map[string]bool, len(list))}
		for _, pi := range list {
			ex.names[pi.ID.Name] = true
		}
		return ex, nil
	})
}

// readInBulk reports whether table t lies under a container whose policy state was read in bulk.
func (p *pass) readInBulk(t name) bool {
	return slices.ContainsFunc(p.bulkRead, func(c name) bool { return t.under(c) })
}

// loadPolicies reads, after the grants, the policy state of every full table or view node that needs
// one (reads started while loading are not repeated), and records it in p.states, or why it could not be
// read in p.stateErrs. Only an outage is returned.
func (p *pass) loadPolicies() error {
	requested := map[name]bool{}
	for _, u := range p.units {
		if u.name.level() == 3 && u.resolved != (name{}) {
			requested[u.resolved] = true
		}
	}
	var jobs []*node
	for _, n := range p.nodes {
		if n.full && n.name.level() == 3 && !p.readInBulk(n.name) {
			jobs = append(jobs, n)
			p.prefetchPolicies(n.kind, n.name, requested[n.name])
		}
	}
	if err := p.bg.Wait(); err != nil {
		return err
	}
	p.states, p.stateErrs = map[name]tableState{}, map[name]error{}
	for t, st := range p.bulk {
		if n := p.nodes[t]; n != nil && n.full {
			p.states[t] = st
		}
	}
	for t, err := range p.bulkErrs {
		if n := p.nodes[t]; n != nil && n.full {
			if r, _ := p.wantsPolicies(p.ctx, n.kind, t, false); r.needed {
				p.stateErrs[t] = err
			}
		}
	}
	for _, n := range jobs { // every read is memoized by now
		r, err := p.wantsPolicies(p.ctx, n.kind, n.name, requested[n.name])
		if err == nil && !r.describe && !r.refs {
			continue
		}
		var st tableState
		if err == nil {
			st, err = p.tableStateOf(p.ctx, n.kind, n.name, r.describe, r.refs)
		}
		switch {
		case snowflake.Outage(err):
			return fmt.Errorf("%w: %w", errSystemic, err)
		case err != nil && r.needed:
			p.stateErrs[n.name] = err
		case err != nil: // read only to look for ours to remove: plan as if there were none
		default:
			p.states[n.name] = st
		}
	}
	return nil
}
