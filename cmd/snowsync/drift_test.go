package main

import (
	"context"
	"testing"
	"time"

	"github.com/snowsync/snowsync/internal/request"
	"github.com/snowsync/snowsync/internal/task/outcome"
)

// TestDrift runs `snowsync drift` against records of the Reconcile function, and an event's record
// that it must leave out, written to a real Azurite table.
func TestDrift(t *testing.T) {
	store, settings := newAuditTable(t, "CliDrift")
	version := func(v int64) *int64 { return &v }
	rec := func(rowKey, source string, status outcome.Status, started time.Time, ms int64, c outcome.Counts, reason string) outcome.Task {
		r := record(rowKey, source, status, started, ms)
		r.Reason, r.Counts, r.PolicyVersion = reason, c, version(42)
		return r
	}
	orders := request.Resource{Kind: request.KindTable, Database: "SALES", Schema: "PUBLIC", Table: "ORDERS"}

	change := rec("reconcile-policy-00000000000000000042", outcome.SourcePolicyChange, outcome.Success, testNow.Add(-3*time.Hour), 2500,
		outcome.Counts{ResourceCount: 2, Synced: 2, Grants: 5, Revokes: 2}, "")
	change.PolicyVersionFrom = version(41)
	change.Resources = []outcome.Resource{{Resource: orders, Status: outcome.Success, Grants: 1,
		Statements: []string{`GRANT SELECT ON TABLE "SALES"."PUBLIC"."ORDERS" TO ROLE "PRIV_ANALYSTS"`}}}
	firstChange := rec("reconcile-policy-00000000000000000043", outcome.SourcePolicyChange, outcome.Failed, testNow.Add(-time.Hour), 61000,
		outcome.Counts{ResourceCount: 3, Synced: 2, Failed: 1}, "1 resource failed:\nSALES.PUBLIC.ORDERS: 000630 (57014): Statement reached its statement or warehouse timeout of 60 seconds")
	firstChange.PolicyVersion = version(43) // from a version not recorded
	firstChange.ErrorType = outcome.SyncError
	clean := rec("reconcile-drift-20261124T100000Z", outcome.SourceDrift, outcome.Success, testNow.Add(-2*time.Hour), 800,
		outcome.Counts{ResourceCount: 4, Synced: 4}, "")
	drifted := rec("reconcile-drift-20261124T113000Z", outcome.SourceDrift, outcome.Success, testNow.Add(-30*time.Minute), 950,
		outcome.Counts{ResourceCount: 1, Synced: 1, Revokes: 1}, "")
	drifted.PolicyVersion = version(43)
	drifted.Resources = []outcome.Resource{{Resource: orders, Status: outcome.Success, Revokes: 1,
		Statements: []string{`REVOKE INSERT ON TABLE "SALES"."PUBLIC"."ORDERS" FROM ROLE "PRIV_ANALYSTS"`}}}
	old := rec("reconcile-drift-20261115T120000Z", outcome.SourceDrift, outcome.Success, testNow.Add(-9*24*time.Hour), 700,
		outcome.Counts{ResourceCount: 1, Synced: 1, Grants: 1}, "")
	old.PolicyVersion = nil
	event := rec("sync-requests_$Default_0_00000000000000000001", "KAFKA", outcome.Success, testNow.Add(-20*time.Minute), 100,
		outcome.Counts{ResourceCount: 1, Synced: 1, Grants: 1}, "")
	if err := store.Put(context.Background(), []outcome.Task{change, firstChange, clean, drifted, old, event}); err != nil {
		t.Fatal(err)
	}

	// The tables as the command must print them, newest first.
	const (
		week = `COMPLETED             SOURCE         STATUS   VERSION  RESOURCES  GRANTS  REVOKES  FAILED  DURATION  DETAIL
2026-11-24T11:30:00Z  DRIFT          SUCCESS  43       1          0       1        0       950ms     -
2026-11-24T11:01:01Z  POLICY_CHANGE  FAILED   ?→43     3          0       0        1       1m1s      1 resource failed: SALES.PUBLIC.ORDERS: 000630 (57014): Sta…
2026-11-24T10:00:00Z  DRIFT          SUCCESS  42       4          0       0        0       800ms     -
2026-11-24T09:00:02Z  POLICY_CHANGE  SUCCESS  41→42    2          5       2        0       2.5s      -
`
		newest = `COMPLETED             SOURCE  STATUS   VERSION  RESOURCES  GRANTS  REVOKES  FAILED  DURATION  DETAIL
2026-11-24T11:30:00Z  DRIFT   SUCCESS  43       1          0       1        0       950ms     -
`
		changedSinceTenDays = `COMPLETED             SOURCE         STATUS   VERSION  RESOURCES  GRANTS  REVOKES  FAILED  DURATION  DETAIL
2026-11-24T11:30:00Z  DRIFT          SUCCESS  43       1          0       1        0       950ms     -
2026-11-24T11:01:01Z  POLICY_CHANGE  FAILED   ?→43     3          0       0        1       1m1s      1 resource failed: SALES.PUBLIC.ORDERS: 000630 (57014): Sta…
2026-11-24T09:00:02Z  POLICY_CHANGE  SUCCESS  41→42    2          5       2        0       2.5s      -
2026-11-15T12:00:00Z  DRIFT          SUCCESS  -        1          1       0        0       700ms     -
`
	)
	runListCases(t, "drift", []listCase{
		{"last 7 days, clean sweeps too", nil, settings, 0, week, nil, ""},
		{"as JSON", []string{"--json"}, settings, 0, "", []outcome.Task{drifted, firstChange, clean, change}, ""},
		{"only changes", []string{"--changed", "--json"}, settings, 0, "", []outcome.Task{drifted, firstChange, change}, ""},
		{"changes over 10 days, unlimited", []string{"--changed", "--since", "240h", "--limit", "0"}, settings, 0, changedSinceTenDays, nil, ""},
		{"changes of all time", []string{"--since", "", "--changed", "--limit", "0"}, settings, 0, changedSinceTenDays, nil, ""},
		{"the newest", []string{"--limit", "1"}, settings, 0, newest, nil, ""},
		{"since a time", []string{"--since", "2026-11-24T11:00:00Z", "--json"}, settings, 0, "", []outcome.Task{drifted, firstChange}, ""},
		{"nothing since", []string{"--since", "15m"}, settings, 0, "", nil,
			"no reconciliation or drift records since 2026-11-24T11:45:00Z\n"},
		{"no changes since", []string{"--since", "25m", "--changed"}, settings, 0, "", nil,
			"no reconciliation or drift records with changes since 2026-11-24T11:35:00Z\n"},
		{"changes, limited", []string{"--since", "100m", "--changed", "--limit", "1", "--json"}, settings, 0, "", []outcome.Task{drifted}, ""},
		{"negative limit", []string{"--limit", "-1"}, settings, 2, "", nil, "--limit -1 is negative"},
		{"bad time", []string{"--since", "7d"}, settings, 2, "", nil, `--since "7d" is neither`},
		{"missing table", nil, settings.with(auditTableSetting, "NoSuchTable"), 1, "", nil,
			`audit table "NoSuchTable" does not exist (setting CONNECTOR_ON_DEMAND_V2_AUDIT_TABLE_NAME`},
	})
}
