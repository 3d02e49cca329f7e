package engine

import (
	"context"
	"fmt"
	"slices"

	"golang.org/x/sync/errgroup"

	"github.com/snowsync/snowsync/internal/datapolicy"
	"github.com/snowsync/snowsync/internal/guard"
	"github.com/snowsync/snowsync/internal/snowflake"
)

// Foreign policies under a bulk read.
//
// The bulk read (policybulk.go) sees only our policies, so it plans an attach on a column or table that
// carries a policy someone else created. Snowflake refuses that attach, since a column has at most one
// masking policy and a table one row access policy ("ALTER TABLE … ALTER COLUMN", usage notes,
// https://docs.snowflake.com/en/sql-reference/sql/alter-table-column; "ALTER TABLE", row access policy
// clauses, https://docs.snowflake.com/en/sql-reference/sql/alter-table), so the foreign policy stays. To
// report it as the per-table path does, a table whose plain attach (no FORCE, no DROP) failed is read
// again the per-table way (DESCRIBE TABLE and POLICY_REFERENCES on it) and planned again: an attach
// that the new plan no longer makes, because the new state shows a foreign policy, is withdrawn (not
// counted, not listed, not a failure), the table gets the per-table path's note, and its grants go
// ahead. Only a re-plan that fails nothing and carries a note withdraws anything: any other failure
// stands, so a table never gets its grants without the mask Ranger demands. This costs reads only when such an attach failed, never on a
// converged or an ordinary sync.

// recheckForeign re-plans the bulk-read tables of the attach changes in sent whose plain attach
// failed, and withdraws those that a foreign policy explains, adding its note to pp. The error is
// systemic.
func (p *pass) recheckForeign(ctx context.Context, pp policyPlan, sent []*change) error {
	failed := map[name][]*change{}
	for _, c := range sent {
		if c.err != nil && plainAttach(c.stmt) && p.readInBulk(c.target) {
			failed[c.target] = append(failed[c.target], c)
		}
	}
	if len(failed) == 0 {
		return nil
	}
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	p.ctx, p.stop = ctx, stop // the reads are memoized under it, as while loading
	tables := make([]name, 0, len(failed))
	for t := range failed {
		tables = append(tables, t)
	}
	slices.SortFunc(tables, compareNames)
	states := make([]tableState, len(tables))
	errs := make([]error, len(tables))
	g := new(errgroup.Group)
	for i, t := range tables {
		guard.Go(g, func() error {
			states[i], errs[i] = p.tableStateOf(ctx, p.nodes[t].kind, t, true, true)
			return nil
		})
	}
	if err := g.Wait(); err != nil { // a panic
		return err
	}
	planner := p.policyPlanner()
	for i, t := range tables {
		if snowflake.Outage(errs[i]) {
			return fmt.Errorf("%w: %w", errSystemic, errs[i])
		}
		if errs[i] != nil {
			continue // the attach's own failure stands
		}
		tp := tablePlan{pp: planner, n: p.nodes[t], st: states[i], need: func(datapolicy.Policy, string) (*change, error) { return nil, nil }}
		tp.masks()
		tp.filter()
		if len(tp.fails) > 0 || len(tp.notes) == 0 {
			continue // no foreign policy explains the refusal: it stands, and the table's grants stay withheld
		}
		again := map[string]bool{}
		for _, c := range tp.changes {
			again[snowflake.Render(c.stmt)] = true
		}
		withdrawn := false
		for _, c := range failed[t] {
			if !again[c.sql] {
				c.err, c.withdrawn, withdrawn = nil, true, true
			}
		}
		if withdrawn {
			for _, note := range tp.notes {
				if !slices.Contains(pp.notes[t], note) {
					pp.notes[t] = append(pp.notes[t], note)
				}
			}
		}
	}
	return nil
}

// plainAttach reports whether stmt attaches a policy where the state read showed none: SET MASKING
// POLICY without FORCE, ADD ROW ACCESS POLICY without a DROP.
func plainAttach(stmt snowflake.Statement) bool {
	switch s := stmt.(type) {
	case snowflake.SetMaskingPolicy:
		return !s.Force
	case snowflake.AddRowAccessPolicy:
		return s.Replace == nil
	}
	return false
}
