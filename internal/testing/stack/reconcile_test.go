package stack

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/snowsync/snowsync/functions"
	"github.com/snowsync/snowsync/internal/task/outcome"
	"github.com/snowsync/snowsync/internal/testing/functionhost"
)

// policiesV4Edit is version 4 of policies: auditors read ORDERS (a new policy), and etl no longer
// updates ORDERS (policy 2 edited). Nothing else changes.
var policiesV4Edit = strings.Replace(policiesV4,
	`[{"type": "insert", "isAllowed": true}, {"type": "update", "isAllowed": true}]`, `[{"type": "insert", "isAllowed": true}]`, 1)

// tick invokes the Reconcile timer once and fails the test unless it succeeded.
func tick(t *testing.T, s *Stack) functionhost.Result {
	t.Helper()
	res := s.Timer.Tick(t.Context(), functionhost.Tick{})
	if res.Err != nil || res.Status != http.StatusOK {
		t.Fatalf("Reconcile: status %d, %v", res.Status, res.Err)
	}
	return res
}

// publish rewrites the policy file and waits out the refresh interval (1 s), so that the next
// invocation reads it.
func publish(t *testing.T, s *Stack, doc string) {
	t.Helper()
	if err := os.WriteFile(s.PolicyFile, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond)
}

// bySource returns the records of source.
func bySource(t *testing.T, s *Stack, source string) []outcome.Task {
	t.Helper()
	return slices.DeleteFunc(records(t, s), func(r outcome.Task) bool { return r.Source != source })
}

// startConverged starts a stack whose policies refresh every second and whose SALES database is
// synced under version 3; the emulator log is empty afterwards.
func startConverged(t *testing.T, settings map[string]string) *Stack {
	t.Helper()
	s := start(t, settings)
	deliver(t, s, syncRequest("converge", `{"type":"database","values":{"database":"SALES"}}`))
	s.Snowflake.ResetLog()
	return s
}

// A policy file edited while the handler runs: the next timer invocation moves exactly the grants the
// edit affects, records the version change, and the invocation after it does nothing.
func TestPolicyChangeEndToEnd(t *testing.T) {
	s := startConverged(t, map[string]string{"CONNECTOR_POLICY_REFRESH_INTERVAL_SEC": "1", "CONNECTOR_ON_DEMAND_V2_DRIFT_SCHEMAS_PER_RUN": "0"})
	if res := tick(t, s); !strings.Contains(res.Logs[0], "baseline") {
		t.Fatalf("first tick logged %q, want the baseline", res.Logs)
	}
	if c := changes(s); len(c) != 0 {
		t.Fatalf("the baseline sent %v", c)
	}

	publish(t, s, policiesV4Edit)
	res := tick(t, s)
	if !strings.Contains(res.Logs[0], "policy version 3 -> 4") || len(res.Failures) != 0 {
		t.Fatalf("second tick: logs %q, failures %q; want version 3 -> 4 applied", res.Logs, res.Failures)
	}
	got := changes(s)
	want := []string{
		"GRANT SELECT ON TABLE \"SALES\".\"PUBLIC\".\"ORDERS\" TO ROLE \"PRIV_AUDITORS\"",
		"GRANT USAGE ON DATABASE \"SALES\" TO ROLE \"PRIV_AUDITORS\"",
		"GRANT USAGE ON SCHEMA \"SALES\".\"PUBLIC\" TO ROLE \"PRIV_AUDITORS\"",
		"REVOKE UPDATE ON TABLE \"SALES\".\"PUBLIC\".\"ORDERS\" FROM ROLE \"PRIV_ETL\"",
	}
	got = slices.DeleteFunc(got, func(q string) bool { return strings.HasPrefix(q, "CREATE ROLE") })
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("statements sent:\n%s\nwant exactly:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, q := range s.Snowflake.Log() {
		if strings.Contains(q.SQL, "CUSTOMERS") || strings.Contains(q.SQL, "STAGING") || strings.Contains(q.SQL, "V_ORDERS") {
			t.Errorf("query on an object the change does not affect: %s", q.SQL)
		}
	}
	recs := bySource(t, s, outcome.SourcePolicyChange)
	if len(recs) != 1 {
		t.Fatalf("%d POLICY_CHANGE records, want 1", len(recs))
	}
	rec := recs[0]
	if rec.Status != outcome.Success || *rec.PolicyVersion != 4 || rec.PolicyVersionFrom == nil || *rec.PolicyVersionFrom != 3 ||
		rec.Grants != 3 || rec.Revokes != 1 {
		t.Fatalf("POLICY_CHANGE record %+v, want SUCCESS 3 → 4 with 3 grants and 1 revoke", rec)
	}

	s.Snowflake.ResetLog()
	resp, err := http.Post(s.URL+"/api/reconcile", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var sum functions.ReconcileSummary
	if err := json.NewDecoder(resp.Body).Decode(&sum); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /api/reconcile: %d, %v", resp.StatusCode, err)
	}
	if *sum.FromVersion != 4 || *sum.ToVersion != 4 || len(sum.Tasks) != 0 || len(changes(s)) != 0 {
		t.Fatalf("third run = %+v, sent %v; want nothing to do", sum, changes(s))
	}
	if n := len(bySource(t, s, outcome.SourcePolicyChange)); n != 1 {
		t.Fatalf("%d POLICY_CHANGE records after the third run, want still 1", n)
	}
}

// A grant added by hand to a managed role is revoked by the drift sweep within as many runs as the
// scope has slices; a grant to a role snowsync does not manage stays.
func TestDriftSweepRevokesHandGrants(t *testing.T) {
	s := startConverged(t, map[string]string{"CONNECTOR_ON_DEMAND_V2_DRIFT_SCHEMAS_PER_RUN": "1"})
	if err := s.Snowflake.Exec(`GRANT INSERT ON TABLE SALES.STAGING.RAW_ORDERS TO ROLE PRIV_ANALYSTS;
		GRANT SELECT ON TABLE SALES.STAGING.RAW_ORDERS TO ROLE REPORTING`); err != nil {
		t.Fatal(err)
	}
	const schemas = 2 // SALES.PUBLIC and SALES.STAGING, one per run
	for range schemas {
		tick(t, s)
	}
	held := grantsOn(t, s, "TABLE SALES.STAGING.RAW_ORDERS")
	if slices.Contains(held, "PRIV_ANALYSTS:INSERT") || !slices.Contains(held, "REPORTING:SELECT") {
		t.Fatalf("grants on RAW_ORDERS after %d runs = %v; want PRIV_ANALYSTS:INSERT revoked, REPORTING:SELECT kept", schemas, held)
	}
	drift := bySource(t, s, outcome.SourceDrift)
	if len(drift) != schemas {
		t.Fatalf("%d DRIFT records, want one per run", len(drift))
	}
	var revoked []string
	for _, rec := range drift {
		for _, res := range rec.Resources {
			revoked = append(revoked, res.Statements...)
		}
	}
	if want := `REVOKE INSERT ON TABLE "SALES"."STAGING"."RAW_ORDERS" FROM ROLE "PRIV_ANALYSTS"`; !slices.Contains(revoked, want) {
		t.Fatalf("DRIFT records list %q, want %q", revoked, want)
	}
	for _, q := range changes(s) {
		if strings.Contains(q, "REPORTING") {
			t.Errorf("statement on an unmanaged role: %s", q)
		}
	}
}

// Two timer invocations at once apply a new version once: one claims the checkpoint, the other finds it
// held (or, coming after, finds the version applied).
func TestConcurrentTicksApplyOnce(t *testing.T) {
	s := startConverged(t, map[string]string{"CONNECTOR_POLICY_REFRESH_INTERVAL_SEC": "1", "CONNECTOR_ON_DEMAND_V2_DRIFT_SCHEMAS_PER_RUN": "0"})
	tick(t, s)
	publish(t, s, policiesV4Edit)
	var wg sync.WaitGroup
	logs := make([][]string, 2)
	for i := range logs {
		wg.Go(func() { logs[i] = s.Timer.Tick(context.Background(), functionhost.Tick{}).Logs })
	}
	wg.Wait()
	if n := len(bySource(t, s, outcome.SourcePolicyChange)); n != 1 {
		t.Fatalf("%d POLICY_CHANGE records, want 1 (logs %q)", n, logs)
	}
	grants := 0
	for _, q := range changes(s) {
		if strings.HasPrefix(q, `GRANT SELECT ON TABLE "SALES"."PUBLIC"."ORDERS" TO ROLE "PRIV_AUDITORS"`) {
			grants++
		}
	}
	if grants != 1 {
		t.Fatalf("the new grant was sent %d times, want once (logs %q)", grants, logs)
	}
}
