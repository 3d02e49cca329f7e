package functions

import (
	"bytes"
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/snowsync/snowsync/internal/audit"
	"github.com/snowsync/snowsync/internal/failure"
	"github.com/snowsync/snowsync/internal/task"
	"github.com/snowsync/snowsync/internal/task/outcome"
	"github.com/snowsync/snowsync/internal/trigger"
)

// onDemandSync handles one Event Hubs batch: every event ends in one audit record, FAILED ones in a
// failure event in Outputs.failures; the answer is 2xx so the host checkpoints. Only a systemic failure
// answers 500, so the host retries the batch (function.json's retry policy), and not on the last
// attempt, after which the host checkpoints anyway (task.Options.Final).
//
// The request is read once into a buffer of its size and decoded in place (trigger.DecodeBatchInPlace):
// the bodies are slices of it. A request over MaxInvocationBytes is kept for replay undecoded (see
// tooLarge).
func (s *Server) onDemandSync(w http.ResponseWriter, r *http.Request, log *slog.Logger) error {
	body, tooBig, err := readBody(r, s.maxInvocation)
	if tooBig && err == nil {
		return s.tooLarge(w, r, body, log)
	}
	if err != nil {
		return badRequest("read invocation: %w", err)
	}
	batch, err := trigger.DecodeBatchInPlace(body, TriggerBinding)
	if err != nil {
		return badRequest("decode invocation: %w", err)
	}
	hub, group := cmp.Or(batch.EventHub, s.eventHub), cmp.Or(batch.ConsumerGroup, s.consumerGroup)
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
		o := task.Origin{EventHub: hub, ConsumerGroup: group, Partition: cmp.Or(e.Partition, batch.PartitionID), Offset: e.Offset,
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

// readBody reads the request body into a buffer of exactly its Content-Length when the client sent
// one (the host does), so that the request is held once. A body over limit is reported tooBig, and
// read no further: what was read of it (nothing, with a Content-Length) comes back.
func readBody(r *http.Request, limit int64) (body []byte, tooBig bool, err error) {
	if r.ContentLength > limit {
		return nil, true, nil
	}
	if r.ContentLength < 0 {
		body, err = io.ReadAll(io.LimitReader(r.Body, limit+1))
		return body, int64(len(body)) > limit, err
	}
	body = make([]byte, r.ContentLength)
	_, err = io.ReadFull(r.Body, body)
	return body, false, err
}

// ErrInvocationTooLarge is outcome.InvocationTooLarge as failure events carry it: the error type of the
// record and failure event of an invocation over MaxInvocationBytes.
const ErrInvocationTooLarge = string(outcome.InvocationTooLarge)

// tooLarge answers an invocation over MaxInvocationBytes without decoding it, which would take the
// memory the limit protects, on every retry. Refusing it (non-2xx) would lose its events: the host
// retries the same batch and, after the last attempt, checkpoints it. So the request is streamed whole
// (read holds two 512 KiB chunks at a time) into the body table, under an audit key of its own
// ("invocation-<invocation id>"), one FAILED record says so, and one failure event (errorType
// INVOCATION_TOO_LARGE) points to it: `snowsync replay` re-publishes each of its events. The answer is
// 2xx, so the host checkpoints. When the body table cannot take it the answer is 500 and the host
// retries; without a body table the answer is 413.
func (s *Server) tooLarge(w http.ResponseWriter, r *http.Request, read []byte, log *slog.Logger) error {
	msg := fmt.Sprintf("invocation body over CONNECTOR_ON_DEMAND_V2_MAX_INVOCATION_BYTES (%d bytes)", s.maxInvocation)
	if s.bodies == nil {
		log.Error("invocation refused: too large; its events are not processed", "limit", s.maxInvocation, "content_length", r.ContentLength)
		return &httpError{http.StatusRequestEntityTooLarge, errors.New(msg + "; raise it, or lower CONNECTOR_ON_DEMAND_V2_BATCH_SIZE")}
	}
	now := s.now()
	invocation := r.Header.Get(trigger.InvocationIDHeader)
	key := audit.Key{PartitionKey: audit.PartitionKeyFor(now), RowKey: newID("invocation")}
	if isID(invocation) { // the host's invocation ids are UUIDs
		key.RowKey = "invocation-" + invocation
	}
	n, sum, err := s.bodies.PutStream(r.Context(), key, io.MultiReader(bytes.NewReader(read), r.Body))
	if err != nil {
		return &task.SystemicError{Err: fmt.Errorf("%s: keep it for replay: %w", msg, err)}
	}
	msg = fmt.Sprintf("%s: %d bytes, kept whole in %s; replay it with snowsync replay", msg, n, s.bodies.Location())
	log.Error("invocation too large: not processed, kept for replay", "bytes", n, "row_key", key.RowKey)
	rec := outcome.Task{PartitionKey: key.PartitionKey, RowKey: key.RowKey, Status: outcome.Failed, ErrorType: outcome.InvocationTooLarge,
		ErrorMessage: msg, Reason: msg, StartedAt: now, CompletedAt: s.now(), EventHub: s.eventHub, ConsumerGroup: s.consumerGroup,
		InvocationID: invocation, Connector: s.runner.Connector}
	if err := s.runner.Store.Put(r.Context(), []outcome.Task{rec}); err != nil && !s.runner.FailureHub {
		return &task.SystemicError{Err: fmt.Errorf("%s: record it: %w", msg, err)}
	}
	resp := trigger.NewResponse()
	if s.runner.FailureHub {
		e := failure.Event{ErrorType: ErrInvocationTooLarge, ErrorMessage: msg, ConnectorName: s.runner.Connector, StackTrace: msg,
			Topic: s.eventHub, ConsumerGroup: s.consumerGroup, Timestamp: s.now().UTC().Format(failure.TimeFormat),
			AuditPartitionKey: key.PartitionKey, AuditRowKey: key.RowKey, OriginalMessageTruncated: true,
			OriginalMessageLength: int(n), OriginalMessageSHA256: sum, OriginalMessageStore: s.bodies.Location()}
		event, err := e.Marshal()
		if err != nil {
			return err
		}
		resp.SetFailures(FailureBinding, []string{event})
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// newID returns a key-safe unique id with a prefix, for events and requests without an Event Hub position.
func newID(prefix string) string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return prefix + "-" + hex.EncodeToString(b[:])
}

// isID reports whether s is a short run of letters, digits and dashes, safe in a table key.
func isID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if c != '-' && (c < '0' || c > '9') && (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return true
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
