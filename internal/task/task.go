// Package task turns received sync requests into outcomes: it parses each event, has the resources
// synced, decides each task's status (DESIGN §3), writes one audit record per event and builds the
// failure events for the failure hub.
//
// The contract with the caller: Run either returns one Outcome per input, with every audit record
// already stored, or a systemic error (the audit store or Snowflake is unreachable) after which the
// caller answers HTTP 500 so that the host re-delivers the whole batch. Nothing is half-done from the
// caller's view: records are upserted under keys derived from the event, and the sync is convergent, so
// a re-delivery converges on the same records.
package task

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"time"

	"github.com/snowsync/snowsync/internal/audit"
	"github.com/snowsync/snowsync/internal/failure"
	"github.com/snowsync/snowsync/internal/guard"
	"github.com/snowsync/snowsync/internal/request"
	"github.com/snowsync/snowsync/internal/task/outcome"
)

// Syncer syncs the resources of the accepted requests of one batch.
type Syncer interface {
	// Sync returns, for each request in order, one outcome.Resource per resource of that request, in
	// order. It may coalesce resources shared by several requests. A non-nil error is systemic
	// (Snowflake unreachable, login refused, no policies): no result is used and the batch is retried.
	Sync(ctx context.Context, reqs []request.Request) ([][]outcome.Resource, error)
}

// PolicyPinner is implemented by a Syncer that syncs by a versioned policy set (app.PolicyGate). Run
// pins the set once per batch, before anything is parsed or synced, and every record of the batch
// carries its version (outcome.Task.PolicyVersion), whatever the record's status.
type PolicyPinner interface {
	// Pin returns ctx carrying the current policy set, which Sync under that ctx uses, and the set's
	// policyVersion. An error means no set is loaded: the records carry no version, and Sync under the
	// returned ctx reports what that means for the batch.
	Pin(ctx context.Context) (context.Context, int64, error)
}

// Store is where audit records go.
type Store interface {
	// Existing returns the records already stored under keys.
	Existing(ctx context.Context, keys []audit.Key) (map[audit.Key]outcome.Task, error)
	// Put upserts records; an error means none or only some were stored, and is systemic.
	Put(ctx context.Context, recs []outcome.Task) error
}

// BodyStore keeps the whole bodies of failed events whose failure events carry only the start of the
// body (failure.Event.SetOriginalLimited), under the event's audit key.
type BodyStore interface {
	// Put stores body under key, replacing what is there; an error means it may not be stored.
	Put(ctx context.Context, key audit.Key, body []byte) error
	// Location names where bodies are kept, for failure events (failure.Event.OriginalMessageStore).
	Location() string
}

// SystemicError marks a failure of the whole batch: the host must re-deliver it.
type SystemicError struct{ Err error }

func (e *SystemicError) Error() string { return "systemic failure: " + e.Err.Error() }
func (e *SystemicError) Unwrap() error { return e.Err }

// Origin says where an event came from. Event Hub events have a sequence number; API requests do not.
type Origin struct {
	EventHub, ConsumerGroup, Partition, Offset string
	SequenceNumber                             *int64
	EnqueuedTime                               time.Time
	InvocationID                               string
	// PolicyVersionFrom is, for a reconciliation of a policy change, the version it reconciles from.
	PolicyVersionFrom *int64
}

// Input is one event to process.
type Input struct {
	Body []byte
	// Request, when set, is the request itself, built by the handler (a reconciliation, which may sync
	// a database's or schema's own grants alone: request.Resource.ObjectOnly): it is admitted as it is,
	// not parsed from Body, and not bounded by MaxResources. Body is then its JSON, for the failure event.
	Request *request.Request
	// Note is the record's reason when no resource is synced and none says why (a reconciliation that
	// found nothing to sync).
	Note   string
	Origin Origin
	// Key is the audit record's key, stable across re-deliveries of the same event.
	Key audit.Key
}

// Outcome is what became of one input.
type Outcome struct {
	// Record is the task's outcome, as stored in the audit trail.
	Record outcome.Task
	// Failure is the failure event (JSON) for a FAILED task when the failure hub is enabled; "" otherwise.
	Failure string
	// Duplicate is true when the event had been processed before (a re-delivery) and its stored record
	// was kept.
	Duplicate bool
	// Unrecorded says why Record could not be stored (see Options.Final); nil when it was.
	Unrecorded error
}

// Runner processes batches. All fields are required except MaxOriginal, Bodies, Logger and Now.
type Runner struct {
	Syncer Syncer
	Store  Store
	// Connector is CONNECTOR_NAME, written into records and failure events.
	Connector string
	// Enabled false skips every resource (CONNECTOR_SNOWFLAKE_ON_DEMAND_V2_ENABLED).
	Enabled bool
	// FailureHub false records failures without building failure events.
	FailureHub bool
	// DryRun marks records as plans (CONNECTOR_SNOWFLAKE_GRANT_UPDATES=false).
	DryRun bool
	// MaxOriginal caps the original message in a failure event (failure.Event.SetOriginalLimited; 0:
	// failure.DefaultOriginalLimit). The whole body of a longer one goes to Bodies.
	MaxOriginal int
	// Bodies keeps the whole bodies that failure events cut; nil keeps none, and such events say so.
	Bodies BodyStore
	// MaxResources bounds the resources of one request (0: no bound); a request naming more FAILS
	// (TOO_MANY_RESOURCES) without being synced, so that one event cannot hold a batch's memory and time.
	MaxResources int
	Logger       *slog.Logger
	Now          func() time.Time
}

// KeyFor returns the audit key of an event processed at now: the partition key is the UTC date of
// processing (DESIGN §3); the row key is the event's Event Hub position when known, else generated.
func KeyFor(o Origin, now time.Time, generated string) audit.Key {
	k := audit.Key{PartitionKey: audit.PartitionKeyFor(now), RowKey: generated}
	if o.SequenceNumber != nil {
		k.RowKey = audit.RowKeyForEvent(o.EventHub, o.ConsumerGroup, o.Partition, *o.SequenceNumber)
	}
	return k
}

// Options tune one Run. The zero value is a first or intermediate delivery without a deadline.
type Options struct {
	// Final marks the host's last delivery attempt: after it the Event Hubs extension checkpoints the
	// batch whatever the answer, so a systemic failure must not lose events. Then Run does not return
	// SystemicError: when Snowflake is unavailable the accepted tasks FAIL (SYNC_ERROR) and go to the
	// failure hub; when the audit store is unavailable every event gets a failure event (AUDIT_ERROR for
	// those that did not fail), so that replaying them later records them. A write that the audit store
	// rejects (audit.IsRejected: no retry can succeed) is handled that way on every attempt, for the
	// records it refuses, unless the failure hub is off (then the batch is retried: nothing may be lost
	// silently). Outcome.Unrecorded marks the records not stored.
	Final bool
	// SyncDeadline ends the sync step (zero: only ctx), so that resources still running then fail and are
	// recorded while ctx still allows the audit write.
	SyncDeadline time.Time
}

// parse validates the body and admits the task: refused when the body is rejected or names too many
// resources, accepted otherwise. A panic refuses it with an INTERNAL_ERROR.
func (r *Runner) parse(t *task) {
	if t.in.Request != nil {
		t.parsed = request.Parsed{Request: *t.in.Request}
		return
	}
	err := guard.Call(func() error {
		t.parsed, t.rejected = request.Parse(t.in.Body)
		return nil
	})
	var p *guard.PanicError
	if errors.As(err, &p) {
		t.admission = refused
		t.fail(outcome.InternalError, "panic while parsing: "+fmt.Sprint(p.Value), p.Stack)
		return
	}
	if t.rejected != nil {
		t.admission = refused
	}
	if t.rejected != nil && t.rejected.Malformed() {
		t.fail(faultTypes[t.rejected.Fault], t.rejected.Reason, t.rejected.Reason)
	}
	if n := len(t.parsed.Resources) + len(t.parsed.Invalid); t.rejected == nil && r.MaxResources > 0 && n > r.MaxResources {
		msg := fmt.Sprintf("%d resources, over the %d one request may name (CONNECTOR_ON_DEMAND_V2_MAX_RESOURCES_PER_EVENT): "+
			"split the request, or request the schema or database that holds them", n, r.MaxResources)
		t.parsed.Invalid = nil // the record lists none of them: the failure event has the body
		t.admission = refused
		t.fail(outcome.TooManyResources, msg, msg)
	}
}

// faultTypes are the error types of malformed bodies.
var faultTypes = map[request.Fault]outcome.ErrorType{
	request.BadEncoding: outcome.InvalidEncoding,
	request.BadJSON:     outcome.InvalidJSON,
	request.BadSchema:   outcome.SchemaError,
}

func (t *task) fail(errType outcome.ErrorType, msg, trace string) {
	t.errType, t.errMsg, t.trace = errType, msg, trace
}

// syncable reports whether the task's resources go to the Syncer: it was accepted and has not failed.
func (t *task) syncable() bool { return t.admission == accepted && t.errType == "" }

// sync syncs every accepted task's resources. When the whole batch panics, each task is synced
// alone, so that a panic fails only the task that causes it.
func (r *Runner) sync(ctx context.Context, tasks []*task, deadline time.Time) error {
	var todo []*task
	for _, t := range tasks {
		if !t.syncable() {
			continue
		}
		if !r.Enabled {
			t.results = skipAll(t.parsed.Resources, "on-demand sync is disabled (CONNECTOR_SNOWFLAKE_ON_DEMAND_V2_ENABLED=false)")
			continue
		}
		todo = append(todo, t)
	}
	if len(todo) == 0 {
		return nil
	}
	if !deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	err := r.syncGroup(ctx, todo)
	var p *guard.PanicError
	if !errors.As(err, &p) {
		return err
	}
	r.logger().Error("sync panicked; syncing the batch's tasks one at a time", "error", p.Value)
	for _, t := range todo {
		err := r.syncGroup(ctx, []*task{t})
		if errors.As(err, &p) {
			t.fail(outcome.InternalError, "panic while syncing: "+fmt.Sprint(p.Value), p.Stack)
			continue
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// syncGroup calls the Syncer once for tasks and stores each task's results. A panic, or results that
// break the Syncer's contract, come back as a *guard.PanicError.
func (r *Runner) syncGroup(ctx context.Context, tasks []*task) error {
	reqs := make([]request.Request, len(tasks))
	for i, t := range tasks {
		reqs[i] = t.parsed.Request
	}
	var results [][]outcome.Resource
	err := guard.Call(func() (err error) {
		results, err = r.Syncer.Sync(ctx, reqs)
		return err
	})
	if errors.As(err, new(*guard.PanicError)) {
		return err
	}
	if err != nil {
		return &SystemicError{fmt.Errorf("sync: %w", err)}
	}
	broken := func(format string, args ...any) error {
		return &guard.PanicError{Value: fmt.Sprintf(format, args...), Stack: string(debug.Stack())}
	}
	if len(results) != len(tasks) {
		return broken("syncer returned %d results for %d requests", len(results), len(tasks))
	}
	for i, t := range tasks {
		if len(results[i]) != len(t.parsed.Resources) {
			return broken("syncer returned %d resource results for %d resources", len(results[i]), len(t.parsed.Resources))
		}
		t.results = results[i]
	}
	return nil
}

func skipAll(rs []request.Resource, reason string) []outcome.Resource {
	out := make([]outcome.Resource, len(rs))
	for i, res := range rs {
		out[i] = outcome.Resource{Resource: res, Status: outcome.Skipped, Reason: reason}
	}
	return out
}

// decide builds the outcome of a task that was not recorded before, and decides its status (DESIGN §3).
func (r *Runner) decide(t *task) outcome.Task {
	done := r.now()
	o := t.in.Origin
	p := t.parsed
	rec := outcome.Task{
		PartitionKey: t.in.Key.PartitionKey, RowKey: t.in.Key.RowKey,
		TaskID: p.ID, Type: p.Type, Source: p.Source, AppType: p.AppType, AppSubType: p.AppSubType, CreateTime: p.CreateTime,
		EnqueuedTime: o.EnqueuedTime, StartedAt: t.started, CompletedAt: done, DurationMs: done.Sub(t.started).Milliseconds(),
		EventHub: o.EventHub, ConsumerGroup: o.ConsumerGroup, Partition: o.Partition, Offset: o.Offset, SequenceNumber: o.SequenceNumber,
		DryRun: r.DryRun, InvocationID: o.InvocationID, Connector: r.Connector, PolicyVersion: t.policyVersion,
		PolicyVersionFrom: o.PolicyVersionFrom,
	}
	rec.Resources = append(append(rec.Resources, t.results...), outcome.Invalid(p.Invalid)...)
	rec.Counts = outcome.Count(rec.Resources)
	switch {
	case t.errType != "":
		rec.Status, rec.ErrorType, rec.ErrorMessage, rec.Reason = outcome.Failed, t.errType, t.errMsg, t.errMsg
	case t.rejected != nil: // well-formed, but not a request snowsync processes
		rec.Status, rec.Reason = outcome.Skipped, t.rejected.Reason
	case rec.Failed > 0:
		rec.Status, rec.ErrorType = outcome.Failed, outcome.SyncError
		rec.ErrorMessage = joinReasons(rec.Resources, outcome.Failed, "; ")
		rec.Reason = fmt.Sprintf("%d of %d resources failed", rec.Failed, rec.ResourceCount)
	case rec.Synced == 0:
		rec.Status, rec.Reason = outcome.Skipped, cmp.Or(joinReasons(rec.Resources, outcome.Skipped, "; "), t.in.Note)
	default:
		rec.Status = outcome.Success
		if rec.Skipped > 0 {
			rec.Reason = fmt.Sprintf("%d of %d resources skipped: %s", rec.Skipped, rec.ResourceCount, joinReasons(rec.Resources, outcome.Skipped, "; "))
		}
	}
	return rec
}

// joinReasons lists the reasons of the resources with status s, each prefixed by its resource, joined by sep.
func joinReasons(rs []outcome.Resource, s outcome.Status, sep string) string {
	var parts []string
	for _, res := range rs {
		if res.Status != s {
			continue
		}
		part := res.Resource.String() + ": " + res.Reason
		if res.ErrorCode != "" {
			part += " (Snowflake error " + res.ErrorCode + ")"
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, sep)
}

// failureEvent builds the failure event of a FAILED task. For a re-delivered event whose FAILED record
// was already stored, it is rebuilt from that record: the failure hub is at-least-once, since the host
// may have lost the outputs of the first delivery.
//
// A body too long for the event (MaxOriginal) is cut, and kept whole in Bodies under the audit key. When
// Bodies cannot store it, the last-attempt rule applies (lastAttempt): the batch is retried, or on the
// last attempt (final) the event goes with the start of the body, its length and SHA-256, and says why the
// rest was not kept, rather than the event being lost with the batch.
func (r *Runner) failureEvent(ctx context.Context, t *task, rec outcome.Task, final bool) (string, error) {
	trace := t.trace
	if t.existing != nil {
		trace = "re-delivered event; first recorded at " + rec.CompletedAt.UTC().Format(time.RFC3339Nano)
	} else if trace == "" { // resources that failed in Snowflake: one a line
		trace = joinReasons(rec.Resources, outcome.Failed, "\n")
	}
	o := t.in.Origin
	e := failure.Event{
		ErrorType: string(rec.ErrorType), ErrorMessage: rec.ErrorMessage, ConnectorName: r.Connector, StackTrace: trace,
		Topic: o.EventHub, ConsumerGroup: o.ConsumerGroup, Partition: o.Partition, Offset: o.Offset,
		SequenceNumber: o.SequenceNumber, EnqueuedTime: failure.FormatTime(o.EnqueuedTime), TaskID: rec.TaskID,
		Timestamp: r.now().UTC().Format(failure.TimeFormat), AuditPartitionKey: rec.PartitionKey, AuditRowKey: rec.RowKey,
		Grants: rec.Grants, Revokes: rec.Revokes, MasksSet: rec.MasksSet, MasksSwapped: rec.MasksSwapped, MasksRemoved: rec.MasksRemoved,
		FiltersSet: rec.FiltersSet, FiltersSwapped: rec.FiltersSwapped, FiltersRemoved: rec.FiltersRemoved,
		PolicyVersion: rec.PolicyVersion,
	}
	if e.SetOriginalLimited(t.in.Body, r.MaxOriginal) {
		if err := r.keepBody(ctx, t, audit.KeyOf(rec)); err != nil {
			if err := lastAttempt(final, true, err); err != nil {
				return "", err
			}
		}
		if t.bodyErr != nil {
			e.OriginalMessageStoreError = t.bodyErr.Error()
		} else {
			e.OriginalMessageStore = r.Bodies.Location()
		}
	}
	s, err := e.Marshal()
	if err != nil { // cannot happen: every field is a string, number or nil
		panic(fmt.Sprintf("marshal failure event: %v", err))
	}
	return s, nil
}

// keepBody stores the task's body under key in Bodies, once per task, and returns the store's error.
func (r *Runner) keepBody(ctx context.Context, t *task, key audit.Key) error {
	if t.bodyKept {
		return t.bodyErr
	}
	t.bodyKept = true
	if r.Bodies == nil {
		t.bodyErr = errors.New("no body store is configured")
		return nil // nothing to wait for: a retry would not store it either
	}
	if err := r.Bodies.Put(ctx, key, t.in.Body); err != nil {
		t.bodyErr = fmt.Errorf("keep the whole body of %d bytes: %w", len(t.in.Body), err)
		r.logger().Error("whole body of a failed event not kept", "error", err, "row_key", key.RowKey, "bytes", len(t.in.Body))
	}
	return t.bodyErr
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Runner) logger() *slog.Logger {
	if r.Logger != nil {
		return r.Logger
	}
	return slog.Default()
}
