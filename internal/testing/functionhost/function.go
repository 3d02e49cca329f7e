package functionhost

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Function is a parsed function.json: the function's bindings and its retry policy.
type Function struct {
	// Name is the function folder's name, which is also the path the host POSTs to.
	Name     string
	Bindings []Binding
	// Retry is nil when function.json has no retry policy: a failed invocation is not retried.
	Retry *RetryPolicy
}

// Binding is one entry of function.json "bindings" (the attributes the stand-in uses).
type Binding struct {
	Type          string `json:"type"`
	Name          string `json:"name"`
	Direction     string `json:"direction"`
	EventHubName  string `json:"eventHubName"`
	ConsumerGroup string `json:"consumerGroup"`
	Connection    string `json:"connection"`
	Cardinality   string `json:"cardinality"`
	DataType      string `json:"dataType"`
	// Schedule, RunOnStartup and UseMonitor are a timerTrigger's; nil booleans are the host's
	// defaults (runOnStartup false, useMonitor true).
	Schedule     string `json:"schedule"`
	RunOnStartup *bool  `json:"runOnStartup"`
	UseMonitor   *bool  `json:"useMonitor"`
}

// RetryPolicy is function.json "retry". MaxRetryCount is the number of retries after the first
// attempt (-1: unlimited). DelayInterval applies to "fixedDelay"; MinimumInterval and
// MaximumInterval to "exponentialBackoff".
type RetryPolicy struct {
	Strategy                                        string
	MaxRetryCount                                   int
	DelayInterval, MinimumInterval, MaximumInterval time.Duration
}

// The retry strategies function.json may name.
const (
	StrategyFixedDelay         = "fixedDelay"
	StrategyExponentialBackoff = "exponentialBackoff"
)

// LoadFunction reads <dir>/function.json; the function is named after dir. The stand-in plays an
// Event Hubs trigger and a timer trigger: a function with a timerTrigger binding must have exactly
// one, named, with a schedule (see TimerBinding); any other must have exactly one eventHubTrigger
// binding with cardinality "many" and dataType "string". A retry policy, when present, must be
// complete.
func LoadFunction(dir string) (*Function, error) {
	path := filepath.Join(dir, "function.json")
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load function: %w", err)
	}
	var raw struct {
		Bindings []Binding `json:"bindings"`
		Retry    *struct {
			Strategy        string `json:"strategy"`
			MaxRetryCount   *int   `json:"maxRetryCount"`
			DelayInterval   string `json:"delayInterval"`
			MinimumInterval string `json:"minimumInterval"`
			MaximumInterval string `json:"maximumInterval"`
		} `json:"retry"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("load function %s: %w", path, err)
	}
	fn := &Function{Name: filepath.Base(filepath.Clean(dir)), Bindings: raw.Bindings}
	check := func() error { _, err := fn.TriggerBinding(); return err }
	if fn.IsTimer() {
		check = func() error { _, err := fn.TimerBinding(); return err }
	}
	if err := check(); err != nil {
		return nil, fmt.Errorf("load function %s: %w", path, err)
	}
	if r := raw.Retry; r != nil {
		if r.MaxRetryCount == nil {
			return nil, fmt.Errorf("load function %s: retry.maxRetryCount is missing", path)
		}
		p := &RetryPolicy{Strategy: r.Strategy, MaxRetryCount: *r.MaxRetryCount}
		if err := p.parse(r.DelayInterval, r.MinimumInterval, r.MaximumInterval); err != nil {
			return nil, fmt.Errorf("load function %s: %w", path, err)
		}
		fn.Retry = p
	}
	return fn, nil
}

// TriggerBinding returns the function's only eventHubTrigger binding, or an error saying why the
// stand-in cannot deliver to the function.
func (f *Function) TriggerBinding() (Binding, error) {
	found := f.bindingsOfType("eventHubTrigger")
	if len(found) != 1 {
		return Binding{}, fmt.Errorf("function %s has %d eventHubTrigger bindings, want 1", f.Name, len(found))
	}
	b := found[0]
	switch {
	case b.Name == "":
		return Binding{}, fmt.Errorf("function %s: the eventHubTrigger binding has no name", f.Name)
	case !strings.EqualFold(b.Cardinality, "many"):
		return Binding{}, fmt.Errorf("function %s: eventHubTrigger %q has cardinality %q, want \"many\"", f.Name, b.Name, b.Cardinality)
	case !strings.EqualFold(b.DataType, "string"):
		return Binding{}, fmt.Errorf("function %s: eventHubTrigger %q has dataType %q, want \"string\"", f.Name, b.Name, b.DataType)
	}
	return b, nil
}

// IsTimer reports whether the function has a timerTrigger binding.
func (f *Function) IsTimer() bool { return len(f.bindingsOfType("timerTrigger")) > 0 }

// bindingsOfType returns the function's bindings of type typ (compared case-insensitively, as the host does).
func (f *Function) bindingsOfType(typ string) []Binding {
	var found []Binding
	for _, b := range f.Bindings {
		if strings.EqualFold(b.Type, typ) {
			found = append(found, b)
		}
	}
	return found
}

// TimerBinding returns the function's only timerTrigger binding, or an error saying why the stand-in
// cannot tick the function. The schedule is not evaluated: the caller decides when a tick happens.
func (f *Function) TimerBinding() (Binding, error) {
	found := f.bindingsOfType("timerTrigger")
	if len(found) != 1 {
		return Binding{}, fmt.Errorf("function %s has %d timerTrigger bindings, want 1", f.Name, len(found))
	}
	switch b := found[0]; {
	case b.Name == "":
		return Binding{}, fmt.Errorf("function %s: the timerTrigger binding has no name", f.Name)
	case strings.TrimSpace(b.Schedule) == "":
		return Binding{}, fmt.Errorf("function %s: timerTrigger %q has no schedule", f.Name, b.Name)
	default:
		return b, nil
	}
}

// OutputBinding returns the function's first eventHub binding with direction "out": the binding
// whose Outputs entry the stand-in collects as failures.
func (f *Function) OutputBinding() (Binding, bool) {
	for _, b := range f.Bindings {
		if strings.EqualFold(b.Type, "eventHub") && strings.EqualFold(b.Direction, "out") {
			return b, true
		}
	}
	return Binding{}, false
}

// parse validates the strategy and count and parses the intervals the strategy needs.
func (p *RetryPolicy) parse(delay, minimum, maximum string) error {
	if p.MaxRetryCount < -1 {
		return fmt.Errorf("retry.maxRetryCount is %d, want -1 (unlimited) or more", p.MaxRetryCount)
	}
	var err error
	switch p.Strategy {
	case StrategyFixedDelay:
		p.DelayInterval, err = parseInterval("retry.delayInterval", delay)
		return err
	case StrategyExponentialBackoff:
		if p.MinimumInterval, err = parseInterval("retry.minimumInterval", minimum); err != nil {
			return err
		}
		if p.MaximumInterval, err = parseInterval("retry.maximumInterval", maximum); err != nil {
			return err
		}
		if p.MinimumInterval > p.MaximumInterval {
			return fmt.Errorf("retry.minimumInterval %s is above retry.maximumInterval %s", minimum, maximum)
		}
		return nil
	default:
		return fmt.Errorf("retry.strategy is %q, want %q or %q", p.Strategy, StrategyFixedDelay, StrategyExponentialBackoff)
	}
}

// Delay returns how long the host waits before retry number retry (1 for the first retry).
// fixedDelay waits DelayInterval every time. exponentialBackoff waits MinimumInterval doubled on
// each retry, capped at MaximumInterval; the real host randomises each delay by about ±20 %, the
// stand-in stays deterministic.
func (p *RetryPolicy) Delay(retry int) time.Duration {
	if p.Strategy == StrategyFixedDelay {
		return p.DelayInterval
	}
	d := p.MinimumInterval
	for i := 1; i < retry && d < p.MaximumInterval; i++ {
		d *= 2
	}
	return min(d, p.MaximumInterval)
}

// allows reports whether the policy permits retry number retry (1 for the first retry).
func (p *RetryPolicy) allows(retry int) bool {
	return p != nil && (p.MaxRetryCount == -1 || retry <= p.MaxRetryCount)
}

// timeSpan matches the .NET TimeSpan forms function.json uses: [d.]hh:mm[:ss[.fffffff]].
var timeSpan = regexp.MustCompile(`^(?:(\d{1,5})\.)?(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,7}))?)?$`)

// parseInterval parses a .NET TimeSpan string such as "00:00:05" or "1.00:00:00" (one day).
func parseInterval(field, s string) (time.Duration, error) {
	m := timeSpan.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("%s is %q, want a TimeSpan like \"00:00:05\" (hh:mm:ss)", field, s)
	}
	num := func(v string) int64 {
		n, _ := strconv.ParseInt(v, 10, 64) // the pattern admits only digits; "" is 0
		return n
	}
	days, hours, minutes, seconds := num(m[1]), num(m[2]), num(m[3]), num(m[4])
	if hours > 23 || minutes > 59 || seconds > 59 {
		return 0, fmt.Errorf("%s is %q: hours, minutes or seconds out of range", field, s)
	}
	frac := m[5] + strings.Repeat("0", 9-len(m[5])) // nanoseconds
	d := time.Duration(days)*24*time.Hour + time.Duration(hours)*time.Hour +
		time.Duration(minutes)*time.Minute + time.Duration(seconds)*time.Second + time.Duration(num(frac))
	return d, nil
}
