package trigger

// The timer trigger's custom-handler request, as the Functions host builds it. Sources (host code as of
// 4.x, https://github.com/Azure/azure-functions-host/tree/dev/src/WebJobs.Script/Workers; the envelope:
// https://learn.microsoft.com/azure/azure-functions/functions-custom-handlers#request-payload and
// #response-payload; the timer: https://github.com/Azure/azure-webjobs-sdk-extensions/tree/dev/src/WebJobs.Extensions/Extensions/Timers):
//
//   - The host POSTs to /{function name} (DefaultHttpWorkerService.ProcessDefaultInvocationRequest:
//     BuildAndGetUri(FunctionMetadata.Name)), with the X-Azure-Functions-InvocationId header.
//   - Data.<binding name> is JObject.FromObject(TimerInfo)
//     (azure-functions-host src/WebJobs.Script/Workers/MessageExtensions/ScriptInvocationContextExtensions.cs,
//     GetHttpScriptInvocationContextValue): a plain object, not a string, with TimerInfo's public
//     properties in declaration order: "Schedule" (the TimerSchedule's public properties: a cron
//     schedule has only "AdjustForDST", true), "ScheduleStatus" (null when the function does not use
//     the schedule monitor, else {"Last", "Next", "LastUpdated"}) and "IsPastDue"
//     (https://github.com/Azure/azure-webjobs-sdk-extensions/blob/dev/src/WebJobs.Extensions/Extensions/Timers/TimerInfo.cs,
//     Scheduling/ScheduleStatus.cs, Scheduling/CronSchedule.cs; the documented example:
//     https://learn.microsoft.com/azure/azure-functions/functions-bindings-timer#usage).
//   - The ScheduleStatus times are .NET DateTimes in the host's local time, which Json.NET writes
//     with their offset ("2016-10-04T10:15:00+00:00" on Azure, whose hosts run in UTC), or without a
//     zone for a DateTime of unspecified kind.
//   - Metadata holds "sys" ({"MethodName", "UtcNow", "RandGuid"}) and, for a function with a retry
//     policy, "RetryContext". The timer's own binding data ("TimerTrigger",
//     TimerTriggerBinding.CreateBindingData) is left out, as is every key ending in "trigger"
//     (ScriptInvocationContextExtensions.ToHttpScriptInvocationContext).
//   - The answer is read as for any trigger (DefaultHttpWorkerService): a non-2xx status fails the
//     invocation (EnsureSuccessStatusCode), which the host logs as a failed function execution and
//     retries only under a retry policy. The timer then waits for its next occurrence: the listener
//     swallows the failure and advances ScheduleStatus (Last, Next) either way, so a failed occurrence
//     is not re-run as past due (webjobs-sdk-extensions Timers/Listener/TimerListener.cs,
//     InvokeJobFunction, which also never overlaps two invocations of one listener). Logs of a 2xx
//     answer go to the function's log.
//
// A captured request from a real host (4.24) matches this shape with "ScheduleStatus": null:
// {"Data":{"timer":{"Schedule":{"AdjustForDST":true},"ScheduleStatus":null,"IsPastDue":false}},
// "Metadata":{"sys":{"MethodName":"azure","UtcNow":"2023-09-07T11:40:45.004275Z","RandGuid":"..."}}}.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// ScheduleStatus is TimerInfo.ScheduleStatus: the schedule monitor's record of the timer.
type ScheduleStatus struct {
	// Last is the last occurrence that ran (the zero time before the first).
	Last time.Time
	// Next is the occurrence expected after this one.
	Next time.Time
	// LastUpdated is when the monitor last wrote the record.
	LastUpdated time.Time
}

// Timer is one decoded timer-trigger invocation.
type Timer struct {
	// PastDue is IsPastDue: the invocation is later than scheduled (e.g. the app was down).
	PastDue bool
	// AdjustForDST is Schedule.AdjustForDST (true for an NCRONTAB schedule).
	AdjustForDST bool
	// Status is nil when the function does not use the schedule monitor (useMonitor false).
	Status *ScheduleStatus
	// Sys is Metadata.sys; its zero value when the host sent none.
	Sys Sys
	// Retry is nil when the function has no retry policy.
	Retry *RetryContext
}

// wireTimer is TimerInfo as the host serialises it, in its declaration order.
type wireTimer struct {
	Schedule       wireSchedule        `json:"Schedule"`
	ScheduleStatus *wireScheduleStatus `json:"ScheduleStatus"`
	IsPastDue      bool                `json:"IsPastDue"`
}

type wireSchedule struct {
	AdjustForDST bool `json:"AdjustForDST"`
}

type wireScheduleStatus struct {
	Last        string `json:"Last"`
	Next        string `json:"Next"`
	LastUpdated string `json:"LastUpdated"`
}

// hostTimeLayouts are the forms a .NET DateTime takes in the host's JSON: with an offset or Z
// (kind Local or Utc), or without a zone (kind Unspecified, read as UTC).
var hostTimeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"}

// parseHostTime parses a DateTime as the host writes it; the result is in UTC.
func parseHostTime(field, s string) (time.Time, error) {
	for _, layout := range hostTimeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%s is %q, want an ISO 8601 date and time", field, s)
}

// DecodeTimer decodes the body the host POSTs for a timerTrigger function; binding is the trigger's
// name in function.json. It is strict about what it reads: the body must be a JSON object whose
// Data.<binding> is the timer object (plain, or JSON-encoded inside a string like every host value),
// IsPastDue a boolean, ScheduleStatus null or an object of three date-times, Metadata.sys and
// Metadata.RetryContext of the right types when present. Properties it does not read are ignored, so
// that a newer host adding one does not stop the timer.
func DecodeTimer(body []byte, binding string) (Timer, error) {
	var env struct {
		Data     map[string]json.RawMessage `json:"Data"`
		Metadata map[string]json.RawMessage `json:"Metadata"`
	}
	if err := strictObject(body, &env); err != nil {
		return Timer{}, fmt.Errorf("decode timer invocation: %w", err)
	}
	raw, ok := lookup(env.Data, binding)
	if !ok || isNull(raw) {
		return Timer{}, fmt.Errorf("decode timer invocation: Data.%s is missing", binding)
	}
	var w struct {
		Schedule       *wireSchedule       `json:"Schedule"`
		ScheduleStatus *wireScheduleStatus `json:"ScheduleStatus"`
		IsPastDue      *bool               `json:"IsPastDue"`
	}
	if err := decodeValue(raw, &w); err != nil {
		return Timer{}, fmt.Errorf("decode timer invocation: Data.%s: %w", binding, err)
	}
	if w.IsPastDue == nil {
		return Timer{}, fmt.Errorf("decode timer invocation: Data.%s.IsPastDue is missing", binding)
	}
	t := Timer{PastDue: *w.IsPastDue}
	if w.Schedule != nil {
		t.AdjustForDST = w.Schedule.AdjustForDST
	}
	if s := w.ScheduleStatus; s != nil {
		status, err := s.parse(binding)
		if err != nil {
			return Timer{}, fmt.Errorf("decode timer invocation: %w", err)
		}
		t.Status = &status
	}
	if err := decodeTimerMetadata(env.Metadata, &t); err != nil {
		return Timer{}, fmt.Errorf("decode timer invocation: %w", err)
	}
	return t, nil
}

// parse reads the three date-times, all required. Before the first occurrence the monitor's Last
// is .NET's DateTime.MinValue, "0001-01-01T00:00:00", which reads as the zero time.
func (s *wireScheduleStatus) parse(binding string) (ScheduleStatus, error) {
	var out ScheduleStatus
	var errs []error
	read := func(dst *time.Time, name, v string) {
		t, err := parseHostTime("Data."+binding+".ScheduleStatus."+name, v)
		*dst = t
		errs = append(errs, err)
	}
	read(&out.Last, "Last", s.Last)
	read(&out.Next, "Next", s.Next)
	read(&out.LastUpdated, "LastUpdated", s.LastUpdated)
	return out, errors.Join(errs...)
}

// decodeTimerMetadata reads Metadata.sys and Metadata.RetryContext into t.
func decodeTimerMetadata(meta map[string]json.RawMessage, t *Timer) error {
	if raw, ok := lookup(meta, "sys"); ok && !isNull(raw) {
		var sys struct {
			MethodName string `json:"MethodName"`
			UtcNow     string `json:"UtcNow"`
			RandGuid   string `json:"RandGuid"`
		}
		if err := decodeValue(raw, &sys); err != nil {
			return fmt.Errorf("read Metadata.sys: %w", err)
		}
		t.Sys = Sys{MethodName: sys.MethodName, RandGuid: sys.RandGuid}
		if sys.UtcNow != "" {
			now, err := parseHostTime("Metadata.sys.UtcNow", sys.UtcNow)
			if err != nil {
				return err
			}
			t.Sys.UtcNow = now
		}
	}
	if raw, ok := lookup(meta, "RetryContext"); ok && !isNull(raw) {
		var rc RetryContext
		if err := decodeValue(raw, &rc); err != nil {
			return fmt.Errorf("read Metadata.RetryContext: %w", err)
		}
		t.Retry = &rc
	}
	return nil
}

// strictObject unmarshals body into v, refusing anything but one JSON object.
func strictObject(body []byte, v any) error {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return errors.New("body is not a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("decode JSON: %w", err)
	}
	if dec.More() {
		return errors.New("body has data after the JSON object")
	}
	return nil
}

// OutgoingTimer is everything EncodeTimer needs to build one timer invocation.
type OutgoingTimer struct {
	// Binding is the trigger binding's name in function.json: the key under Data.
	Binding string
	PastDue bool
	// Status nil sends "ScheduleStatus": null, as for a function with useMonitor false.
	Status *ScheduleStatus
	// Retry, when set, is sent as Metadata.RetryContext (with "Exception": null).
	Retry *RetryContext
	Sys   Sys
}

// scheduleTimeLayout is how the host writes ScheduleStatus times on Azure (local time is UTC there).
const scheduleTimeLayout = "2006-01-02T15:04:05.9999999-07:00"

// EncodeTimer builds the request body the Functions host POSTs to a custom handler for a timer
// trigger with an NCRONTAB schedule. DecodeTimer reads it.
func EncodeTimer(t OutgoingTimer) ([]byte, error) {
	if t.Binding == "" {
		return nil, errors.New("encode timer invocation: empty trigger binding name")
	}
	w := wireTimer{Schedule: wireSchedule{AdjustForDST: true}, IsPastDue: t.PastDue}
	if s := t.Status; s != nil {
		w.ScheduleStatus = &wireScheduleStatus{
			Last:        s.Last.UTC().Format(scheduleTimeLayout),
			Next:        s.Next.UTC().Format(scheduleTimeLayout),
			LastUpdated: s.LastUpdated.UTC().Format(scheduleTimeLayout),
		}
	}
	req := struct {
		Data     map[string]wireTimer `json:"Data"`
		Metadata struct {
			RetryContext *wireRetryContext `json:"RetryContext,omitempty"`
			Sys          wireSys           `json:"sys"`
		} `json:"Metadata"`
	}{Data: map[string]wireTimer{t.Binding: w}}
	if t.Retry != nil {
		req.Metadata.RetryContext = &wireRetryContext{MaxRetryCount: t.Retry.MaxRetryCount, RetryCount: t.Retry.RetryCount}
	}
	req.Metadata.Sys = newWireSys(t.Sys)
	out, err := marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encode timer invocation: %w", err)
	}
	return out, nil
}
