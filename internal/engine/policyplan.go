package engine

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/snowsync/snowsync/internal/datapolicy"
	"github.com/snowsync/snowsync/internal/policy"
	"github.com/snowsync/snowsync/internal/snowflake"
	"github.com/snowsync/snowsync/internal/task/outcome"
)

// phase orders the statements of a pass: a policy is created (in its schema) before it is attached, and
// a table's grants go out only once its masks and row filter are in place, so that no role ever holds
// SELECT on a column that Ranger masks while the column is clear. apply sends the phases one after
// another, each as one concurrent batch.
type phase int

const (
	phaseGrant  phase = iota // CREATE ROLE, GRANT, REVOKE (the zero value: the grant planner's changes)
	phaseSchema              // CREATE SCHEMA IF NOT EXISTS for our policies
	phasePolicy              // CREATE … POLICY IF NOT EXISTS
	phaseAttach              // ALTER TABLE | VIEW … SET / UNSET MASKING POLICY, ADD / DROP ROW ACCESS POLICY
	phaseDrop                // DROP … POLICY IF EXISTS of ours that a swap or removal released
)

// applyOrder is the order in which apply sends the phases.
var applyOrder = []phase{phaseSchema, phasePolicy, phaseAttach, phaseGrant, phaseDrop}

// policyPlanner computes the masking and row access policy statements of a pass. Its plan method is a
// pure function of its fields and the nodes.
type policyPlanner struct {
	set *policy.Set
	dp  DataPolicy
	// states are the tables' policy states; stateErrs why one could not be read.
	states    map[name]tableState
	stateErrs map[name]error
	// existing returns our policies of a kind for tables of a database (read while loading).
	existing func(kind snowflake.PolicyKind, db string) (existing, error)
}

// policyPlan is the policy part of a plan.
type policyPlan struct {
	changes []*change
	// attach are the attach, swap and detach changes of each table or view: its grants wait for them.
	attach map[name][]*change
	// blocked says, per table or view, why it fails: a Ranger policy that cannot be expressed on it, or
	// a state that could not be read. Its grants are withheld.
	blocked map[name]string
	// notes say, per table or view, what was left alone: policies snowsync did not create.
	notes map[name][]string
}

// plan computes, for every full table or view node with a policy state (sorted by name):
//   - per column, the masking policy the Ranger data-mask policies demand (datapolicy.ForColumn):
//     attached where the column has none (set), swapped with FORCE where it has another of ours
//     (swapped), removed where Ranger no longer masks the column and ours is on it (removed);
//   - per table, the row access policy the row-filter policies demand (datapolicy.ForTable): added,
//     swapped in one ALTER (DROP old, ADD new), or dropped, likewise;
//   - a policy, or our schema, is created only when the schema's listing lacks it, once per pass;
//   - a column or table carrying a policy that is not ours (datapolicy.Ours) is never touched: a note
//     says so when Ranger would mask (filter) it;
//   - a policy of ours that a swap or removal released is dropped once they are applied, one DROP per
//     policy. Nothing is read to find out whether other columns or tables still use it: Snowflake
//     refuses to drop a policy that is set anywhere ("DROP MASKING POLICY", usage notes,
//     https://docs.snowflake.com/en/sql-reference/sql/drop-masking-policy; "DROP ROW ACCESS POLICY",
//     https://docs.snowflake.com/en/sql-reference/sql/drop-row-access-policy), and apply takes that
//     refusal as "still in use", not as a failure.
//
// A Ranger policy that cannot be expressed on a column or table blocks that table (see policyPlan);
// the other columns and tables are planned as usual.
func (pp policyPlanner) plan(nodes []*node) policyPlan {
	out := policyPlan{attach: map[name][]*change{}, blocked: map[name]string{}, notes: map[name][]string{}}
	creates := map[snowflake.ObjectID]*change{}
	schemas := map[snowflake.SchemaID]*change{}
	// need returns the change creating pol (nil when it exists), creating its schema first if missing.
	need := func(pol datapolicy.Policy, db string) (*change, error) {
		if c, ok := creates[pol.ID()]; ok {
			return c, nil
		}
		kind := snowflake.PolicyKind(pol.Kind.String())
		ex, err := pp.existing(kind, db)
		if err != nil {
			return nil, fmt.Errorf("list the %s policies in %s: %w", strings.ToLower(string(kind)), pp.dp.schemaFor(kind, db).FullyQualifiedName(), err)
		}
		if ex.names[pol.Name] {
			return nil, nil
		}
		c := &change{phase: phasePolicy, stmt: pol.Create()}
		if ex.missing {
			sid := snowflake.SchemaID{Database: pol.Database, Name: pol.Schema}
			sc, ok := schemas[sid]
			if !ok {
				sc = &change{phase: phaseSchema, stmt: snowflake.CreateSchema{Schema: sid}}
				sc.sql = snowflake.Render(sc.stmt)
				schemas[sid] = sc
				out.changes = append(out.changes, sc)
			}
			c.deps = []*change{sc}
		}
		c.sql = snowflake.Render(c.stmt)
		creates[pol.ID()] = c
		out.changes = append(out.changes, c)
		return c, nil
	}
	nodes = slices.Clone(nodes)
	slices.SortFunc(nodes, func(a, b *node) int { return compareNames(a.name, b.name) })
	for _, n := range nodes {
		if !n.full || n.name.level() != 3 {
			continue
		}
		if err := pp.stateErrs[n.name]; err != nil {
			out.blocked[n.name] = "read its masks and row filter: " + err.Error()
			continue
		}
		st, ok := pp.states[n.name]
		if !ok {
			continue
		}
		t := tablePlan{pp: pp, n: n, st: st, need: need}
		t.masks()
		t.filter()
		for _, c := range t.changes {
			c.sql = snowflake.Render(c.stmt)
			c.target = n.name
		}
		out.changes = append(out.changes, t.changes...)
		if len(t.changes) > 0 {
			out.attach[n.name] = t.changes
		}
		if len(t.fails) > 0 {
			out.blocked[n.name] = strings.Join(t.fails, "; ")
		}
		if len(t.notes) > 0 {
			out.notes[n.name] = t.notes
		}
	}
	drops := map[snowflake.ObjectID]*change{}
	for _, c := range slices.Clone(out.changes) {
		if c.releases == nil {
			continue
		}
		d, ok := drops[c.releases.Name]
		if !ok {
			d = &change{phase: phaseDrop, stmt: *c.releases, sql: snowflake.Render(*c.releases), target: c.target}
			drops[c.releases.Name] = d
			out.changes = append(out.changes, d)
		}
		d.deps = append(d.deps, c)
	}
	return out
}

// tablePlan plans one table or view.
type tablePlan struct {
	pp      policyPlanner
	n       *node
	st      tableState
	need    func(datapolicy.Policy, string) (*change, error)
	changes []*change
	fails   []string
	notes   []string
}

func (t *tablePlan) id() snowflake.ObjectID { return t.n.name.id().(snowflake.ObjectID) }

// add records an attach-phase change that needs create (when not nil) and, when old is not nil,
// releases our policy old of kind. With a Stale policy set a change that removes or swaps one of our
// policies is planned but failed, not sent: like a REVOKE, it may undo what newer policies demand (an
// attach only ever adds protection, so it is sent).
func (t *tablePlan) add(stmt snowflake.Statement, create *change, pc outcome.PolicyChanges, kind snowflake.PolicyKind, old *snowflake.ObjectID) {
	c := &change{phase: phaseAttach, stmt: stmt, pc: pc}
	if old != nil {
		c.releases = &snowflake.DropPolicy{Kind: kind, Name: *old}
	}
	if create != nil {
		c.deps = []*change{create}
	}
	if err := t.pp.set.Stale(); err != nil && pc.MasksSet+pc.FiltersSet == 0 {
		c.err = fmt.Errorf("not sent: %w", err)
	}
	t.changes = append(t.changes, c)
}

// masks plans the masking policy of every column.
func (t *tablePlan) masks() {
	o := t.n.name.policyObject(t.n.kind)
	opts := t.pp.dp.options(snowflake.MaskingPolicy, t.n.name.Database)
	for _, col := range t.st.columns {
		m, err := t.pp.set.Mask(o, col.Name)
		if err != nil {
			t.fails = append(t.fails, fmt.Sprintf("column %s: %v", snowflake.QuoteIdent(col.Name), err))
			continue
		}
		cur := col.MaskingPolicy
		ours := cur != nil && t.pp.dp.ours(snowflake.MaskingPolicy, t.n.name.Database, *cur)
		if m.Empty() {
			if ours {
				t.add(snowflake.UnsetMaskingPolicy{On: t.n.kind, Object: t.id(), Column: col.Name}, nil, outcome.PolicyChanges{MasksRemoved: 1}, snowflake.MaskingPolicy, cur)
			}
			continue
		}
		pol, err := datapolicy.ForColumn(datapolicy.Column{Name: col.Name, Type: col.Type}, m, opts)
		if err != nil {
			t.fails = append(t.fails, err.Error())
			continue
		}
		switch {
		case cur != nil && *cur == pol.ID():
		case cur != nil && !ours:
			t.notes = append(t.notes, fmt.Sprintf("column %s carries masking policy %s, which snowsync did not create: left alone (Ranger's mask from %s not applied)",
				snowflake.QuoteIdent(col.Name), cur.FullyQualifiedName(), strings.Join(pol.Sources, ", ")))
		default:
			create, err := t.need(pol, t.n.name.Database)
			if err != nil {
				t.fails = append(t.fails, fmt.Sprintf("column %s: %v", snowflake.QuoteIdent(col.Name), err))
				continue
			}
			pc := outcome.PolicyChanges{MasksSet: 1}
			if cur != nil {
				pc = outcome.PolicyChanges{MasksSwapped: 1}
			}
			t.add(snowflake.SetMaskingPolicy{On: t.n.kind, Object: t.id(), Column: col.Name, Policy: pol.ID(), Force: cur != nil}, create, pc, snowflake.MaskingPolicy, cur)
		}
	}
}

// filter plans the row access policy of the table.
func (t *tablePlan) filter() {
	o := t.n.name.policyObject(t.n.kind)
	opts := t.pp.dp.options(snowflake.RowAccessPolicy, t.n.name.Database)
	var cur *snowflake.ObjectID
	for _, r := range t.st.refs {
		if r.Kind == snowflake.RowAccessPolicy {
			cur = &r.Policy
		}
	}
	ours := cur != nil && t.pp.dp.ours(snowflake.RowAccessPolicy, t.n.name.Database, *cur)
	f, err := t.pp.set.RowFilter(o)
	switch {
	case err != nil:
		t.fails = append(t.fails, "row filter: "+err.Error())
		return
	case f.Empty():
		if ours {
			t.add(snowflake.DropRowAccessPolicy{On: t.n.kind, Object: t.id(), Policy: *cur}, nil, outcome.PolicyChanges{FiltersRemoved: 1}, snowflake.RowAccessPolicy, cur)
		}
		return
	case !t.st.refsRead:
		why := "POLICY_REFERENCES needs a warehouse: set CONNECTOR_SNOWFLAKE_WAREHOUSE_TO_USE (or warehouse= in CONNECTOR_SNOWFLAKE_JDBC_URL)"
		if t.st.refsErr != nil {
			why = t.st.refsErr.Error()
		}
		t.fails = append(t.fails, "row filter: the table's current row access policy cannot be read: "+why)
		return
	}
	cols := make([]datapolicy.Column, len(t.st.columns))
	for i, c := range t.st.columns {
		cols[i] = datapolicy.Column{Name: c.Name, Type: c.Type}
	}
	pol, on, err := datapolicy.ForTable(cols, f, opts)
	if err != nil {
		t.fails = append(t.fails, "row filter: "+err.Error())
		return
	}
	switch {
	case cur != nil && *cur == pol.ID():
	case cur != nil && !ours:
		t.notes = append(t.notes, fmt.Sprintf("carries row access policy %s, which snowsync did not create: left alone (Ranger's row filter from %s not applied)",
			cur.FullyQualifiedName(), strings.Join(pol.Sources, ", ")))
	default:
		create, err := t.need(pol, t.n.name.Database)
		if err != nil {
			t.fails = append(t.fails, "row filter: "+err.Error())
			return
		}
		pc := outcome.PolicyChanges{FiltersSet: 1}
		if cur != nil {
			pc = outcome.PolicyChanges{FiltersSwapped: 1}
		}
		t.add(snowflake.AddRowAccessPolicy{On: t.n.kind, Object: t.id(), Replace: cur, Policy: pol.ID(), Columns: on}, create, pc, snowflake.RowAccessPolicy, cur)
	}
}

// guardGrants makes the grant changes wait for the policy changes of the objects they reach (a GRANT …
// ON ALL reaches the schema's objects of its kind), and withholds the grants on blocked objects.
// Revokes and USAGE never wait: they expose nothing.
func (pp policyPlan) guardGrants(changes []*change, nodes map[name]*node) {
	bySchema := map[name][]name{} // tables with policy changes, by schema
	for _, t := range slices.SortedFunc(maps.Keys(pp.attach), compareNames) {
		bySchema[t.prefix(2)] = append(bySchema[t.prefix(2)], t)
	}
	for _, c := range changes {
		if c.phase != phaseGrant || c.grants == 0 || c.usage {
			continue
		}
		if c.all {
			for _, t := range bySchema[c.target] {
				if n := nodes[t]; n != nil && n.kind == c.stmt.(snowflake.GrantOnAll).On {
					c.deps = append(c.deps, pp.attach[t]...)
				}
			}
			continue
		}
		c.deps = append(c.deps, pp.attach[c.target]...)
		if why, ok := pp.blocked[c.target]; ok {
			c.err = fmt.Errorf("withheld until the masks and row filter are in place: %s", why)
		}
	}
}

// policyPlanner returns the pass's policy planner.
func (p *pass) policyPlanner() policyPlanner {
	return policyPlanner{set: p.set, dp: p.e.opts.DataPolicy, states: p.states, stateErrs: p.stateErrs,
		existing: func(kind snowflake.PolicyKind, db string) (existing, error) {
			// Memoized while loading (tableStateOf lists both kinds for every database it reads in); the
			// load's context is over by now.
			return p.existingPolicies(context.Background(), kind, db)
		}}
}
