package functionhost

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/snowsync/snowsync/internal/testing/golden"
	"github.com/snowsync/snowsync/internal/trigger"
)

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

const validBody = `{"id":"task-1","type":"RESOURCE_SYNC","appType":"PS_CONNECTOR","appSubType":"SNOWFLAKE",` +
	`"source":"KAFKA","createTime":"2026-11-24T10:14:59Z","requestInfo":{"resources":[{"type":"table",` +
	`"values":{"database":"SALES","schema":"PUBLIC","table":"ORDERS"}}]}}`

// fixtureDelivery is the batch of the shared fixtures (DESIGN §4).
func fixtureDelivery() Delivery {
	at := func(msec int) time.Time {
		return time.Date(2026, 11, 24, 10, 15, 0, msec*int(time.Millisecond), time.UTC)
	}
	return Delivery{Partition: "3", Events: []trigger.OutgoingEvent{
		{Body: []byte(validBody), SequenceNumber: 17, Offset: "4294967296", EnqueuedTime: at(123)},
		{Body: []byte("not json"), SequenceNumber: 18, Offset: "4294967848", EnqueuedTime: at(456)},
	}}
}

var fixtureOptions = Options{
	EventHub:      "sync-requests",
	ConsumerGroup: "$Default",
	Namespace:     "contoso-sync.servicebus.windows.net",
}

// request is what the fake handler saw of one invocation.
type request struct {
	method, path string
	header       http.Header
	body         []byte
}

// handler is a fake custom handler: answer decides each reply by the 1-based call number.
type handler struct {
	answer func(call int, r *http.Request) (status int, body string)

	mu       sync.Mutex
	requests []request
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	h.requests = append(h.requests, request{method: r.Method, path: r.URL.Path, header: r.Header.Clone(), body: body})
	call := len(h.requests)
	h.mu.Unlock()
	status, answer := h.answer(call, r)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, answer)
}

func (h *handler) seen() []request {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.requests)
}

// serve starts the fake handler on 127.0.0.1 and stops it when the test ends.
func serve(t *testing.T, answer func(call int, r *http.Request) (int, string)) (*handler, string) {
	t.Helper()
	h := &handler{answer: answer}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return h, srv.URL
}

func loadFunction(t *testing.T, name string) *Function {
	t.Helper()
	fn, err := LoadFunction(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return fn
}

const okAnswer = `{"Outputs":{"failures":["{\"errorType\":\"INVALID_JSON\"}"]},"Logs":["2 events, 1 failed"],"ReturnValue":null}`

// failTwice fails the first two calls with a 500 whose Outputs must be ignored, then succeeds.
func failTwice(call int, _ *http.Request) (int, string) {
	if call <= 2 {
		return http.StatusInternalServerError, `{"Outputs":{"failures":["must be ignored"]},"Logs":["Table Storage unreachable"]}`
	}
	return http.StatusOK, okAnswer
}

// TestDeliverRequestGolden pins the request format: the first attempt and a retry, compared as
// normalised JSON with sys.UtcNow and sys.RandGuid (checked, then masked) being volatile.
func TestDeliverRequestGolden(t *testing.T) {
	h, url := serve(t, failTwice)
	opts := fixtureOptions
	res := New(url, loadFunction(t, "OnDemandSync"), &opts).Deliver(context.Background(), fixtureDelivery())
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	reqs := h.seen()
	for i, file := range map[int]string{0: "request.json", 1: "request-retry.json"} {
		t.Run(file, func(t *testing.T) {
			r := reqs[i]
			if r.method != http.MethodPost || r.path != "/OnDemandSync" {
				t.Errorf("request line = %s %s, want POST /OnDemandSync", r.method, r.path)
			}
			if got := r.header.Get("Content-Type"); got != "application/json; charset=utf-8" {
				t.Errorf("Content-Type = %q", got)
			}
			if id := r.header.Get(trigger.InvocationIDHeader); !uuidPattern.MatchString(id) {
				t.Errorf("%s = %q, want a UUID", trigger.InvocationIDHeader, id)
			}
			golden.Check(t, file, maskVolatile(t, r.body))
		})
	}
}

// maskVolatile checks the formats of sys.UtcNow and sys.RandGuid, replaces them with fixed text
// and returns the body normalised (sorted keys, indented).
func maskVolatile(t *testing.T, body []byte) []byte {
	t.Helper()
	var v struct {
		Data     map[string]any `json:"Data"`
		Metadata map[string]any `json:"Metadata"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("request body: %v\n%s", err, body)
	}
	sys, _ := v.Metadata["sys"].(map[string]any)
	now, _ := sys["UtcNow"].(string)
	if _, err := time.Parse("2006-01-02T15:04:05.000Z", now); err != nil {
		t.Errorf("sys.UtcNow = %q: %v", now, err)
	}
	if guid, _ := sys["RandGuid"].(string); !uuidPattern.MatchString(guid) {
		t.Errorf("sys.RandGuid = %q, want a UUID", guid)
	}
	sys["UtcNow"], sys["RandGuid"] = "<UtcNow>", "<RandGuid>"
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestDeliverRetriesUntilSuccess(t *testing.T) {
	h, url := serve(t, failTwice)
	res := New(url, loadFunction(t, "OnDemandSync"), &fixtureOptions).Deliver(context.Background(), fixtureDelivery())
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if res.Attempts != 3 || res.Status != http.StatusOK {
		t.Errorf("Attempts, Status = %d, %d; want 3, 200", res.Attempts, res.Status)
	}
	if want := []string{`{"errorType":"INVALID_JSON"}`}; !reflect.DeepEqual(res.Failures, want) {
		t.Errorf("Failures = %q, want %q (only the 2xx answer counts)", res.Failures, want)
	}
	if want := []string{"2 events, 1 failed"}; !reflect.DeepEqual(res.Logs, want) {
		t.Errorf("Logs = %q, want %q", res.Logs, want)
	}

	ids := map[string]bool{}
	for i, r := range h.seen() {
		ids[r.header.Get(trigger.InvocationIDHeader)] = true
		b, err := trigger.DecodeBatch(r.body, "events")
		if err != nil {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
		want := &trigger.RetryContext{RetryCount: i, MaxRetryCount: 5} // on every attempt, 0 on the first
		if !reflect.DeepEqual(b.Retry, want) {
			t.Errorf("attempt %d: RetryContext = %+v, want %+v", i+1, b.Retry, want)
		}
		if len(b.Events) != 2 || len(b.Warnings) != 0 {
			t.Errorf("attempt %d: %d events, warnings %q", i+1, len(b.Events), b.Warnings)
		}
	}
	if len(ids) != 3 {
		t.Errorf("got %d distinct invocation ids for 3 attempts", len(ids))
	}
}

func TestDeliverRetriesExhausted(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()

	tests := []struct {
		name       string
		url        string // "" = the fake handler
		answer     func(int, *http.Request) (int, string)
		wantStatus int
		wantErr    string
	}{
		{"always 503", "", func(int, *http.Request) (int, string) { return 503, `{"error":"down"}` }, 503, `HTTP 503: {"error":"down"}`},
		{"always 500 with outputs", "", func(int, *http.Request) (int, string) { return 500, okAnswer }, 500, "HTTP 500"},
		{"empty 2xx body", "", func(int, *http.Request) (int, string) { return 200, "" }, 200, "empty body"},
		{"2xx body not JSON", "", func(int, *http.Request) (int, string) { return 200, "ok" }, 200, "body is not a JSON object"},
		{"nothing listening", closedURL, nil, 0, "connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := tt.url
			var h *handler
			if url == "" {
				h, url = serve(t, tt.answer)
			}
			// Renamed: fixedDelay, maxRetryCount 2, so 3 attempts.
			res := New(url, loadFunction(t, "Renamed"), nil).Deliver(context.Background(), fixtureDelivery())
			if res.Attempts != 3 || res.Status != tt.wantStatus {
				t.Errorf("Attempts, Status = %d, %d; want 3, %d", res.Attempts, res.Status, tt.wantStatus)
			}
			if res.Err == nil || !strings.Contains(res.Err.Error(), tt.wantErr) {
				t.Errorf("Err = %v, want it to contain %q", res.Err, tt.wantErr)
			}
			if res.Failures != nil || res.Logs != nil {
				t.Errorf("Failures %q, Logs %q taken from a failed invocation", res.Failures, res.Logs)
			}
			if h != nil && len(h.seen()) != 3 {
				t.Errorf("handler saw %d requests, want 3", len(h.seen()))
			}
		})
	}
}

// TestDeliverBindingNames shows the trigger and output binding names come from function.json.
func TestDeliverBindingNames(t *testing.T) {
	h, url := serve(t, func(int, *http.Request) (int, string) {
		return 200, `{"Outputs":{"deadLetters":["x","y"],"failures":["not this one"]},"Logs":[]}`
	})
	res := New(url, loadFunction(t, "Renamed"), nil).Deliver(context.Background(), fixtureDelivery())
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if !reflect.DeepEqual(res.Failures, []string{"x", "y"}) || res.Attempts != 1 {
		t.Errorf("Failures = %q after %d attempts, want [x y] after 1", res.Failures, res.Attempts)
	}
	r := h.seen()[0]
	if r.path != "/Renamed" {
		t.Errorf("path = %s, want /Renamed", r.path)
	}
	b, err := trigger.DecodeBatch(r.body, "batch")
	if err != nil {
		t.Fatal(err)
	}
	// The handler does not use the namespace, so Batch has none: read it from the envelope.
	var env struct {
		Metadata struct{ PartitionContext trigger.PartitionContext }
	}
	if err := json.Unmarshal(r.body, &env); err != nil {
		t.Fatal(err)
	}
	ns := env.Metadata.PartitionContext.FullyQualifiedNamespace
	if b.EventHub != "orders" || b.ConsumerGroup != "$Default" || ns != "localhost" || b.PartitionID != "3" {
		t.Errorf("partition context = %q %q %q %q, want the binding's hub and the defaults", b.EventHub, b.ConsumerGroup, ns, b.PartitionID)
	}
}

func TestDeliverSettingsFromEnvironment(t *testing.T) {
	t.Setenv("CONNECTOR_ON_DEMAND_V2_AZURE_EVENT_HUB_NAME", "hub-from-env")
	t.Setenv("CONNECTOR_ON_DEMAND_V2_AZURE_CONSUMER_GROUP", "cg-from-env")
	h, url := serve(t, func(int, *http.Request) (int, string) { return 200, `{}` })
	res := New(url, loadFunction(t, "OnDemandSync"), nil).Deliver(context.Background(), fixtureDelivery())
	if res.Err != nil || res.Failures != nil {
		t.Fatalf("Err %v, Failures %q; want none for an answer without outputs", res.Err, res.Failures)
	}
	b, err := trigger.DecodeBatch(h.seen()[0].body, "events")
	if err != nil {
		t.Fatal(err)
	}
	if b.EventHub != "hub-from-env" || b.ConsumerGroup != "cg-from-env" {
		t.Errorf("EventHub, ConsumerGroup = %q, %q; want the environment's values", b.EventHub, b.ConsumerGroup)
	}
}

func TestDeliverPlainForm(t *testing.T) {
	h, url := serve(t, func(int, *http.Request) (int, string) { return 200, okAnswer })
	fn := loadFunction(t, "OnDemandSync")
	plain := fixtureOptions
	plain.Plain = true
	for _, opts := range []*Options{&fixtureOptions, &plain} {
		if res := New(url, fn, opts).Deliver(context.Background(), fixtureDelivery()); res.Err != nil {
			t.Fatal(res.Err)
		}
	}
	reqs := h.seen()
	var stringified, plainData struct {
		Data map[string]json.RawMessage
	}
	if err := json.Unmarshal(reqs[0].body, &stringified); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(reqs[1].body, &plainData); err != nil {
		t.Fatal(err)
	}
	if stringified.Data["events"][0] != '"' || plainData.Data["events"][0] != '[' {
		t.Errorf("Data.events: default form starts %q, plain form %q", stringified.Data["events"][0], plainData.Data["events"][0])
	}
	a, errA := trigger.DecodeBatch(reqs[0].body, "events")
	b, errB := trigger.DecodeBatch(reqs[1].body, "events")
	if errA != nil || errB != nil {
		t.Fatal(errA, errB)
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("the two forms decode differently:\n%+v\n%+v", a, b)
	}
}

func TestDeliverOutputNotAnArray(t *testing.T) {
	_, url := serve(t, func(int, *http.Request) (int, string) {
		return 200, `{"Outputs":{"failures":"eyJhIjoxfQ=="},"Logs":["done"]}`
	})
	res := New(url, loadFunction(t, "OnDemandSync"), nil).Deliver(context.Background(), fixtureDelivery())
	if res.Err == nil || !strings.Contains(res.Err.Error(), "want an array of strings") {
		t.Errorf("Err = %v, want a contract error", res.Err)
	}
	if res.Attempts != 1 || res.Status != 200 || !reflect.DeepEqual(res.Logs, []string{"done"}) {
		t.Errorf("Attempts %d, Status %d, Logs %q; want 1, 200, [done] (the host accepts the answer)", res.Attempts, res.Status, res.Logs)
	}
}

func TestDeliverWithoutRetryPolicy(t *testing.T) {
	h, url := serve(t, func(int, *http.Request) (int, string) { return 500, `{}` })
	fn := loadFunction(t, "OnDemandSync")
	fn.Retry = nil
	res := New(url, fn, nil).Deliver(context.Background(), fixtureDelivery())
	if res.Attempts != 1 || res.Status != 500 || res.Err == nil || len(h.seen()) != 1 {
		t.Fatalf("Attempts %d, Status %d, Err %v, requests %d; want one failed attempt", res.Attempts, res.Status, res.Err, len(h.seen()))
	}
	if b, err := trigger.DecodeBatch(h.seen()[0].body, "events"); err != nil || b.Retry != nil {
		t.Errorf("RetryContext = %+v (%v); want none without a retry policy", b.Retry, err)
	}
}

// TestDeliverCanceledWhileWaiting: with real delays (1 h) and unlimited retries, cancelling ctx must
// end the wait at once; a stand-in that ignored ctx would hang this test.
func TestDeliverCanceledWhileWaiting(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, url := serve(t, func(int, *http.Request) (int, string) {
		cancel()
		return 500, `{}`
	})
	fn := loadFunction(t, "Renamed")
	fn.Retry = &RetryPolicy{Strategy: StrategyFixedDelay, MaxRetryCount: -1, DelayInterval: time.Hour}
	res := New(url, fn, &Options{DelayScale: 1}).Deliver(ctx, fixtureDelivery())
	if res.Attempts != 1 || !errors.Is(res.Err, context.Canceled) {
		t.Errorf("Attempts %d, Err %v; want 1 attempt ended by the cancellation", res.Attempts, res.Err)
	}
}

func TestDeliverUnusableFunction(t *testing.T) {
	fn := &Function{Name: "Timer", Bindings: []Binding{{Type: "timerTrigger", Name: "t"}}}
	res := New("http://127.0.0.1:1", fn, nil).Deliver(context.Background(), fixtureDelivery())
	if res.Attempts != 0 || res.Err == nil || !strings.Contains(res.Err.Error(), "0 eventHubTrigger bindings") {
		t.Errorf("Attempts %d, Err %v; want no attempt and the reason", res.Attempts, res.Err)
	}
}

// failingTransport fails the first n requests as a not-yet-listening handler would.
type failingTransport struct {
	mu    sync.Mutex
	n     int
	calls int
}

func (f *failingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	f.mu.Lock()
	f.calls++
	fail := f.calls <= f.n
	f.mu.Unlock()
	if fail {
		return nil, errors.New("dial tcp: connection refused")
	}
	return http.DefaultTransport.RoundTrip(r)
}

func TestWaitReady(t *testing.T) {
	fn := loadFunction(t, "OnDemandSync")
	t.Run("any status is an answer", func(t *testing.T) {
		h, url := serve(t, func(int, *http.Request) (int, string) { return 404, "" })
		if err := New(url, fn, nil).WaitReady(context.Background()); err != nil {
			t.Fatal(err)
		}
		if r := h.seen(); len(r) != 1 || r[0].method != http.MethodGet || r[0].path != "/" {
			t.Errorf("requests = %+v, want one GET /", r)
		}
	})
	t.Run("polls until the handler answers", func(t *testing.T) {
		_, url := serve(t, func(int, *http.Request) (int, string) { return 200, "" })
		tr := &failingTransport{n: 3}
		if err := New(url+"/", fn, &Options{Client: &http.Client{Transport: tr}}).WaitReady(context.Background()); err != nil {
			t.Fatal(err)
		}
		if tr.calls != 4 {
			t.Errorf("polled %d times, want 4 (3 failures, then the answer)", tr.calls)
		}
	})
	t.Run("gives up when ctx ends", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		calls := 0
		client := &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
			if calls++; calls == 3 {
				cancel()
			}
			return nil, errors.New("dial tcp: connection refused")
		})}
		err := New("http://127.0.0.1:1", fn, &Options{Client: client}).WaitReady(ctx)
		if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "connection refused") || calls != 3 {
			t.Errorf("err = %v after %d polls, want the cancellation and the last error after 3", err, calls)
		}
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestTickRequestGolden pins the timer request: the path, the headers and the body (sys masked), with
// and without a schedule status.
func TestTickRequestGolden(t *testing.T) {
	h, url := serve(t, func(int, *http.Request) (int, string) {
		return 200, `{"Outputs":{},"Logs":["reconciled"],"ReturnValue":null}`
	})
	host := New(url, loadFunction(t, "Reconcile"), nil)
	at := func(min int) time.Time { return time.Date(2026, 12, 1, 5, min, 0, 0, time.UTC) }
	ticks := map[string]Tick{
		"request-timer.json":         {Status: &trigger.ScheduleStatus{Last: at(0), Next: at(10), LastUpdated: at(5)}},
		"request-timer-pastdue.json": {PastDue: true},
	}
	for file, tick := range ticks {
		t.Run(file, func(t *testing.T) {
			res := host.Tick(context.Background(), tick)
			if res.Err != nil || res.Attempts != 1 || !slices.Equal(res.Logs, []string{"reconciled"}) {
				t.Fatalf("Tick = %+v, want one successful attempt with its logs", res)
			}
			seen := h.seen()
			r := seen[len(seen)-1]
			if r.method != http.MethodPost || r.path != "/Reconcile" {
				t.Errorf("request line = %s %s, want POST /Reconcile", r.method, r.path)
			}
			if id := r.header.Get(trigger.InvocationIDHeader); !uuidPattern.MatchString(id) {
				t.Errorf("%s = %q, want a UUID", trigger.InvocationIDHeader, id)
			}
			got, err := trigger.DecodeTimer(r.body, "timer")
			if err != nil || got.PastDue != tick.PastDue || !reflect.DeepEqual(got.Status, tick.Status) || got.Sys.MethodName != "Reconcile" {
				t.Errorf("DecodeTimer = %+v, %v; want what was ticked", got, err)
			}
			golden.Check(t, file, maskVolatile(t, r.body))
		})
	}
}

// A timer function with a retry policy is retried like any other, with a RetryContext on every
// attempt; with useMonitor false its ScheduleStatus is null whatever the caller passes.
func TestTickRetriesWithoutMonitor(t *testing.T) {
	h, url := serve(t, func(call int, _ *http.Request) (int, string) {
		if call == 1 {
			return 500, `{"error":"reconciler failed"}`
		}
		return 200, `{}`
	})
	res := New(url, loadFunction(t, "TimerRetry"), nil).Tick(context.Background(),
		Tick{Status: &trigger.ScheduleStatus{Next: time.Now()}})
	if res.Err != nil || res.Attempts != 2 || res.Status != 200 {
		t.Fatalf("Tick = %+v, want success on the second attempt", res)
	}
	for i, r := range h.seen() {
		got, err := trigger.DecodeTimer(r.body, "tick")
		if err != nil || got.Status != nil || got.Retry == nil || *got.Retry != (trigger.RetryContext{RetryCount: i, MaxRetryCount: 1}) {
			t.Errorf("attempt %d: %+v, %v; want no status and RetryCount %d", i, got, err, i)
		}
	}
	h2, url2 := serve(t, func(int, *http.Request) (int, string) { return 500, `{}` })
	failed := New(url2, loadFunction(t, "Reconcile"), nil)
	if res := failed.Tick(context.Background(), Tick{}); res.Err == nil || res.Attempts != 1 || len(h2.seen()) != 1 {
		t.Errorf("Tick without a retry policy on a 500 = %+v; want one failed attempt", res)
	}
}

func TestTickUnusableFunction(t *testing.T) {
	res := New("http://127.0.0.1:1", loadFunction(t, "OnDemandSync"), nil).Tick(context.Background(), Tick{})
	if res.Attempts != 0 || res.Err == nil || !strings.Contains(res.Err.Error(), "0 timerTrigger bindings") {
		t.Errorf("Attempts %d, Err %v; want no attempt and the reason", res.Attempts, res.Err)
	}
}
