package functions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/snowsync/snowsync/internal/task/outcome"
	"github.com/snowsync/snowsync/internal/trigger"
)

// TimerBinding is the trigger binding's name in functions/Reconcile/function.json.
const TimerBinding = "timer"

// DefaultReconcileSchedule is CONNECTOR_ON_DEMAND_V2_RECONCILE_SCHEDULE's default, the NCRONTAB
// schedule ({second} {minute} {hour} {day} {month} {day-of-week}) of the Reconcile timer: every five
// minutes, at second 0.
const DefaultReconcileSchedule = "0 */5 * * * *"

// How a reconciliation was started.
const (
	ReconcileByTimer = "TIMER" // the Reconcile function's schedule
	ReconcileByAPI   = "API"   // POST /api/reconcile
)

// Reconciler re-syncs what a new policy version and the drift sweep call for (issue 14). Reconcile
// runs one reconciliation within ctx's deadline. It records what it did itself (audit records,
// per-resource failures) and returns a summary; it returns an error only when the run could not be
// done or recorded (the policy source, Snowflake or the audit store unreachable), which fails the
// invocation. It must be safe for concurrent use: the timer and the API may overlap.
type Reconciler interface {
	Reconcile(ctx context.Context, t ReconcileTrigger) (ReconcileSummary, error)
}

// ReconcileTrigger is why and how a reconciliation runs.
type ReconcileTrigger struct {
	// By is ReconcileByTimer or ReconcileByAPI.
	By string
	// InvocationID is the host's id of the invocation (X-Azure-Functions-InvocationId).
	InvocationID string
	// PastDue is the timer's IsPastDue: this occurrence is late (the app was down or busy).
	PastDue bool
	// Schedule is the timer's schedule monitor record; nil for the API and without a monitor.
	Schedule *trigger.ScheduleStatus
	// Retry is set on every attempt when the function has a retry policy.
	Retry *trigger.RetryContext
}

// ReconcileSummary is what one reconciliation did; POST /api/reconcile answers it.
type ReconcileSummary struct {
	// Busy is true when another reconciliation held the checkpoint: this one did nothing.
	Busy bool `json:"Busy"`
	// Note says what the run found when it synced nothing (the first run's baseline, sync disabled,
	// busy); "" otherwise.
	Note string `json:"Note,omitempty"`
	// FromVersion and ToVersion are the policy versions before and after the run (equal when no new
	// version was applied); nil when unknown.
	FromVersion *int64 `json:"FromVersion"`
	ToVersion   *int64 `json:"ToVersion"`
	// Resources counts the resources synced, by the policy change and the drift sweep; Failed those that
	// failed (recorded, as for events).
	Resources int `json:"Resources"`
	Failed    int `json:"Failed"`
	Grants    int `json:"Grants"`
	Revokes   int `json:"Revokes"`
	// Drift counts the statements the drift sweep applied (or planned, in a dry run); Swept the schemas
	// it covered, of Schemas in the managed scope.
	Drift   int `json:"Drift"`
	Swept   int `json:"Swept"`
	Schemas int `json:"Schemas"`
	// Tasks are the audit records written (row keys): one for the policy change, one for the sweep.
	Tasks []string `json:"Tasks"`
	// Failures are the failure events of the FAILED records. The timer sends them to the failure hub;
	// POST /api/reconcile answers them, as POST /api/sync does.
	Failures []string `json:"Failures"`
}

// Add counts a record the run wrote.
func (s *ReconcileSummary) Add(rec outcome.Task) {
	s.Resources += rec.Synced
	s.Failed += rec.Failed
	s.Grants += rec.Grants
	s.Revokes += rec.Revokes
	s.Tasks = append(s.Tasks, rec.RowKey)
}

// String is the summary as one log line.
func (s ReconcileSummary) String() string {
	if s.Busy {
		return "skipped: " + s.Note
	}
	version := func(v *int64) string {
		if v == nil {
			return "?"
		}
		return fmt.Sprint(*v)
	}
	head := s.Note
	if head == "" {
		head = "policy version " + version(s.FromVersion) + " -> " + version(s.ToVersion)
	}
	return fmt.Sprintf("%s: %d resources (%d failed), %d grants, %d revokes; drift sweep: %d of %d schemas, %d statements",
		head, s.Resources, s.Failed, s.Grants, s.Revokes, s.Swept, s.Schemas, s.Drift)
}

// errNoReconciler answers the reconcile routes of a server built without a Reconciler: the host logs
// the invocation as failed, so an operator sees that reconciliation is not running.
var errNoReconciler = &httpError{http.StatusNotImplemented, errors.New("reconciliation is not configured in this handler")}

// reconcileTimer handles POST /Reconcile, the timer trigger (trigger.DecodeTimer). It answers 2xx with
// the summary in Logs when the run succeeds, even with per-resource failures (they are recorded). A
// malformed invocation answers 400 and a failed run 500: the host then logs the invocation as failed
// (any non-2xx answer fails it and drops Logs: DefaultHttpWorkerService) and the timer fires again at
// its next occurrence; there is no retry policy, since the next occurrence is one.
func (s *Server) reconcileTimer(w http.ResponseWriter, r *http.Request, log *slog.Logger) error {
	body, err := s.reconcileRequest(w, r)
	if err != nil {
		return err
	}
	timer, err := trigger.DecodeTimer(body, TimerBinding)
	if err != nil {
		return badRequest("%w", err)
	}
	t := ReconcileTrigger{By: ReconcileByTimer, InvocationID: r.Header.Get(trigger.InvocationIDHeader),
		PastDue: timer.PastDue, Schedule: timer.Status, Retry: timer.Retry}
	if t.PastDue {
		log.Warn("timer past due: this occurrence is late (the app was down or busy)")
	}
	sum, err := s.reconcile(r.Context(), t, log)
	if err != nil {
		return err
	}
	resp := trigger.NewResponse()
	resp.SetFailures(FailureBinding, sum.Failures)
	resp.Logs = append(resp.Logs, "snowsync: reconcile: "+sum.String())
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// reconcileAPI handles POST /api/reconcile: an operator runs a reconciliation now, synchronously. The
// body is empty or {} (no options yet). It answers 200 with the ReconcileSummary, 400 for another
// body, 500 when the run failed (the error is in the handler's log).
func (s *Server) reconcileAPI(w http.ResponseWriter, r *http.Request, log *slog.Logger) error {
	body, err := s.reconcileRequest(w, r)
	if err != nil {
		return err
	}
	if strings.TrimSpace(string(body)) != "" {
		var opts struct{}
		dec := json.NewDecoder(strings.NewReader(string(body)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&opts); err != nil || dec.More() {
			return badRequest("the body must be empty or {} (POST /api/reconcile takes no options)")
		}
	}
	sum, err := s.reconcile(r.Context(), ReconcileTrigger{By: ReconcileByAPI, InvocationID: r.Header.Get(trigger.InvocationIDHeader)}, log)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sum)
	return nil
}

// reconcileRequest reads the body of a reconcile route (at most maxRequestBody), after checking that
// the server has a reconciler.
func (s *Server) reconcileRequest(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if s.reconciler == nil {
		return nil, errNoReconciler
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	if err != nil {
		return nil, badRequest("read request: %w", err)
	}
	return body, nil
}

// reconcile runs the reconciler within the sync budget and logs the outcome.
func (s *Server) reconcile(ctx context.Context, t ReconcileTrigger, log *slog.Logger) (ReconcileSummary, error) {
	if s.budget > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.budget)
		defer cancel()
	}
	sum, err := s.reconciler.Reconcile(ctx, t)
	if err != nil {
		return sum, fmt.Errorf("reconcile (%s): %w", t.By, err)
	}
	level := slog.LevelInfo
	if sum.Failed > 0 {
		level = slog.LevelWarn
	}
	log.Log(ctx, level, "reconciled", "by", t.By, "past_due", t.PastDue, "summary", sum.String())
	return sum, nil
}
