package main

import (
	"context"
	"maps"
	"testing"
	"time"

	"github.com/snowsync/snowsync/functions"
	"github.com/snowsync/snowsync/internal/audit"
	"github.com/snowsync/snowsync/internal/request"
	"github.com/snowsync/snowsync/internal/task/outcome"
	"github.com/snowsync/snowsync/internal/testing/azurite"
)

// TestTasks runs `snowsync tasks` against records written to a real Azurite table.
func TestTasks(t *testing.T) {
	store, settings := newAuditTable(t, "CliTasks")
	ptr := func(s string) *string { return &s }
	seq := func(n int64) *int64 { return &n }
	rec := func(rowKey string, taskID *string, status outcome.Status, started time.Time, ms int64, grants, revokes int, reason string) outcome.Task {
		r := record(rowKey, "KAFKA", status, started, ms)
		r.TaskID, r.Reason, r.Type = taskID, reason, request.TypeResourceSync
		r.EventHub, r.ConsumerGroup, r.Partition, r.SequenceNumber = "sync-requests", "$Default", "0", seq(1)
		r.Grants, r.Revokes = grants, revokes
		return r
	}
	synced := rec("sync-requests_$Default_0_00000000000000000001", ptr("task-1"), outcome.Success, testNow.Add(-30*time.Minute), 1500, 3, 1, "")
	synced.Resources = []outcome.Resource{{Resource: request.Resource{Kind: request.KindTable, Database: "SALES", Schema: "PUBLIC", Table: "ORDERS"},
		Status: outcome.Success, Statements: []string{`GRANT SELECT ON TABLE "SALES"."PUBLIC"."ORDERS" TO ROLE "PRIV_ANALYSTS"`}, Grants: 1}}
	invalid := rec("sync-requests_$Default_0_00000000000000000002", nil, outcome.Failed, testNow.Add(-2*time.Hour), 12, 0, 0,
		"invalid character 'x' looking for beginning of value\nat offset 0, in a body of 4 bytes sent by an unknown client")
	invalid.ErrorType = outcome.InvalidJSON
	skipped := rec("sync-requests_$Default_1_00000000000000000007", ptr("task-3"), outcome.Skipped, testNow.Add(-50*time.Hour), 3, 0, 0,
		`type "FOO" is not RESOURCE_SYNC`)
	reused := rec("api-20261124-0001", ptr("task-1"), outcome.Success, testNow.Add(-10*time.Minute), 90061000, 0, 0, "")
	reused.Source = "API"
	if err := store.Put(context.Background(), []outcome.Task{synced, invalid, skipped, reused}); err != nil {
		t.Fatal(err)
	}

	// The tables as the command must print them: columns aligned over the rows shown.
	const (
		last24h = `ROWKEY                                         TASKID  STATUS   STARTEDAT             DURATION  GRANTS  REVOKES  REASON
api-20261124-0001                              task-1  SUCCESS  2026-11-24T11:50:00Z  25h1m1s   0       0        -
sync-requests_$Default_0_00000000000000000001  task-1  SUCCESS  2026-11-24T11:30:00Z  1.5s      3       1        -
sync-requests_$Default_0_00000000000000000002  -       FAILED   2026-11-24T10:00:00Z  12ms      0       0        invalid character 'x' looking for beginning of value at off…
`
		failed = `ROWKEY                                         TASKID  STATUS  STARTEDAT             DURATION  GRANTS  REVOKES  REASON
sync-requests_$Default_0_00000000000000000002  -       FAILED  2026-11-24T10:00:00Z  12ms      0       0        invalid character 'x' looking for beginning of value at off…
`
		task1 = `ROWKEY                                         TASKID  STATUS   STARTEDAT             DURATION  GRANTS  REVOKES  REASON
api-20261124-0001                              task-1  SUCCESS  2026-11-24T11:50:00Z  25h1m1s   0       0        -
sync-requests_$Default_0_00000000000000000001  task-1  SUCCESS  2026-11-24T11:30:00Z  1.5s      3       1        -
`
		firstSuccess = `ROWKEY             TASKID  STATUS   STARTEDAT             DURATION  GRANTS  REVOKES  REASON
api-20261124-0001  task-1  SUCCESS  2026-11-24T11:50:00Z  25h1m1s   0       0        -
`
		empty = "ROWKEY  TASKID  STATUS  STARTEDAT  DURATION  GRANTS  REVOKES  REASON\n"
	)
	runListCases(t, "tasks", []listCase{
		{"since 24h, in key order", []string{"--since", "24h"}, settings, 0, last24h, nil, ""},
		{"failed ones", []string{"--status", "failed"}, settings, 0, failed, nil, ""},
		{"by task id, reused", []string{"--id", "task-1"}, settings, 0, task1, nil, ""},
		{"by row key", []string{"--id", invalid.RowKey}, settings, 0, failed, nil, ""},
		{"time range as JSON", []string{"--since", "2026-11-22T00:00:00Z", "--until", "2026-11-24T09:00:00Z", "--json"}, settings, 0,
			"", []outcome.Task{skipped}, ""},
		{"JSON keeps resources", []string{"--id", "task-1", "--status", "", "--json"}, settings, 0,
			"", []outcome.Task{reused, synced}, ""},
		{"by task id, limited", []string{"--id", "task-1", "--limit", "1"}, settings, 0, firstSuccess, nil, ""},
		{"limit", []string{"--limit", "1", "--status", "SUCCESS"}, settings, 0, firstSuccess, nil, ""},
		{"nothing matches", []string{"--since", "1m"}, settings, 0, empty, nil, "no tasks match"},
		{"by source, in any case", []string{"--source", "api"}, settings, 0, firstSuccess, nil, ""},
		{"by sources", []string{"--source", "kafka, API", "--status", "success"}, settings, 0, task1, nil, ""},
		{"by source as JSON", []string{"--source", "KAFKA", "--status", "FAILED", "--json"}, settings, 0, "", []outcome.Task{invalid}, ""},
		{"no record of a source", []string{"--source", "POLICY_CHANGE,DRIFT"}, settings, 0, empty, nil, "no tasks match"},
		{"bad source", []string{"--source", "KAFKA,,API"}, settings, 2, "", nil, `--source "KAFKA,,API" has an empty source`},
		{"id with a source", []string{"--id", "task-1", "--source", "API"}, settings, 2, "", nil, "--id selects records by id alone"},
		{"bad status", []string{"--status", "DONE"}, settings, 2, "", nil, `--status "DONE" is not SUCCESS, FAILED or SKIPPED`},
		{"id with a filter", []string{"--id", "task-1", "--since", "1h"}, settings, 2, "", nil, "--id selects records by id alone"},
		{"bad time", []string{"--until", "noon"}, settings, 2, "", nil, `--until "noon" is neither`},
		{"no audit settings", nil, env{}, 1, "", nil, "setting CONNECTOR_ON_DEMAND_V2_AUDIT_STORAGE_CONNECTION"},
		{"missing table", nil, settings.with(auditTableSetting, "NoSuchTable"), 1, "", nil,
			`audit table "NoSuchTable" does not exist (setting CONNECTOR_ON_DEMAND_V2_AUDIT_TABLE_NAME`},
	})
}

// listCase is a run of a command that lists audit records (tasks, drift), and what it must print.
type listCase struct {
	name       string
	args       []string
	env        env
	wantCode   int
	wantStdout string
	wantJSON   []outcome.Task // compared instead of wantStdout when set
	wantStderr string
}

// runListCases runs command with each case's arguments and checks what it printed.
func runListCases(t *testing.T, command string, cases []listCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			d, _ := newDeps(tt.env)
			got := runCommand(t, d, append([]string{command}, tt.args...)...)
			got.check(t, tt.wantCode, tt.wantStderr)
			var want []functions.TaskResponse
			if tt.wantJSON != nil {
				want = functions.TaskResponses(tt.wantJSON)
			}
			checkStdout(t, got.stdout, tt.wantStdout, want)
		})
	}
}

const auditTableSetting = "CONNECTOR_ON_DEMAND_V2_AUDIT_TABLE_NAME"

// newAuditTable starts Azurite and returns a store on table there, and the settings that name it.
func newAuditTable(t *testing.T, table string) (*audit.Store, env) {
	t.Helper()
	srv := azurite.StartT(t)
	store, err := audit.NewStore(audit.Connection{ConnectionString: srv.ConnectionString()}, &audit.Options{Table: table})
	if err != nil {
		t.Fatal(err)
	}
	return store, env{"CONNECTOR_ON_DEMAND_V2_AUDIT_STORAGE_CONNECTION": srv.ConnectionString(), auditTableSetting: table}
}

// with returns a copy of e with name set to value.
func (e env) with(name, value string) env {
	c := maps.Clone(e)
	c[name] = value
	return c
}

// record returns the record of a task from source, started at started and done ms milliseconds later.
func record(rowKey, source string, status outcome.Status, started time.Time, ms int64) outcome.Task {
	return outcome.Task{PartitionKey: audit.PartitionKeyFor(started), RowKey: rowKey, Status: status, Source: source,
		StartedAt: started, CompletedAt: started.Add(time.Duration(ms) * time.Millisecond), DurationMs: ms, Connector: "snowflake"}
}
