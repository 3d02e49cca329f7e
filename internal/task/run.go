package task

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/snowsync/snowsync/internal/audit"
	"github.com/snowsync/snowsync/internal/failure"
	"github.com/snowsync/snowsync/internal/request"
	"github.com/snowsync/snowsync/internal/task/outcome"
)

// Run processes one batch in four steps, each of which decides something for every event:
//
//   - prepare pins the policy set, finds the events recorded by an earlier delivery and parses the
//     others: each task is admitted as a duplicate, refused or accepted (admission);
//   - syncAccepted has the accepted tasks' resources synced: each gets its results, or fails;
//   - record decides each task's outcome and, for a FAILED task, its failure event (Outcome);
//   - settle writes the new records and marks those the store did not take (Outcome.Unrecorded).
//
// A systemic failure of any step goes through one rule, lastAttempt. See the package doc for the
// contract.
func (r *Runner) Run(ctx context.Context, inputs []Input, opts Options) ([]Outcome, error) {
	ctx, tasks, err := r.prepare(ctx, inputs, opts.Final)
	if err != nil {
		return nil, err
	}
	if err := r.syncAccepted(ctx, tasks, opts); err != nil {
		return nil, err
	}
	outcomes, err := r.record(ctx, tasks, opts.Final)
	if err != nil {
		return nil, err
	}
	if err := r.settle(ctx, tasks, outcomes, opts.Final); err != nil {
		return nil, err
	}
	return outcomes, nil
}

// lastAttempt is the rule for a systemic failure (err) of any step of Run, decided here alone. Before the
// host's last delivery attempt it fails the batch: it returns err as a *SystemicError, and the host
// re-delivers the batch. On the last attempt (final), after which the Event Hubs extension checkpoints
// the batch whatever the answer, it returns nil: the step goes on without what failed, so that no event
// is lost (Options.Final says how each step does). A failure that no retry can cure (curable false) is
// handled as on the last attempt, on every attempt.
func lastAttempt(final, curable bool, err error) error {
	if final || !curable {
		return nil
	}
	var sys *SystemicError
	if errors.As(err, &sys) {
		return err
	}
	return &SystemicError{err}
}

// admission is what the prepare step decides for one event.
type admission int

const (
	accepted  admission = iota // its resources go to the Syncer
	refused                    // recorded without a sync: the body was rejected, or the task failed before any sync
	duplicate                  // recorded by an earlier delivery: its stored record stands
)

// task is the in-flight state of one input.
type task struct {
	in        Input
	admission admission
	parsed    request.Parsed
	rejected  *request.Rejection
	results   []outcome.Resource
	errType   outcome.ErrorType
	errMsg    string
	trace     string
	started   time.Time
	existing  *outcome.Task // the stored record of a duplicate
	// policyVersion is the version of the policy set pinned for the batch; nil when none was loaded.
	policyVersion *int64
	// bodyKept is set once the body was offered to the BodyStore; bodyErr is why it was not stored.
	bodyKept bool
	bodyErr  error
}

// prepare pins the policy set (when the Syncer has one), which the returned ctx carries, and admits each
// input. On the last attempt, an audit store that cannot be read leaves every event to be processed.
func (r *Runner) prepare(ctx context.Context, inputs []Input, final bool) (context.Context, []*task, error) {
	var version *int64
	if p, ok := r.Syncer.(PolicyPinner); ok {
		pinned, v, err := p.Pin(ctx)
		if ctx = pinned; err == nil {
			version = &v
		}
	}
	tasks := make([]*task, len(inputs))
	for i, in := range inputs {
		tasks[i] = &task{in: in, started: r.now(), policyVersion: version}
	}
	existing, err := r.existing(ctx, inputs)
	if err != nil {
		err = fmt.Errorf("read audit records: %w", err)
		if err := lastAttempt(final, true, err); err != nil {
			return nil, nil, err
		}
		r.logger().Error("last delivery attempt: processing without de-duplication", "error", err)
	}
	for _, t := range tasks {
		if rec, ok := existing[t.in.Key.RowKey]; ok { // only events with a sequence number are looked up
			t.admission, t.existing = duplicate, &rec
			continue
		}
		r.parse(t)
	}
	return ctx, tasks, nil
}

// existing finds the records of events delivered before. A re-delivery may come the day after the
// first delivery, so the previous day's partition is searched too; events without an Event Hub
// position have generated keys and cannot have been seen.
func (r *Runner) existing(ctx context.Context, inputs []Input) (map[string]outcome.Task, error) {
	var keys []audit.Key
	for _, in := range inputs {
		if in.Origin.SequenceNumber == nil {
			continue
		}
		day, err := time.Parse(time.DateOnly, in.Key.PartitionKey)
		if err != nil {
			return nil, fmt.Errorf("audit key %+v: %w", in.Key, err)
		}
		keys = append(keys, in.Key, audit.Key{PartitionKey: audit.PartitionKeyFor(day.AddDate(0, 0, -1)), RowKey: in.Key.RowKey})
	}
	byRow := map[string]outcome.Task{}
	if len(keys) == 0 {
		return byRow, nil
	}
	found, err := r.Store.Existing(ctx, keys)
	for k, rec := range found {
		byRow[k.RowKey] = rec
	}
	return byRow, err
}

// syncAccepted syncs the accepted tasks (sync). On the last attempt, when Snowflake is unavailable, the
// accepted tasks that have no results yet FAIL (SYNC_ERROR); those synced one by one before the outage
// keep their results.
func (r *Runner) syncAccepted(ctx context.Context, tasks []*task, opts Options) error {
	err := r.sync(ctx, tasks, opts.SyncDeadline)
	if err == nil {
		return nil
	}
	if err := lastAttempt(opts.Final, true, err); err != nil {
		return err
	}
	r.logger().Error("last delivery attempt: Snowflake unavailable; failing the batch's tasks", "error", err)
	for _, t := range tasks {
		if t.syncable() && t.results == nil {
			t.fail(outcome.SyncError, "Snowflake unavailable on the last delivery attempt: "+err.Error(), failure.Chain(err))
		}
	}
	return nil
}

// record decides each task's outcome: a duplicate's stored record, or a new one (decide); and, when the
// failure hub is on, the failure event of each FAILED task.
func (r *Runner) record(ctx context.Context, tasks []*task, final bool) ([]Outcome, error) {
	outcomes := make([]Outcome, len(tasks))
	for i, t := range tasks {
		o := &outcomes[i]
		if t.admission == duplicate {
			*o = Outcome{Record: *t.existing, Duplicate: true}
		} else {
			*o = Outcome{Record: r.decide(t)}
		}
		if o.Record.Status == outcome.Failed && r.FailureHub {
			var err error
			if o.Failure, err = r.failureEvent(ctx, t, o.Record, final); err != nil {
				return nil, err
			}
		}
	}
	return outcomes, nil
}

// settle writes the new records. When the store does not take them all, lastAttempt decides; a
// rejection (audit.IsRejected: no retry can store the record) cannot be cured when the failure hub is
// on. Going on, settle marks the records not stored (Outcome.Unrecorded) and gives each of their events
// that has no failure event one (AUDIT_ERROR), so that replaying it records it.
func (r *Runner) settle(ctx context.Context, tasks []*task, outcomes []Outcome, final bool) error {
	var recs []outcome.Task
	for _, o := range outcomes {
		if !o.Duplicate {
			recs = append(recs, o.Record)
		}
	}
	if len(recs) == 0 {
		return nil
	}
	err := r.Store.Put(ctx, recs)
	if err == nil {
		return nil
	}
	rejected := audit.IsRejected(err)
	if err := lastAttempt(final, !(rejected && r.FailureHub), fmt.Errorf("write %d audit records: %w", len(recs), err)); err != nil {
		return err
	}
	unrecorded := r.unrecorded(ctx, recs, err, rejected)
	r.logger().Error("audit records not written; their events go to the failure hub", "error", err,
		"records", len(unrecorded), "last_attempt", final)
	for i, t := range tasks {
		o := &outcomes[i]
		if o.Duplicate || unrecorded[o.Record.RowKey] == nil {
			continue
		}
		o.Unrecorded = unrecorded[o.Record.RowKey]
		if o.Failure != "" || !r.FailureHub {
			continue
		}
		rec := o.Record
		rec.ErrorType = outcome.AuditError
		rec.ErrorMessage = fmt.Sprintf("processed (%s) but the audit record could not be written: %v", rec.Status, o.Unrecorded)
		if o.Failure, err = r.failureEvent(ctx, t, rec, final); err != nil {
			return err
		}
	}
	return nil
}

// unrecorded finds the records a failed Put did not store, by row key. After a rejection the records
// are written one at a time, so that only those the store refuses are missing; after an outage every
// record counts as missing (some transactions may have been stored: a replay records them again).
func (r *Runner) unrecorded(ctx context.Context, recs []outcome.Task, err error, rejected bool) map[string]error {
	out := map[string]error{}
	for _, rec := range recs {
		if rejected {
			err = r.Store.Put(ctx, []outcome.Task{rec})
		}
		if err != nil {
			out[rec.RowKey] = err
		}
	}
	return out
}
