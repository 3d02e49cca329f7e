package reconcile

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/snowsync/snowsync/functions"
	"github.com/snowsync/snowsync/internal/audit"
	"github.com/snowsync/snowsync/internal/policy"
	"github.com/snowsync/snowsync/internal/request"
	"github.com/snowsync/snowsync/internal/snowflake"
	"github.com/snowsync/snowsync/internal/task"
	"github.com/snowsync/snowsync/internal/task/outcome"
	"github.com/snowsync/snowsync/internal/testing/azurite"
)

// These tests check the reconciler's own decisions, with the checkpoint in real Table Storage
// (Azurite) and a real task.Runner, over an engine and a syncer that only record what they are asked.
// internal/testing/stack runs the whole path: host stand-in, handler, emulator, Azurite.

var server *azurite.Server

func TestMain(m *testing.M) { azurite.Main(m, func(s *azurite.Server) { server = s }) }

// document is a policy document of version v granting SELECT on SALES.<schema>.* to analysts.
func document(v int64, schema string) []byte {
	return fmt.Appendf(nil, `{"serviceName":"snow","policyVersion":%d,"policies":[{"id":1,"name":"read","isEnabled":true,"policyType":0,
	  "resources":{"database":{"values":["SALES"]},"schema":{"values":[%q]},"table":{"values":["*"]}},
	  "policyItems":[{"accesses":[{"type":"select","isAllowed":true}],"groups":["analysts"]}]}]}`, v, schema)
}

// source serves a document that a test may change, or an error.
type source struct {
	mu  sync.Mutex
	doc []byte
	err error
}

func (s *source) Fetch(context.Context, int64) ([]byte, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.doc, true, s.err
}

func (s *source) set(doc []byte, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.doc, s.err = doc, err
}

// engine records the changes it resolves and answers a fixed list of schemas.
type engine struct {
	mu      sync.Mutex
	changes []*policy.Change
	schemas []snowflake.SchemaID
}

func (e *engine) Affected(_ context.Context, c *policy.Change) ([]request.Resource, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.changes = append(e.changes, c)
	if c.Empty() {
		return nil, nil
	}
	return []request.Resource{{Kind: request.KindSchema, Database: "SALES", Schema: "PUBLIC", ObjectOnly: true},
		{Kind: request.KindTable, Database: "SALES", Schema: "PUBLIC", Table: "ORDERS"}}, nil
}

func (e *engine) Schemas(context.Context) ([]snowflake.SchemaID, error) { return e.schemas, nil }

// syncer syncs every resource with one grant, or fails systemically with err.
type syncer struct {
	mu   sync.Mutex
	err  error
	reqs []request.Request
}

// pinKey carries the set the reconciler pinned, as app.PolicyGate does.
type pinKey struct{}

// Pin implements task.PolicyPinner: the records carry the version of the set the reconciler pinned.
func (s *syncer) Pin(ctx context.Context) (context.Context, int64, error) {
	set, _ := ctx.Value(pinKey{}).(*policy.Set)
	if set == nil {
		return ctx, 0, errors.New("no set pinned")
	}
	return ctx, set.Version(), nil
}

func (s *syncer) Sync(_ context.Context, reqs []request.Request) ([][]outcome.Resource, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return nil, s.err
	}
	s.reqs = append(s.reqs, reqs...)
	out := make([][]outcome.Resource, len(reqs))
	for i, r := range reqs {
		for _, res := range r.Resources {
			out[i] = append(out[i], outcome.Resource{Resource: res, Status: outcome.Success, Grants: 1})
		}
	}
	return out, nil
}

type fixture struct {
	r      *Reconciler
	src    *source
	eng    *engine
	sync   *syncer
	store  *audit.Memory
	bodies *audit.Bodies
}

var tables int

func newFixture(t *testing.T, schemasPerRun int) *fixture {
	t.Helper()
	tables++
	bodies, err := audit.NewBodies(audit.Connection{ConnectionString: server.ConnectionString()},
		&audit.Options{Table: fmt.Sprintf("reconcile%d", tables)})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{src: &source{doc: document(1, "PUBLIC")}, sync: &syncer{}, store: audit.NewMemory(), bodies: bodies,
		eng: &engine{schemas: []snowflake.SchemaID{{Database: "A", Name: "S1"}, {Database: "A", Name: "S2"}, {Database: "B", Name: "S1"}}}}
	f.r = &Reconciler{
		Policies: policy.NewCache(f.src, policy.Mapping{}, 0, nil, nil),
		Pin: func(ctx context.Context, set *policy.Set) context.Context {
			return context.WithValue(ctx, pinKey{}, set)
		},
		Engine:        f.eng,
		Runner:        &task.Runner{Syncer: f.sync, Store: f.store, Connector: "snowflake", Enabled: true, FailureHub: true},
		Checkpoints:   bodies,
		Enabled:       true,
		SchemasPerRun: schemasPerRun,
		Lease:         10 * time.Minute,
	}
	return f
}

func (f *fixture) reconcile(t *testing.T, id string) functions.ReconcileSummary {
	t.Helper()
	sum, err := f.r.Reconcile(t.Context(), functions.ReconcileTrigger{By: functions.ReconcileByTimer, InvocationID: id})
	if err != nil {
		t.Fatalf("Reconcile %s: %v", id, err)
	}
	return sum
}

// records returns the stored records of source, in key order.
func (f *fixture) records(t *testing.T, source string) []outcome.Task {
	t.Helper()
	all, err := f.store.List(t.Context(), audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	return slices.DeleteFunc(all, func(r outcome.Task) bool { return r.Source != source })
}

func TestFirstRunIsTheBaseline(t *testing.T) {
	f := newFixture(t, 0)
	sum := f.reconcile(t, "run-1")
	if !strings.Contains(sum.Note, "baseline") || *sum.ToVersion != 1 || len(sum.Tasks) != 0 {
		t.Fatalf("first run = %+v, want the baseline of version 1 and no record", sum)
	}
	if len(f.eng.changes) != 0 || len(f.sync.reqs) != 0 {
		t.Fatalf("first run resolved %d changes and synced %d requests, want none", len(f.eng.changes), len(f.sync.reqs))
	}
}

func TestNewVersionIsAppliedOnce(t *testing.T) {
	f := newFixture(t, 0)
	f.reconcile(t, "run-1")
	f.src.set(document(2, "FINANCE"), nil)
	sum := f.reconcile(t, "run-2")
	if *sum.FromVersion != 1 || *sum.ToVersion != 2 || sum.Resources != 2 || sum.Grants != 2 || len(sum.Tasks) != 1 {
		t.Fatalf("run 2 = %+v, want version 1 → 2 with the 2 affected resources synced", sum)
	}
	if len(f.eng.changes) != 1 || f.eng.changes[0].From != 1 || f.eng.changes[0].To != 2 || f.eng.changes[0].All() {
		t.Fatalf("changes resolved: %+v, want one diff 1 → 2", f.eng.changes)
	}
	recs := f.records(t, outcome.SourcePolicyChange)
	if len(recs) != 1 || recs[0].Status != outcome.Success || *recs[0].PolicyVersion != 2 || recs[0].RowKey != sum.Tasks[0] {
		t.Fatalf("POLICY_CHANGE records = %+v, want one SUCCESS at version 2", recs)
	}
	if got := f.sync.reqs[0].Resources; !got[0].ObjectOnly || got[1].Table != "ORDERS" {
		t.Fatalf("synced %+v, want the resources Affected gave, as they are (ObjectOnly kept)", got)
	}
	again := f.reconcile(t, "run-3")
	if len(f.eng.changes) != 1 || len(again.Tasks) != 0 || *again.FromVersion != 2 {
		t.Fatalf("run 3 = %+v after %d diffs, want nothing to do", again, len(f.eng.changes))
	}
}

func TestEditWithoutNewVersionIsApplied(t *testing.T) {
	f := newFixture(t, 0)
	f.reconcile(t, "run-1")
	f.src.set(document(1, "FINANCE"), nil) // the file edited, policyVersion not bumped
	if sum := f.reconcile(t, "run-2"); len(sum.Tasks) != 1 || len(f.eng.changes) != 1 {
		t.Fatalf("run 2 = %+v, want the edited document applied", sum)
	}
}

func TestSystemicFailureKeepsTheVersion(t *testing.T) {
	f := newFixture(t, 0)
	f.reconcile(t, "run-1")
	f.src.set(document(2, "FINANCE"), nil)
	f.sync.err = snowflake.ErrInvalidStatement // any error from Sync is systemic to the runner
	if _, err := f.r.Reconcile(t.Context(), functions.ReconcileTrigger{InvocationID: "run-2"}); err == nil {
		t.Fatal("Reconcile with Snowflake failing: no error")
	}
	f.sync.err = nil
	sum := f.reconcile(t, "run-3")
	if *sum.FromVersion != 1 || *sum.ToVersion != 2 || sum.Resources != 2 {
		t.Fatalf("run after the failure = %+v, want version 1 → 2 applied again", sum)
	}
}

func TestMissingAppliedDocumentReconcilesAll(t *testing.T) {
	f := newFixture(t, 0)
	f.reconcile(t, "run-1")
	cp, err := f.bodies.Claim(t.Context(), checkpointRow, "tamper", time.Now(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cp.Sum = "0000" // no document kept under it
	if err := f.bodies.Save(t.Context(), checkpointRow, &cp, true); err != nil {
		t.Fatal(err)
	}
	f.reconcile(t, "run-2")
	if len(f.eng.changes) != 1 || !f.eng.changes[0].All() {
		t.Fatalf("changes = %+v, want one that affects everything", f.eng.changes)
	}
}

func TestBusyRunDoesNothing(t *testing.T) {
	f := newFixture(t, 2)
	now := time.Now()
	if _, err := f.bodies.Claim(t.Context(), checkpointRow, "other-instance", now, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	sum := f.reconcile(t, "run-1")
	if !sum.Busy || !strings.Contains(sum.Note, "other-instance") || len(f.sync.reqs) != 0 {
		t.Fatalf("run while leased = %+v, synced %d requests; want Busy and nothing synced", sum, len(f.sync.reqs))
	}
}

func TestStaleSetIsNotReconciled(t *testing.T) {
	f := newFixture(t, 2)
	f.reconcile(t, "run-1")
	f.src.set(nil, errors.New("ranger admin unreachable"))
	_, err := f.r.Reconcile(t.Context(), functions.ReconcileTrigger{InvocationID: "run-2"})
	if err == nil || !strings.Contains(err.Error(), "out of date") {
		t.Fatalf("Reconcile with a stale set: %v, want it refused", err)
	}
	if len(f.records(t, outcome.SourceDrift)) != 1 {
		t.Fatal("the stale run swept: want only run 1's sweep")
	}
	f.src.set(document(1, "PUBLIC"), nil)
	f.reconcile(t, "run-3") // the lease was released
}

func TestSweepRoundRobin(t *testing.T) {
	f := newFixture(t, 2)
	var swept [][]string
	for i := range 3 {
		sum := f.reconcile(t, fmt.Sprintf("run-%d", i))
		if sum.Swept != 2 || sum.Schemas != 3 {
			t.Fatalf("run %d = %+v, want 2 of 3 schemas swept", i, sum)
		}
		req := f.sync.reqs[len(f.sync.reqs)-1]
		var names []string
		for _, r := range req.Resources {
			if r.Kind != request.KindSchema || r.ObjectOnly {
				t.Fatalf("sweep resource %+v, want a whole schema", r)
			}
			names = append(names, r.Database+"."+r.Schema)
		}
		swept = append(swept, names)
	}
	want := [][]string{{"A.S1", "A.S2"}, {"B.S1", "A.S1"}, {"A.S2", "B.S1"}}
	if fmt.Sprint(swept) != fmt.Sprint(want) {
		t.Fatalf("swept %v, want %v", swept, want)
	}
	drift := f.records(t, outcome.SourceDrift)
	if len(drift) != 3 || drift[0].Grants != 2 || drift[0].Status != outcome.Success {
		t.Fatalf("DRIFT records = %+v, want 3 with 2 grants each", drift)
	}
}

func TestNextSlice(t *testing.T) {
	s := func(db, name string) snowflake.SchemaID { return snowflake.SchemaID{Database: db, Name: name} }
	all := []snowflake.SchemaID{s("A", "X"), s("A", "Y"), s("B", "X")}
	tests := []struct {
		cursor snowflake.SchemaID
		n      int
		want   []snowflake.SchemaID
	}{
		{snowflake.SchemaID{}, 2, all[:2]},
		{s("A", "Y"), 2, []snowflake.SchemaID{all[2], all[0]}},
		{s("A", "XA"), 1, all[1:2]}, // the cursor schema was dropped: the next one by name
		{s("Z", "Z"), 5, all},       // past the end: from the start, each once
		{s("A", "X"), 0, []snowflake.SchemaID{}},
	}
	for _, tt := range tests {
		if got := nextSlice(all, tt.cursor, tt.n); !slices.Equal(got, tt.want) {
			t.Errorf("nextSlice(%v, %d) = %v, want %v", tt.cursor, tt.n, got, tt.want)
		}
	}
	if got := nextSlice(nil, s("A", "X"), 3); len(got) != 0 {
		t.Errorf("nextSlice of nothing = %v", got)
	}
}

func TestOlderSetNeverReconcilesBackwards(t *testing.T) {
	f := newFixture(t, 2)
	f.src.set(document(2, "PUBLIC"), nil)
	f.reconcile(t, "run-1")                // baseline 2, applied by this "instance"
	f.src.set(document(1, "FINANCE"), nil) // an instance whose cache still holds version 1
	sum := f.reconcile(t, "run-2")
	if !strings.Contains(sum.Note, "older than the applied version 2") || len(f.eng.changes) != 0 || len(f.records(t, outcome.SourceDrift)) != 1 {
		t.Fatalf("run with an older set = %+v after %d diffs; want nothing reconciled, no sweep", sum, len(f.eng.changes))
	}
}

func TestDryRunKeepsItsOwnCheckpoint(t *testing.T) {
	f := newFixture(t, 0)
	f.r.DryRun = true
	now := time.Now()
	if _, err := f.bodies.Claim(t.Context(), checkpointRow, "applying-run", now, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if sum := f.reconcile(t, "dry-1"); sum.Busy || !strings.Contains(sum.Note, "baseline") {
		t.Fatalf("dry run while the applied checkpoint is held = %+v, want its own baseline", sum)
	}
}

func TestDisabledDoesNothing(t *testing.T) {
	f := newFixture(t, 2)
	f.r.Enabled = false
	if sum := f.reconcile(t, "off-1"); !strings.Contains(sum.Note, "disabled") || len(f.sync.reqs) != 0 || len(f.records(t, outcome.SourceDrift)) != 0 {
		t.Fatalf("disabled run = %+v, want nothing done", sum)
	}
}

func TestSweepWaitsWhenTimeIsShort(t *testing.T) {
	f := newFixture(t, 2)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute) // less than sweepReserve
	defer cancel()
	sum, err := f.r.Reconcile(ctx, functions.ReconcileTrigger{InvocationID: "short"})
	if err != nil || sum.Swept != 0 || len(f.records(t, outcome.SourceDrift)) != 0 {
		t.Fatalf("run with a minute left = %+v, %v; want no sweep", sum, err)
	}
	if sum := f.reconcile(t, "long"); sum.Swept != 2 {
		t.Fatalf("next run = %+v, want the sweep from the first schema", sum)
	}
	if got := f.sync.reqs[len(f.sync.reqs)-1].Resources[0]; got.Database != "A" || got.Schema != "S1" {
		t.Fatalf("sweep started at %+v, want A.S1 (the cursor did not move)", got)
	}
}
