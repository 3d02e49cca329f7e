// Package reconcile is the Reconcile function's work (issue 14): it applies a new policy version to
// exactly the objects it may change, and sweeps the managed scope for drift in bounded slices.
//
// One run (Reconciler.Reconcile):
//  1. claims the checkpoint (audit.Checkpoint: the applied policy document and the sweep's cursor) with
//     an ETag-guarded write, so that of two runs at once (two instances, or the timer and POST
//     /api/reconcile) one works and the other returns at once, Busy;
//  2. when the policy document differs from the applied one, compares the two sets (policy.Diff),
//     resolves the change against Snowflake's inventory within the managed scope (Engine.Affected) and
//     syncs those objects by the new set, through the task runner: the same engine, coalescing, dry run,
//     audit record (source POLICY_CHANGE, versions from and to) and failure events as an event. Then it
//     keeps the new document and saves the checkpoint. Without an applied document (the first run) the
//     current one becomes the baseline and nothing is synced: events and the sweep cover the objects;
//  3. re-syncs the next SchemasPerRun schemas of the managed scope in full (round robin from the cursor),
//     recorded with source DRIFT: whatever that changes was drift;
//  4. saves the cursor and releases the checkpoint.
//
// A stale policy set (the source could not be checked) is never reconciled: the run fails, and the next
// one tries again. Nor is a set older than the applied one (another instance's cache was refreshed
// first): the run does nothing, so that it never reconciles backwards. A systemic failure (Snowflake or the audit store unreachable) fails the run without
// moving the checkpoint, so the next run repeats what did not finish; per-resource failures are
// recorded, and their failure events returned, as for events.
package reconcile

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/snowsync/snowsync/functions"
	"github.com/snowsync/snowsync/internal/audit"
	"github.com/snowsync/snowsync/internal/policy"
	"github.com/snowsync/snowsync/internal/request"
	"github.com/snowsync/snowsync/internal/snowflake"
	"github.com/snowsync/snowsync/internal/task"
	"github.com/snowsync/snowsync/internal/task/outcome"
)

// Engine is what a reconciliation needs of the sync engine (engine.Engine).
type Engine interface {
	// Affected returns the resources whose desired state may differ by c, within the managed scope.
	Affected(ctx context.Context, c *policy.Change) ([]request.Resource, error)
	// Schemas returns every schema of the managed scope, sorted by database, then name.
	Schemas(ctx context.Context) ([]snowflake.SchemaID, error)
}

// Checkpoints keep the checkpoint and the applied documents (audit.Bodies).
type Checkpoints interface {
	Claim(ctx context.Context, row, owner string, now, until time.Time) (audit.Checkpoint, error)
	Save(ctx context.Context, row string, cp *audit.Checkpoint, release bool) error
	PutDocument(ctx context.Context, sum string, doc []byte) error
	Document(ctx context.Context, sum string) ([]byte, error)
}

// Runner syncs and records requests (task.Runner).
type Runner interface {
	Run(ctx context.Context, inputs []task.Input, opts task.Options) ([]task.Outcome, error)
}

// Policies gives the current policy set (policy.Cache, through the app's gate).
type Policies interface {
	Current(ctx context.Context) (*policy.Set, error)
}

// Checkpoint rows: a dry run keeps its own, so that switching dry run off applies every version the
// dry run only planned.
const (
	checkpointRow       = "applied"
	dryRunCheckpointRow = "dry-run"
)

// DefaultSchemasPerRun is CONNECTOR_ON_DEMAND_V2_DRIFT_SCHEMAS_PER_RUN's default.
const DefaultSchemasPerRun = 10

// sweepReserve is the least time a run must have left after the policy change for the drift sweep to
// start: a sweep that cannot finish would only fail its schemas; the next run sweeps them instead.
const sweepReserve = 2 * time.Minute

// recordMargin is kept from a run's deadline for writing its records and the checkpoint: resources still
// syncing then fail, and are recorded.
const recordMargin = 30 * time.Second

// Reconciler implements functions.Reconciler. Every field is required except SchemasPerRun, Logger
// and Now.
type Reconciler struct {
	Policies Policies
	// Pin returns ctx pinned to set, so that the runner syncs by exactly the set compared
	// (app.PolicyGate.With).
	Pin func(ctx context.Context, set *policy.Set) context.Context
	// Mapping parses the applied document again, as the cache parses documents.
	Mapping     policy.Mapping
	Engine      Engine
	Runner      Runner
	Checkpoints Checkpoints
	// Enabled false makes every run do nothing (CONNECTOR_SNOWFLAKE_ON_DEMAND_V2_ENABLED=false); the
	// checkpoint stays, so the versions published meanwhile are applied once it is true again.
	Enabled bool
	DryRun  bool
	// SchemasPerRun is how many schemas the drift sweep covers per run; 0 turns it off.
	SchemasPerRun int
	// Lease is how long a claimed checkpoint stays held by a run that does not release it (it died):
	// longer than a run can last (the function timeout).
	Lease  time.Duration
	Logger *slog.Logger
	Now    func() time.Time
}

// Reconcile implements functions.Reconciler.
func (r *Reconciler) Reconcile(ctx context.Context, t functions.ReconcileTrigger) (functions.ReconcileSummary, error) {
	var sum functions.ReconcileSummary
	if !r.Enabled {
		sum.Note = "on-demand sync is disabled (CONNECTOR_SNOWFLAKE_ON_DEMAND_V2_ENABLED=false): nothing reconciled"
		return sum, nil
	}
	row := checkpointRow
	if r.DryRun {
		row = dryRunCheckpointRow
	}
	owner := cmp.Or(t.InvocationID, "run-"+rand.Text())
	now := r.now()
	cp, err := r.Checkpoints.Claim(ctx, row, owner, now, now.Add(r.Lease))
	if errors.Is(err, audit.ErrLeased) {
		sum.Busy, sum.Note = true, "another reconciliation is running: "+err.Error()
		return sum, nil
	}
	if err != nil {
		return sum, err
	}
	run := &run{Reconciler: r, cp: cp, row: row, owner: owner, trigger: t, sum: &sum}
	err = run.do(ctx)
	// The checkpoint is released even when ctx ended: a later run must not wait out the lease.
	saveCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordMargin)
	defer cancel()
	if serr := r.Checkpoints.Save(saveCtx, row, &run.cp, true); serr != nil {
		err = errors.Join(err, serr)
	}
	return sum, err
}

// run is the state of one reconciliation.
type run struct {
	*Reconciler
	cp         audit.Checkpoint
	row, owner string
	trigger    functions.ReconcileTrigger
	sum        *functions.ReconcileSummary
}

func (u *run) do(ctx context.Context) error {
	set, err := u.Policies.Current(ctx)
	if err != nil {
		return fmt.Errorf("load policies: %w", err)
	}
	if err := set.Stale(); err != nil {
		return fmt.Errorf("not reconciling by a policy set that may be out of date: %w", err)
	}
	if u.cp.Sum != "" && set.Version() < u.cp.Version { // another instance applied a newer version
		u.sum.Note = fmt.Sprintf("this instance's policies (version %d) are older than the applied version %d: nothing reconciled "+
			"(the policy cache refreshes every CONNECTOR_POLICY_REFRESH_INTERVAL_SEC)", set.Version(), u.cp.Version)
		return nil
	}
	if err := u.applyVersion(ctx, set); err != nil {
		return err
	}
	return u.sweep(ctx, set)
}

// applyVersion syncs what differs between the applied document and set's, records it, keeps set's
// document and moves the checkpoint to it.
func (u *run) applyVersion(ctx context.Context, set *policy.Set) error {
	doc := set.Document()
	digest := sha256.Sum256(doc)
	sum, to := hex.EncodeToString(digest[:]), set.Version()
	u.sum.ToVersion = &to
	if u.cp.Sum == sum {
		u.sum.FromVersion = &to
		return nil
	}
	if u.cp.Sum == "" {
		u.sum.Note = fmt.Sprintf("first reconciliation: policy version %d is the baseline (nothing synced; events and the drift sweep cover the objects)", to)
		u.logger().Info("policy baseline recorded", "version", to)
		return u.advance(ctx, sum, to, doc)
	}
	from := u.cp.Version
	u.sum.FromVersion = &from
	old, err := u.applied(ctx)
	if err != nil {
		u.logger().Warn("applied policy document unavailable: reconciling the whole managed scope", "error", err, "version", from)
	}
	change := policy.Diff(old, set)
	resources, err := u.Engine.Affected(ctx, change)
	if err != nil {
		return fmt.Errorf("resolve the objects that policy version %d → %d affects: %w", from, to, err)
	}
	note := fmt.Sprintf("policy version %d → %d: %d policies changed, no object in the managed scope affected", from, to, len(change.Policies))
	rec, err := u.sync(ctx, set, outcome.SourcePolicyChange, fmt.Sprintf("%s-%d-%d-%.12s", outcome.SourcePolicyChange, from, to, sum), resources, note, &from)
	if err != nil {
		return err
	}
	u.sum.Add(rec)
	return u.advance(ctx, sum, to, doc)
}

// applied parses the applied document again; nil (with the error) when it cannot be read or parsed.
func (u *run) applied(ctx context.Context) (*policy.Set, error) {
	doc, err := u.Checkpoints.Document(ctx, u.cp.Sum)
	if err != nil {
		return nil, err
	}
	set, _, err := policy.Parse(doc, u.Mapping)
	return set, err
}

// advance keeps doc and moves the checkpoint to it, keeping the lease.
func (u *run) advance(ctx context.Context, sum string, version int64, doc []byte) error {
	if err := u.Checkpoints.PutDocument(ctx, sum, doc); err != nil {
		return fmt.Errorf("keep policy version %d: %w", version, err)
	}
	u.cp.Sum, u.cp.Version = sum, version
	return u.Checkpoints.Save(ctx, u.row, &u.cp, false)
}

// sweep re-syncs the next SchemasPerRun schemas after the cursor in full and moves the cursor.
func (u *run) sweep(ctx context.Context, set *policy.Set) error {
	if u.SchemasPerRun <= 0 {
		return nil
	}
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < sweepReserve {
		u.logger().Warn("drift sweep skipped: too little of the run's time is left", "left", time.Until(deadline).Round(time.Second))
		return nil
	}
	all, err := u.Engine.Schemas(ctx)
	if err != nil {
		return fmt.Errorf("list the managed schemas for the drift sweep: %w", err)
	}
	slice := nextSlice(all, snowflake.SchemaID{Database: u.cp.CursorDatabase, Name: u.cp.CursorSchema}, u.SchemasPerRun)
	resources := make([]request.Resource, len(slice))
	for i, s := range slice {
		resources[i] = request.Resource{Kind: request.KindSchema, Database: s.Database, Schema: s.Name}
	}
	id := fmt.Sprintf("%s-%s-%s", outcome.SourceDrift, u.now().UTC().Format("20060102T150405.000Z"), audit.KeyPart(u.owner))
	rec, err := u.sync(ctx, set, outcome.SourceDrift, id, resources, "no schema in the managed scope", nil)
	if err != nil {
		return err
	}
	u.sum.Add(rec)
	u.sum.Drift += rec.Grants + rec.Revokes + rec.PolicyChanges.Total()
	u.sum.Swept, u.sum.Schemas = len(slice), len(all)
	if len(slice) > 0 {
		last := slice[len(slice)-1]
		u.cp.CursorDatabase, u.cp.CursorSchema = last.Database, last.Name
	}
	return nil
}

// sync syncs resources by set as one task of source, recorded under id, and returns its record;
// note is the record's reason when there is nothing to sync. The error is systemic.
func (u *run) sync(ctx context.Context, set *policy.Set, source, id string, resources []request.Resource, note string, from *int64) (outcome.Task, error) {
	req := request.Request{ID: &id, Type: request.TypeResourceSync, AppType: "PS_CONNECTOR", AppSubType: request.AppSubTypeSnowflake,
		Source: source, CreateTime: u.now().UTC().Format(time.RFC3339), Resources: resources}
	body, err := req.Marshal()
	if err != nil {
		return outcome.Task{}, fmt.Errorf("encode the %s request: %w", source, err)
	}
	now := u.now()
	in := task.Input{Body: body, Request: &req, Note: note,
		Origin: task.Origin{InvocationID: u.trigger.InvocationID, PolicyVersionFrom: from},
		Key:    audit.Key{PartitionKey: audit.PartitionKeyFor(now), RowKey: id}}
	var opts task.Options
	if deadline, ok := ctx.Deadline(); ok {
		opts.SyncDeadline = deadline.Add(-recordMargin)
	}
	outs, err := u.Runner.Run(u.Pin(ctx, set), []task.Input{in}, opts)
	if err != nil {
		return outcome.Task{}, fmt.Errorf("%s: %w", source, err)
	}
	o := outs[0]
	if o.Failure != "" {
		u.sum.Failures = append(u.sum.Failures, o.Failure)
	}
	if o.Unrecorded != nil { // not with Options.Final unset: Run fails instead
		return o.Record, fmt.Errorf("%s: record not written: %w", source, o.Unrecorded)
	}
	return o.Record, nil
}

// nextSlice returns up to n schemas of all (sorted) after cursor, wrapping around; none repeats.
func nextSlice(all []snowflake.SchemaID, cursor snowflake.SchemaID, n int) []snowflake.SchemaID {
	start := 0
	for start < len(all) && !after(all[start], cursor) {
		start++
	}
	out := make([]snowflake.SchemaID, 0, min(n, len(all)))
	for i := 0; i < len(all) && len(out) < n; i++ {
		out = append(out, all[(start+i)%len(all)])
	}
	return out
}

// after reports whether s comes after cursor in the order Engine.Schemas lists schemas.
func after(s, cursor snowflake.SchemaID) bool {
	return cmp.Or(cmp.Compare(s.Database, cursor.Database), cmp.Compare(s.Name, cursor.Name)) > 0
}

func (r *Reconciler) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Reconciler) logger() *slog.Logger {
	if r.Logger != nil {
		return r.Logger
	}
	return slog.Default()
}
