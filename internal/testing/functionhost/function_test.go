package functionhost

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestLoadFunction(t *testing.T) {
	tests := []struct {
		dir  string
		want *Function
	}{
		{
			dir: "testdata/OnDemandSync",
			want: &Function{
				Name: "OnDemandSync",
				Bindings: []Binding{
					{Type: "eventHubTrigger", Name: "events", Direction: "in",
						EventHubName:  "%CONNECTOR_ON_DEMAND_V2_AZURE_EVENT_HUB_NAME%",
						ConsumerGroup: "%CONNECTOR_ON_DEMAND_V2_AZURE_CONSUMER_GROUP%",
						Connection:    "CONNECTOR_ON_DEMAND_V2_AZURE_CONNECTION_STRING", Cardinality: "many", DataType: "string"},
					{Type: "eventHub", Name: "failures", Direction: "out",
						EventHubName: "%CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_NAME%",
						Connection:   "CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_CONNECTION_STRING"},
				},
				Retry: &RetryPolicy{Strategy: StrategyExponentialBackoff, MaxRetryCount: 5,
					MinimumInterval: 5 * time.Second, MaximumInterval: 5 * time.Minute},
			},
		},
		{
			dir: "testdata/Renamed/", // a trailing slash does not change the name
			want: &Function{
				Name: "Renamed",
				Bindings: []Binding{
					{Type: "eventHub", Name: "deadLetters", Direction: "out", EventHubName: "dead-letters", Connection: "DEAD_LETTER_CONNECTION"},
					{Type: "EventHubTrigger", Name: "batch", Direction: "in", EventHubName: "orders", Connection: "ORDERS_CONNECTION",
						Cardinality: "Many", DataType: "string"},
				},
				Retry: &RetryPolicy{Strategy: StrategyFixedDelay, MaxRetryCount: 2, DelayInterval: 1500 * time.Millisecond},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			got, err := LoadFunction(tt.dir)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("LoadFunction:\ngot  %+v\nwant %+v", got, tt.want)
			}
			out, ok := got.OutputBinding()
			if !ok || out.Direction != "out" {
				t.Errorf("OutputBinding = %+v, %v", out, ok)
			}
		})
	}
}

func TestLoadFunctionErrors(t *testing.T) {
	const trigger = `{"type":"eventHubTrigger","name":"events","direction":"in","cardinality":"many","dataType":"string"}`
	withRetry := func(retry string) string {
		return `{"bindings":[` + trigger + `],"retry":` + retry + `}`
	}
	tests := []struct {
		name, json, wantErr string
	}{
		{"not JSON", `{`, "unexpected end of JSON input"},
		{"no trigger", `{"bindings":[{"type":"httpTrigger","name":"req"}]}`, "has 0 eventHubTrigger bindings, want 1"},
		{"two triggers", `{"bindings":[` + trigger + `,` + trigger + `]}`, "has 2 eventHubTrigger bindings, want 1"},
		{"unnamed trigger", `{"bindings":[{"type":"eventHubTrigger","cardinality":"many","dataType":"string"}]}`, "has no name"},
		{"cardinality one", `{"bindings":[{"type":"eventHubTrigger","name":"e","cardinality":"one","dataType":"string"}]}`, `cardinality "one", want "many"`},
		{"binary", `{"bindings":[{"type":"eventHubTrigger","name":"e","cardinality":"many","dataType":"binary"}]}`, `dataType "binary", want "string"`},
		{"two timers", `{"bindings":[{"type":"timerTrigger","name":"a","schedule":"0 * * * * *"},{"type":"timerTrigger","name":"b","schedule":"0 * * * * *"}]}`,
			"has 2 timerTrigger bindings, want 1"},
		{"unnamed timer", `{"bindings":[{"type":"timerTrigger","schedule":"0 * * * * *"}]}`, "the timerTrigger binding has no name"},
		{"timer without schedule", `{"bindings":[{"type":"timerTrigger","name":"t","schedule":" "}]}`, `timerTrigger "t" has no schedule`},
		{"unknown strategy", withRetry(`{"strategy":"linear","maxRetryCount":1}`), `retry.strategy is "linear"`},
		{"no count", withRetry(`{"strategy":"fixedDelay","delayInterval":"00:00:01"}`), "retry.maxRetryCount is missing"},
		{"negative count", withRetry(`{"strategy":"fixedDelay","maxRetryCount":-2,"delayInterval":"00:00:01"}`), "retry.maxRetryCount is -2"},
		{"no delay", withRetry(`{"strategy":"fixedDelay","maxRetryCount":1}`), `retry.delayInterval is ""`},
		{"Go duration", withRetry(`{"strategy":"fixedDelay","maxRetryCount":1,"delayInterval":"5s"}`), `retry.delayInterval is "5s", want a TimeSpan`},
		{"no maximum", withRetry(`{"strategy":"exponentialBackoff","maxRetryCount":1,"minimumInterval":"00:00:01"}`), `retry.maximumInterval is ""`},
		{"minimum above maximum", withRetry(`{"strategy":"exponentialBackoff","maxRetryCount":1,"minimumInterval":"00:01:00","maximumInterval":"00:00:10"}`), "is above retry.maximumInterval"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "Fn")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "function.json"), []byte(tt.json), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := LoadFunction(dir)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
	t.Run("missing folder", func(t *testing.T) {
		_, err := LoadFunction(filepath.Join(t.TempDir(), "Nope"))
		if !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("err = %v, want a not-exist error", err)
		}
	})
}

func TestRetryPolicyDelay(t *testing.T) {
	fixed := &RetryPolicy{Strategy: StrategyFixedDelay, MaxRetryCount: 3, DelayInterval: 2 * time.Second}
	expo := &RetryPolicy{Strategy: StrategyExponentialBackoff, MaxRetryCount: -1, MinimumInterval: 5 * time.Second, MaximumInterval: time.Minute}
	tests := []struct {
		name   string
		policy *RetryPolicy
		retry  int
		want   time.Duration
	}{
		{"fixed first", fixed, 1, 2 * time.Second},
		{"fixed third", fixed, 3, 2 * time.Second},
		{"exponential first", expo, 1, 5 * time.Second},
		{"exponential second", expo, 2, 10 * time.Second},
		{"exponential fourth", expo, 4, 40 * time.Second},
		{"exponential capped", expo, 5, time.Minute},
		{"exponential far out", expo, 1000, time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.policy.Delay(tt.retry); got != tt.want {
				t.Errorf("Delay(%d) = %v, want %v", tt.retry, got, tt.want)
			}
		})
	}
}

func TestParseInterval(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"00:00:05", 5 * time.Second, false},
		{"00:15:00", 15 * time.Minute, false},
		{"01:02", time.Hour + 2*time.Minute, false},
		{"1.02:00:00", 26 * time.Hour, false},
		{"00:00:00.25", 250 * time.Millisecond, false},
		{"00:00:00.0000001", 100 * time.Nanosecond, false},
		{"00:60:00", 0, true},
		{"24:00:00", 0, true},
		{"5", 0, true},
		{"PT5S", 0, true},
		{"", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseInterval("retry.delayInterval", tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("parseInterval(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestLoadTimerFunction(t *testing.T) {
	no := false
	tests := []struct {
		dir  string
		want *Function
	}{
		{dir: "testdata/Reconcile", want: &Function{Name: "Reconcile", Bindings: []Binding{{Type: "timerTrigger", Name: "timer",
			Direction: "in", Schedule: "%CONNECTOR_ON_DEMAND_V2_RECONCILE_SCHEDULE%", RunOnStartup: &no},
			{Type: "eventHub", Name: "failures", Direction: "out", EventHubName: "%CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_NAME%",
				Connection: "CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_CONNECTION_STRING"}}}},
		{dir: "testdata/TimerRetry", want: &Function{Name: "TimerRetry", Bindings: []Binding{{Type: "TimerTrigger", Name: "tick",
			Direction: "in", Schedule: "0 0 * * * *", UseMonitor: &no}},
			Retry: &RetryPolicy{Strategy: StrategyFixedDelay, MaxRetryCount: 1, DelayInterval: time.Second}}},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			got, err := LoadFunction(tt.dir)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) || !got.IsTimer() {
				t.Errorf("LoadFunction:\ngot  %+v\nwant %+v (a timer)", got, tt.want)
			}
		})
	}
	// The stand-in's copy is the function the handler ships.
	shipped, err := os.ReadFile("../../../functions/Reconcile/function.json")
	if err != nil {
		t.Fatal(err)
	}
	if copied, err := os.ReadFile("testdata/Reconcile/function.json"); err != nil || string(copied) != string(shipped) {
		t.Errorf("testdata/Reconcile/function.json differs from functions/Reconcile/function.json (%v)", err)
	}
}
