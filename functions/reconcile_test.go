package functions

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/snowsync/snowsync/internal/task"
	"github.com/snowsync/snowsync/internal/testing/functionhost"
	"github.com/snowsync/snowsync/internal/trigger"
)

// fakeReconciler is this package's stand-in for the reconciler (issue 14, not written yet): it
// records each call and answers sum, or err, or panics.
type fakeReconciler struct {
	sum   ReconcileSummary
	err   error
	panic bool

	mu          sync.Mutex
	calls       []ReconcileTrigger
	hasDeadline []bool
}

func (f *fakeReconciler) Reconcile(ctx context.Context, t ReconcileTrigger) (ReconcileSummary, error) {
	f.mu.Lock()
	f.calls = append(f.calls, t)
	_, ok := ctx.Deadline()
	f.hasDeadline = append(f.hasDeadline, ok)
	sum, err, fail := f.sum, f.err, f.panic
	f.mu.Unlock()
	if fail {
		panic("reconciler bug")
	}
	return sum, err
}

// heal makes the next calls succeed.
func (f *fakeReconciler) heal() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.panic, f.err = false, nil
}

// seen returns the calls so far and, for each, whether its context had a deadline.
func (f *fakeReconciler) seen() ([]ReconcileTrigger, []bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]ReconcileTrigger(nil), f.calls...), append([]bool(nil), f.hasDeadline...)
}

// lockedBuffer is a log destination safe for the server's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// reconcileServer serves the functions with rec (nil: none) and returns the URL and the handler's log.
func reconcileServer(t *testing.T, rec Reconciler, budget time.Duration) (string, *lockedBuffer) {
	t.Helper()
	logs := &lockedBuffer{}
	runner := &task.Runner{Syncer: syncer{}, Connector: "snowflake", Enabled: true}
	opts := &Options{Reconciler: rec, SyncBudget: budget, Logger: slog.New(slog.NewJSONHandler(logs, nil))}
	srv := httptest.NewServer(New(runner, nil, opts).Handler())
	t.Cleanup(srv.Close)
	return srv.URL, logs
}

// tick invokes the Reconcile function as the host does, through the host stand-in and the function.json
// the handler ships.
func tick(t *testing.T, url string, tk functionhost.Tick) functionhost.Result {
	t.Helper()
	fn, err := functionhost.LoadFunction("Reconcile")
	if err != nil {
		t.Fatal(err)
	}
	return functionhost.New(url, fn, nil).Tick(context.Background(), tk)
}

func version(v int64) *int64 { return &v }

func TestReconcileTimer(t *testing.T) {
	failure := `{"errorType":"SYNC_ERROR","taskId":"POLICY_CHANGE-3-4-0123456789ab"}`
	rec := &fakeReconciler{sum: ReconcileSummary{FromVersion: version(3), ToVersion: version(4), Resources: 12, Grants: 5, Revokes: 2,
		Drift: 1, Swept: 2, Schemas: 5, Tasks: []string{"POLICY_CHANGE-3-4-0123456789ab", "DRIFT-x"}, Failures: []string{failure}}}
	url, logs := reconcileServer(t, rec, time.Minute)
	next := time.Date(2026, 12, 1, 5, 10, 0, 0, time.UTC)
	status := &trigger.ScheduleStatus{Last: next.Add(-10 * time.Minute), Next: next, LastUpdated: next.Add(-5 * time.Minute)}

	res := tick(t, url, functionhost.Tick{Status: status})
	if res.Err != nil || res.Status != http.StatusOK || res.Attempts != 1 {
		t.Fatalf("Tick = %+v, want one 200", res)
	}
	wantLog := "snowsync: reconcile: policy version 3 -> 4: 12 resources (0 failed), 5 grants, 2 revokes; drift sweep: 2 of 5 schemas, 1 statements"
	if len(res.Logs) != 1 || res.Logs[0] != wantLog {
		t.Errorf("Logs = %q, want [%q]", res.Logs, wantLog)
	}
	if len(res.Failures) != 1 || res.Failures[0] != failure {
		t.Errorf("Outputs.failures = %q, want the reconciler's failure event", res.Failures)
	}
	res = tick(t, url, functionhost.Tick{PastDue: true})
	if res.Err != nil || res.Status != http.StatusOK {
		t.Fatalf("past-due Tick = %+v, want 200", res)
	}

	calls, deadline := rec.seen()
	if len(calls) != 2 {
		t.Fatalf("reconciler called %d times, want 2", len(calls))
	}
	for i, c := range calls {
		if c.By != ReconcileByTimer || c.InvocationID == "" || c.Retry != nil || !deadline[i] {
			t.Errorf("call %d = %+v (deadline %v), want by TIMER with the invocation id, no retry, the budget as deadline", i, c, deadline[i])
		}
	}
	if calls[0].PastDue || calls[0].Schedule == nil || *calls[0].Schedule != *status {
		t.Errorf("first call = %+v, want on time with schedule %+v", calls[0], status)
	}
	if !calls[1].PastDue || calls[1].Schedule != nil {
		t.Errorf("second call = %+v, want past due without a schedule", calls[1])
	}
	if got := strings.Count(logs.String(), "timer past due"); got != 1 {
		t.Errorf("%d past-due warnings in the log, want 1:\n%s", got, logs)
	}
}

// A failed run must fail the invocation (non-2xx), so that the host logs it as a failed execution;
// the error goes to the handler's log, and only a systemic one is shown in the answer.
func TestReconcileTimerFailures(t *testing.T) {
	tests := []struct {
		name       string
		rec        *fakeReconciler
		wantAnswer string
		wantLog    string
	}{
		{"reconciler error", &fakeReconciler{err: errors.New("load inventory: boom")},
			"internal error; see the handler's log", "reconcile (TIMER): load inventory: boom"},
		{"systemic error", &fakeReconciler{err: &task.SystemicError{Err: errors.New("audit store unreachable")}},
			"reconcile (TIMER): systemic failure: audit store unreachable", "audit store unreachable"},
		{"panic", &fakeReconciler{panic: true}, "internal error; see the handler's log", "panic: reconciler bug"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url, logs := reconcileServer(t, tt.rec, 0)
			res := tick(t, url, functionhost.Tick{})
			if res.Err == nil || res.Status != http.StatusInternalServerError || res.Attempts != 1 || len(res.Logs) != 0 {
				t.Fatalf("Tick = %+v, want one failed attempt (500), no retry, no logs", res)
			}
			if !strings.Contains(res.Err.Error(), tt.wantAnswer) {
				t.Errorf("answer %q, want it to contain %q", res.Err, tt.wantAnswer)
			}
			if !strings.Contains(logs.String(), tt.wantLog) || !strings.Contains(logs.String(), `"level":"ERROR"`) {
				t.Errorf("log lacks an ERROR with %q:\n%s", tt.wantLog, logs)
			}
			// The server survives: the next occurrence is served.
			tt.rec.heal()
			if res := tick(t, url, functionhost.Tick{}); res.Err != nil {
				t.Errorf("next Tick = %+v, want success", res)
			}
		})
	}
}

func TestReconcileTimerMalformed(t *testing.T) {
	rec := &fakeReconciler{}
	url, _ := reconcileServer(t, rec, 0)
	for name, body := range map[string]string{
		"not JSON":          `tick`,
		"wrong binding":     `{"Data":{"myTimer":{"IsPastDue":false}}}`,
		"IsPastDue missing": `{"Data":{"timer":{"Schedule":{"AdjustForDST":true}}}}`,
		"bad status":        `{"Data":{"timer":{"ScheduleStatus":{"Next":"soon"},"IsPastDue":false}}}`,
	} {
		t.Run(name, func(t *testing.T) {
			status, answer := post(t, url+"/Reconcile", []byte(body))
			if status != http.StatusBadRequest || !strings.Contains(string(answer), "decode timer invocation") {
				t.Errorf("answer %d %s, want 400 saying what is wrong", status, answer)
			}
		})
	}
	if calls, _ := rec.seen(); len(calls) != 0 {
		t.Errorf("reconciler called %d times for malformed invocations, want 0", len(calls))
	}
}

func TestReconcileAPI(t *testing.T) {
	rec := &fakeReconciler{sum: ReconcileSummary{ToVersion: version(7), Resources: 2, Failed: 1, Grants: 1}}
	url, _ := reconcileServer(t, rec, 0)
	for _, body := range []string{``, `{}`, " { } \n"} {
		status, answer := post(t, url+"/api/reconcile", []byte(body))
		var got ReconcileSummary
		if err := json.Unmarshal(answer, &got); status != http.StatusOK || err != nil {
			t.Fatalf("body %q: answer %d %s (%v), want 200 and a summary", body, status, answer, err)
		}
		if got.FromVersion != nil || *got.ToVersion != 7 || got.Resources != 2 || got.Failed != 1 || got.Grants != 1 {
			t.Errorf("body %q: summary %s, want the reconciler's", body, answer)
		}
	}
	for _, body := range []string{`[]`, `{"dryRun":true}`, `{} {}`, `x`} {
		if status, answer := post(t, url+"/api/reconcile", []byte(body)); status != http.StatusBadRequest {
			t.Errorf("body %q: answer %d %s, want 400", body, status, answer)
		}
	}
	if status, _ := get(t, url+"/api/reconcile"); status != http.StatusMethodNotAllowed {
		t.Errorf("GET /api/reconcile: %d, want 405", status)
	}
	calls, deadline := rec.seen()
	if len(calls) != 3 || calls[0].By != ReconcileByAPI || calls[0].InvocationID != "inv-test" || calls[0].PastDue || calls[0].Schedule != nil {
		t.Errorf("calls = %+v, want 3 by API with the invocation id", calls)
	}
	if deadline[0] {
		t.Error("without a sync budget the run got a deadline")
	}

	rec.mu.Lock()
	rec.err = errors.New("boom")
	rec.mu.Unlock()
	if status, answer := post(t, url+"/api/reconcile", nil); status != http.StatusInternalServerError || strings.Contains(string(answer), "boom") {
		t.Errorf("failed run: answer %d %s, want 500 without the internal error", status, answer)
	}
}

func TestReconcileNotConfigured(t *testing.T) {
	url, _ := reconcileServer(t, nil, 0)
	if res := tick(t, url, functionhost.Tick{}); res.Status != http.StatusNotImplemented || res.Err == nil {
		t.Errorf("Tick = %+v, want 501", res)
	}
	if status, answer := post(t, url+"/api/reconcile", nil); status != http.StatusNotImplemented || !strings.Contains(string(answer), "not configured") {
		t.Errorf("answer %d %s, want 501 saying so", status, answer)
	}
}
