package main

import (
	"database/sql"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/snowsync/snowsync/internal/policy"
	"github.com/snowsync/snowsync/internal/testing/emulator"
	"github.com/snowsync/snowsync/internal/testing/emulator/emulatortest"
	"github.com/snowsync/snowsync/internal/testing/stack"
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
	opts := options{handler: bin, scenarios: scenarios(true)[:4]}
	results, err := run(t.Context(), opts, t.Output())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{} // grants each scenario needs
	for _, sc := range opts.scenarios {
		set, _, err := policy.Parse(sc.policies(), policy.Mapping{})
		if err != nil {
			t.Fatal(err)
		}
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

// TestMaskedRuns runs issue 10's rows at a tiny size (3 schemas of 4 tables, 2 masked a schema), with
// 20 ms a read so that concurrent reads overlap: -run selects their unmasked baseline too; every run
// passes its checks (grants, masks, at most one more read wave than the baseline); the first sync sets
// every mask, and the converged one changes nothing.
func TestMaskedRuns(t *testing.T) {
	t.Setenv("SNOWFLAKE_DISABLE_PLATFORM_DETECTION", "true")
	t.Setenv("SF_DISABLE_MINICORE", "true")
	opts := smallRun(t, "masked", emulator.ClassShow, emulator.ClassSelect, emulator.ClassOther)
	if len(opts.scenarios) != 3 || opts.scenarios[0].masked != 0 || opts.scenarios[1].baseline != opts.scenarios[0].name {
		t.Fatalf("selected %d scenarios, want the baseline and the two masked ones", len(opts.scenarios))
	}
	results, err := run(t.Context(), opts, t.Output())
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 6 {
		t.Fatalf("%d results, want 6 (3 scenarios, 2 modes)", len(results))
	}
	masks := 3 * 2 // schemas × masked tables
	for i, r := range results {
		sc := opts.scenarios[i/2]
		if len(r.Problems) > 0 {
			t.Errorf("%s (%s): %v", r.Scenario, r.Runner, r.Problems)
		}
		switch {
		case sc.masked == 0:
			if r.Changes != 0 || r.Ratios != nil {
				t.Errorf("%s (%s): %d changes, ratios %v; want none", r.Scenario, r.Runner, r.Changes, r.Ratios)
			}
			continue
		case !sc.masksInPlace && r.Changes < masks: // one ALTER a column, the policy and its schema created
			t.Errorf("%s (%s): %d changes, want at least %d", r.Scenario, r.Runner, r.Changes, masks)
		case sc.masksInPlace && r.Changes != 0:
			t.Errorf("%s (%s): %d changes, want 0", r.Scenario, r.Runner, r.Changes)
		}
		if r.Ratios == nil || r.Ratios.To != "unmasked" || r.ReadWaves < 1 || r.Reads < r.ReadWaves {
			t.Errorf("%s (%s): ratios %+v, %d reads in %d waves", r.Scenario, r.Runner, r.Ratios, r.Reads, r.ReadWaves)
		}
	}
}

// smallRun returns the options of a run of the small scenarios matching pattern (and their baselines)
// by a handler built from this tree, with 20 ms a statement of the classes given, so that concurrent
// statements overlap.
func smallRun(t *testing.T, pattern string, slow ...emulator.StatementClass) options {
	t.Helper()
	bin, err := stack.BuildHandler(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	lat := map[emulator.StatementClass]emulator.Latency{}
	for _, c := range slow {
		lat[c] = emulator.Latency{Fixed: 20 * time.Millisecond}
	}
	return options{handler: bin, scenarios: selectScenarios(scenarios(true), regexp.MustCompile(pattern), false), latency: lat}
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

// checkMasks finds a masked table's column without its mask, and a column masked that Ranger does not
// mask, through the real driver.
func TestCheckMasks(t *testing.T) {
	t.Setenv("SNOWFLAKE_DISABLE_PLATFORM_DETECTION", "true")
	sc := scenarios(true)[7] // 3 schemas of 4 tables, 2 masked a schema, masks missing
	set, _, err := policy.Parse(sc.policies(), policy.Mapping{})
	if err != nil || sc.masked != 2 || sc.masksInPlace {
		t.Fatalf("scenario %q: %v", sc.name, err)
	}
	srv := emulatortest.Start(t, emulator.Options{})
	if err := seed(srv, sc, set); err != nil {
		t.Fatal(err)
	}
	// Ours on one masked column and on a column Ranger does not mask (of a table outside the scenario).
	if err := srv.Exec(`CREATE SCHEMA BENCH.SNOWSYNC_POLICIES;
		CREATE MASKING POLICY BENCH.SNOWSYNC_POLICIES.M AS (V VARCHAR) RETURNS VARCHAR -> V;
		ALTER TABLE BENCH.S001.T00000 MODIFY COLUMN SSN SET MASKING POLICY BENCH.SNOWSYNC_POLICIES.M;
		CREATE TABLE BENCH.S001.X (SSN VARCHAR);
		ALTER TABLE BENCH.S001.X MODIFY COLUMN SSN SET MASKING POLICY BENCH.SNOWSYNC_POLICIES.M`); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("snowflake", srv.DSN("")+"&warehouse=W")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got := strings.Join(checkMasks(t.Context(), db, sc), "; ")
	for _, want := range []string{"1 columns masked that Ranger does not mask, e.g. [S001.X.SSN by M]", "5 masks missing, e.g. [S001.T00001.SSN S002.T00000.SSN S002.T00001.SSN]"} {
		if !strings.Contains(got, want) {
			t.Errorf("checkMasks = %q, want %q in it", got, want)
		}
	}
}

// The largest-batch row, small: every event names every table and comes close to its byte budget, and
// the run passes its checks (one SUCCESS record per event, nothing changed on a converged account).
func TestLargestBatchRuns(t *testing.T) {
	t.Setenv("SNOWFLAKE_DISABLE_PLATFORM_DETECTION", "true")
	t.Setenv("SF_DISABLE_MINICORE", "true")
	all := scenarios(true)
	sc := all[slices.IndexFunc(all, func(sc scenario) bool { return sc.events > 0 })]
	if sc.events != 3 {
		t.Fatalf("scenario %q: %d events, want 3", sc.name, sc.events)
	}
	for _, body := range sc.batch("x") {
		if len(body) > 2000 || len(body) < 1700 || strings.Count(string(body), `"type":"table"`) != 5 {
			t.Errorf("event of %d bytes, %d tables; want 5 tables in 1,700 to 2,000 bytes", len(body), strings.Count(string(body), `"type":"table"`))
		}
	}
	bin, err := stack.BuildHandler(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	results, err := run(t.Context(), options{handler: bin, scenarios: []scenario{sc}}, t.Output())
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 1 || len(results[0].Problems) > 0 || results[0].PeakRSSMiB == 0 {
		t.Errorf("results = %+v", results)
	}
}

// Issue 14's row, small (3 schemas of 12 tables, T00010 and T00011 of each changed): both runs pass
// their checks, among them that the reconciliation sent exactly the full sync's statements, as many
// as version 2 demands, and named no table the change does not affect; its ratios are to the full
// sync. Latency 20 ms a read or grant, so that concurrent statements overlap; nothing is timed.
func TestPolicyChangeRuns(t *testing.T) {
	opts := smallRun(t, "^policy change", emulator.ClassShow, emulator.ClassSelect, emulator.ClassGrant)
	if len(opts.scenarios) != 1 || opts.scenarios[0].policyChange != 6 {
		t.Fatalf("selected %d scenarios, want the policy change of 6 tables", len(opts.scenarios))
	}
	results, err := run(t.Context(), opts, t.Output())
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 2 || results[0].Runner != byReconcile || results[1].Runner != byFullSync {
		t.Fatalf("results = %+v, want the reconciliation, then the full sync", results)
	}
	rec, full := results[0], results[1]
	for _, r := range results {
		if len(r.Problems) > 0 {
			t.Errorf("%s (%s): %v", r.Scenario, r.Runner, r.Problems)
		}
	}
	// 6 table grants, USAGE on the database and its 4 schemas (PUBLIC too), and the new role.
	if rec.Changes != 6+1+4+1 || full.Changes != rec.Changes {
		t.Errorf("changes: reconciliation %d, full sync %d; want 12 each", rec.Changes, full.Changes)
	}
	// The reconciliation reads what the full sync reads (roles, grants by role, the database's listing, our
	// policy schemas), plus Affected's three listings, and its 3 schemas listed one by one instead of the
	// database (they fit one wave of the read pool): no SHOW GRANTS ON a container, no read per table.
	if schemas := 3; rec.Reads > full.Reads+3+schemas-1 {
		t.Errorf("reconciliation: %d reads, full sync %d; want at most %d more (SHOW DATABASES, SHOW SCHEMAS, SHOW OBJECTS; a listing per schema)",
			rec.Reads, full.Reads, 3+schemas-1)
	}
	if rec.Ratios == nil || rec.Ratios.To != "full sync" || full.Ratios != nil || rec.Reads == 0 || full.Reads == 0 {
		t.Errorf("reconciliation: %d reads, ratios %+v; full sync: %d reads, ratios %+v; want reads, and ratios to the full sync on the reconciliation only",
			rec.Reads, rec.Ratios, full.Reads, full.Ratios)
	}
}

// unaffectedNamed flags a statement naming a table the policy change does not match (T00020 here),
// not one naming a matched table, a schema or the database.
func TestUnaffectedNamed(t *testing.T) {
	sc := scenario{schemas: grid(1, 21), database: true}
	q := func(sql string) emulator.LoggedQuery { return emulator.LoggedQuery{SQL: sql} }
	ok := []emulator.LoggedQuery{q(`SHOW GRANTS ON SCHEMA "BENCH"."S001"`), q(`GRANT SELECT ON TABLE "BENCH"."S001"."T00010" TO ROLE "PRIV_AUDITORS"`),
		q(`SHOW OBJECTS IN DATABASE "BENCH" LIMIT 10000`)}
	if got := unaffectedNamed(ok, sc); got != nil {
		t.Errorf("unaffectedNamed = %q, want nothing", got)
	}
	got := unaffectedNamed(append(ok, q(`SHOW GRANTS ON TABLE "BENCH"."S001"."T00020"`)), sc)
	if len(got) != 1 || !strings.Contains(got[0], "1 statements name tables the change does not affect") || !strings.Contains(got[0], "T00020") {
		t.Errorf("unaffectedNamed = %q, want the statement on T00020", got)
	}
}
