package functions

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/snowsync/snowsync/internal/task/outcome"
)

// TestListTasksBySource reads the records of the Reconcile function by source, with both policy
// versions of a reconciliation in the answer.
func TestListTasksBySource(t *testing.T) {
	srv, store := server(t, 0, syncer{})
	version := func(v int64) *int64 { return &v }
	started := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	rec := func(rowKey, source string) outcome.Task {
		return outcome.Task{PartitionKey: "2026-11-24", RowKey: rowKey, Status: outcome.Success, Source: source,
			StartedAt: started, CompletedAt: started.Add(time.Second), DurationMs: 1000, PolicyVersion: version(42)}
	}
	change := rec("reconcile-1", outcome.SourcePolicyChange)
	change.PolicyVersionFrom = version(41)
	change.Counts = outcome.Counts{ResourceCount: 2, Synced: 2, Grants: 3, Revokes: 1}
	drift := rec("reconcile-2", outcome.SourceDrift)
	event := rec("sync-requests_$Default_0_00000000000000000001", "KAFKA")
	if err := store.Put(t.Context(), []outcome.Task{change, drift, event}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		query    string
		want     []outcome.Task
		wantFrom string // the PolicyVersionFrom of the first record, as JSON
	}{
		{"?source=policy_change", []outcome.Task{change}, `"PolicyVersionFrom":41`},
		{"?source=DRIFT,POLICY_CHANGE", []outcome.Task{change, drift}, `"PolicyVersionFrom":41`},
		{"?source=DRIFT", []outcome.Task{drift}, `"PolicyVersionFrom":null`},
		{"?source=KAFKA&limit=1", []outcome.Task{event}, `"PolicyVersionFrom":null`},
	}
	for _, tt := range tests {
		code, body := get(t, srv.URL+"/api/tasks"+tt.query)
		var got []TaskResponse
		if err := json.Unmarshal(body, &got); code != http.StatusOK || err != nil {
			t.Fatalf("GET %s = %d %s (%v)", tt.query, code, body, err)
		}
		if want := TaskResponses(tt.want); !reflect.DeepEqual(got, want) {
			t.Errorf("GET %s =\n%+v\nwant\n%+v", tt.query, got, want)
		}
		if !bytes.Contains(body, []byte(tt.wantFrom)) {
			t.Errorf("GET %s = %s, want %s", tt.query, body, tt.wantFrom)
		}
	}
}
