package engine

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"golang.org/x/sync/errgroup"

	"github.com/snowsync/snowsync/internal/guard"
	"github.com/snowsync/snowsync/internal/snowflake"
)

// Reading the policy state of a container's tables in bulk.
//
// One DESCRIBE TABLE per table costs one query per masked table: a database request over 50 schemas
// with 10 masked tables each would take 500 queries, about 63 sequential waves of an 8-thread pool.
// When the session has a warehouse and a container has more tables to read than the pool runs at once,
// the state is read with a fixed number of queries instead, beside the container's grant reads:
//
//   - wave 1, beside the listing: SHOW MASKING POLICIES and SHOW ROW ACCESS POLICIES IN SCHEMA <ours>;
//   - wave 2, once the listing is in, beside the grant reads: one INFORMATION_SCHEMA.COLUMNS query for the container's tables
//     that Ranger masks or filters (snowflake.TableColumns), and one POLICY_REFERENCES(POLICY_NAME => …)
//     per policy of ours (content-named and shared, so few): every column and table that carries one
//     of ours, Ranger-masked or not, so that ours are also removed where Ranger no longer masks at all.
//
// What the bulk read cannot see is a policy that is not ours. Such a column or table is still never
// touched: SET MASKING POLICY without FORCE and ADD ROW ACCESS POLICY fail on it (Snowflake allows one
// per column and table), and recheckForeign (policyforeign.go) then gives the table its note.

// bulkStates reads the policy state of the tables under container n that need one (need), in bulk, and
// records it in p.bulk. Errors are recorded per table in p.bulkErrs; an outage is returned.
func (p *pass) bulkStates(ctx context.Context, n name, need []name) error {
	var scope snowflake.CatalogScope
	for _, t := range need {
		if !slices.Contains(scope.Schemas, t.Schema) {
			scope.Schemas = append(scope.Schemas, t.Schema)
		}
		if !slices.Contains(scope.Names, t.Object) {
			scope.Names = append(scope.Names, t.Object)
		}
	}
	var cols map[snowflake.ObjectID][]snowflake.ColumnInfo
	var refs []snowflake.PolicyRef
	var colsErr, refsErr error
	g := new(errgroup.Group)
	guard.Go(g, func() error {
		if len(need) == 0 {
			return nil
		}
		colsErr = p.read(ctx, func(ctx context.Context) (err error) {
			cols, err = snowflake.TableColumns(ctx, p.e.q, snowflake.DatabaseID{Name: n.Database}, scope)
			return err
		})
		return nil
	})
	guard.Go(g, func() error {
		refs, refsErr = p.ourPolicyRefs(ctx, n.Database)
		return nil
	})
	if err := g.Wait(); err != nil {
		return err
	}
	for _, err := range []error{colsErr, refsErr} {
		if snowflake.Outage(err) {
			return fmt.Errorf("%w: %w", errSystemic, err)
		}
	}
	states := map[name]tableState{}
	for _, t := range need {
		states[t] = tableState{columns: cols[t.id().(snowflake.ObjectID)], refsRead: true, bulk: true}
	}
	for _, r := range refs {
		t := nameOfID(r.Object)
		if !t.under(n) {
			continue
		}
		st, ok := states[t]
		if !ok { // ours, on a table Ranger no longer masks or filters: to be removed
			st = tableState{refsRead: true, bulk: true}
		}
		st.refs = append(st.refs, r)
		if r.Kind == snowflake.MaskingPolicy {
			i := slices.IndexFunc(st.columns, func(c snowflake.ColumnInfo) bool { return c.Name == r.Column })
			if i < 0 {
				st.columns = append(st.columns, snowflake.ColumnInfo{Name: r.Column})
				i = len(st.columns) - 1
			}
			st.columns[i].MaskingPolicy = &r.Policy
		}
		states[t] = st
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for t, st := range states {
		switch {
		case colsErr != nil && slices.Contains(need, t):
			p.bulkErrs[t] = colsErr
		case refsErr != nil:
			p.bulkErrs[t] = refsErr
		default:
			p.bulk[t] = st
		}
	}
	return nil
}

// ourPolicyRefs returns the references to every policy of ours for tables of database db, memoized.
// The listings and each POLICY_REFERENCES are reads of the pool; the call itself holds no pool slot.
func (p *pass) ourPolicyRefs(ctx context.Context, db string) ([]snowflake.PolicyRef, error) {
	return p.refsOf.do(ctx, db, func() ([]snowflake.PolicyRef, error) {
		kinds := []snowflake.PolicyKind{snowflake.MaskingPolicy, snowflake.RowAccessPolicy}
		listed := make([]existing, len(kinds))
		g := new(errgroup.Group) // both listings at once: one wave
		for i, k := range kinds {
			guard.Go(g, func() (err error) {
				listed[i], err = p.existingPolicies(p.ctx, k, db)
				return err
			})
		}
		if err := g.Wait(); err != nil {
			return nil, err
		}
		var ids []snowflake.ObjectID
		for i, k := range kinds {
			schema := p.e.opts.DataPolicy.schemaFor(k, db)
			for _, name := range slices.Sorted(maps.Keys(listed[i].names)) {
				if id := (snowflake.ObjectID{Database: schema.Database, Schema: schema.Name, Name: name}); p.e.opts.DataPolicy.ours(k, db, id) {
					ids = append(ids, id)
				}
			}
		}
		lists := make([][]snowflake.PolicyRef, len(ids))
		g = new(errgroup.Group)
		for i, id := range ids {
			guard.Go(g, func() error {
				return p.read(p.ctx, func(ctx context.Context) (err error) {
					lists[i], err = snowflake.PolicyReferencesOf(ctx, p.e.q, id)
					return err
				})
			})
		}
		if err := g.Wait(); err != nil {
			return nil, err
		}
		return slices.Concat(lists...), nil
	})
}

// prefetchContainer starts the policy reads of a container's tables: in bulk when the session has a
// warehouse (bulkStates, which also finds ours on tables Ranger no longer masks), else one DESCRIBE
// TABLE for each table Ranger masks or filters.
func (p *pass) prefetchContainer(n name, objects []snowflake.Object) {
	if !p.e.opts.DataPolicy.References {
		for _, o := range objects {
			p.prefetchPolicies(o.Kind, nameOfID(o.ID), false)
		}
		return
	}
	var need []name
	for _, o := range objects {
		if r, _ := p.wantsPolicies(p.ctx, o.Kind, nameOfID(o.ID), false); r.describe { // never fails when not requested
			need = append(need, nameOfID(o.ID))
		}
	}
	p.mu.Lock()
	p.bulkRead = append(p.bulkRead, n)
	p.mu.Unlock()
	guard.Go(p.bg, func() error { return p.bulkStates(p.ctx, n, need) })
}

// startOurRefs starts listing our schemas for container n's database as soon as the container is
// requested, beside the container's own listing (the first wave). The references to the policies listed
// are read later, by bulkStates, together with the columns: both in the wave of the grant reads.
func (p *pass) startOurRefs(n name) {
	if p.e.opts.DataPolicy.References {
		p.startListing(n.Database, snowflake.MaskingPolicy, snowflake.RowAccessPolicy)
	}
}

// startOurPolicies starts listing our schemas for the databases of the object units in the first wave,
// beside their grant reads: a table or view requested by itself is looked at for policies of ours
// (wantsPolicies), which needs our masking-policy schema's listing, and, with a warehouse, our row
// access policies'.
func (p *pass) startOurPolicies(objects []*unit) {
	kinds := []snowflake.PolicyKind{snowflake.MaskingPolicy}
	if p.e.opts.DataPolicy.References {
		kinds = append(kinds, snowflake.RowAccessPolicy)
	}
	dbs := map[string]bool{}
	for _, u := range objects {
		if !dbs[u.name.Database] {
			dbs[u.name.Database] = true
			p.startListing(u.name.Database, kinds...)
		}
	}
}

// startListing starts, without waiting, listing our schemas of kinds for database db (memoized: the
// reader that needs it later waits for this read). Only an outage stops the pass.
func (p *pass) startListing(db string, kinds ...snowflake.PolicyKind) {
	for _, k := range kinds {
		guard.Go(p.bg, func() error {
			if _, err := p.existingPolicies(p.ctx, k, db); snowflake.Outage(err) {
				return fmt.Errorf("%w: %w", errSystemic, err)
			}
			return nil
		})
	}
}
