package functions

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/snowsync/snowsync/internal/audit"
	"github.com/snowsync/snowsync/internal/failure"
	"github.com/snowsync/snowsync/internal/request"
	"github.com/snowsync/snowsync/internal/task"
	"github.com/snowsync/snowsync/internal/task/outcome"
	"github.com/snowsync/snowsync/internal/testing/azurite"
	"github.com/snowsync/snowsync/internal/trigger"
)

// syncer is this package's stand-in for the sync engine (tested end to end in internal/stack): every
// resource succeeds with one grant, except tables named BROKEN (Snowflake refuses) and tables named
// SLOW, which signal started and wait for release (tests release them before they end).
type syncer struct {
	started, release chan struct{}
	down             error // Snowflake unavailable: every Sync fails with it
}

func (s syncer) Sync(ctx context.Context, reqs []request.Request) ([][]outcome.Resource, error) {
	if s.down != nil {
		return nil, s.down
	}
	out := make([][]outcome.Resource, len(reqs))
	for i, r := range reqs {
		for _, res := range r.Resources {
			rr := outcome.Resource{Resource: res, Status: outcome.Success, Grants: 1}
			switch res.Table {
			case "BROKEN":
				rr = outcome.Resource{Resource: res, Status: outcome.Failed, Reason: "insufficient privileges", ErrorCode: "003001"}
			case "SLOW": // holds its queue slot until released, whatever its deadline
				s.started <- struct{}{}
				<-s.release
			}
			out[i] = append(out[i], rr)
		}
	}
	return out, nil
}

// server serves the functions over an in-memory audit store: these tests are about HTTP, and the
// store keeps audit.Store's contract (internal/audit's contract tests). The storage paths run against
// Azurite in TestOversizeInvocationIsKeptForReplay, internal/audit and internal/stack.
func server(t *testing.T, threshold int, s syncer) (*httptest.Server, *audit.Memory) {
	return serverWith(t, s, &Options{QueueThreshold: threshold})
}

// serverWith serves the functions with opts (the event hub names and a silent logger are set here).
func serverWith(t *testing.T, s syncer, opts *Options) (*httptest.Server, *audit.Memory) {
	t.Helper()
	store := audit.NewMemory()
	runner := &task.Runner{Syncer: s, Store: store, Connector: "snowflake", Enabled: true, FailureHub: true}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	opts.EventHub, opts.ConsumerGroup, opts.Logger = "sync-requests", "$Default", logger
	srv := httptest.NewServer(New(runner, store, opts).Handler())
	t.Cleanup(srv.Close)
	return srv, store
}

// send makes one request as the host would and returns the status and body.
func send(t *testing.T, method, url string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set(trigger.InvocationIDHeader, "inv-test")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

func post(t *testing.T, url string, body []byte) (int, []byte) {
	return send(t, http.MethodPost, url, body)
}
func get(t *testing.T, url string) (int, []byte) { return send(t, http.MethodGet, url, nil) }

func TestOnDemandSyncHostFixture(t *testing.T) {
	srv, store := server(t, 0, syncer{})
	if code, body := get(t, srv.URL+"/"); code != http.StatusOK || !json.Valid(body) {
		t.Fatalf("GET / = %d %s", code, body)
	}
	fixture, err := os.ReadFile("../internal/trigger/testdata/host-request-eventhub-batch.json")
	if err != nil {
		t.Fatal(err)
	}
	code, body := post(t, srv.URL+"/OnDemandSync", fixture)
	if code != http.StatusOK {
		t.Fatalf("status %d: %s", code, body)
	}
	var resp struct {
		Outputs struct {
			Failures []string `json:"failures"`
		}
		Logs        []string
		ReturnValue any
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		t.Fatal(err)
	}
	if len(resp.Outputs.Failures) != 1 || !strings.Contains(resp.Outputs.Failures[0], `"originalMessage":"not json"`) || len(resp.Logs) != 1 {
		t.Errorf("answer = %s", body)
	}
	recs, err := store.List(context.Background(), audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[0].RowKey != "sync-requests_$Default_3_00000000000000000017" || recs[0].Status != outcome.Success ||
		recs[1].Status != outcome.Failed || recs[0].InvocationID != "inv-test" || recs[0].Offset != "4294967296" {
		t.Errorf("records = %+v", recs)
	}
}

func TestOnDemandSyncEnvelopes(t *testing.T) {
	srv, _ := server(t, 0, syncer{})
	tests := []struct {
		name   string
		body   string
		status int
		want   string
	}{
		{"not JSON", `<xml/>`, http.StatusBadRequest, `"error":"decode invocation`},
		{"no events binding", `{"Data":{},"Metadata":{}}`, http.StatusBadRequest, `"error":"decode invocation`},
		{"empty batch", `{"Data":{"events":"[]"},"Metadata":{}}`, http.StatusOK, `"Outputs":{}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := post(t, srv.URL+"/OnDemandSync", []byte(tt.body))
			if code != tt.status || !strings.Contains(string(body), tt.want) {
				t.Errorf("= %d %s; want %d containing %s", code, body, tt.status, tt.want)
			}
		})
	}
}

func TestSyncAndTasksAPI(t *testing.T) {
	srv, _ := server(t, 0, syncer{})
	if code, body := get(t, srv.URL+"/api/tasks"); code != http.StatusOK || strings.TrimSpace(string(body)) != "[]" {
		t.Errorf("GET /api/tasks before any record = %d %s, want 200 []", code, body)
	}
	valid := `{"id":"api-1","type":"RESOURCE_SYNC","source":"API","requestInfo":{"resources":[{"type":"table","values":{"database":"D","schema":"S","table":"T"}}]}}`
	refused := strings.Replace(valid, `"T"`, `"BROKEN"`, 1)
	refused = strings.Replace(refused, "api-1", "api-2", 1)
	tests := []struct {
		name   string
		body   string
		status int
		want   outcome.Status
	}{
		{"success", valid, http.StatusOK, outcome.Success},
		{"skipped", `{"id":"api-3","type":"USER_SYNC","source":"API","requestInfo":{"resources":[]}}`, http.StatusOK, outcome.Skipped},
		{"malformed", `{"id":`, http.StatusBadRequest, outcome.Failed},
		{"snowflake refused", refused, http.StatusBadGateway, outcome.Failed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := post(t, srv.URL+"/api/sync", []byte(tt.body))
			var rec TaskResponse
			if err := json.Unmarshal(body, &rec); err != nil {
				t.Fatalf("%d %s: %v", code, body, err)
			}
			if code != tt.status || rec.Status != tt.want || !strings.HasPrefix(rec.RowKey, "api-") || rec.SequenceNumber != nil {
				t.Errorf("= %d %+v; want %d %s", code, rec, tt.status, tt.want)
			}
		})
	}
	if code, _ := post(t, srv.URL+"/api/sync", bytes.Repeat([]byte(" "), maxRequestBody+1)); code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized request = %d, want 413", code)
	}

	lists := []struct {
		query  string
		status int
		count  int
	}{
		{"/api/tasks/api-1", http.StatusOK, 1},
		{"/api/tasks/nope", http.StatusNotFound, -1},
		{"/api/tasks?status=failed", http.StatusOK, 2},
		{"/api/tasks?since=1h&limit=2", http.StatusOK, 2},
		{"/api/tasks?since=" + time.Now().Add(time.Hour).UTC().Format(time.RFC3339), http.StatusOK, 0},
		{"/api/tasks?status=DONE", http.StatusBadRequest, -1},
		{"/api/tasks?since=yesterday", http.StatusBadRequest, -1},
		{"/api/tasks?limit=0", http.StatusBadRequest, -1},
		{"/api/tasks?source=api", http.StatusOK, 3},
		{"/api/tasks?source=KAFKA,api&status=FAILED", http.StatusOK, 1},
		{"/api/tasks?source=POLICY_CHANGE,DRIFT", http.StatusOK, 0},
		{"/api/tasks?source=API,,KAFKA", http.StatusBadRequest, -1},
	}
	for _, l := range lists {
		code, body := get(t, srv.URL+l.query)
		if code != l.status {
			t.Errorf("GET %s = %d %s, want %d", l.query, code, body, l.status)
			continue
		}
		if l.count < 0 {
			continue
		}
		var recs []TaskResponse
		if err := json.Unmarshal(body, &recs); err != nil || len(recs) != l.count {
			t.Errorf("GET %s = %s (%v), want %d records", l.query, body, err, l.count)
		}
	}
}

func TestQueueThresholdHoldsBackWork(t *testing.T) {
	s := syncer{started: make(chan struct{}), release: make(chan struct{})}
	srv, _ := server(t, 1, s)
	body := func(table string) string {
		return `{"type":"RESOURCE_SYNC","source":"API","requestInfo":{"resources":[{"type":"table","values":{"database":"D","schema":"S","table":"` + table + `"}}]}}`
	}
	done := make(chan int, 1)
	go func() {
		code, _ := post(t, srv.URL+"/api/sync", []byte(body("SLOW")))
		done <- code
	}()
	<-s.started // the slow request holds the only slot
	// A quick request must wait for the slot: its client gives up before it is admitted.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/api/sync", strings.NewReader(body("QUICK")))
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Errorf("quick request answered %d while the queue was full; want it held", resp.StatusCode)
	}
	close(s.release)
	if code := <-done; code != http.StatusOK {
		t.Errorf("slow request = %d", code)
	}
	// With the slot free again, the quick request goes through.
	if code, b := post(t, srv.URL+"/api/sync", []byte(body("QUICK"))); code != http.StatusOK {
		t.Errorf("quick request after release = %d %s", code, b)
	}
}

// batch encodes one event in the host's wire format, with retry as the host's RetryContext.
func batch(t *testing.T, body string, retry *trigger.RetryContext) []byte {
	t.Helper()
	b, err := trigger.EncodeBatch(trigger.OutgoingBatch{Binding: TriggerBinding, Retry: retry,
		Partition: trigger.PartitionContext{EventHubName: "sync-requests", ConsumerGroup: "$Default", PartitionID: "0"},
		Events:    []trigger.OutgoingEvent{{Body: []byte(body), SequenceNumber: 7, Offset: "0", EnqueuedTime: time.Now()}}}, trigger.EncodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestLastAttemptIsDetected(t *testing.T) {
	srv, store := server(t, 0, syncer{down: errors.New("390100: login refused")})
	body := `{"type":"RESOURCE_SYNC","source":"API","requestInfo":{"resources":[{"type":"table","values":{"database":"D","schema":"S","table":"T"}}]}}`
	tests := []struct {
		name     string
		retry    *trigger.RetryContext
		status   int
		failures int
	}{
		{"first of two attempts", &trigger.RetryContext{RetryCount: 0, MaxRetryCount: 1}, http.StatusInternalServerError, 0},
		{"unlimited retries", &trigger.RetryContext{RetryCount: 9, MaxRetryCount: -1}, http.StatusInternalServerError, 0},
		{"last attempt", &trigger.RetryContext{RetryCount: 1, MaxRetryCount: 1}, http.StatusOK, 1},
		{"no retry policy: the only attempt", nil, http.StatusOK, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, b := post(t, srv.URL+"/OnDemandSync", batch(t, body, tt.retry))
			var resp trigger.Response
			_ = json.Unmarshal(b, &resp)
			failures, _ := resp.Failures(FailureBinding)
			if code != tt.status || len(failures) != tt.failures {
				t.Errorf("= %d with %d failure events, want %d with %d: %s", code, len(failures), tt.status, tt.failures, b)
			}
		})
	}
	recs, err := store.List(context.Background(), audit.Filter{})
	if err != nil || len(recs) != 1 || recs[0].ErrorType != "SYNC_ERROR" {
		t.Errorf("records = %+v (%v); want the one event recorded once, FAILED", recs, err)
	}
}

func TestSyncBudgetBoundsTheQueueWait(t *testing.T) {
	s := syncer{started: make(chan struct{}), release: make(chan struct{})}
	srv, _ := serverWith(t, s, &Options{QueueThreshold: 1, SyncBudget: 200 * time.Millisecond})
	slow := `{"type":"RESOURCE_SYNC","source":"API","requestInfo":{"resources":[{"type":"table","values":{"database":"D","schema":"S","table":"SLOW"}}]}}`
	quick := strings.Replace(slow, "SLOW", "QUICK", 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		post(t, srv.URL+"/api/sync", []byte(slow))
	}()
	<-s.started
	if code, b := post(t, srv.URL+"/api/sync", []byte(quick)); code != http.StatusServiceUnavailable {
		t.Errorf("queued past its budget = %d %s, want 503", code, b)
	}
	// On the host's last attempt the batch is recorded rather than refused.
	if code, b := post(t, srv.URL+"/OnDemandSync", batch(t, quick, nil)); code != http.StatusOK {
		t.Errorf("last attempt with the queue full = %d %s, want 200", code, b)
	}
	close(s.release)
	<-done
}

// An invocation over MaxInvocationBytes is not decoded: it is kept whole for replay, recorded, and
// answered 2xx with one failure event, so that the host's checkpoint loses nothing. With or without a
// Content-Length (the host sends one).
func TestOversizeInvocationIsKeptForReplay(t *testing.T) {
	az := azurite.StartT(t)
	conn := audit.Connection{ConnectionString: az.ConnectionString()}
	store, err := audit.NewStore(conn, nil)
	if err != nil {
		t.Fatal(err)
	}
	bodies, err := audit.NewBodies(conn, nil)
	if err != nil {
		t.Fatal(err)
	}
	runner := &task.Runner{Syncer: syncer{}, Store: store, Connector: "snowflake", Enabled: true, FailureHub: true}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	var events []trigger.OutgoingEvent
	for i := range 3 {
		events = append(events, trigger.OutgoingEvent{Body: bytes.Repeat([]byte("\x01"), 300<<10), SequenceNumber: int64(i)})
	}
	invocation, err := trigger.EncodeBatch(trigger.OutgoingBatch{Binding: TriggerBinding, Events: events}, trigger.EncodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name    string
		bodies  BodyStore
		chunked bool
		status  int
	}{
		{"kept", bodies, false, http.StatusOK},
		{"kept, chunked", bodies, true, http.StatusOK},
		{"no body store: refused", nil, false, http.StatusRequestEntityTooLarge},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(New(runner, store, &Options{EventHub: "sync-requests", ConsumerGroup: "$Default",
				MaxInvocationBytes: 1 << 20, Bodies: tt.bodies, Logger: logger}).Handler())
			defer srv.Close()
			var body io.Reader = bytes.NewReader(invocation)
			if tt.chunked {
				body = io.MultiReader(body) // hides the length: sent chunked
			}
			req, err := http.NewRequest(http.MethodPost, srv.URL+"/OnDemandSync", body)
			if err != nil {
				t.Fatal(err)
			}
			id := "0b7c1f2e-" + strings.ReplaceAll(tt.name, " ", "")[:4]
			req.Header.Set(trigger.InvocationIDHeader, id)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			answer, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d (%s), want %d", resp.StatusCode, answer, tt.status)
			}
			if tt.bodies == nil {
				if !strings.Contains(string(answer), "CONNECTOR_ON_DEMAND_V2_MAX_INVOCATION_BYTES") {
					t.Errorf("answer %s does not name the setting", answer)
				}
				return
			}
			var r trigger.Response
			if err := json.Unmarshal(answer, &r); err != nil {
				t.Fatal(err)
			}
			failures, err := r.Failures(FailureBinding)
			if err != nil || len(failures) != 1 {
				t.Fatalf("failures %v, %v; want one", failures, err)
			}
			var e failure.Event
			if err := json.Unmarshal([]byte(failures[0]), &e); err != nil {
				t.Fatal(err)
			}
			key := audit.Key{PartitionKey: e.AuditPartitionKey, RowKey: e.AuditRowKey}
			kept, err := bodies.Get(t.Context(), key)
			if e.ErrorType != ErrInvocationTooLarge || key.RowKey != "invocation-"+id || err != nil || !bytes.Equal(kept, invocation) ||
				e.OriginalMessageLength != len(invocation) {
				t.Errorf("failure event %+v; kept %d bytes (%v), want the %d of the invocation", e, len(kept), err, len(invocation))
			}
			recs, err := store.Existing(t.Context(), []audit.Key{key})
			if err != nil || recs[key].Status != outcome.Failed || recs[key].ErrorType != outcome.InvocationTooLarge {
				t.Errorf("record %+v (%v); want FAILED %s", recs[key], err, ErrInvocationTooLarge)
			}
		})
	}
}
