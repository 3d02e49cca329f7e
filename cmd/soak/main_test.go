package main

import (
	"strings"
	"testing"
	"time"

	"github.com/snowsync/snowsync/internal/task/outcome"
	"github.com/snowsync/snowsync/internal/testing/emulator/emulatortest"
)

// TestMain sets the driver's environment, which the handlers this test starts inherit.
func TestMain(m *testing.M) { emulatortest.Main(m) }

// TestShortSoak is the soak of `make soak` at a size `make test` affords: a few hundred events, one
// Azurite outage, faults on about a third of the deliveries. Nothing may be lost, duplicated or
// misrecorded, and nothing may panic.
func TestShortSoak(t *testing.T) {
	cfg := config{events: 400, malformed: 0.1, partitions: 4, batch: 12, restarts: 1, storageDown: 8 * time.Second,
		faultRate: 0.4, delayScale: 0.05, seed: 7, logs: t.Output()}
	rep, err := run(t.Context(), cfg, t.Output())
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	rep.print(&out)
	t.Log("\n" + out.String())
	if p := rep.problems(); len(p) > 0 {
		t.Errorf("problems: %v", p)
	}
	fired := rep.expired
	for _, n := range rep.faults {
		fired += n
	}
	if rep.one+rep.onlyOnHub != cfg.events || rep.restarts != 1 || fired == 0 {
		t.Errorf("%d events with one record, %d only on the failure hub, %d restarts, %d faults fired; want all %d events accounted for, 1 restart, faults",
			rep.one, rep.onlyOnHub, rep.restarts, fired, cfg.events)
	}
	for _, s := range []outcome.Status{outcome.Success, outcome.Skipped, outcome.Failed} {
		if rep.statuses[s] == 0 {
			t.Errorf("no %s record: the run did not cover every outcome", s)
		}
	}
}

// The checks find what they look for: a lost event, a FAILED record without a failure event, a
// duplicate and a misrecorded malformed event each fail the run.
func TestReportFindsLoss(t *testing.T) {
	failed := outcome.Task{Status: outcome.Failed, ErrorType: "INVALID_JSON"}
	ok := outcome.Task{Status: outcome.Success, TaskID: ptr("t-dup")}
	events := []*event{
		{kind: kindTable, id: "t-lost"},
		{kind: kindMalformed},
		{kind: kindTable, id: "t-dup"},
		{kind: kindMalformed},
		{kind: kindTable, id: "t-hub"},
	}
	rep := &report{events: events, failures: map[*event]int{events[4]: 1}, records: map[*event][]outcome.Task{
		events[1]: {failed}, events[2]: {ok, ok}, events[3]: {{Status: outcome.Skipped}}}}
	rep.tally()
	if rep.lost != 2 || rep.failedWithoutEvent != 1 || rep.duplicated != 1 || rep.misclassified != 1 || rep.onlyOnHub != 1 {
		t.Errorf("lost %d, FAILED without event %d, duplicated %d, misclassified %d, only on the hub %d; want 2, 1, 1, 1, 1",
			rep.lost, rep.failedWithoutEvent, rep.duplicated, rep.misclassified, rep.onlyOnHub)
	}
	if p := rep.problems(); len(p) != 3 {
		t.Errorf("problems %v; want lost, duplicated, misrecorded", p)
	}
}

func ptr[T any](v T) *T { return &v }
