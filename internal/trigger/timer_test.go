package trigger

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// capturedTimer is the request a real host (4.24) sent to a custom handler for a timer without a
// schedule monitor (see timer.go), with the binding renamed.
const capturedTimer = `{"Data":{"timer":{"Schedule":{"AdjustForDST":true},"ScheduleStatus":null,"IsPastDue":false}},` +
	`"Metadata":{"sys":{"MethodName":"Reconcile","UtcNow":"2023-09-07T11:40:45.004275Z","RandGuid":"35e6e68c-5583-436c-a277-5aec2b416ba8"}}}`

func TestDecodeTimer(t *testing.T) {
	tests := []struct {
		name string
		body string
		want Timer
	}{
		{
			name: "captured, no monitor",
			body: capturedTimer,
			want: Timer{AdjustForDST: true, Sys: Sys{MethodName: "Reconcile",
				UtcNow:   time.Date(2023, 9, 7, 11, 40, 45, 4275000, time.UTC),
				RandGuid: "35e6e68c-5583-436c-a277-5aec2b416ba8"}},
		},
		{
			name: "documented example, past due, with retry",
			body: `{"Data":{"timer":{"Schedule":{"AdjustForDST":true},"ScheduleStatus":{"Last":"2016-10-04T10:15:00+00:00",` +
				`"LastUpdated":"2016-10-04T10:16:00+00:00","Next":"2016-10-04T10:20:00+00:00"},"IsPastDue":true}},` +
				`"Metadata":{"RetryContext":{"RetryCount":1,"MaxRetryCount":3,"Exception":null}}}`,
			want: Timer{PastDue: true, AdjustForDST: true, Retry: &RetryContext{RetryCount: 1, MaxRetryCount: 3},
				Status: &ScheduleStatus{
					Last:        time.Date(2016, 10, 4, 10, 15, 0, 0, time.UTC),
					Next:        time.Date(2016, 10, 4, 10, 20, 0, 0, time.UTC),
					LastUpdated: time.Date(2016, 10, 4, 10, 16, 0, 0, time.UTC)}},
		},
		{
			name: "stringified timer, a local offset, no zone, DateTime.MinValue, unknown properties",
			body: `{"Data":{"Timer":"{\"Schedule\":{},\"ScheduleStatus\":{\"Last\":\"0001-01-01T00:00:00\",` +
				`\"Next\":\"2026-12-01T06:05:00+01:00\",\"LastUpdated\":\"2026-12-01T05:00:00.1234567\"},\"IsPastDue\":false,\"New\":1}"},` +
				`"Metadata":{"sys":null,"Extra":[1]},"More":true}`,
			want: Timer{Status: &ScheduleStatus{
				Next:        time.Date(2026, 12, 1, 5, 5, 0, 0, time.UTC),
				LastUpdated: time.Date(2026, 12, 1, 5, 0, 0, 123456700, time.UTC)}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeTimer([]byte(tt.body), "timer")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("DecodeTimer:\ngot  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestDecodeTimerMalformed(t *testing.T) {
	status := func(last, next, updated string) string {
		return `{"Data":{"timer":{"ScheduleStatus":{"Last":` + last + `,"Next":` + next + `,"LastUpdated":` + updated + `},"IsPastDue":false}}}`
	}
	tests := []struct {
		name, body, want string
	}{
		{"empty", ``, "body is not a JSON object"},
		{"array", `[{"Data":{}}]`, "body is not a JSON object"},
		{"truncated", `{"Data":{"timer":{"IsPastDue":false}`, "decode JSON"},
		{"trailing data", capturedTimer + `{}`, "data after the JSON object"},
		{"Data not an object", `{"Data":"timer"}`, "decode JSON"},
		{"no Data", `{"Metadata":{}}`, "Data.timer is missing"},
		{"other binding", strings.Replace(capturedTimer, `"timer"`, `"myTimer"`, 1), "Data.timer is missing"},
		{"timer null", `{"Data":{"timer":null}}`, "Data.timer is missing"},
		{"timer a number", `{"Data":{"timer":5}}`, "Data.timer: decode JSON"},
		{"timer a string of junk", `{"Data":{"timer":"not json"}}`, "Data.timer: decode JSON inside string"},
		{"IsPastDue missing", `{"Data":{"timer":{"Schedule":{"AdjustForDST":true},"ScheduleStatus":null}}}`, "IsPastDue is missing"},
		{"IsPastDue a string", `{"Data":{"timer":{"IsPastDue":"false"}}}`, "Data.timer: decode JSON"},
		{"Schedule an array", `{"Data":{"timer":{"Schedule":[],"IsPastDue":false}}}`, "Data.timer: decode JSON"},
		{"ScheduleStatus a string", `{"Data":{"timer":{"ScheduleStatus":"x","IsPastDue":false}}}`, "Data.timer: decode JSON"},
		{"Next missing", `{"Data":{"timer":{"ScheduleStatus":{"Last":"2016-10-04T10:15:00+00:00","LastUpdated":"2016-10-04T10:16:00+00:00"},"IsPastDue":false}}}`,
			`ScheduleStatus.Next is ""`},
		{"Last not a time", status(`"yesterday"`, `"2016-10-04T10:20:00+00:00"`, `"2016-10-04T10:16:00+00:00"`), `ScheduleStatus.Last is "yesterday"`},
		{"LastUpdated a number", status(`"2016-10-04T10:15:00+00:00"`, `"2016-10-04T10:20:00+00:00"`, `1`), "Data.timer: decode JSON"},
		{"sys a string of junk", strings.Replace(capturedTimer, `"sys":{`, `"sys":"x","was":{`, 1), "read Metadata.sys: decode JSON inside string"},
		{"UtcNow not a time", strings.Replace(capturedTimer, "2023-09-07T11:40:45.004275Z", "now", 1), `Metadata.sys.UtcNow is "now"`},
		{"RetryContext wrong type", `{"Data":{"timer":{"IsPastDue":false}},"Metadata":{"RetryContext":{"RetryCount":"1"}}}`, "read Metadata.RetryContext: decode JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeTimer([]byte(tt.body), "timer")
			if err == nil {
				t.Fatalf("DecodeTimer = %+v, want an error containing %q", got, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "decode timer invocation: ") {
				t.Errorf("error %q, want it to start with the operation and contain %q", err, tt.want)
			}
		})
	}
}

// EncodeTimer's output decodes to what was encoded, with and without a schedule monitor.
func TestEncodeTimerRoundTrip(t *testing.T) {
	now := time.Date(2026, 12, 1, 5, 0, 0, 250*int(time.Millisecond), time.UTC)
	sys := Sys{MethodName: "Reconcile", UtcNow: now, RandGuid: "35e6e68c-5583-436c-a277-5aec2b416ba8"}
	tests := []OutgoingTimer{
		{Binding: "timer", Sys: sys},
		{Binding: "timer", PastDue: true, Sys: sys, Retry: &RetryContext{RetryCount: 2, MaxRetryCount: 2},
			Status: &ScheduleStatus{Last: now.Add(-5 * time.Minute), Next: now.Add(5 * time.Minute), LastUpdated: now.Add(-time.Second)}},
	}
	for _, in := range tests {
		body, err := EncodeTimer(in)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeTimer(body, in.Binding)
		if err != nil {
			t.Fatalf("%v\n%s", err, body)
		}
		want := Timer{PastDue: in.PastDue, AdjustForDST: true, Status: in.Status, Sys: in.Sys, Retry: in.Retry}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("round trip of %s:\ngot  %+v\nwant %+v", body, got, want)
		}
	}
	if _, err := EncodeTimer(OutgoingTimer{}); err == nil {
		t.Error("EncodeTimer without a binding name: no error")
	}
}
