package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/snowsync/snowsync/internal/policy"
	"github.com/snowsync/snowsync/internal/snowflake"
	"github.com/snowsync/snowsync/internal/task/outcome"
	"github.com/snowsync/snowsync/internal/testing/emulator"
	"github.com/snowsync/snowsync/internal/testing/functionhost"
	"github.com/snowsync/snowsync/internal/testing/stack"
)

// Issue 14's scenario: version 2 of the policies adds one policy, auditorsRead, that demands SELECT on
// the tables named T0001* in every schema of BENCH (T00010 to T00019: 10 of a schema's 100 tables, 500
// of 5,000), and with it USAGE on BENCH and its schemas (PUBLIC included: the wildcard matches it) for
// the auditors' role, which the account does not have yet. The wildcard makes the reconciliation list
// every schema's tables to find the 500.
const auditorsRead = `{"id": 3, "name": "auditors read T0001*", "isEnabled": true,
  "resources": {"database": {"values": ["BENCH"]}, "schema": {"values": ["*"]}, "table": {"values": ["` + changedTables + `"]}},
  "policyItems": [{"accesses": [{"type": "select", "isAllowed": true}], "groups": ["auditors"]}]}`

// changedTables is auditorsRead's table wildcard.
const changedTables = "T0001*"

// changedTable reports whether auditorsRead matches table name (changedTables as a prefix).
func changedTable(name string) bool {
	return strings.HasPrefix(name, strings.TrimSuffix(changedTables, "*"))
}

// changedPerSchema is how many of a schema's first n tables auditorsRead matches.
func changedPerSchema(n int) int {
	c := 0
	for i := range n {
		if changedTable(tableName(i)) {
			c++
		}
	}
	return c
}

// changedPolicies is version 2 of a policy-change scenario's document: version 1 (policies) plus
// auditorsRead.
func (sc scenario) changedPolicies() []byte { return document(2, benchAccess+",\n"+auditorsRead) }

// How a policy-change scenario applies version 2: the runners of its two rows.
const (
	byReconcile = "snowsync reconcile" // one Reconcile timer invocation
	byFullSync  = "snowsync full sync" // one database request through OnDemandSync
)

// policyRefresh is CONNECTOR_POLICY_REFRESH_INTERVAL_SEC in a policy-change run: version 2 is read
// that long after it is written.
const policyRefresh = time.Second

// runPolicyChange measures version 2 of sc's policies applied to the account converged under version 1
// (from), by a reconciliation and by a full sync of the database, each on a fresh stack; the
// reconciliation's ratios are to the full sync. Both must leave exactly the grants version 2 demands
// with exactly the statements that takes; the reconciliation must send the very statements the full
// sync sends and name no table that the change does not affect.
func runPolicyChange(ctx context.Context, opts options, sc scenario, from *policy.Set, progress io.Writer) ([]result, error) {
	to, problems, err := policy.Parse(sc.changedPolicies(), policy.Mapping{})
	if err != nil || len(problems) > 0 {
		return nil, fmt.Errorf("%s: version 2 of the benchmark policies: %v %v", sc.name, err, problems)
	}
	want, tables := demanded(sc, from, to)
	if tables != sc.policyChange {
		return nil, fmt.Errorf("%s: version 2 changes the desired grants of %d tables, want %d", sc.name, tables, sc.policyChange)
	}
	var rows []result
	var sent [][]string
	for _, by := range []string{byReconcile, byFullSync} {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		fmt.Fprintf(progress, "%s: %s...\n", sc.name, by)
		r, stmts, err := runChange(ctx, opts, sc, from, to, by)
		if err != nil {
			return nil, fmt.Errorf("%s, %s: %w", sc.name, by, err)
		}
		if len(stmts) != want {
			r.Problems = append(r.Problems, fmt.Sprintf("%d GRANT/REVOKE/CREATE/ALTER/DROP statements, version 2 demands %d", len(stmts), want))
		}
		rows, sent = append(rows, r), append(sent, stmts)
	}
	rows[0].Ratios = ratio(rows[0], rows[1], "full sync")
	if !slices.Equal(sent[0], sent[1]) { // sorted: a statement sent twice differs too
		only, other := difference(sent[0], sent[1]), difference(sent[1], sent[0])
		rows[0].Problems = append(rows[0].Problems, fmt.Sprintf("statements differ from the full sync's: %d only here, e.g. %v; %d only there, e.g. %v",
			len(only), only[:min(3, len(only))], len(other), other[:min(3, len(other))]))
	}
	return rows, nil
}

// runChange starts a stack on version 1 of sc's policies over the converged account, records the
// baseline (a first Reconcile run, which syncs nothing), publishes version 2, and measures applying it
// by one Reconcile invocation or one database request through OnDemandSync. It returns the run's
// GRANT, REVOKE, CREATE, ALTER and DROP statements, sorted.
func runChange(ctx context.Context, opts options, sc scenario, from, to *policy.Set, by string) (result, []string, error) {
	r := result{Scenario: sc.name, Runner: by}
	st, err := stack.Start(ctx, stack.Options{Policies: sc.policies(), Emulator: emulator.Options{Latency: opts.latency},
		Settings: map[string]string{"CONNECTOR_POLICY_REFRESH_INTERVAL_SEC": fmt.Sprint(policyRefresh.Seconds()),
			"CONNECTOR_ON_DEMAND_V2_DRIFT_SCHEMAS_PER_RUN": "0"}, // the policy change alone is measured
		Handler: opts.handler, HandlerOutput: opts.logs})
	if err != nil {
		return r, nil, err
	}
	defer st.Close()
	if err := seed(st.Snowflake, sc, from); err != nil {
		return r, nil, err
	}
	if res := st.Timer.Tick(ctx, functionhost.Tick{}); res.Err != nil || res.Status != http.StatusOK {
		return r, nil, fmt.Errorf("baseline Reconcile run: status %d, %v", res.Status, res.Err)
	}
	if err := os.WriteFile(st.PolicyFile, sc.changedPolicies(), 0o600); err != nil {
		return r, nil, err
	}
	select { // until the handler's policy cache reads version 2
	case <-time.After(policyRefresh + 100*time.Millisecond):
	case <-ctx.Done():
		return r, nil, ctx.Err()
	}
	st.Snowflake.ResetLog()
	start := time.Now()
	var res functionhost.Result
	if by == byReconcile {
		res = st.Timer.Tick(ctx, functionhost.Tick{})
	} else {
		res = st.Host.Deliver(ctx, st.Batch("0", sc.batch("bench")...))
	}
	wall := time.Since(start)
	log := st.Snowflake.Log()
	measure(&r, wall, st.Snowflake)
	addPeakRSS(&r, st)
	r.Problems = append(r.Problems, resultProblems(res)...)
	source := ""
	if by == byReconcile {
		source = outcome.SourcePolicyChange
		r.Problems = append(r.Problems, unaffectedNamed(log, sc)...)
	}
	r.Problems = append(r.Problems, checkRecords(ctx, st, 1, source)...)
	r.Problems = append(r.Problems, check(ctx, st.Snowflake, sc, to, r.Changes)...)
	return r, changeStatements(log), nil
}

// demanded returns how many statements bring sc's account from what from demands to what to demands (a
// GRANT or REVOKE per (object, role, privilege) that differs, as the policy has one privilege per role
// and level, and a CREATE ROLE per role to has and from has not), and how many tables that changes.
func demanded(sc scenario, from, to *policy.Set) (statements, tables int) {
	for _, o := range sc.objects() {
		old, cur := pairs(from.Desired(o)), pairs(to.Desired(o))
		n := len(difference(old, cur)) + len(difference(cur, old))
		statements += n
		if n > 0 && o.Type == snowflake.ObjectTable {
			tables++
		}
	}
	return statements + len(difference(to.Roles(), from.Roles())), tables
}

// pairs returns the (role, privilege) of each grant: whether a grant is implied does not change its
// statement.
func pairs(grants []policy.Grant) []grantKey {
	out := make([]grantKey, len(grants))
	for i, g := range grants {
		out[i] = grantKey{g.Role, string(g.Privilege)}
	}
	return out
}

// difference returns the elements of a not in b, in a's order.
func difference[T comparable](a, b []T) []T {
	var out []T
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// word is an identifier as a statement names it, quoted or not.
var word = regexp.MustCompile(`\w+`)

// unaffectedNamed finds statements of log that name a table of sc that auditorsRead does not match: a
// reconciliation reads and changes only what the change affects.
func unaffectedNamed(log []emulator.LoggedQuery, sc scenario) []string {
	unaffected := map[string]bool{}
	for _, o := range sc.objects() {
		if o.Type == snowflake.ObjectTable && !changedTable(o.Name) {
			unaffected[o.Name] = true
		}
	}
	var named []string
	for _, q := range log {
		if slices.ContainsFunc(word.FindAllString(q.SQL, -1), func(w string) bool { return unaffected[w] }) {
			named = append(named, q.SQL)
		}
	}
	if len(named) == 0 {
		return nil
	}
	return []string{fmt.Sprintf("%d statements name tables the change does not affect, e.g. %.200q", len(named), named[0])}
}
