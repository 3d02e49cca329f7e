// Package functions holds the HTTP handlers of snowsync's Azure Functions, one per function folder
// beside this file: OnDemandSync (the Event Hubs trigger, in the custom-handler wire format of DESIGN
// §4), Reconcile (a timer trigger, same envelope; see trigger.DecodeTimer), Sync (POST /api/sync),
// Tasks (GET /api/tasks[/{id}]) and ReconcileNow (POST /api/reconcile), the last three forwarded as
// plain HTTP by the host (enableForwardingHttpRequest).
//
// Handlers return errors; one adapter maps them to a status and a log level, so that a bad request is
// a warning and a 4xx while an outage is an error and a 5xx. No panic escapes a request.
package functions

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/snowsync/snowsync/internal/audit"
	"github.com/snowsync/snowsync/internal/task"
	"github.com/snowsync/snowsync/internal/task/outcome"
	"github.com/snowsync/snowsync/internal/trigger"
)

// Binding names, as in functions/OnDemandSync/function.json.
const (
	TriggerBinding = "events"
	FailureBinding = "failures"
)

// AuditReader reads audit records for the tasks API.
type AuditReader interface {
	Get(ctx context.Context, id string) ([]outcome.Task, error)
	List(ctx context.Context, f audit.Filter) ([]outcome.Task, error)
}

// BodyStore keeps what the handler cannot process, for replay (audit.Bodies).
type BodyStore interface {
	// PutStream stores r's bytes under key and returns their length and SHA-256 (hex).
	PutStream(ctx context.Context, key audit.Key, r io.Reader) (int64, string, error)
	// Location names the store, for failure events.
	Location() string
}

// Server serves the functions. Build it with New.
type Server struct {
	runner *task.Runner
	audit  AuditReader
	logger *slog.Logger
	// defaults fill the event hub and consumer group when the host's PartitionContext lacks them.
	eventHub, consumerGroup string
	// queue bounds the events in flight across concurrent invocations (QUEUE_THRESHOLD).
	queue    *semaphore.Weighted
	queueCap int64
	// budget bounds the Snowflake work of an invocation, counted from its arrival (waiting included).
	budget time.Duration
	// maxInvocation bounds the body of an OnDemandSync invocation; bodies keeps one over it.
	maxInvocation int64
	bodies        BodyStore
	// reconciler runs the Reconcile function and POST /api/reconcile; nil answers 501.
	reconciler Reconciler
	now        func() time.Time
}

// DefaultQueueThreshold is Options.QueueThreshold's default (CONNECTOR_ON_DEMAND_V2_QUEUE_THRESHOLD's).
const DefaultQueueThreshold = 100

// Options configure a Server. Zero values mean: EventHub and ConsumerGroup from the host only,
// DefaultQueueThreshold, no SyncBudget, MaxInvocationBytes DefaultMaxInvocationBytes(DefaultBatchSize), slog.Default, time.Now.
type Options struct {
	EventHub, ConsumerGroup string
	QueueThreshold          int
	// SyncBudget is how long after an invocation arrives its Snowflake work must end, so that its
	// records are written before the host's functionTimeout.
	SyncBudget time.Duration
	// MaxInvocationBytes bounds the body of an OnDemandSync invocation
	// (CONNECTOR_ON_DEMAND_V2_MAX_INVOCATION_BYTES).
	MaxInvocationBytes int64
	// Bodies keeps an invocation over MaxInvocationBytes for replay; nil refuses it (413).
	Bodies BodyStore
	// Reconciler runs reconciliations (the Reconcile timer, POST /api/reconcile); nil answers them
	// 501 Not Implemented.
	Reconciler Reconciler
	Logger     *slog.Logger
	Now        func() time.Time
}

// New returns a Server running tasks with runner and answering the tasks API from reader.
func New(runner *task.Runner, reader AuditReader, opts *Options) *Server {
	if opts == nil {
		opts = &Options{}
	}
	s := &Server{runner: runner, audit: reader, logger: opts.Logger, eventHub: opts.EventHub,
		consumerGroup: opts.ConsumerGroup, queueCap: int64(opts.QueueThreshold), budget: opts.SyncBudget,
		maxInvocation: cmp.Or(opts.MaxInvocationBytes, DefaultMaxInvocationBytes(DefaultBatchSize)), bodies: opts.Bodies, reconciler: opts.Reconciler, now: opts.Now}
	if s.queueCap <= 0 {
		s.queueCap = DefaultQueueThreshold
	}
	s.queue = semaphore.NewWeighted(s.queueCap)
	if s.logger == nil {
		s.logger = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Handler returns the routes: GET / (the host's start-up probe), the functions, and nothing else.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	mux.Handle("POST /OnDemandSync", s.handle(s.onDemandSync))
	mux.Handle("POST /api/sync", s.handle(s.sync))
	mux.Handle("GET /api/tasks/{id}", s.handle(s.getTask))
	mux.Handle("GET /api/tasks", s.handle(s.listTasks))
	mux.Handle("POST /Reconcile", s.handle(s.reconcileTimer))
	mux.Handle("POST /api/reconcile", s.handle(s.reconcileAPI))
	return mux
}

// httpError is an error with the status to answer; messages are safe to show the caller.
type httpError struct {
	status int
	err    error
}

func (e *httpError) Error() string { return e.err.Error() }
func (e *httpError) Unwrap() error { return e.err }

func badRequest(format string, args ...any) error {
	return &httpError{http.StatusBadRequest, fmt.Errorf(format, args...)}
}

// handlerFunc is a handler that returns an error instead of writing one.
type handlerFunc func(w http.ResponseWriter, r *http.Request, log *slog.Logger) error

// handle adapts h: it gives h a logger carrying the invocation id, recovers panics, and maps h's error
// to a status. Systemic failures answer 500 so that the host retries the invocation.
func (s *Server) handle(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log := s.logger.With("invocation_id", r.Header.Get(trigger.InvocationIDHeader), "route", r.URL.Path)
		err := func() (err error) {
			defer func() {
				if p := recover(); p != nil {
					err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
				}
			}()
			return h(w, r, log)
		}()
		if err == nil {
			return
		}
		var he *httpError
		var sys *task.SystemicError
		switch {
		case errors.As(err, &he):
			log.Warn("request rejected", "status", he.status, "error", err)
			writeJSON(w, he.status, map[string]string{"error": err.Error()})
		case errors.As(err, &sys):
			log.Error("systemic failure: answering 500 so the host re-delivers", "error", err)
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
		default:
			log.Error("internal error", "error", err)
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "internal error; see the handler's log"})
		}
	})
}

// admit waits for room for n events in the queue, no longer than the invocation's sync deadline, and
// returns the release function and that deadline (zero when there is no budget).
func (s *Server) admit(ctx context.Context, n int) (func(), time.Time, error) {
	var deadline time.Time
	if s.budget > 0 {
		deadline = time.Now().Add(s.budget) // a real-clock deadline: contexts enforce it
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	w := min(int64(n), s.queueCap)
	if err := s.queue.Acquire(ctx, w); err != nil {
		return nil, deadline, &httpError{http.StatusServiceUnavailable, fmt.Errorf("queue full (%d events in flight): %w", s.queueCap, err)}
	}
	return func() { s.queue.Release(w) }, deadline, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the status is sent; a write error means the client is gone
}

// DefaultBatchSize is CONNECTOR_ON_DEMAND_V2_BATCH_SIZE's default, host.json's maxEventBatchSize.
const DefaultBatchSize = 50

// DefaultMaxInvocationBytes is CONNECTOR_ON_DEMAND_V2_MAX_INVOCATION_BYTES's default for a batch size:
// the largest request the trigger can send, batchSize events of Event Hubs' 1 MiB at most, each
// escaped twice on the wire (as an element of the events array, and the array inside a JSON string:
// a control character takes 7 bytes), with room for the metadata: 8 MiB an event. It is capped at
// 1 GiB, half of a 2 GiB Flex Consumption instance: the handler decodes the request in place, so an
// invocation holds about its request's size (see trigger.BenchmarkDecodeBatch).
func DefaultMaxInvocationBytes(batchSize int) int64 { return min(int64(batchSize)*8<<20, 1<<30) }
