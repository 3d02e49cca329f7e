package main

import (
	"bytes"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/snowsync/snowsync/functions"
	"github.com/snowsync/snowsync/internal/audit"
	"github.com/snowsync/snowsync/internal/failure"
	"github.com/snowsync/snowsync/internal/publish"
	"github.com/snowsync/snowsync/internal/testing/azurite"
	"github.com/snowsync/snowsync/internal/trigger"
)

func TestReplay(t *testing.T) {
	editor, err := os.Executable() // the test binary, acting as an editor (see TestMain)
	if err != nil {
		t.Fatal(err)
	}
	const (
		syncBody   = `{"id":"t1","type":"RESOURCE_SYNC","source":"KAFKA","requestInfo":{"resources":[{"type":"table","values":{"database":"SALES","schema":"PUBLIC","table":"ORDERS"}}]}}`
		brokenBody = `{"id":"t2","type":"RESOURCE_SYNC","source":"KAFKA","requestInfo":{"resources":[{"type":"database","values":{"database":"SALES"}}]},}`
		fixedBody  = `{"id":"t2","type":"RESOURCE_SYNC","source":"KAFKA","requestInfo":{"resources":[{"type":"database","values":{"database":"SALES"}}]}}`
	)
	latin1Body := []byte("{\"id\":\"t3\",\"type\":\"RESOURCE_SYNC\",\"source\":\"K\xc4FKA\",\"requestInfo\":{\"resources\":[{\"type\":\"database\",\"values\":{\"database\":\"SALES\"}}]}}")
	ptr := func(s string) *string { return &s }
	var lastSeq int64 = 16 // each failure event is for its own source event
	event := func(errorType, message string, taskID *string, at time.Time, original []byte) []byte {
		lastSeq++
		seq := lastSeq
		ev := failure.Event{ErrorType: errorType, ErrorMessage: message, ConnectorName: "snowflake", Topic: "sync-requests",
			ConsumerGroup: "$Default", Partition: "3", Offset: "4294967296", SequenceNumber: &seq, EnqueuedTime: failure.FormatTime(at.Add(-time.Second)),
			TaskID: taskID, Timestamp: *failure.FormatTime(at)}
		ev.SetOriginal(original)
		s, err := ev.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		return []byte(s)
	}
	at := func(ago time.Duration) time.Time { return testNow.Add(-ago) }
	received := []publish.Received{
		{Body: event("SYNC_ERROR", "table SALES.PUBLIC.ORDERS: 1 of 1 statements failed:\n000604 timeout", ptr("t1"), at(50*time.Minute), []byte(syncBody)),
			EnqueuedTime: at(50*time.Minute - 10*time.Millisecond), Partition: "0", SequenceNumber: 10},
		{Body: event("INVALID_JSON", "invalid character '}' looking for beginning of object key string", nil, at(40*time.Minute), []byte(brokenBody)),
			EnqueuedTime: at(40*time.Minute - 10*time.Millisecond), Partition: "1", SequenceNumber: 3},
		{Body: event("INVALID_ENCODING", "body is not valid UTF-8", nil, at(30*time.Minute), latin1Body),
			EnqueuedTime: at(30*time.Minute - 10*time.Millisecond), Partition: "0", SequenceNumber: 11},
		{Body: []byte("not a failure event"), EnqueuedTime: at(20 * time.Minute), Partition: "1", SequenceNumber: 4},
		{Body: event("SYNC_ERROR", "too old", ptr("t0"), at(3*time.Hour), []byte(syncBody)),
			EnqueuedTime: at(3 * time.Hour), Partition: "1", SequenceNumber: 1},
	}
	failureHubLocation := publish.Hub{Name: "sync-failures", ConnectionString: testConn}
	// table is the failure table replay prints for rows, aligned as text/tabwriter aligns it.
	table := func(rows ...string) string {
		all := map[string]string{
			"t1": "2026-11-24T11:10:00.000Z\tSYNC_ERROR\tt1\ttable SALES.PUBLIC.ORDERS: 1 of 1 statements failed: 000604 timeout\n",
			"t2": "2026-11-24T11:20:00.000Z\tINVALID_JSON\t-\tinvalid character '}' looking for beginning of object key string\n",
			"t3": "2026-11-24T11:30:00.000Z\tINVALID_ENCODING\t-\tbody is not valid UTF-8\n",
		}
		var b strings.Builder
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		tw.Write([]byte("TIME\tERRORTYPE\tTASKID\tERRORMESSAGE\n"))
		for _, r := range rows {
			tw.Write([]byte(all[r]))
		}
		tw.Flush()
		return b.String()
	}

	tests := []struct {
		name        string
		args        []string
		env         env
		editorSpec  string // "" leaves the fake editor off
		wantCode    int
		wantBatches [][]string
		wantStdout  string
		wantStderr  []string
		wantGroup   string // the consumer group read as; "" when nothing was read
	}{
		{"dry run shows everything and publishes nothing", []string{"--since", "1h", "--dry-run"}, hubEnv, "", 0, nil,
			table("t1", "t2", "t3") +
				"dry run: would re-publish 3 events to the sync hub:\n" +
				"--- failure event 0/10\n" + syncBody + "\n" +
				"--- failure event 1/3\n" + brokenBody + "\n" +
				"--- failure event 0/11\n" + string(latin1Body) + "\n",
			[]string{"failure event 1/4: not a failure event, left out\n",
				"read 4 events from the failure hub; 3 to replay\n",
				"warning: 2 of 3 bodies will not sync:\n  failure event 1/3: FAILED: ",
				"  failure event 0/11: FAILED: body is not valid UTF-8"}, "$Default"},
		{"one error type, as is", []string{"--since", "1h", "--error-type", "sync_error", "--consumer-group", "cli"}, hubEnv, "", 0,
			[][]string{{syncBody}}, table("t1") + "re-published 1 events to the sync hub\n", []string{"sent 1/1\n"}, "cli"},
		{"not UTF-8, from originalMessageBase64, forced", []string{"--since", "1h", "--error-type", "INVALID_ENCODING", "--force"}, hubEnv, "", 0,
			[][]string{{string(latin1Body)}}, table("t3") + "re-published 1 events to the sync hub\n", nil, "$Default"},
		{"invalid again is refused", []string{"--since", "1h", "--error-type", "INVALID_ENCODING,INVALID_JSON"}, hubEnv, "", 1, nil,
			table("t2", "t3"), []string{"2 of 2 bodies would not sync; fix them, or send them anyway with --force:\n"}, "$Default"},
		{"edited with --edit-cmd", []string{"--since", "1h", "--until", "35m", "--edit-cmd", editor}, hubEnv, `{"]},}": "]}}"}`, 0,
			[][]string{{syncBody, fixedBody}}, table("t1", "t2") + "re-published 2 events to the sync hub\n", nil, "$Default"},
		{"edited with $EDITOR", []string{"--since", "1h", "--error-type", "INVALID_JSON", "--edit"}, merge(hubEnv, env{"EDITOR": editor}),
			`{"]},}": "]}}"}`, 0, [][]string{{fixedBody}}, table("t2") + "re-published 1 events to the sync hub\n", nil, "$Default"},
		{"emptied in the editor", []string{"--since", "1h", "--error-type", "SYNC_ERROR", "--edit-cmd", editor}, hubEnv, `{"": ""}`, 0, nil,
			table("t1") + "nothing to re-publish\n", []string{"failure event 0/10: emptied in the editor, left out\n"}, "$Default"},
		{"editor fails", []string{"--since", "1h", "--edit-cmd", editor}, hubEnv, `not a spec`, 1, nil,
			table("t1", "t2", "t3"), []string{"failure event 0/10: editor ", "exit status 1; nothing was re-published"}, "$Default"},
		{"nothing in range", []string{"--since", "10m"}, hubEnv, "", 0, nil, "", []string{"read 0 events from the failure hub; 0 to replay\n"}, "$Default"},
		{"no --since", []string{"--until", "1h"}, hubEnv, "", 2, nil, "", []string{"--since is required"}, ""},
		{"until before since", []string{"--since", "1h", "--until", "2h"}, hubEnv, "", 2, nil, "", []string{"is not after --since"}, ""},
		{"no failure hub settings", []string{"--since", "1h"}, env{}, "", 1, nil, "",
			[]string{"setting CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_CONNECTION_STRING is required"}, ""},
		{"no sync hub settings", []string{"--since", "1h"}, env{
			"CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_NAME":              "sync-failures",
			"CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_CONNECTION_STRING": testConn,
		}, "", 1, nil, "", []string{"setting CONNECTOR_ON_DEMAND_V2_AZURE_CONNECTION_STRING is required"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.editorSpec != "" {
				t.Setenv(testEditorEnv, tt.editorSpec)
			}
			d, hubs := newDeps(tt.env)
			hubs.failures.Add(received...)
			got := runCommand(t, d, append([]string{"replay"}, tt.args...)...)
			if got.code != tt.wantCode {
				t.Fatalf("exit status %d, want %d; stdout:\n%s\nstderr:\n%s", got.code, tt.wantCode, got.stdout, got.stderr)
			}
			batches := batchBodies(hubs.sync.Batches())
			if !reflect.DeepEqual(batches, tt.wantBatches) {
				t.Errorf("batches:\n%q\nwant:\n%q", batches, tt.wantBatches)
			}
			if got.stdout != tt.wantStdout {
				t.Errorf("stdout:\n%s\nwant:\n%s", got.stdout, tt.wantStdout)
			}
			for _, s := range tt.wantStderr {
				if !strings.Contains(got.stderr, s) {
					t.Errorf("stderr:\n%s\nwant it to contain %q", got.stderr, s)
				}
			}
			var wantReads []publish.Hub
			var wantGroups []string
			if tt.wantGroup != "" {
				wantReads, wantGroups = []publish.Hub{failureHubLocation}, []string{tt.wantGroup}
			}
			if !reflect.DeepEqual(hubs.reads, wantReads) || !reflect.DeepEqual(hubs.groups, wantGroups) {
				t.Errorf("read hubs %+v as %q, want %+v as %q", hubs.reads, hubs.groups, wantReads, wantGroups)
			}
			if len(tt.wantBatches) > 0 && !reflect.DeepEqual(hubs.published, []publish.Hub{syncHubLocation}) {
				t.Errorf("published to %+v, want %+v", hubs.published, syncHubLocation)
			}
		})
	}
}

func TestReplayOncePerSourceEvent(t *testing.T) {
	item := func(seq *int64, body string) replayItem {
		return replayItem{event: failure.Event{ErrorType: "SYNC_ERROR", Topic: "sync-requests", ConsumerGroup: "$Default", Partition: "3",
			SequenceNumber: seq}, body: []byte(body)}
	}
	s17, s18 := int64(17), int64(18)
	var stderr strings.Builder
	got := latestPerSource([]replayItem{item(&s17, "first"), item(&s18, "other"), item(&s17, "re-delivered"), item(nil, "api"), item(nil, "api2")}, &stderr)
	var bodies []string
	for _, it := range got {
		bodies = append(bodies, string(it.body))
	}
	if want := []string{"other", "re-delivered", "api", "api2"}; !slices.Equal(bodies, want) {
		t.Errorf("replayed %q, want %q", bodies, want)
	}
	if !strings.Contains(stderr.String(), "1 failure events repeat") {
		t.Errorf("stderr = %q", stderr.String())
	}
}

// TestReplayRestoresCutBodies replays failure events whose bodies were cut, reading the whole bodies
// from a real Azurite body table.
func TestReplayRestoresCutBodies(t *testing.T) {
	srv := azurite.StartT(t)
	const bodyTable = "CliBodies"
	bodies, err := audit.NewBodies(audit.Connection{ConnectionString: srv.ConnectionString()}, &audit.Options{Table: bodyTable})
	if err != nil {
		t.Fatal(err)
	}
	whole := `{"id":"big","type":"RESOURCE_SYNC","source":"KAFKA","requestInfo":{"resources":[` +
		strings.Repeat(`{"type":"table","values":{"database":"SALES","schema":"PUBLIC","table":"T\u0001"}},`, 40000) +
		`{"type":"database","values":{"database":"SALES"}}]}}`
	var seq int64 = 40
	event := func(rowKey string, body []byte, keep bool) publish.Received {
		seq++
		s := seq
		e := failure.Event{ErrorType: "SYNC_ERROR", ErrorMessage: "m", Topic: "sync-requests", ConsumerGroup: "$Default", Partition: "2",
			SequenceNumber: &s, Timestamp: *failure.FormatTime(testNow.Add(-time.Minute)), AuditPartitionKey: "2026-11-24", AuditRowKey: rowKey}
		if !e.SetOriginalLimited(body, 64<<10) {
			t.Fatal("body not cut")
		}
		if keep {
			if err := bodies.Put(t.Context(), audit.Key{PartitionKey: "2026-11-24", RowKey: rowKey}, body); err != nil {
				t.Fatal(err)
			}
			e.OriginalMessageStore = bodies.Location()
		} else {
			e.OriginalMessageStoreError = "keep the whole body: connection refused"
		}
		m, err := e.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		return publish.Received{Body: []byte(m), EnqueuedTime: testNow.Add(-time.Minute), Partition: "0", SequenceNumber: s}
	}
	other := strings.Replace(whole, `"big"`, `"big2"`, 1)
	received := []publish.Received{
		event("kept", []byte(whole), true),
		event("lost", []byte(whole), false),
		event("missing", []byte(other), true),
	}
	// An invocation the handler kept whole, undecoded, because it was over its limit.
	invocation, err := trigger.EncodeBatch(trigger.OutgoingBatch{Binding: functions.TriggerBinding, Events: []trigger.OutgoingEvent{
		{Body: []byte(whole), SequenceNumber: 7}, {Body: []byte(other), SequenceNumber: 8}}}, trigger.EncodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	invKey := audit.Key{PartitionKey: "2026-11-24", RowKey: "invocation-0b7c"}
	n, sum, err := bodies.PutStream(t.Context(), invKey, bytes.NewReader(invocation))
	if err != nil {
		t.Fatal(err)
	}
	inv := failure.Event{ErrorType: functions.ErrInvocationTooLarge, ErrorMessage: "too large", Topic: "sync-requests",
		Timestamp: *failure.FormatTime(testNow.Add(-time.Minute)), AuditPartitionKey: invKey.PartitionKey, AuditRowKey: invKey.RowKey,
		OriginalMessageTruncated: true, OriginalMessageLength: int(n), OriginalMessageSHA256: sum, OriginalMessageStore: bodies.Location()}
	invEvent, err := inv.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	received = append(received, publish.Received{Body: []byte(invEvent), EnqueuedTime: testNow.Add(-time.Minute), Partition: "1", SequenceNumber: 9})
	// The third body is gone from the table since (deleted by hand, or the table was emptied).
	if err := bodies.Put(t.Context(), audit.Key{PartitionKey: "2026-11-24", RowKey: "missing"}, []byte("another body")); err != nil {
		t.Fatal(err)
	}
	d, hubs := newDeps(merge(hubEnv, env{"CONNECTOR_ON_DEMAND_V2_AUDIT_STORAGE_CONNECTION": srv.ConnectionString(),
		"CONNECTOR_ON_DEMAND_V2_AUDIT_BODY_TABLE_NAME": bodyTable}))
	hubs.failures.Add(received...)
	got := runCommand(t, d, "replay", "--since", "1h", "--force")
	if got.code != 0 {
		t.Fatalf("exit status %d; stderr:\n%s", got.code, got.stderr)
	}
	var published []string
	for _, b := range batchBodies(hubs.sync.Batches()) {
		published = append(published, b...)
	}
	if !slices.Equal(published, []string{whole, whole, other}) {
		t.Errorf("published %d bodies; want the whole body restored, then the invocation's two events", len(published))
	}
	for _, want := range []string{"failure event 0/42: only the first ", "the whole body was not kept (keep the whole body: connection refused), left out",
		"failure event 0/43: whole body from table \"CliBodies\"", "is not the one the event describes"} {
		if !strings.Contains(got.stderr, want) {
			t.Errorf("stderr:\n%s\nwant it to contain %q", got.stderr, want)
		}
	}
	if strings.Contains(got.stderr, audit.DevelopmentAccountKey) {
		t.Errorf("stderr shows the account key")
	}
}
