package task

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/snowsync/snowsync/internal/audit"
	"github.com/snowsync/snowsync/internal/failure"
	"github.com/snowsync/snowsync/internal/request"
	"github.com/snowsync/snowsync/internal/task/outcome"
)

// memStore is audit.Memory with failures injected and writes counted.
type memStore struct {
	*audit.Memory
	putErr  error
	puts    int
	readErr error
}

func (m *memStore) Existing(ctx context.Context, keys []audit.Key) (map[audit.Key]outcome.Task, error) {
	if m.readErr != nil {
		return nil, m.readErr
	}
	return m.Memory.Existing(ctx, keys)
}

func (m *memStore) Put(ctx context.Context, recs []outcome.Task) error {
	if m.putErr != nil {
		return m.putErr
	}
	m.puts++
	return m.Memory.Put(ctx, recs)
}

// count returns how many records are stored.
func (m *memStore) count(t *testing.T) int {
	t.Helper()
	recs, err := m.List(t.Context(), audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	return len(recs)
}

// syncFunc decides each resource's result; calls counts Sync calls.
type fakeSyncer struct {
	result func(request.Resource) outcome.Resource
	err    error
	calls  int
}

func (f *fakeSyncer) Sync(_ context.Context, reqs []request.Request) ([][]outcome.Resource, error) {
	f.calls++
	if f.err != nil {
		return nil, f.err
	}
	out := make([][]outcome.Resource, len(reqs))
	for i, r := range reqs {
		for _, res := range r.Resources {
			out[i] = append(out[i], f.result(res))
		}
	}
	return out, nil
}

// byTable gives SUCCESS with one grant, except: table MISSING is skipped, table BROKEN fails with
// 003001, table PANIC panics.
func byTable(res request.Resource) outcome.Resource {
	switch res.Table {
	case "MISSING":
		return outcome.Resource{Resource: res, Status: outcome.Skipped, Reason: "does not exist in Snowflake", ErrorCode: "002003"}
	case "BROKEN":
		return outcome.Resource{Resource: res, Status: outcome.Failed, Reason: "insufficient privileges", ErrorCode: "003001"}
	case "PANIC":
		panic("boom")
	}
	return outcome.Resource{Resource: res, Status: outcome.Success, Grants: 1, Statements: []string{"GRANT ..."}}
}

func body(id string, tables ...string) []byte {
	var rs []string
	for _, t := range tables {
		rs = append(rs, fmt.Sprintf(`{"type":"table","values":{"database":"SALES","schema":"PUBLIC","table":%q}}`, t))
	}
	return []byte(fmt.Sprintf(`{"id":%q,"type":"RESOURCE_SYNC","appSubType":"SNOWFLAKE","source":"KAFKA","requestInfo":{"resources":[%s]}}`, id, strings.Join(rs, ",")))
}

var clock = time.Date(2026, 11, 24, 10, 15, 1, 2e6, time.UTC)

func inputs(bodies ...[]byte) []Input {
	out := make([]Input, len(bodies))
	for i, b := range bodies {
		seq := int64(17 + i)
		o := Origin{EventHub: "sync-requests", ConsumerGroup: "$Default", Partition: "3", Offset: fmt.Sprint(4294967296 + i),
			SequenceNumber: &seq, EnqueuedTime: clock.Add(-time.Second), InvocationID: "inv-1"}
		out[i] = Input{Body: b, Origin: o, Key: KeyFor(o, clock, "")}
	}
	return out
}

func newRunner(s Syncer, st Store) *Runner {
	return &Runner{Syncer: s, Store: st, Connector: "snowflake", Enabled: true, FailureHub: true, Now: func() time.Time { return clock },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

func TestRunOutcomes(t *testing.T) {
	tests := []struct {
		name       string
		body       []byte
		status     outcome.Status
		errType    outcome.ErrorType
		reason     string
		failure    bool
		grants     int
		synced     int
		skipped    int
		failedResc int
	}{
		{"success", body("t1", "ORDERS", "ITEMS"), outcome.Success, "", "", false, 2, 2, 0, 0},
		{"success with a skipped resource", body("t2", "ORDERS", "MISSING"), outcome.Success, "", "1 of 2 resources skipped: table SALES.PUBLIC.MISSING: does not exist", false, 1, 1, 1, 0},
		{"every resource skipped", body("t3", "MISSING"), outcome.Skipped, "", "does not exist in Snowflake (Snowflake error 002003)", false, 0, 0, 1, 0},
		{"a resource failed", body("t4", "ORDERS", "BROKEN"), outcome.Failed, "SYNC_ERROR", "1 of 2 resources failed", true, 1, 1, 0, 1},
		{"invalid JSON", []byte("not json"), outcome.Failed, "INVALID_JSON", "invalid character", true, 0, 0, 0, 0},
		{"unsupported type", []byte(`{"type":"USER_SYNC","source":"API","requestInfo":{"resources":[]}}`), outcome.Skipped, "", "not supported", false, 0, 0, 0, 0},
		{"invalid resource next to a valid one", []byte(`{"type":"RESOURCE_SYNC","source":"API","requestInfo":{"resources":[` +
			`{"type":"table","values":{"database":"SALES","schema":"PUBLIC","table":"ORDERS"}},{"type":"table","values":{"database":"SALES"}}]}}`),
			outcome.Success, "", `table is missing its "schema" identifier`, false, 1, 1, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &memStore{Memory: audit.NewMemory()}
			out, err := newRunner(&fakeSyncer{result: byTable}, st).Run(context.Background(), inputs(tt.body), Options{})
			if err != nil {
				t.Fatal(err)
			}
			rec := out[0].Record
			if rec.Status != tt.status || rec.ErrorType != tt.errType || !strings.Contains(rec.Reason+" "+rec.ErrorMessage, tt.reason) {
				t.Errorf("record = %s %q reason %q msg %q; want %s %q containing %q", rec.Status, rec.ErrorType, rec.Reason, rec.ErrorMessage, tt.status, tt.errType, tt.reason)
			}
			if rec.Grants != tt.grants || rec.Synced != tt.synced || rec.Skipped != tt.skipped || rec.Failed != tt.failedResc {
				t.Errorf("counts grants=%d synced=%d skipped=%d failed=%d; want %d %d %d %d", rec.Grants, rec.Synced, rec.Skipped, rec.Failed, tt.grants, tt.synced, tt.skipped, tt.failedResc)
			}
			if (out[0].Failure != "") != tt.failure {
				t.Errorf("failure event = %q, want one: %v", out[0].Failure, tt.failure)
			}
			if got, err := st.Get(t.Context(), rec.RowKey); err != nil || len(got) != 1 || st.count(t) != 1 {
				t.Errorf("store holds %d records, want exactly this one", st.count(t))
			}
			if rec.RowKey != "sync-requests_$Default_3_00000000000000000017" || rec.PartitionKey != "2026-11-24" {
				t.Errorf("key = %+v", audit.KeyOf(rec))
			}
		})
	}
}

func TestFailureEventCarriesContext(t *testing.T) {
	st := &memStore{Memory: audit.NewMemory()}
	raw := []byte(`{"id":"t9", "type": oops}`)
	out, err := newRunner(&fakeSyncer{result: byTable}, st).Run(context.Background(), inputs(raw), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var e failure.Event
	if err := json.Unmarshal([]byte(out[0].Failure), &e); err != nil {
		t.Fatal(err)
	}
	if e.OriginalMessage != string(raw) || e.ErrorType != "INVALID_JSON" || e.ConnectorName != "snowflake" || e.Topic != "sync-requests" ||
		e.Partition != "3" || e.Offset != "4294967296" || *e.SequenceNumber != 17 || *e.EnqueuedTime != "2026-11-24T10:15:00.002Z" ||
		e.TaskID != nil || e.Timestamp != "2026-11-24T10:15:01.002Z" || e.StackTrace == "" {
		t.Errorf("failure event = %+v", e)
	}
}

func TestRedeliveryKeepsRecordsAndResendsFailures(t *testing.T) {
	st := &memStore{Memory: audit.NewMemory()}
	sy := &fakeSyncer{result: byTable}
	r := newRunner(sy, st)
	batch := inputs(body("t1", "ORDERS"), []byte("garbage"))
	first, err := r.Run(context.Background(), batch, Options{})
	if err != nil {
		t.Fatal(err)
	}
	second, err := r.Run(context.Background(), batch, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if sy.calls != 1 || st.puts != 1 || st.count(t) != 2 {
		t.Errorf("sync calls %d, puts %d, records %d; want 1, 1, 2", sy.calls, st.puts, st.count(t))
	}
	for i := range second {
		if !second[i].Duplicate || second[i].Record.Status != first[i].Record.Status || second[i].Record.Grants != first[i].Record.Grants {
			t.Errorf("re-delivery %d = %+v, want the first record kept", i, second[i])
		}
	}
	if second[1].Failure == "" || second[0].Failure != "" {
		t.Errorf("re-delivered FAILED event must be re-sent to the failure hub, and only that one")
	}
	// A re-delivery after midnight is keyed under the next day, and still finds the first record.
	nextDay := clock.Add(24 * time.Hour)
	r.Now = func() time.Time { return nextDay }
	late := inputs(body("t1", "ORDERS"), []byte("garbage"))
	for i := range late {
		late[i].Key = KeyFor(late[i].Origin, nextDay, "")
	}
	third, err := r.Run(context.Background(), late, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !third[0].Duplicate || !third[1].Duplicate || sy.calls != 1 || st.count(t) != 2 {
		t.Errorf("next-day re-delivery: duplicates %v %v, sync calls %d, records %d", third[0].Duplicate, third[1].Duplicate, sy.calls, st.count(t))
	}
}

func TestPanicFailsOnlyItsTask(t *testing.T) {
	st := &memStore{Memory: audit.NewMemory()}
	out, err := newRunner(&fakeSyncer{result: byTable}, st).Run(context.Background(), inputs(body("ok", "ORDERS"), body("bad", "PANIC"), body("ok2", "ITEMS")), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []outcome.Status{outcome.Success, outcome.Failed, outcome.Success}
	for i, o := range out {
		if o.Record.Status != want[i] {
			t.Errorf("task %d = %s, want %s", i, o.Record.Status, want[i])
		}
	}
	if out[1].Record.ErrorType != "INTERNAL_ERROR" || !strings.Contains(out[1].Failure, "goroutine") {
		t.Errorf("panicking task: %+v; failure event must carry the goroutine stack", out[1].Record)
	}
}

func TestDisabledAndFailureHubOff(t *testing.T) {
	st := &memStore{Memory: audit.NewMemory()}
	sy := &fakeSyncer{result: byTable}
	r := newRunner(sy, st)
	r.Enabled, r.FailureHub = false, false
	out, err := r.Run(context.Background(), inputs(body("t1", "ORDERS"), []byte("{")), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if sy.calls != 0 || out[0].Record.Status != outcome.Skipped || !strings.Contains(out[0].Record.Reason, "disabled") {
		t.Errorf("disabled sync: calls %d, record %+v", sy.calls, out[0].Record)
	}
	if out[1].Record.Status != outcome.Failed || out[1].Failure != "" || st.count(t) != 2 {
		t.Errorf("failure hub off: want the FAILED record stored and no failure event; got %+v", out[1])
	}
}

func TestSystemicFailuresStoreNothing(t *testing.T) {
	down := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	tests := []struct {
		name  string
		sync  error
		put   error
		read  error
		wantN int
	}{
		{"snowflake unreachable", down, nil, nil, 0},
		{"audit store down on write", nil, down, nil, 0},
		{"audit store down on read", nil, nil, down, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &memStore{Memory: audit.NewMemory(), putErr: tt.put, readErr: tt.read}
			_, err := newRunner(&fakeSyncer{result: byTable, err: tt.sync}, st).Run(context.Background(), inputs(body("t1", "ORDERS"), []byte("x")), Options{})
			var sys *SystemicError
			if !errors.As(err, &sys) || !errors.Is(err, down) {
				t.Fatalf("err = %v, want a SystemicError wrapping the cause", err)
			}
			if st.count(t) != tt.wantN {
				t.Errorf("%d records stored, want %d", st.count(t), tt.wantN)
			}
		})
	}
}

// deadlineSyncer fails every resource when its context ends, as the engine does.
type deadlineSyncer struct{}

func (deadlineSyncer) Sync(ctx context.Context, reqs []request.Request) ([][]outcome.Resource, error) {
	<-ctx.Done()
	out := make([][]outcome.Resource, len(reqs))
	for i, r := range reqs {
		for _, res := range r.Resources {
			out[i] = append(out[i], outcome.Resource{Resource: res, Status: outcome.Failed, Reason: ctx.Err().Error()})
		}
	}
	return out, nil
}

func TestSyncTimeoutLeavesTimeToRecord(t *testing.T) {
	st := &memStore{Memory: audit.NewMemory()}
	r := newRunner(deadlineSyncer{}, st)
	out, err := r.Run(context.Background(), inputs(body("slow", "ORDERS")), Options{SyncDeadline: time.Now().Add(20 * time.Millisecond)})
	if err != nil {
		t.Fatal(err)
	}
	if rec := out[0].Record; rec.Status != outcome.Failed || !strings.Contains(rec.ErrorMessage, "deadline exceeded") || out[0].Failure == "" || st.count(t) != 1 {
		t.Errorf("record = %+v; want FAILED on the deadline, recorded and sent to the failure hub", rec)
	}
}

func TestLastAttemptLosesNothing(t *testing.T) {
	down := errors.New("connection refused")
	t.Run("snowflake unavailable", func(t *testing.T) {
		st := &memStore{Memory: audit.NewMemory()}
		out, err := newRunner(&fakeSyncer{result: byTable, err: down}, st).Run(context.Background(),
			inputs(body("t1", "ORDERS"), []byte("x")), Options{Final: true})
		if err != nil {
			t.Fatalf("err = %v; the last attempt must answer with outcomes", err)
		}
		if st.count(t) != 2 || out[0].Record.Status != outcome.Failed || out[0].Record.ErrorType != "SYNC_ERROR" ||
			!strings.Contains(out[0].Failure, "connection refused") || out[1].Record.ErrorType != "INVALID_JSON" || out[1].Failure == "" {
			t.Errorf("outcomes = %+v", out)
		}
	})
	t.Run("audit store unavailable", func(t *testing.T) {
		st := &memStore{Memory: audit.NewMemory(), putErr: &net.OpError{Op: "dial", Err: down}, readErr: down}
		out, err := newRunner(&fakeSyncer{result: byTable}, st).Run(context.Background(),
			inputs(body("t1", "ORDERS"), []byte("x")), Options{Final: true})
		if err != nil {
			t.Fatalf("err = %v; the last attempt must answer with outcomes", err)
		}
		var e failure.Event
		if err := json.Unmarshal([]byte(out[0].Failure), &e); err != nil {
			t.Fatalf("SUCCESS task without a failure event: %v", err)
		}
		if e.ErrorType != "AUDIT_ERROR" || !strings.Contains(e.ErrorMessage, "processed (SUCCESS)") || e.OriginalMessage != string(body("t1", "ORDERS")) {
			t.Errorf("failure event = %+v", e)
		}
		if !strings.Contains(out[1].Failure, "INVALID_JSON") {
			t.Errorf("the invalid event keeps its own error type: %s", out[1].Failure)
		}
	})
}

// rejectingStore refuses records whose task id is "huge", as Table Storage refuses an entity too large.
type rejectingStore struct{ memStore }

func (s *rejectingStore) Put(ctx context.Context, recs []outcome.Task) error {
	for _, r := range recs {
		if r.TaskID != nil && *r.TaskID == "huge" {
			return &azcore.ResponseError{StatusCode: 400, ErrorCode: "EntityTooLarge"}
		}
	}
	return s.memStore.Put(ctx, recs)
}

func TestRejectedAuditWrite(t *testing.T) {
	st := &rejectingStore{memStore{Memory: audit.NewMemory()}}
	r := newRunner(&fakeSyncer{result: byTable}, st)
	first, err := r.Run(context.Background(), inputs(body("ok", "ORDERS")), Options{})
	if err != nil {
		t.Fatal(err)
	}
	batch := append(inputs(body("ok", "ORDERS")), inputs(body("huge", "ITEMS"), body("fine", "ITEMS"))...)
	for i := range batch { // the first event is a re-delivery; the others are new
		seq := int64(17 + i)
		batch[i].Origin.SequenceNumber = &seq
		batch[i].Key = KeyFor(batch[i].Origin, clock, "")
	}
	out, err := r.Run(context.Background(), batch, Options{})
	if err != nil {
		t.Fatalf("err = %v; a rejected write would be rejected again on every retry", err)
	}
	if !out[0].Duplicate || out[0].Failure != "" || first[0].Failure != "" {
		t.Errorf("re-delivered event: %+v; its stored record stands, no failure event", out[0])
	}
	if out[1].Unrecorded == nil || !strings.Contains(out[1].Failure, "AUDIT_ERROR") {
		t.Errorf("refused record: %+v; want it marked and sent to the failure hub", out[1])
	}
	if out[2].Unrecorded != nil || out[2].Failure != "" || st.count(t) != 2 {
		t.Errorf("accepted record: %+v, %d stored; want it written on its own", out[2], st.count(t))
	}

	// Without a failure hub nothing may be lost silently: the batch is retried.
	r.FailureHub = false
	again := inputs(body("huge", "ORDERS"))
	seq := int64(99)
	again[0].Origin.SequenceNumber = &seq
	again[0].Key = KeyFor(again[0].Origin, clock, "")
	if _, err := r.Run(context.Background(), again, Options{}); !errors.As(err, new(*SystemicError)) {
		t.Errorf("err = %v; want a systemic error when the failure hub is off", err)
	}
}

func TestForbiddenAuditWriteIsSystemic(t *testing.T) {
	st := &memStore{Memory: audit.NewMemory(), putErr: &azcore.ResponseError{StatusCode: 403, ErrorCode: "AuthorizationPermissionMismatch"}}
	_, err := newRunner(&fakeSyncer{result: byTable}, st).Run(context.Background(), inputs(body("t1", "ORDERS")), Options{})
	if !errors.As(err, new(*SystemicError)) {
		t.Errorf("err = %v; a missing role assignment must be retried, not flood the failure hub", err)
	}
}

// memBodies is an in-memory BodyStore; the real one is tested against Azurite.
type memBodies struct {
	bodies map[audit.Key][]byte
	err    error
}

func (m *memBodies) Put(_ context.Context, key audit.Key, body []byte) error {
	if m.err != nil {
		return m.err
	}
	m.bodies[key] = body
	return nil
}

func (m *memBodies) Location() string { return "table:Bodies" }

func TestLongBodiesAreCutAndKept(t *testing.T) {
	long := []byte(strings.Repeat("\x01", 2<<20)) // 2 MiB, 12 MiB JSON-escaped
	down := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	tests := []struct {
		name       string
		bodies     *memBodies // nil: no body store
		final      bool
		systemic   bool
		wantStore  string
		wantReason string
	}{
		{"kept", &memBodies{bodies: map[audit.Key][]byte{}}, false, false, "table:Bodies", ""},
		{"store down: the batch is retried", &memBodies{err: down}, false, true, "", ""},
		{"store down on the last attempt: cut, and says so", &memBodies{err: down}, true, false, "", "connection refused"},
		{"no store", nil, false, false, "", "no body store"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &memStore{Memory: audit.NewMemory()}
			r := newRunner(&fakeSyncer{result: byTable}, st)
			if tt.bodies != nil {
				r.Bodies = tt.bodies
			}
			in := inputs(long, body("t1", "ORDERS"))
			out, err := r.Run(t.Context(), in, Options{Final: tt.final})
			if tt.systemic {
				if !errors.As(err, new(*SystemicError)) || !errors.Is(err, down) || st.count(t) != 0 {
					t.Fatalf("err = %v, %d records; want a systemic error and nothing stored", err, st.count(t))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if st.count(t) != 2 || out[0].Record.ErrorType != "INVALID_JSON" || out[1].Failure != "" {
				t.Fatalf("outcomes %+v; want both recorded, the long body FAILED", out)
			}
			if len(out[0].Failure) > failure.MaxEvent {
				t.Errorf("failure event is %d bytes, over %d", len(out[0].Failure), failure.MaxEvent)
			}
			var e failure.Event
			if err := json.Unmarshal([]byte(out[0].Failure), &e); err != nil {
				t.Fatal(err)
			}
			if !e.OriginalMessageTruncated || e.OriginalMessageLength != len(long) || e.OriginalMessageStore != tt.wantStore ||
				e.AuditRowKey != in[0].Key.RowKey || tt.wantReason != "" && !strings.Contains(e.OriginalMessageStoreError, tt.wantReason) {
				t.Errorf("failure event: truncated %v, length %d, store %q, store error %q, row key %q",
					e.OriginalMessageTruncated, e.OriginalMessageLength, e.OriginalMessageStore, e.OriginalMessageStoreError, e.AuditRowKey)
			}
			if tt.wantStore != "" && string(tt.bodies.bodies[in[0].Key]) != string(long) {
				t.Errorf("whole body not kept under the audit key %v", in[0].Key)
			}
		})
	}
}

func TestTooManyResourcesFail(t *testing.T) {
	st := &memStore{Memory: audit.NewMemory()}
	syncer := &fakeSyncer{result: byTable}
	r := newRunner(syncer, st)
	r.MaxResources = 3
	out, err := r.Run(t.Context(), inputs(body("many", "A", "B", "C", "D"), body("few", "A", "B", "C")), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rec := out[0].Record; rec.Status != outcome.Failed || rec.ErrorType != outcome.TooManyResources ||
		!strings.Contains(rec.ErrorMessage, "4 resources, over the 3") || out[0].Failure == "" || *rec.TaskID != "many" {
		t.Errorf("request over the bound: %+v; want FAILED TOO_MANY_RESOURCES with a failure event", rec)
	}
	if rec := out[1].Record; rec.Status != outcome.Success || rec.Synced != 3 || syncer.calls != 1 {
		t.Errorf("request at the bound: %+v after %d Sync calls; want it synced alone", rec, syncer.calls)
	}
}

// TestLastAttemptRule pins the one rule every step of Run applies to a systemic failure.
func TestLastAttemptRule(t *testing.T) {
	down := errors.New("connection refused")
	already := &SystemicError{Err: down}
	tests := []struct {
		name           string
		final, curable bool
		err            error
		want           error // nil: go on degraded
	}{
		{"retried before the last attempt", false, true, down, &SystemicError{Err: down}},
		{"kept as it is when already systemic", false, true, already, already},
		{"degraded on the last attempt", true, true, down, nil},
		{"degraded when no retry can cure it", false, false, down, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := lastAttempt(tt.final, tt.curable, tt.err)
			if (got == nil) != (tt.want == nil) || got != nil && (got.Error() != tt.want.Error() || !errors.As(got, new(*SystemicError)) || !errors.Is(got, down)) {
				t.Errorf("lastAttempt(%v, %v, %v) = %v, want %v", tt.final, tt.curable, tt.err, got, tt.want)
			}
			if tt.err == already && got != already {
				t.Errorf("a SystemicError was wrapped again: %v", got)
			}
		})
	}
}
