package policy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// clock is a manual clock for the cache.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// response is what memSource answers to one Fetch.
type response struct {
	data    string
	changed bool
	err     error
}

// memSource is an in-memory Source answering from a queue of responses (the last one repeats). It
// records the lastKnownVersion of each Fetch. If gate is set, Fetch signals entered and waits for gate.
type memSource struct {
	mu        sync.Mutex
	responses []response
	versions  []int64
	entered   chan struct{}
	gate      chan struct{}
}

func (s *memSource) Fetch(ctx context.Context, lastKnownVersion int64) ([]byte, bool, error) {
	if s.gate != nil {
		s.entered <- struct{}{}
		<-s.gate
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.versions = append(s.versions, lastKnownVersion)
	r := s.responses[0]
	if len(s.responses) > 1 {
		s.responses = s.responses[1:]
	}
	var data []byte
	if r.data != "" {
		data = []byte(r.data)
	}
	return data, r.changed, r.err
}

func (s *memSource) fetches() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.versions)
}

func versionDoc(v int) string {
	return fmt.Sprintf(`{"serviceName":"svc","policyVersion":%d,"policies":[{"id":1,"name":"p","resources":{"database":{"values":["S"]}},
		"policyItems":[{"accesses":[{"type":"usage"},{"type":"select"}],"groups":["g"]}]}]}`, v)
}

func TestCacheRefresh(t *testing.T) {
	src := &memSource{}
	clk := &clock{t: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)}
	var logs bytes.Buffer
	cache := NewCache(src, Mapping{}, time.Minute, slog.New(slog.NewTextHandler(&logs, nil)), clk.now)

	var first *Set
	steps := []struct {
		name        string
		advance     time.Duration
		resp        response
		wantFetch   bool
		wantVersion int64
		wantLog     string // in the logs of this step; "" for no log at all
		wantSame    bool   // the same *Set as the first load
	}{
		{"first use loads", 0, response{versionDoc(1), true, nil}, true, 1,
			`msg="policies loaded" policies.service=svc policies.version=1 policies.policies=1 policies.applied=1 policies.disabled=0`, true},
		{"within the interval", 30 * time.Second, response{}, false, 1, "", true},
		{"interval passed, unchanged", 30 * time.Second, response{"", false, nil}, true, 1, "", true},
		{"refresh fails", time.Minute, response{"", false, errors.New("blob unreachable")}, true, 1, "blob unreachable", true},
		{"a failed attempt waits for the interval too", 10 * time.Second, response{}, false, 1, "", true},
		{"malformed document", 50 * time.Second, response{"{", true, nil}, true, 1, "parse service policies", true},
		{"same bytes again", time.Minute, response{versionDoc(1), true, nil}, true, 1, "", true},
		{"new version", time.Minute, response{versionDoc(2), true, nil}, true, 2, `problems=1`, false},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			clk.advance(st.advance)
			src.mu.Lock()
			src.responses = []response{st.resp}
			src.mu.Unlock()
			before := src.fetches()
			logs.Reset()

			set, err := cache.Current(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if first == nil {
				first = set
			}
			if fetched := src.fetches() > before; fetched != st.wantFetch {
				t.Errorf("fetched = %v, want %v", fetched, st.wantFetch)
			}
			if set.Version() != st.wantVersion {
				t.Errorf("Version() = %d, want %d", set.Version(), st.wantVersion)
			}
			if same := sameParse(set, first); same != st.wantSame {
				t.Errorf("same set as the first load = %v, want %v", same, st.wantSame)
			}
			if st.wantLog == "" && logs.Len() > 0 || !strings.Contains(logs.String(), st.wantLog) {
				t.Errorf("logs = %q, want %q", logs.String(), st.wantLog)
			}
		})
	}
	if want := []int64{-1, 1, 1, 1, 1, 1}; !slices.Equal(src.versions, want) {
		t.Errorf("lastKnownVersion passed = %v, want %v", src.versions, want)
	}
}

// sameParse reports whether a and b come from one parse of a document (a set marked Stale is a copy).
func sameParse(a, b *Set) bool {
	return len(a.roles) > 0 && len(b.roles) > 0 && &a.roles[0] == &b.roles[0]
}

func TestCacheNothingLoaded(t *testing.T) {
	tests := []struct {
		name string
		resp response
		want string
	}{
		{"fetch error", response{err: errors.New("no route to host")}, "no route to host"},
		{"malformed", response{data: "[]", changed: true}, "load policies: parse service policies: the document is not a JSON object"},
		{"unchanged", response{}, "the source reported no change, but none were loaded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &memSource{responses: []response{tt.resp, {versionDoc(5), true, nil}}}
			clk := &clock{}
			cache := NewCache(src, Mapping{}, time.Hour, slog.New(slog.DiscardHandler), clk.now)
			if set, err := cache.Current(context.Background()); err == nil || set != nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Current = %v, %v; want an error containing %q", set, err, tt.want)
			}
			// Nothing loaded yet: the next call tries again at once.
			set, err := cache.Current(context.Background())
			if err != nil || set.Version() != 5 {
				t.Fatalf("second Current = %v, %v; want version 5", set, err)
			}
		})
	}
}

func TestCacheConcurrentFirstLoad(t *testing.T) {
	src := &memSource{responses: []response{{versionDoc(1), true, nil}}, entered: make(chan struct{}, 1), gate: make(chan struct{})}
	cache := NewCache(src, Mapping{}, time.Minute, slog.New(slog.DiscardHandler), (&clock{}).now)

	const callers = 8
	sets := make([]*Set, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			var err error
			if sets[i], err = cache.Current(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	<-src.entered
	// A caller whose context ends while it waits for the first load gives up with that error.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := cache.Current(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Current(canceled) = %v, want context.Canceled", err)
	}
	close(src.gate)
	wg.Wait()
	if src.fetches() != 1 {
		t.Errorf("fetches = %d, want 1", src.fetches())
	}
	for i, s := range sets {
		if s == nil || s != sets[0] {
			t.Errorf("caller %d got %p, want %p", i, s, sets[0])
		}
	}
}

// A caller whose set is older than the refresh interval never gets it unchecked: it waits for the
// refresh another caller started, so that it cannot revoke by yesterday's policies.
func TestCacheWaitsForRefreshOfStaleSet(t *testing.T) {
	src := &memSource{responses: []response{{versionDoc(1), true, nil}}}
	clk := &clock{}
	cache := NewCache(src, Mapping{}, time.Minute, slog.New(slog.DiscardHandler), clk.now)
	old, err := cache.Current(context.Background())
	if err != nil {
		t.Fatal(err)
	}

	clk.advance(time.Minute)
	src.mu.Lock()
	src.responses = []response{{versionDoc(2), true, nil}}
	src.entered, src.gate = make(chan struct{}, 1), make(chan struct{})
	src.mu.Unlock()
	refreshed := make(chan *Set, 2)
	go func() {
		set, _ := cache.Current(context.Background())
		refreshed <- set
	}()
	<-src.entered // the refresh is in Fetch now
	go func() {
		set, _ := cache.Current(context.Background())
		refreshed <- set
	}()
	// A caller that gives up waiting gets the old set, marked stale.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if set, err := cache.Current(ctx); err != nil || set.Version() != old.Version() || !errors.Is(set.Stale(), context.Canceled) {
		t.Errorf("Current(canceled) during a refresh = %v, %v; want version 1 marked stale", set, err)
	}
	select {
	case set := <-refreshed:
		t.Fatalf("a caller got version %d before the refresh finished", set.Version())
	case <-time.After(50 * time.Millisecond):
	}
	close(src.gate)
	for range 2 {
		if set := <-refreshed; set.Version() != 2 || set.Stale() != nil {
			t.Errorf("caller got version %d (stale: %v), want 2, fresh", set.Version(), set.Stale())
		}
	}
	if src.fetches() != 2 {
		t.Errorf("fetches = %d, want 2 (the load and one refresh)", src.fetches())
	}
}

// A set whose check failed serves, marked stale with why, until a check succeeds again.
func TestCacheMarksUncheckedSetStale(t *testing.T) {
	src := &memSource{responses: []response{{versionDoc(7), true, nil}}}
	clk := &clock{t: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)}
	cache := NewCache(src, Mapping{}, time.Minute, slog.New(slog.DiscardHandler), clk.now)
	steps := []struct {
		name      string
		advance   time.Duration
		resp      response
		wantStale string // in Stale(); "" for a fresh set
	}{
		{"loaded", 0, response{versionDoc(7), true, nil}, ""},
		{"confirmed unchanged", time.Minute, response{}, ""},
		{"check fails", time.Minute, response{err: errors.New("connection refused")},
			"stale policies: version 7, last confirmed current at 2026-11-24T10:01:00Z, could not be checked against the policy source: connection refused"},
		{"still stale within the interval", 30 * time.Second, response{}, "connection refused"},
		{"malformed newer document", 30 * time.Second, response{data: "{", changed: true}, "parse service policies"},
		{"source back", time.Minute, response{}, ""},
	}
	for _, st := range steps {
		clk.advance(st.advance)
		src.mu.Lock()
		src.responses = []response{st.resp}
		src.mu.Unlock()
		set, err := cache.Current(context.Background())
		if err != nil || set.Version() != 7 {
			t.Fatalf("%s: Current = %v, %v", st.name, set, err)
		}
		stale := set.Stale()
		if st.wantStale == "" && stale != nil || st.wantStale != "" && (stale == nil || !strings.Contains(stale.Error(), st.wantStale)) {
			t.Errorf("%s: Stale() = %v, want %q", st.name, stale, st.wantStale)
		}
	}
}

func TestCacheWithRangerAdmin(t *testing.T) {
	ra := newRangerAdmin(t, versionDoc(42), 42, http.StatusNotModified)
	src := &RangerAdminSource{BaseURL: ra.URL, Service: "snowflake prod", Username: "snowsync", Password: "pa55", Client: ra.Client()}
	clk := &clock{}
	cache := NewCache(src, Mapping{}, time.Minute, slog.New(slog.DiscardHandler), clk.now)
	first, err := cache.Current(context.Background())
	if err != nil || first.Version() != 42 {
		t.Fatalf("Current = %v, %v", first, err)
	}
	clk.advance(time.Minute)
	if set, err := cache.Current(context.Background()); err != nil || set != first {
		t.Errorf("Current after 304 = %v, %v; want the same set", set, err)
	}
	if want := []string{"-1", "42"}; !slices.Equal(ra.calls, want) {
		t.Errorf("lastKnownVersion sent = %q, want %q", ra.calls, want)
	}
}
