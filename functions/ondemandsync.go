package functions

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/snowsync/snowsync/internal/task"
	"github.com/snowsync/snowsync/internal/trigger"
)

// maxInvocationBody caps what the host may POST: a batch of up to 1,000 events of 1 MiB each,
// JSON-escaped. Anything larger is not a host request.
const maxInvocationBody = 2 << 30

// onDemandSync handles one Event Hubs batch: every event ends in one audit record, FAILED ones in a
// failure event in Outputs.failures; the answer is 2xx so the host checkpoints. Only a systemic failure
// answers 500, so the host retries the batch (function.json's retry policy), and not on the last
// attempt, after which the host checkpoints anyway (task.Options.Final).
func (s *Server) onDemandSync(w http.ResponseWriter, r *http.Request, log *slog.Logger) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxInvocationBody))
	if err != nil {
		return badRequest("read invocation: %w", err)
	}
	batch, err := trigger.DecodeBatch(body, TriggerBinding)
	if err != nil {
		return badRequest("decode invocation: %w", err)
	}
	hub, group := first(batch.EventHub, s.eventHub), first(batch.ConsumerGroup, s.consumerGroup)
	log = log.With("event_hub", hub, "partition", batch.PartitionID)
	for _, warning := range batch.Warnings {
		log.Warn("incomplete event metadata; events are processed with what is known", "warning", warning)
	}
	if batch.Retry != nil && batch.Retry.RetryCount > 0 {
		log.Info("re-delivery", "retry_count", batch.Retry.RetryCount, "max_retry_count", batch.Retry.MaxRetryCount)
	}
	if len(batch.Events) == 0 {
		writeJSON(w, http.StatusOK, trigger.NewResponse())
		return nil
	}
	// After the last attempt the host checkpoints whatever we answer, so then a systemic failure must
	// still end in records or failure events (task.Options.Final). The host sends RetryContext on every
	// attempt of a function with a retry policy; without one, the only attempt is the last.
	final := batch.Retry == nil || batch.Retry.MaxRetryCount >= 0 && batch.Retry.RetryCount >= batch.Retry.MaxRetryCount
	release, deadline, err := s.admit(r.Context(), len(batch.Events))
	if err != nil && final {
		// No slot before the deadline, on the last attempt: record without syncing (the deadline has
		// passed, so every resource fails and goes to the failure hub) rather than lose the batch.
		log.Warn("queue full on the last delivery attempt; recording the batch without syncing", "error", err)
		release, deadline, err = func() {}, time.Now(), nil
	}
	if err != nil {
		return err
	}
	defer release()

	now := s.now()
	invocation := r.Header.Get(trigger.InvocationIDHeader)
	inputs := make([]task.Input, len(batch.Events))
	for i, e := range batch.Events {
		o := task.Origin{EventHub: hub, ConsumerGroup: group, Partition: first(e.Partition, batch.PartitionID), Offset: e.Offset,
			SequenceNumber: e.SequenceNumber, EnqueuedTime: e.EnqueuedTime, InvocationID: invocation}
		inputs[i] = task.Input{Body: e.Body, Origin: o, Key: task.KeyFor(o, now, newID("event"))}
	}
	outcomes, err := s.runner.Run(r.Context(), inputs, task.Options{Final: final, SyncDeadline: deadline})
	if err != nil {
		return err
	}
	resp := trigger.NewResponse()
	var failures []string
	counts := map[string]int{}
	for i, o := range outcomes {
		rec := o.Record
		counts[string(rec.Status)]++
		level := slog.LevelInfo
		if rec.Status == "FAILED" {
			level = slog.LevelWarn
		}
		log.Log(r.Context(), level, "task "+string(rec.Status), "sequence", seq(inputs[i].Origin.SequenceNumber),
			"task_id", deref(rec.TaskID), "row_key", rec.RowKey, "reason", rec.Reason, "error_type", rec.ErrorType,
			"grants", rec.Grants, "revokes", rec.Revokes, "duplicate", o.Duplicate)
		if o.Failure != "" {
			failures = append(failures, o.Failure)
		}
	}
	resp.SetFailures(FailureBinding, failures)
	resp.Logs = append(resp.Logs, fmt.Sprintf("snowsync: %d events: %d SUCCESS, %d SKIPPED, %d FAILED; %d failure events",
		len(outcomes), counts["SUCCESS"], counts["SKIPPED"], counts["FAILED"], len(failures)))
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// newID returns a key-safe unique id with a prefix, for events and requests without an Event Hub position.
func newID(prefix string) string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return prefix + "-" + hex.EncodeToString(b[:])
}

func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func seq(n *int64) any {
	if n == nil {
		return nil
	}
	return *n
}
