package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/snowsync/snowsync/internal/snowflake"
	"github.com/snowsync/snowsync/internal/task/outcome"
)

// apply sends the planned changes that are not already failed, phase by phase (applyOrder), each
// phase as one batch of concurrent statements. A change one of whose deps failed is not sent, and
// fails saying which. After the attach phase, attaches refused for a foreign policy are withdrawn
// (recheckForeign); a DROP of a released policy that Snowflake refuses (still in use) or that was not
// sent is withdrawn too. A systemic error stops the batch.
func (p *pass) apply(ctx context.Context, pl planned) error {
	changes := pl.changes
	for _, ph := range applyOrder {
		var send []*change
		var stmts []snowflake.Statement
		for _, c := range changes {
			if c.phase != ph || c.err != nil {
				continue
			}
			if i := slices.IndexFunc(c.deps, func(d *change) bool { return d.err != nil }); i >= 0 {
				c.err = fmt.Errorf("not sent: it needs %s, which failed", c.deps[i].sql)
				c.withdrawn = c.phase == phaseDrop // the policy stays, in use or not: nothing was undone
				continue
			}
			send = append(send, c)
			stmts = append(stmts, c.stmt)
		}
		if len(stmts) == 0 {
			continue
		}
		errs := p.e.exec.Exec(ctx, stmts)
		for i, c := range send {
			c.err = errs[i]
			if snowflake.Outage(c.err) {
				return fmt.Errorf("%w: %s: %w", errSystemic, c.sql, c.err)
			}
			if c.err != nil && ph == phaseDrop { // still set somewhere: Snowflake refuses (see policyPlanner.plan)
				c.withdrawn = true
			}
		}
		if ph == phaseAttach {
			if err := p.recheckForeign(ctx, pl.policies, send); err != nil {
				return err
			}
		}
	}
	return nil
}

// share is a change listed under a resource, with the grants and revokes it made for that resource: all
// of them, except for a table or view under a GRANT … ON ALL, which counts what it lacked.
type share struct {
	c               *change
	grants, revokes int
	pc              outcome.PolicyChanges
}

// result reports one requested resource, and returns the changes it lists.
func (p *pass) result(r *ref, pl planned) (outcome.Resource, []share) {
	out := outcome.Resource{Resource: r.res}
	skip := func(reason, code string) (outcome.Resource, []share) {
		out.Status, out.Reason, out.ErrorCode = outcome.Skipped, reason, code
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
		out.Status, out.Reason, out.ErrorCode = outcome.Failed, "load: "+u.err.Error(), snowflake.Code(u.err)
		return out, nil
	}
	n, ok, err := p.resolveRef(r.name, u.resolved)
	if err != nil {
		return skip(err.Error(), "")
	}
	if !ok {
		return skip("does not exist in Snowflake", "002003")
	}
	// Roles granted something on or under n: a USAGE grant on an ancestor counts for this resource only
	// when it serves one of them; a CREATE ROLE counts when one of the resource's statements needs the role.
	below := map[string]bool{}
	for role := range pl.below[n] {
		below[role] = true
	}
	if own := p.nodes[n]; own != nil && own.full {
		for role := range desired(p.set, own) {
			below[role] = true
		}
	}
	own := p.nodes[n]
	only := objectOnly(r.res) // its own grants: what targets n itself, nothing under it
	roles := map[string]bool{}
	lists := map[*change]bool{}
	for _, c := range pl.changes {
		switch {
		case c.target == (name{}), only && (c.target != n || c.all):
			continue
		case only, c.target.under(n),
			c.all && n.under(c.target) && own != nil && own.kind == c.stmt.(snowflake.GrantOnAll).On,
			c.usage && n.under(c.target) && below[c.role]:
			lists[c] = true
			if c.role != "" {
				roles[c.role] = true
			}
		}
	}
	// A policy change lists what it needs: the CREATE of its policy, and of that policy's schema.
	var needs []*change
	for c := range lists {
		if c.phase != phaseGrant {
			needs = append(needs, c.deps...)
		}
	}
	for len(needs) > 0 {
		c := needs[len(needs)-1]
		needs = append(needs[:len(needs)-1], c.deps...)
		lists[c] = true
	}
	var mine []share
	var failed []string
	for _, c := range pl.changes {
		if c.target == (name{}) && roles[c.role] {
			lists[c] = true
		}
		if !lists[c] || c.withdrawn {
			continue
		}
		sh := share{c: c, grants: c.grants, revokes: c.revokes, pc: c.pc}
		if c.all && !c.target.under(n) { // n is one object of the schema
			have := holding(own)
			sh.grants = 0
			for _, priv := range c.stmt.(snowflake.GrantOnAll).Privileges {
				if !have[c.role][priv] {
					sh.grants++
				}
			}
		}
		mine = append(mine, sh)
		out.Statements = append(out.Statements, c.sql)
		if c.err != nil {
			failed = append(failed, c.sql+": "+c.err.Error())
			if out.ErrorCode == "" {
				out.ErrorCode = snowflake.Code(c.err)
			}
			continue
		}
		out.Grants += sh.grants
		out.Revokes += sh.revokes
		out.PolicyChanges.Add(sh.pc)
	}
	var reasons []string
	if len(failed) > 0 {
		reasons = append(reasons, fmt.Sprintf("%d of %d statements failed: %s", len(failed), len(out.Statements), strings.Join(failed, "; ")))
	}
	pp := pl.policies
	for _, t := range slices.SortedFunc(maps.Keys(pp.blocked), compareNames) {
		if t.under(n) && !only {
			reasons = append(reasons, fmt.Sprintf("%s: %s", t.id().FullyQualifiedName(), pp.blocked[t]))
		}
	}
	for _, t := range slices.SortedFunc(maps.Keys(pp.notes), compareNames) {
		if t.under(n) && !only {
			for _, note := range pp.notes[t] {
				out.Notes = append(out.Notes, t.id().FullyQualifiedName()+": "+note)
			}
		}
	}
	out.Status = outcome.Success
	if len(reasons) > 0 {
		out.Status, out.Reason = outcome.Failed, strings.Join(reasons, "; ")
	}
	return out, mine
}

// resolveRef finds the exact name of a requested name: the unit's resolved prefix, then each further
// level matched among the loaded full nodes (exactly, else ignoring case when exactly one matches; the
// error is an ambiguous when several do).
func (p *pass) resolveRef(requested, resolved name) (name, bool, error) {
	n := resolved
	for l := resolved.level() + 1; l <= requested.level(); l++ {
		want := requested.part(l)
		if node := p.nodes[n.child(l, want)]; node != nil && node.full {
			n = n.child(l, want)
			continue
		}
		var names []string
		for _, node := range p.nodes {
			if node.name.level() == l && node.full && node.name.prefix(l-1) == n {
				names = append(names, node.name.part(l))
			}
		}
		exact, ok, err := resolve([4]string{"", "database", "schema", "table or view"}[l], names, want)
		if !ok {
			return name{}, false, err
		}
		n = n.child(l, exact)
	}
	return n, true, nil
}
