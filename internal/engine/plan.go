package engine

import (
	"fmt"
	"maps"
	"slices"

	"github.com/snowsync/snowsync/internal/policy"
	"github.com/snowsync/snowsync/internal/snowflake"
	"github.com/snowsync/snowsync/internal/task/outcome"
)

// change is one planned statement and, after apply, its outcome.
type change struct {
	stmt snowflake.Statement
	sql  string
	// target is the object changed: for ON ALL the schema; zero for CREATE ROLE.
	target name
	// all marks a GRANT … ON ALL: it changes the objects of the schema target.
	all  bool
	role string
	// usage marks a GRANT of USAGE alone: what a role needs on a database or schema to reach the
	// objects under it, so it is listed under the requested objects that need it too.
	usage           bool
	grants, revokes int
	// phase orders the change (see applyOrder); deps are the changes it needs: it is not sent when one
	// of them failed.
	phase phase
	deps  []*change
	// pc counts the masks and row filters a policy change sets, swaps or removes.
	pc  outcome.PolicyChanges
	err error
	// withdrawn marks a change that ended without effect and without failing the resource: a plain
	// attach refused for a policy snowsync did not create (policyforeign.go), a DROP of a policy still
	// in use or not sent. It is neither listed nor counted, and what depends on it goes ahead.
	withdrawn bool
	// releases is, for a swap or a removal of our policy, the DROP of the policy it takes off.
	releases *snowflake.DropPolicy
}

// planner computes the statements that bring nodes to the state the policies demand. Its plan method
// is a pure function of its fields and the nodes.
type planner struct {
	set *policy.Set
	// manages reports whether a role may be revoked from (Engine.Manages).
	manages func(string) bool
	// roles are the existing roles; nil when unknown.
	roles         map[string]bool
	createMissing bool
	// complete are the schemas whose every object (whatever its kind) is a full node, so that an ON ALL
	// statement there reaches nothing the plan did not decide on.
	complete map[name]bool
}

// planned is a plan: the statements in order, and for every database and schema the roles that the
// policies grant something on a full node under it (which decides whose parent USAGE a resource lists).
type planned struct {
	changes []*change
	below   map[name]map[string]bool
	// policies is the masks and row filters part; its changes are in changes too.
	policies policyPlan
}

// onAllMin is the least number of objects missing a privilege for which GRANT … ON ALL is used.
const onAllMin = 2

// plan computes the statements:
//   - a full node gets GRANT for every (role, privilege) the policies demand and it lacks, and REVOKE for
//     every privilege a managed role holds beyond that; OWNERSHIP is never touched, nor is any role the
//     connector does not manage; with a Stale policy set the REVOKEs are planned but failed, not sent;
//   - a parent node (the schema and database of a synced table) only gets the USAGE it lacks for the
//     roles that the policies grant something on a synced object under it;
//   - in a complete schema, when the policies demand a (role, privilege) on every table (view) and at
//     least half of them, and at least onAllMin, lack it, one GRANT … ON ALL TABLES (VIEWS) IN SCHEMA
//     replaces the per-object GRANTs of that pair. It reaches only objects the policies want it on (the
//     schema is complete), and it is idempotent on those that hold it. A table created between our read
//     and the GRANT receives it too; its own creation event then syncs it to what the policies demand;
//   - privileges for one (object, role) go into one statement; statements are ordered by object name
//     (a schema's ON ALL statements before its objects'), then role, so the plan is deterministic;
//   - roles that a GRANT needs and that are not in roles are created first (CREATE ROLE IF NOT EXISTS)
//     when createMissing, or reported as the GRANT's error; when roles is nil (unknown), every needed
//     role is created if createMissing, else each GRANT stands on its own.
//
// Objects are planned one schema at a time: the desired state of more than one schema's objects is
// never held at once.
func (pl planner) plan(nodes []*node) planned {
	nodes = slices.Clone(nodes)
	slices.SortFunc(nodes, func(a, b *node) int { return compareNames(a.name, b.name) })
	out := planned{below: map[name]map[string]bool{}}
	for _, n := range nodes {
		if !n.full {
			continue
		}
		for role := range desired(pl.set, n) {
			for l := 1; l < n.name.level(); l++ {
				k := n.name.prefix(l)
				if out.below[k] == nil {
					out.below[k] = map[string]bool{}
				}
				out.below[k][role] = true
			}
		}
	}
	needed := map[string]bool{}
	for i := 0; i < len(nodes); {
		n := nodes[i]
		if n.name.level() < 3 {
			want := desired(pl.set, n)
			if !n.full {
				for role := range want {
					if !out.below[n.name][role] {
						delete(want, role)
					}
				}
			}
			out.changes = append(out.changes, pl.planNode(n, want, nil, needed)...)
			i++
			continue
		}
		j := i + 1
		for j < len(nodes) && nodes[j].name.prefix(2) == n.name.prefix(2) {
			j++
		}
		out.changes = append(out.changes, pl.planSchema(nodes[i:j], needed)...)
		i = j
	}
	if pl.roles == nil && !pl.createMissing {
		return out // unknown roles: a GRANT to a missing one fails on its own and is reported
	}
	var creates []*change
	for _, role := range slices.Sorted(maps.Keys(needed)) {
		if pl.roles[role] { // unknown roles (nil): CREATE ROLE IF NOT EXISTS for each, which is idempotent
			continue
		}
		if pl.createMissing {
			stmt := snowflake.CreateRole{Name: role, IfNotExists: true}
			creates = append(creates, &change{stmt: stmt, sql: snowflake.Render(stmt), role: role})
			continue
		}
		for _, c := range out.changes {
			if c.role == role && c.grants > 0 {
				c.err = fmt.Errorf("role %s does not exist and CONNECTOR_SNOWFLAKE_CREATE_MISSING_ROLES is false", role)
			}
		}
	}
	out.changes = append(creates, out.changes...)
	return out
}

// wants are the privileges demanded on a node, by role.
type wants map[string]map[snowflake.Privilege]bool

// planSchema plans the objects of one schema (sorted by name), with ON ALL where it applies.
func (pl planner) planSchema(objects []*node, needed map[string]bool) []*change {
	want := make([]wants, len(objects))
	for i, n := range objects {
		want[i] = desired(pl.set, n)
	}
	schema := objects[0].name.prefix(2)
	var changes []*change
	onAll := map[snowflake.ObjectType]wants{} // pairs granted by ON ALL, by kind
	if pl.complete[schema] {
		for _, kind := range []snowflake.ObjectType{snowflake.ObjectTable, snowflake.ObjectView} {
			c, granted := pl.planOnAll(schema, kind, objects, want, needed)
			changes = append(changes, c...)
			onAll[kind] = granted
		}
	}
	for i, n := range objects {
		changes = append(changes, pl.planNode(n, want[i], onAll[n.kind], needed)...)
	}
	return changes
}

// planOnAll returns the GRANT … ON ALL statements for the objects of one kind of a complete schema, and
// the pairs they grant.
func (pl planner) planOnAll(schema name, kind snowflake.ObjectType, objects []*node, want []wants, needed map[string]bool) ([]*change, wants) {
	type pair struct {
		role string
		priv snowflake.Privilege
	}
	count, wanted, missing := 0, map[pair]int{}, map[pair]int{}
	for i, n := range objects {
		if n.kind != kind {
			continue
		}
		count++
		have := holding(n)
		for role, privs := range want[i] {
			for priv := range privs {
				wanted[pair{role, priv}]++
				if !have[role][priv] {
					missing[pair{role, priv}]++
				}
			}
		}
	}
	granted := wants{}
	for p, m := range missing {
		if wanted[p] == count && m >= onAllMin && 2*m >= count {
			if granted[p.role] == nil {
				granted[p.role] = map[snowflake.Privilege]bool{}
			}
			granted[p.role][p.priv] = true
		}
	}
	var changes []*change
	for _, role := range slices.Sorted(maps.Keys(granted)) {
		privs := slices.Sorted(maps.Keys(granted[role]))
		n := 0
		for _, p := range privs {
			n += missing[pair{role, p}]
		}
		needed[role] = true
		stmt := snowflake.GrantOnAll{Privileges: privs, On: kind, Schema: snowflake.SchemaID{Database: schema.Database, Name: schema.Schema}, Role: role}
		changes = append(changes, &change{stmt: stmt, sql: snowflake.Render(stmt), target: schema, all: true, role: role, grants: n})
	}
	return changes, granted
}

// planNode plans one node: GRANT what want holds and the node lacks (except the pairs skip grants by ON
// ALL), REVOKE (full nodes only) what managed roles hold beyond want.
func (pl planner) planNode(n *node, want, skip wants, needed map[string]bool) []*change {
	have := holding(n)
	var changes []*change
	for _, role := range slices.Sorted(maps.Keys(want)) {
		var privs []snowflake.Privilege
		for _, p := range slices.Sorted(maps.Keys(want[role])) {
			if !have[role][p] && !skip[role][p] {
				privs = append(privs, p)
			}
		}
		if len(privs) == 0 {
			continue
		}
		needed[role] = true
		stmt := snowflake.Grant{Privileges: privs, On: n.kind, Object: n.name.id(), Role: role}
		changes = append(changes, &change{stmt: stmt, sql: snowflake.Render(stmt), target: n.name, role: role,
			usage: slices.Equal(privs, []snowflake.Privilege{snowflake.PrivilegeUsage}), grants: len(privs)})
	}
	if !n.full {
		return changes
	}
	for _, role := range slices.Sorted(maps.Keys(have)) {
		if !pl.manages(role) {
			continue
		}
		var privs []snowflake.Privilege
		for _, p := range slices.Sorted(maps.Keys(have[role])) {
			if !want[role][p] && p != snowflake.PrivilegeOwnership && n.kind.Allows(p) {
				privs = append(privs, p)
			}
		}
		if len(privs) == 0 {
			continue
		}
		stmt := snowflake.Revoke{Privileges: privs, On: n.kind, Object: n.name.id(), Role: role}
		c := &change{stmt: stmt, sql: snowflake.Render(stmt), target: n.name, role: role, revokes: len(privs)}
		if err := pl.set.Stale(); err != nil { // never undo what newer policies may have granted
			c.err = fmt.Errorf("not sent: %w", err)
		}
		changes = append(changes, c)
	}
	return changes
}

// holding returns the privileges a node's roles hold, by role.
func holding(n *node) wants {
	have := wants{}
	for _, h := range n.held {
		if have[h.role] == nil {
			have[h.role] = map[snowflake.Privilege]bool{}
		}
		have[h.role][h.priv] = true
	}
	return have
}

// desired returns the privileges the policies demand on n, by role: all of them for a full node, only
// USAGE for a parent.
func desired(set *policy.Set, n *node) wants {
	want := wants{}
	for _, g := range set.Desired(n.name.policyObject(n.kind)) {
		if !n.full && g.Privilege != snowflake.PrivilegeUsage {
			continue
		}
		if want[g.Role] == nil {
			want[g.Role] = map[snowflake.Privilege]bool{}
		}
		want[g.Role][g.Privilege] = true
	}
	return want
}

// plan runs the policy planner, then the grant planner over the pass's nodes. A schema holding a blocked
// object gets no GRANT … ON ALL (it would reach that object); grants wait for the policy changes of the
// objects they reach.
func (p *pass) plan() planned {
	nodes := slices.Collect(maps.Values(p.nodes))
	pp := p.policyPlanner().plan(nodes)
	for t := range pp.blocked {
		delete(p.complete, t.prefix(2))
	}
	pl := planner{set: p.set, manages: p.e.Manages, roles: p.roles, createMissing: p.e.opts.CreateMissingRoles,
		complete: p.complete}.plan(nodes)
	pp.guardGrants(pl.changes, p.nodes)
	pl.changes = append(pp.changes, pl.changes...)
	pl.policies = pp
	return pl
}
