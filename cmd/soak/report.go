package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/snowsync/snowsync/internal/task/outcome"
	"github.com/snowsync/snowsync/internal/testing/emulator"
)

// report is what a soak run did and found.
type report struct {
	cfg    config
	events []*event
	wall   time.Duration

	// What was done.
	batches, redelivered int
	retried, retries     int // deliveries the host retried (HTTP 500: systemic), and the retries
	faults               map[emulator.FaultKind]int
	expired, restarts    int

	// What the host saw and the audit table holds.
	deliveryErrors int // batches whose last attempt failed: the host checkpoints them anyway
	failureEvents  int // failure events sent, re-sends included
	auditErrors    int // failure events for events whose record could not be written
	strayFailures  int // failure events naming no event of the run
	stray          int // records of no event of the run
	panicLogs      int // handler log lines about a panic
	failures       map[*event]int
	records        map[*event][]outcome.Task

	// tally's findings.
	one, none, duplicated int
	statuses              map[outcome.Status]int
	failedRecords         int
	failedWithoutEvent    int // FAILED records with no failure event: lost from the failure hub
	onlyOnHub             int // no record, but a failure event (the audit store was down on the last attempt)
	lost                  int // no record and no failure event, or FAILED without a failure event
	misclassified         int // malformed not FAILED, unsupported not SKIPPED
	internalErrors        int // INTERNAL_ERROR records: panics that guard caught

	notesMu sync.Mutex
	notes   []string
}

// maxNotes bounds the details a report keeps.
const maxNotes = 20

// note keeps a detail of something that went wrong; safe for concurrent use.
func (r *report) note(format string, args ...any) {
	r.notesMu.Lock()
	defer r.notesMu.Unlock()
	if len(r.notes) < maxNotes {
		r.notes = append(r.notes, fmt.Sprintf(format, args...))
	}
}

// tally classifies every event by its records and failure events.
func (r *report) tally() {
	r.statuses = map[outcome.Status]int{}
	for _, e := range r.events {
		recs, sent := r.records[e], r.failures[e]
		switch len(recs) {
		case 0:
			r.none++
			if sent == 0 {
				r.lost++
				r.note("lost: %s event at %s/%d has no record and no failure event", e.kind, e.partition, e.seq)
			} else {
				r.onlyOnHub++
			}
			continue
		case 1:
			r.one++
		default:
			r.duplicated++
			r.note("duplicated: %s event at %s/%d has %d records", e.kind, e.partition, e.seq, len(recs))
		}
		rec := recs[0]
		r.statuses[rec.Status]++
		if rec.ErrorType == outcome.InternalError {
			r.internalErrors++
		}
		if rec.TaskID != nil && *rec.TaskID != e.id || rec.TaskID == nil && e.id != "" {
			r.misclassified++
			r.note("event %s at %s/%d: record of task %v", e.id, e.partition, e.seq, rec.TaskID)
		}
		if rec.Status == outcome.Failed {
			r.failedRecords++
			if sent == 0 {
				r.failedWithoutEvent++
				r.lost++
				r.note("lost from the failure hub: FAILED %s event at %s/%d (%s)", e.kind, e.partition, e.seq, rec.ErrorType)
			}
		}
		if e.kind == kindMalformed && rec.Status != outcome.Failed || e.kind == kindUnsupported && rec.Status != outcome.Skipped {
			r.misclassified++
			r.note("%s event at %s/%d recorded %s: %s", e.kind, e.partition, e.seq, rec.Status, rec.Reason)
		}
	}
}

// problems lists what makes the run fail: any loss, duplicate, stray, misclassified event or panic.
func (r *report) problems() []string {
	var out []string
	check := func(n int, what string) {
		if n > 0 {
			out = append(out, fmt.Sprintf("%d %s", n, what))
		}
	}
	check(r.lost, "events lost")
	check(r.duplicated, "events with duplicate records")
	check(r.stray, "records of no event")
	check(r.strayFailures, "failure events of no event")
	check(r.misclassified, "events recorded wrongly")
	check(r.panicLogs+r.internalErrors, "panics")
	check(r.deliveryErrors, "batches whose last attempt failed (checkpointed by the host regardless)")
	return out
}

// print writes the figures.
func (r *report) print(w io.Writer) {
	malformed := 0
	for _, e := range r.events {
		if e.kind == kindMalformed {
			malformed++
		}
	}
	var faults []string
	total := 0
	for _, k := range slices.Sorted(maps.Keys(r.faults)) {
		faults = append(faults, fmt.Sprintf("%s %d", k, r.faults[k]))
		total += r.faults[k]
	}
	fmt.Fprintf(w, "soak: %d events (%d malformed) over %d partitions in %d deliveries (%d re-deliveries), %.1f s\n",
		len(r.events), malformed, r.cfg.partitions, r.batches, r.redelivered, r.wall.Seconds())
	fmt.Fprintf(w, "host retries: %d deliveries answered 500 and retried, %d retries in all\n", r.retried, r.retries)
	fmt.Fprintf(w, "faults injected: %d (%s), session tokens expired %d times; Azurite restarts: %d\n",
		total+r.expired, strings.Join(faults, ", "), r.expired, r.restarts)
	fmt.Fprintf(w, "records: exactly one %d, none %d (on the failure hub instead %d), duplicated %d, stray %d\n",
		r.one, r.none, r.onlyOnHub, r.duplicated, r.stray)
	fmt.Fprintf(w, "statuses: SUCCESS %d, SKIPPED %d, FAILED %d\n",
		r.statuses[outcome.Success], r.statuses[outcome.Skipped], r.statuses[outcome.Failed])
	fmt.Fprintf(w, "failure events: %d sent (re-sends included; %d AUDIT_ERROR), for %d events; FAILED records %d, without a failure event %d\n",
		r.failureEvents, r.auditErrors, len(r.failures), r.failedRecords, r.failedWithoutEvent)
	fmt.Fprintf(w, "panics: %d; failed deliveries: %d; lost: %d; duplicated: %d\n",
		r.panicLogs+r.internalErrors, r.deliveryErrors, r.lost, r.duplicated)
	for _, n := range r.notes {
		fmt.Fprintln(w, "  ", n)
	}
}
