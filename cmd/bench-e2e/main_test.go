package main

import (
	"testing"
	"time"

	"github.com/snowsync/snowsync/internal/emulator"
	"github.com/snowsync/snowsync/internal/emulator/emulatortest"
	"github.com/snowsync/snowsync/internal/policy"
	"github.com/snowsync/snowsync/internal/stack"
)

// TestMain sets the driver's environment, which the handler this test starts inherits.
func TestMain(m *testing.M) { emulatortest.Main(m) }

// TestBenchmarkRuns runs the first four scenarios (a table batch needing grants, converged, and a
// database request) at a tiny size without latency: each run must pass its checks, and both runners
// must issue exactly the GRANTs the seed lacks. The others differ only in sizes and take as long
// again (each run starts its own Azurite and handler).
func TestBenchmarkRuns(t *testing.T) {
	bin, err := stack.BuildHandler(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	set, _, err := policy.Parse([]byte(benchPolicies), policy.Mapping{})
	if err != nil {
		t.Fatal(err)
	}
	opts := options{handler: bin, scenarios: scenarios(true)[:4]}
	results, err := run(t.Context(), opts, t.Output())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{} // grants each scenario needs
	for _, sc := range opts.scenarios {
		for _, o := range sc.objects() {
			if !sc.granted(o) {
				want[sc.name] += len(set.Desired(o))
			}
		}
	}
	if want[opts.scenarios[1].name] != 3*2+2+1 {
		t.Errorf("scenario %q needs %d grants, want 9 (6 tables, 2 schemas, 1 database)", opts.scenarios[1].name, want[opts.scenarios[1].name])
	}
	runs := 0
	for _, sc := range opts.scenarios {
		runs += len(sc.modes)
		if sc.naive {
			runs++
		}
	}
	if len(results) != runs {
		t.Fatalf("%d results, want %d", len(results), runs)
	}
	for _, r := range results {
		if len(r.Problems) > 0 {
			t.Errorf("%s (%s): %v", r.Scenario, r.Runner, r.Problems)
		}
		// The naive peer sends one GRANT per grant needed; snowsync may send fewer (GRANT … ON ALL), never
		// more, and none when converged. Either way the checks above compared the grants left behind.
		if r.Runner == "naive" && r.Changes != want[r.Scenario] || r.Changes > want[r.Scenario] || want[r.Scenario] > 0 && r.Changes == 0 {
			t.Errorf("%s (%s): %d changes, want %d (fewer allowed for snowsync)", r.Scenario, r.Runner, r.Changes, want[r.Scenario])
		}
		if r.RoundTrips < r.Changes || r.Waves < 1 || r.Waves > r.RoundTrips {
			t.Errorf("%s (%s): %d round trips, %d waves, %d changes", r.Scenario, r.Runner, r.RoundTrips, r.Waves, r.Changes)
		}
		if snowsync := r.Runner != "naive"; snowsync && (r.PeakRSSMiB <= 0 || r.Ratios == nil) {
			t.Errorf("%s (%s): peak RSS %.1f MiB, ratios %v", r.Scenario, r.Runner, r.PeakRSSMiB, r.Ratios)
		}
	}
}

func TestWaves(t *testing.T) {
	t0 := time.Unix(0, 0)
	q := func(id string, start, dur int) emulator.LoggedQuery {
		return emulator.LoggedQuery{QueryID: id, Start: t0.Add(time.Duration(start) * time.Millisecond), Duration: time.Duration(dur) * time.Millisecond}
	}
	tests := []struct {
		name string
		log  []emulator.LoggedQuery
		want int
	}{
		{"none", nil, 0},
		{"concurrent", []emulator.LoggedQuery{q("a", 0, 10), q("b", 1, 10), q("c", 2, 10)}, 1},
		{"chained", []emulator.LoggedQuery{q("c", 20, 10), q("a", 0, 10), q("b", 10, 10)}, 3},
		// A long query beside a chain of two: the chain decides.
		{"beside", []emulator.LoggedQuery{q("long", 0, 100), q("x", 0, 5), q("y", 6, 5)}, 2},
		// d starts after b ended, before c ended: it extends b's chain (3); e, starting when c ends,
		// extends the longest chain that ended by then, d's (4).
		{"overlap", []emulator.LoggedQuery{q("a", 0, 10), q("b", 10, 5), q("c", 10, 50), q("d", 16, 1), q("e", 60, 1)}, 4},
	}
	for _, tt := range tests {
		if got := waves(tt.log); got != tt.want {
			t.Errorf("%s: waves = %d, want %d", tt.name, got, tt.want)
		}
	}
}
