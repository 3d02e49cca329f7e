package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/snowsync/snowsync/internal/policy"
	"github.com/snowsync/snowsync/internal/request"
	"github.com/snowsync/snowsync/internal/snowflake"
)

// change is one planned statement and, after apply, its outcome.
type change struct {
	stmt snowflake.Statement
	sql  string
	// target is the path of the object changed; nil for CREATE ROLE.
	target []string
	role   string
	// usage marks a GRANT of USAGE alone: what a role needs on a database or schema to reach the
	// objects under it, so it is listed under the requested objects that need it too.
	usage           bool
	grants, revokes int
	err             error
}

// Plan computes the statements that bring nodes to the state the policies demand. It is a pure
// function of the policies, the loaded state and the options:
//   - a full node gets GRANT for every (role, privilege) the policies demand and it lacks, and REVOKE for
//     every privilege a managed role holds beyond that; OWNERSHIP is never touched, nor is any role the
//     connector does not manage (Engine.Manages);
//   - a parent node (the schema and database of a synced table) only gets the USAGE it lacks for the
//     roles that the policies grant something on a synced object under it;
//   - privileges for one (object, role) go into one statement; statements are ordered by object path,
//     then role, so the plan is deterministic;
//   - roles that a GRANT needs and that are not in roles are created first (CREATE ROLE IF NOT EXISTS)
//     when createMissing, or reported as the GRANT's error; when roles is nil (unknown), every needed
//     role is created if createMissing, else each GRANT stands on its own.
func Plan(set *policy.Set, nodes []*node, manages func(string) bool, roles map[string]bool, createMissing bool) []*change {
	nodes = slices.Clone(nodes)
	slices.SortFunc(nodes, func(a, b *node) int { return slices.Compare(a.path, b.path) })
	wants := make([]map[string]map[snowflake.Privilege]bool, len(nodes))
	below := map[string]map[string]bool{} // roles granted something on a full node under each path
	for i, n := range nodes {
		if !n.full {
			continue
		}
		wants[i] = desired(set, n)
		n.roles = map[string]bool{}
		for role := range wants[i] {
			n.roles[role] = true
		}
		for l := 1; l < len(n.path); l++ {
			k := key(n.path[:l]...)
			if below[k] == nil {
				below[k] = map[string]bool{}
			}
			for role := range wants[i] {
				below[k][role] = true
			}
		}
	}
	var changes []*change
	needed := map[string]bool{}
	for i, n := range nodes {
		want := wants[i]
		if !n.full {
			want = desired(set, n)
			for role := range want {
				if !below[key(n.path...)][role] {
					delete(want, role)
				}
			}
		}
		have := map[string]map[snowflake.Privilege]bool{}
		for _, g := range n.grants {
			if have[g.Role] == nil {
				have[g.Role] = map[snowflake.Privilege]bool{}
			}
			have[g.Role][g.Privilege] = true
		}
		for _, role := range slices.Sorted(maps.Keys(want)) {
			var privs []snowflake.Privilege
			for _, p := range slices.Sorted(maps.Keys(want[role])) {
				if !have[role][p] {
					privs = append(privs, p)
				}
			}
			if len(privs) == 0 {
				continue
			}
			needed[role] = true
			stmt := snowflake.Grant{Privileges: privs, On: n.typ, Object: n.id(), Role: role}
			changes = append(changes, &change{stmt: stmt, sql: snowflake.Render(stmt), target: n.path, role: role,
				usage: slices.Equal(privs, []snowflake.Privilege{snowflake.PrivilegeUsage}), grants: len(privs)})
		}
		if !n.full {
			continue
		}
		for _, role := range slices.Sorted(maps.Keys(have)) {
			if !manages(role) {
				continue
			}
			var privs []snowflake.Privilege
			for _, p := range slices.Sorted(maps.Keys(have[role])) {
				if !want[role][p] && p != snowflake.PrivilegeOwnership && n.typ.Allows(p) {
					privs = append(privs, p)
				}
			}
			if len(privs) == 0 {
				continue
			}
			stmt := snowflake.Revoke{Privileges: privs, On: n.typ, Object: n.id(), Role: role}
			changes = append(changes, &change{stmt: stmt, sql: snowflake.Render(stmt), target: n.path, role: role, revokes: len(privs)})
		}
	}
	if roles == nil && !createMissing {
		return changes // unknown roles: a GRANT to a missing one fails on its own and is reported
	}
	var creates []*change
	for _, role := range slices.Sorted(maps.Keys(needed)) {
		if roles[role] { // unknown roles (nil): CREATE ROLE IF NOT EXISTS for each, which is idempotent
			continue
		}
		if createMissing {
			stmt := snowflake.CreateRole{Name: role, IfNotExists: true}
			creates = append(creates, &change{stmt: stmt, sql: snowflake.Render(stmt), role: role})
			continue
		}
		for _, c := range changes {
			if c.role == role && c.grants > 0 {
				c.err = fmt.Errorf("role %s does not exist and CONNECTOR_SNOWFLAKE_CREATE_MISSING_ROLES is false", role)
			}
		}
	}
	return append(creates, changes...)
}

// desired returns the privileges the policies demand on n, by role: all of them for a full node, only
// USAGE for a parent.
func desired(set *policy.Set, n *node) map[string]map[snowflake.Privilege]bool {
	o := policy.Object{Type: n.typ, Database: n.path[0]}
	if len(n.path) > 1 {
		o.Schema = n.path[1]
	}
	if len(n.path) > 2 {
		o.Name = n.path[2]
	}
	want := map[string]map[snowflake.Privilege]bool{}
	for _, g := range set.Desired(o) {
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

// plan runs Plan over the pass's nodes.
func (p *pass) plan() []*change {
	nodes := slices.Collect(maps.Values(p.nodes))
	return Plan(p.set, nodes, p.e.Manages, p.roles, p.e.opts.CreateMissingRoles)
}

// apply sends the changes that are not already failed. A systemic error stops the batch.
func (p *pass) apply(ctx context.Context, changes []*change) error {
	var send []*change
	var stmts []snowflake.Statement
	for _, c := range changes {
		if c.err == nil {
			send = append(send, c)
			stmts = append(stmts, c.stmt)
		}
	}
	if len(stmts) == 0 {
		return nil
	}
	errs := p.e.exec.Exec(ctx, stmts)
	for i, c := range send {
		c.err = errs[i]
		if outage(c.err) {
			return fmt.Errorf("%w: %s: %w", errSystemic, c.sql, c.err)
		}
	}
	return nil
}

// result reports one requested resource, and returns the changes it lists.
func (p *pass) result(r *ref, changes []*change) (request.ResourceResult, []*change) {
	out := request.ResourceResult{Resource: r.res}
	skip := func(reason, code string) (request.ResourceResult, []*change) {
		out.Status, out.Reason, out.ErrorCode = request.StatusSkipped, reason, code
		return out, nil
	}
	if r.outScope {
		return skip("outside the managed scope (CONNECTOR_SNOWFLAKE_MANAGE_*_LIST / IGNORE_*_LIST)", "")
	}
	u := r.unit
	var cov errCovered
	if errors.As(u.err, &cov) {
		u = cov.by
	}
	switch {
	case u.skip != "":
		return skip(u.skip, u.code)
	case u.err != nil:
		out.Status, out.Reason, out.ErrorCode = request.StatusFailed, "load: "+u.err.Error(), snowflake.Code(u.err)
		return out, nil
	}
	path, ok := p.resolveRef(r.path, u.resolved)
	if !ok {
		return skip("does not exist in Snowflake", "002003")
	}
	// Roles granted something under path: a USAGE grant on an ancestor counts for this resource only
	// when it serves one of them; a CREATE ROLE counts when one of the resource's statements needs the role.
	below := map[string]bool{}
	for _, n := range p.nodes {
		if n.full && isUnder(n.path, path) {
			for role := range n.roles {
				below[role] = true
			}
		}
	}
	roles := map[string]bool{}
	var mine []*change
	for _, c := range changes {
		if c.target != nil && (isUnder(c.target, path) || c.usage && isUnder(path, c.target) && below[c.role]) {
			mine = append(mine, c)
			roles[c.role] = true
		}
	}
	var failed []string
	for _, c := range changes {
		if c.target == nil && roles[c.role] || c.target != nil && slices.Contains(mine, c) {
			if c.target == nil {
				mine = append(mine, c)
			}
			out.Statements = append(out.Statements, c.sql)
			if c.err != nil {
				failed = append(failed, c.sql+": "+c.err.Error())
				if out.ErrorCode == "" {
					out.ErrorCode = snowflake.Code(c.err)
				}
				continue
			}
			out.Grants += c.grants
			out.Revokes += c.revokes
		}
	}
	out.Status = request.StatusSuccess
	if len(failed) > 0 {
		out.Status = request.StatusFailed
		out.Reason = fmt.Sprintf("%d of %d statements failed: %s", len(failed), len(out.Statements), strings.Join(failed, "; "))
	}
	return out, mine
}

// resolveRef finds the exact path of a requested path: the unit's resolved prefix, then each further
// level matched among the loaded nodes (exactly, else ignoring case when exactly one matches).
func (p *pass) resolveRef(requested, resolved []string) ([]string, bool) {
	path := append([]string(nil), resolved...)
	for len(path) < len(requested) {
		var names []string
		for _, n := range p.nodes {
			if len(n.path) == len(path)+1 && n.full && slices.Equal(n.path[:len(path)], path) {
				names = append(names, n.path[len(path)])
			}
		}
		name, ok := snowflake.ResolveName(names, requested[len(path)])
		if !ok {
			return nil, false
		}
		path = append(path, name)
	}
	return path, true
}
