// Package functionhost is a Go stand-in for the Azure Functions host, for tests, `make demo` and
// benchmarks (the real host, `func`, cannot run here). It plays an Event Hubs trigger with
// cardinality many, and a timer trigger (Tick), towards a custom handler the way the host does
// (DESIGN §4):
//
//   - it reads the function's folder (function.json: trigger and output binding names, retry policy);
//   - WaitReady polls GET / until the handler answers anything, as the host does at start-up;
//   - Deliver POSTs one batch to /{function} in the host's wire format (package trigger), with a new
//     X-Azure-Functions-InvocationId per attempt; a non-2xx answer, a transport error or an unusable
//     2xx body fails the attempt, and the function's retry policy re-delivers the whole batch; with a
//     retry policy every attempt carries Metadata.RetryContext (RetryCount 0 on the first), as the
//     WebJobs SDK's FunctionExecutorExtensions sets it; Outputs and Logs are read from a 2xx answer
//     only, as the host does; an output event over Event Hubs' 1 MiB fails the attempt, as the output
//     binding does.
//
// It does not checkpoint, read Event Hubs or send the output binding anywhere: the caller gets the
// collected failure events in the Result.
package functionhost

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/snowsync/snowsync/internal/trigger"
)

// Header names and values the host sets on every invocation request
// (azure-functions-host HttpWorkerConstants).
const (
	headerHostVersion = "X-Azure-Functions-HostVersion"
	hostVersion       = "4.0.0-snowsync-standin"
	userAgent         = "Azure-Functions-Host/" + hostVersion
)

// maxResponseBytes bounds how much of a handler's answer the stand-in reads.
const maxResponseBytes = 64 << 20

// pollInterval is how often WaitReady retries GET /.
const pollInterval = 25 * time.Millisecond

// Options configure a Host; a nil *Options means the zero value.
type Options struct {
	// Client sends the requests; nil uses a client without a timeout (bound calls with ctx).
	Client *http.Client
	// DelayScale multiplies the retry policy's delays: 0 does not sleep between attempts (tests),
	// 1 waits the real intervals.
	DelayScale float64
	// Plain sends arrays as plain JSON instead of the host's JSON-in-a-string form.
	Plain bool
	// Namespace is PartitionContext.FullyQualifiedNamespace; "" sends "localhost".
	Namespace string
	// EventHub and ConsumerGroup default to the trigger binding's eventHubName and consumerGroup,
	// with a %SETTING% reference resolved from the environment as the host's name resolver does
	// (left as written when the variable is unset); ConsumerGroup then defaults to "$Default".
	EventHub, ConsumerGroup string
}

// Host delivers event batches to one function of a custom handler. It is safe for concurrent use.
type Host struct {
	baseURL    string
	fn         *Function
	client     *http.Client
	delayScale float64
	plain      bool
	partition  trigger.PartitionContext // everything but PartitionID
	triggerErr error                    // why fn cannot be delivered events, if it cannot
	timer      Binding                  // fn's timerTrigger binding
	timerErr   error                    // why fn cannot be ticked, if it cannot
	input      string                   // trigger binding name: the key under Data
	output     string                   // output binding collected as failures; "" for none
}

// New returns a Host that invokes fn on the custom handler listening at baseURL
// (e.g. "http://127.0.0.1:7071").
func New(baseURL string, fn *Function, opts *Options) *Host {
	if opts == nil {
		opts = &Options{}
	}
	h := &Host{
		baseURL:    strings.TrimSuffix(baseURL, "/"),
		fn:         fn,
		client:     opts.Client,
		delayScale: opts.DelayScale,
		plain:      opts.Plain,
	}
	if h.client == nil {
		h.client = &http.Client{}
	}
	tb, err := fn.TriggerBinding()
	h.triggerErr = err
	h.input = tb.Name
	h.timer, h.timerErr = fn.TimerBinding()
	if out, ok := fn.OutputBinding(); ok {
		h.output = out.Name
	}
	h.partition = trigger.PartitionContext{
		EventHubName:                   cmp.Or(opts.EventHub, resolveSetting(tb.EventHubName)),
		ConsumerGroup:                  cmp.Or(opts.ConsumerGroup, resolveSetting(tb.ConsumerGroup), "$Default"),
		FullyQualifiedNamespace:        cmp.Or(opts.Namespace, "localhost"),
		IsCheckpointingAfterInvocation: true,
	}
	return h
}

// resolveSetting resolves a binding attribute of the form %NAME% from the environment.
func resolveSetting(v string) string {
	if len(v) > 2 && strings.HasPrefix(v, "%") && strings.HasSuffix(v, "%") {
		if s, ok := os.LookupEnv(v[1 : len(v)-1]); ok {
			return s
		}
	}
	return v
}

// WaitReady polls GET {baseURL}/ until the handler gives any HTTP answer (whatever the status), as
// the host does before the first invocation. It returns an error when ctx ends first.
func (h *Host) WaitReady(ctx context.Context) error {
	ticker := time.NewTicker(pollInterval)
	defer ticker.Stop()
	for {
		err := h.ping(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ticker.C:
			if ctx.Err() == nil {
				continue
			}
		case <-ctx.Done():
		}
		return fmt.Errorf("wait for custom handler at %s: %w (last error: %v)", h.baseURL, ctx.Err(), err)
	}
}

func (h *Host) ping(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.baseURL+"/", nil)
	if err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseBytes)) // drain to reuse the connection
	return resp.Body.Close()
}

// Delivery is one batch of events from one partition.
type Delivery struct {
	Partition string
	Events    []trigger.OutgoingEvent
}

// Result is the outcome of a delivery, after retries.
type Result struct {
	// Attempts counts the invocations made (1 + retries).
	Attempts int
	// Status is the last answer's HTTP status; 0 when the last attempt got no answer.
	Status int
	// Response is the last 2xx answer, decoded.
	Response trigger.Response
	// Failures are the strings of Outputs.<output binding> of the successful answer.
	Failures []string
	// Logs are the successful answer's Logs.
	Logs []string
	// Err is nil when an attempt succeeded and its answer was well-formed. Otherwise it says why
	// the last attempt failed, that ctx ended, or that the 2xx answer broke the contract (its
	// output binding value not an array of strings); such an answer is not retried, as the host
	// would accept it.
	Err error
}

// Deliver invokes the function with d, retrying according to the function's retry policy, and
// returns what the last attempt produced.
func (h *Host) Deliver(ctx context.Context, d Delivery) Result {
	if h.triggerErr != nil {
		return Result{Err: fmt.Errorf("deliver: %w", h.triggerErr)}
	}
	batch := trigger.OutgoingBatch{
		Binding:   h.input,
		Events:    d.Events,
		Partition: h.partition,
	}
	batch.Partition.PartitionID = d.Partition
	return h.run(ctx, func(retry *trigger.RetryContext, sys trigger.Sys) ([]byte, error) {
		batch.Retry, batch.Sys = retry, sys
		return trigger.EncodeBatch(batch, trigger.EncodeOptions{Plain: h.plain})
	})
}

// Tick is one occurrence of a timer function's schedule.
type Tick struct {
	// PastDue is sent as IsPastDue: the occurrence is later than scheduled.
	PastDue bool
	// Status is sent as ScheduleStatus; nil sends null, and so does a function.json with
	// "useMonitor": false whatever Status holds, as the host then has no monitor to read.
	Status *trigger.ScheduleStatus
}

// Tick invokes a timer function once, as the host does when its schedule fires (package trigger's
// EncodeTimer: the timer object under Data.<binding>, Metadata.sys), retrying according to the
// function's retry policy. A failed invocation is only reported: the real host logs it and waits
// for the next occurrence.
func (h *Host) Tick(ctx context.Context, tick Tick) Result {
	if h.timerErr != nil {
		return Result{Err: fmt.Errorf("tick: %w", h.timerErr)}
	}
	t := trigger.OutgoingTimer{Binding: h.timer.Name, PastDue: tick.PastDue, Status: tick.Status}
	if u := h.timer.UseMonitor; u != nil && !*u {
		t.Status = nil
	}
	return h.run(ctx, func(retry *trigger.RetryContext, sys trigger.Sys) ([]byte, error) {
		t.Retry, t.Sys = retry, sys
		return trigger.EncodeTimer(t)
	})
}

// run invokes the function, retrying according to its retry policy: encode builds each attempt's
// body from the attempt's RetryContext and sys metadata.
func (h *Host) run(ctx context.Context, encode func(*trigger.RetryContext, trigger.Sys) ([]byte, error)) Result {
	var res Result
	for retry := 0; ; retry++ {
		// Like the WebJobs SDK, a function with a retry policy gets a RetryContext on every attempt,
		// RetryCount 0 on the first; one without a policy gets none.
		var rc *trigger.RetryContext
		if h.fn.Retry != nil {
			rc = &trigger.RetryContext{RetryCount: retry, MaxRetryCount: h.fn.Retry.MaxRetryCount}
		}
		res.Attempts++
		var resp trigger.Response
		body, err := encode(rc, trigger.Sys{MethodName: h.fn.Name, UtcNow: time.Now().UTC(), RandGuid: newUUID()})
		if err != nil {
			res.Err = fmt.Errorf("invoke %s: %w", h.fn.Name, err)
			return res
		}
		res.Status, resp, res.Err = h.invoke(ctx, body)
		if res.Err == nil {
			res.Response = resp
			res.Logs = resp.Logs
			if h.output != "" {
				res.Failures, res.Err = resp.Failures(h.output)
			}
			if res.Err != nil {
				return res
			}
			if res.Err = checkOutputs(h.output, res.Failures); res.Err == nil {
				return res
			}
			res.Failures = nil // the output binding failed the invocation: retried like any failure
		}
		next := retry + 1
		if !h.fn.Retry.allows(next) || ctx.Err() != nil {
			return res
		}
		if err := h.sleep(ctx, h.fn.Retry.Delay(next)); err != nil {
			res.Err = fmt.Errorf("wait before retry %d: %w (last attempt: %w)", next, err, res.Err)
			return res
		}
	}
}

// invoke makes one attempt: it POSTs body to /{function} and decodes a 2xx answer. Any other outcome
// is an error, which the host would count as a failed invocation.
func (h *Host) invoke(ctx context.Context, body []byte) (int, trigger.Response, error) {
	var resp trigger.Response
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.baseURL+"/"+h.fn.Name, bytes.NewReader(body))
	if err != nil {
		return 0, resp, fmt.Errorf("invoke %s: %w", h.fn.Name, err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set(headerHostVersion, hostVersion)
	req.Header.Set(trigger.InvocationIDHeader, newUUID())
	r, err := h.client.Do(req)
	if err != nil {
		return 0, resp, fmt.Errorf("invoke %s: %w", h.fn.Name, err)
	}
	defer r.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(r.Body, maxResponseBytes))
	if err != nil {
		return r.StatusCode, resp, fmt.Errorf("invoke %s: read answer: %w", h.fn.Name, err)
	}
	if r.StatusCode < 200 || r.StatusCode > 299 {
		return r.StatusCode, resp, fmt.Errorf("invoke %s: HTTP %d: %s", h.fn.Name, r.StatusCode, snippet(answer))
	}
	if len(bytes.TrimSpace(answer)) == 0 {
		return r.StatusCode, resp, fmt.Errorf("invoke %s: HTTP %d with an empty body (the real host would wait until functionTimeout)", h.fn.Name, r.StatusCode)
	}
	if err := json.Unmarshal(answer, &resp); err != nil {
		return r.StatusCode, resp, fmt.Errorf("invoke %s: HTTP %d body is not a JSON object: %w", h.fn.Name, r.StatusCode, err)
	}
	return r.StatusCode, resp, nil
}

// MaxOutputEvent is the largest event the output binding can send: Event Hubs refuses larger ones
// (1 MiB on the Standard tier and above), and the host then fails the whole invocation.
const MaxOutputEvent = 1 << 20

// checkOutputs fails as the host's Event Hubs output binding does when an event is too large to send.
func checkOutputs(binding string, events []string) error {
	for i, e := range events {
		if len(e) > MaxOutputEvent {
			return fmt.Errorf("output binding %s: event %d is %d bytes, over Event Hubs' limit of %d; the invocation fails",
				binding, i, len(e), MaxOutputEvent)
		}
	}
	return nil
}

// sleep waits d scaled by DelayScale, or until ctx ends.
func (h *Host) sleep(ctx context.Context, d time.Duration) error {
	scaled := time.Duration(float64(d) * h.delayScale)
	if scaled <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(scaled)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// snippet shortens an answer body for an error message.
func snippet(b []byte) string {
	const limit = 512
	s := strings.TrimSpace(string(b))
	if len(s) > limit {
		return s[:limit] + "…"
	}
	return s
}

// newUUID returns a random (version 4) UUID, as the host uses for invocation ids.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never returns an error
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
