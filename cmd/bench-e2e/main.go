// Command bench-e2e is snowsync's end-to-end benchmark (`make bench-e2e`): the batches of issue 9, each
// delivered by the Functions host stand-in in the host's wire format to the handler running as its own
// process, which talks through the real gosnowflake driver to the Snowflake emulator under a latency
// model; next to each, a naive per-object peer (naive.go) run against a fresh copy of the same account.
// Issue 10's rows add Ranger data-mask policies to a converged database request and compare it with the
// same request without masks (its baseline). Every run gets a fresh account, handler and Azurite. It
// prints wall time, round trips, sequential waves (of all statements and of reads alone) and the
// handler's peak RSS with ratios to the naive peer or the baseline, checks that every run left exactly
// the grants and masks the policy demands and that masks cost at most one more sequential wave of reads
// than the baseline, and exits 1 when a check fails.
//
//	go run ./cmd/bench-e2e [-large] [-latency SPEC] [-run REGEXP] [-handler BINARY] [-json] [-v]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"slices"
	"syscall"
	"time"

	_ "github.com/snowflakedb/gosnowflake"

	"github.com/snowsync/snowsync/internal/app"
	"github.com/snowsync/snowsync/internal/audit"
	"github.com/snowsync/snowsync/internal/failure"
	"github.com/snowsync/snowsync/internal/policy"
	"github.com/snowsync/snowsync/internal/task/outcome"
	"github.com/snowsync/snowsync/internal/testing/emulator"
	"github.com/snowsync/snowsync/internal/testing/functionhost"
	"github.com/snowsync/snowsync/internal/testing/stack"
)

// defaultLatency is issue 9's model of Snowflake: SHOW 150±30 ms, GRANT and REVOKE 200±40 ms, CREATE
// 250 ms, INFORMATION_SCHEMA SELECT 1±0.3 s (the emulator draws FIXED plus a uniform part in [0, JITTER)),
// and, since issue 10, ALTER (SET MASKING POLICY) as a GRANT, and OTHER (DESCRIBE TABLE) as a SHOW.
const defaultLatency = "SHOW=120ms+60ms,GRANT=160ms+80ms,REVOKE=160ms+80ms,CREATE=250ms,SELECT=700ms+600ms," +
	"ALTER=160ms+80ms,OTHER=120ms+60ms"

// options say what one benchmark run measures.
type options struct {
	latency   map[emulator.StatementClass]emulator.Latency
	scenarios []scenario
	handler   string    // the built handler binary
	logs      io.Writer // the handler's output; nil discards it
}

func main() {
	latency := flag.String("latency", defaultLatency, "latency model, CLASS=FIXED[+JITTER],... (classes: SHOW, GRANT, REVOKE, CREATE, SELECT, ...); '' for none")
	large := flag.Bool("large", false, "also run the 100,000-table database (slow to seed and to sync)")
	only := flag.String("run", "", "run only the scenarios whose name matches this regular expression")
	asJSON := flag.Bool("json", false, "print the results as JSON instead of a markdown table")
	verbose := flag.Bool("v", false, "show the handler's logs on stderr")
	handler := flag.String("handler", "", "run this handler binary instead of building one from this tree (e.g. one built from an older commit, to compare)")
	flag.Parse()
	if err := benchmark(*latency, *large, *only, *handler, *asJSON, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "bench-e2e:", err)
		os.Exit(1)
	}
}

func benchmark(latency string, large bool, only, handler string, asJSON, verbose bool) error {
	opts := options{handler: handler}
	var err error
	if opts.latency, err = emulator.ParseLatencies(latency); err != nil {
		return fmt.Errorf("-latency: %w", err)
	}
	match, err := regexp.Compile(only)
	if err != nil {
		return fmt.Errorf("-run: %w", err)
	}
	opts.scenarios = selectScenarios(scenarios(false), match, large)
	if verbose {
		opts.logs = os.Stderr
	}
	dir, err := os.MkdirTemp("", "bench-e2e-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if opts.handler == "" {
		if opts.handler, err = stack.BuildHandler(dir); err != nil {
			return err
		}
	}
	// Interrupted, the current run stops and everything started is stopped (Azurite does not get the
	// terminal's SIGINT: it runs in a process group of its own).
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	results, err := run(ctx, opts, os.Stderr)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(struct {
			Latency     string   `json:"latency"`
			Definitions string   `json:"definitions"`
			Results     []result `json:"results"`
		}{latency, definitions, results})
	} else {
		printTable(os.Stdout, results, latency)
	}
	if err != nil {
		return err
	}
	for _, r := range results {
		if len(r.Problems) > 0 {
			return fmt.Errorf("%s (%s): check failed: %v", r.Scenario, r.Runner, r.Problems)
		}
	}
	return nil
}

// selectScenarios keeps the scenarios whose name matches (the large ones only with large), and the
// baselines they are compared with.
func selectScenarios(all []scenario, match *regexp.Regexp, large bool) []scenario {
	keep := map[string]bool{}
	for _, sc := range all {
		if match.MatchString(sc.name) && (large || !sc.large) {
			keep[sc.name], keep[sc.baseline] = true, true
		}
	}
	var out []scenario
	for _, sc := range all {
		if keep[sc.name] {
			out = append(out, sc)
		}
	}
	return out
}

// result is one run of one scenario.
type result struct {
	Scenario    string  `json:"scenario"`
	Runner      string  `json:"runner"` // "snowsync <load mode>" or "naive"
	WallSeconds float64 `json:"wall_seconds"`
	RoundTrips  int     `json:"round_trips"`
	Waves       int     `json:"sequential_waves"`
	Reads       int     `json:"reads"`                  // SHOW, SELECT and DESCRIBE statements
	ReadWaves   int     `json:"sequential_reads"`       // sequential waves of the reads alone
	PeakRSSMiB  float64 `json:"peak_rss_mib,omitempty"` // the handler process; 0 for the naive peer
	Changes     int     `json:"changes"`                // GRANT, REVOKE, CREATE, ALTER and DROP statements
	// Ratios are snowsync / naive, or a masked run / its baseline's run in the same mode; nil without either.
	Ratios   *ratios  `json:"ratios,omitempty"`
	Problems []string `json:"problems,omitempty"` // failed checks
}

// ratios are one run's figures divided by another's, To ("naive" or "unmasked").
type ratios struct {
	To         string  `json:"to"`
	Wall       float64 `json:"wall"`
	RoundTrips float64 `json:"round_trips"`
	Waves      float64 `json:"sequential_waves"`
	ReadWaves  float64 `json:"sequential_reads"`
}

// ratio divides a's figures by b's.
func ratio(a, b result, to string) *ratios {
	return &ratios{To: to, Wall: a.WallSeconds / b.WallSeconds, RoundTrips: float64(a.RoundTrips) / float64(b.RoundTrips),
		Waves: float64(a.Waves) / float64(b.Waves), ReadWaves: float64(a.ReadWaves) / float64(b.ReadWaves)}
}

// maxExtraReadWaves is what masks may cost over the same request without them (issue 10): one more
// sequential wave of reads.
const maxExtraReadWaves = 1

// run measures every scenario of opts, reporting progress to progress.
func run(ctx context.Context, opts options, progress io.Writer) ([]result, error) {
	var results []result
	for _, sc := range opts.scenarios {
		set, problems, err := policy.Parse(sc.policies(), policy.Mapping{})
		if err != nil || len(problems) > 0 {
			return nil, fmt.Errorf("%s: benchmark policies: %v %v", sc.name, err, problems)
		}
		if sc.policyChange > 0 {
			rows, err := runPolicyChange(ctx, opts, sc, set, progress)
			if err != nil {
				return nil, err
			}
			results = append(results, rows...)
			continue
		}
		var rows []result
		for _, mode := range sc.modes {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			fmt.Fprintf(progress, "%s: snowsync %s...\n", sc.name, mode)
			r, err := runSnowsync(ctx, opts, sc, set, mode)
			if err != nil {
				return nil, fmt.Errorf("%s, snowsync %s: %w", sc.name, mode, err)
			}
			rows = append(rows, r)
		}
		if sc.naive && ctx.Err() == nil {
			fmt.Fprintf(progress, "%s: naive...\n", sc.name)
			n, err := runNaivePeer(ctx, opts, sc, set)
			if err != nil {
				return nil, fmt.Errorf("%s, naive: %w", sc.name, err)
			}
			for i := range rows {
				rows[i].Ratios = ratio(rows[i], n, "naive")
			}
			rows = append(rows, n)
		}
		compareToBaseline(rows, results, sc.baseline)
		results = append(results, rows...)
	}
	return results, ctx.Err()
}

// compareToBaseline sets the ratios of masked rows to the earlier result of the baseline scenario in
// the same mode, and fails a row whose reads take more than maxExtraReadWaves sequential waves more.
func compareToBaseline(rows, earlier []result, baseline string) {
	if baseline == "" {
		return
	}
	for i, r := range rows {
		j := slices.IndexFunc(earlier, func(b result) bool { return b.Scenario == baseline && b.Runner == r.Runner })
		if j < 0 {
			continue // not run
		}
		b := earlier[j]
		rows[i].Ratios = ratio(r, b, "unmasked")
		if r.ReadWaves > b.ReadWaves+maxExtraReadWaves {
			rows[i].Problems = append(rows[i].Problems, fmt.Sprintf("%d sequential waves of reads, %d without masks: more than %d extra",
				r.ReadWaves, b.ReadWaves, maxExtraReadWaves))
		}
	}
}

// runSnowsync delivers the scenario's batch to a fresh handler process over a fresh account; with
// masksInPlace, it delivers the batch once before, unmeasured, to set the masks.
func runSnowsync(ctx context.Context, opts options, sc scenario, set *policy.Set, mode string) (result, error) {
	r := result{Scenario: sc.name, Runner: "snowsync " + mode}
	st, err := stack.Start(ctx, stack.Options{Policies: sc.policies(), Emulator: emulator.Options{Latency: opts.latency},
		Settings: map[string]string{"CONNECTOR_SNOWFLAKE_LOAD_RESOURCES_KEY": mode}, Handler: opts.handler, HandlerOutput: opts.logs})
	if err != nil {
		return r, err
	}
	defer st.Close()
	if err := seed(st.Snowflake, sc, set); err != nil {
		return r, err
	}
	events := 0
	if sc.masksInPlace {
		first := st.Batch("0", sc.batch("seed")...)
		events += len(first.Events)
		if res := st.Host.Deliver(ctx, first); res.Err != nil || len(res.Failures) > 0 {
			return r, fmt.Errorf("first delivery, to set the masks: %v, %d failure events", res.Err, len(res.Failures))
		}
	}
	st.Snowflake.ResetLog()
	batch := st.Batch("0", sc.batch("bench")...)
	events += len(batch.Events)
	start := time.Now()
	res := st.Host.Deliver(ctx, batch)
	measure(&r, time.Since(start), st.Snowflake)
	addPeakRSS(&r, st)
	r.Problems = append(r.Problems, resultProblems(res)...)
	r.Problems = append(r.Problems, checkRecords(ctx, st, events, "")...)
	r.Problems = append(r.Problems, check(ctx, st.Snowflake, sc, set, r.Changes)...)
	return r, nil
}

// addPeakRSS sets r's peak RSS to the handler's, or adds the problem reading it.
func addPeakRSS(r *result, st *stack.Stack) {
	if rss, err := peakRSS(st.Pid()); err != nil { // the handler has exited
		r.Problems = append(r.Problems, err.Error())
	} else {
		r.PeakRSSMiB = float64(rss) / (1 << 20)
	}
}

// resultProblems reports an invocation that failed or sent failure events.
func resultProblems(res functionhost.Result) []string {
	var problems []string
	if res.Err != nil {
		problems = append(problems, fmt.Sprintf("invocation failed: %v", res.Err))
	}
	if len(res.Failures) > 0 {
		var first failure.Event
		_ = json.Unmarshal([]byte(res.Failures[0]), &first) // a malformed one shows as empty fields
		problems = append(problems, fmt.Sprintf("%d events went to the failure hub, the first: %s %.200s",
			len(res.Failures), first.ErrorType, first.ErrorMessage))
	}
	return problems
}

// runNaivePeer runs the naive peer over a fresh copy of the scenario's account.
func runNaivePeer(ctx context.Context, opts options, sc scenario, set *policy.Set) (result, error) {
	r := result{Scenario: sc.name, Runner: "naive"}
	srv := emulator.New(emulator.Options{Latency: opts.latency})
	if err := srv.Start("127.0.0.1:0"); err != nil {
		return r, err
	}
	defer srv.Close()
	if err := seed(srv, sc, set); err != nil {
		return r, err
	}
	start := time.Now()
	err := runNaive(ctx, srv.DSN(""), set, sc.objects())
	measure(&r, time.Since(start), srv)
	if err != nil {
		r.Problems = append(r.Problems, err.Error())
	}
	r.Problems = append(r.Problems, check(ctx, srv, sc, set, r.Changes)...)
	return r, nil
}

// measure fills the metrics read from the emulator's query log, which it empties.
func measure(r *result, wall time.Duration, srv *emulator.Server) {
	log := srv.Log()
	srv.ResetLog()
	r.WallSeconds = wall.Seconds()
	r.RoundTrips = len(log)
	r.Waves = waves(log)
	read := reads(log)
	r.Reads, r.ReadWaves = len(read), waves(read)
	r.Changes = changes(log)
}

// checkRecords checks that the handler wrote one SUCCESS audit record per event (n in all), of source
// when not "".
func checkRecords(ctx context.Context, st *stack.Stack, n int, source string) []string {
	store, err := app.NewStore(st.Config.Audit)
	if err != nil {
		return []string{err.Error()}
	}
	recs, err := store.List(ctx, audit.Filter{})
	if err != nil {
		return []string{fmt.Sprintf("read the audit records: %v", err)}
	}
	var problems []string
	if len(recs) != n {
		problems = append(problems, fmt.Sprintf("%d audit records, want %d", len(recs), n))
	}
	for _, rec := range recs {
		if rec.Status != outcome.Success || source != "" && rec.Source != source {
			problems = append(problems, fmt.Sprintf("task %s (%s): %s: %.200s", rec.RowKey, rec.Source, rec.Status, rec.Reason))
			break
		}
	}
	return problems
}
