// Command soak is snowsync's soak run (`make soak`): thousands of events, a share of them malformed,
// delivered by the Functions host stand-in (with function.json's retry policy, its delays scaled down)
// over several partitions at once to the handler, which talks through the real gosnowflake driver to the
// Snowflake emulator while faults are injected (statement errors, HTTP 429, dropped connections, slow
// answers, expired session tokens) and Azurite is restarted mid-run. At the end it reads the audit table
// and the failure events the host collected and prints, per event: exactly one record, none, or
// duplicates; failure events against FAILED records; panics; and events lost (no record and no failure
// event, or a FAILED record without a failure event). It exits 1 on any loss, duplicate or panic.
//
//	go run ./cmd/soak [-events N] [-malformed SHARE] [-partitions N] [-batch N] [-restarts N] [-seed N] [-v]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	var cfg config
	flag.IntVar(&cfg.events, "events", 5000, "events to deliver")
	flag.Float64Var(&cfg.malformed, "malformed", 0.08, "share of malformed events")
	flag.IntVar(&cfg.partitions, "partitions", 4, "Event Hub partitions delivered at once")
	flag.IntVar(&cfg.batch, "batch", 12, "most events in one batch (each batch takes 1 to this many)")
	flag.IntVar(&cfg.restarts, "restarts", 2, "Azurite restarts, spread over the run")
	flag.DurationVar(&cfg.storageDown, "storage-down", 10*time.Second, "how long Azurite stays down at each restart")
	flag.Float64Var(&cfg.faultRate, "fault-rate", 0.3, "chance that a delivery is preceded by a new Snowflake fault")
	flag.Float64Var(&cfg.delayScale, "delay-scale", 0.05, "scale of the retry policy's delays (function.json: 5 s doubling to 5 min)")
	flag.Uint64Var(&cfg.seed, "seed", 1, "seed of the events and faults")
	verbose := flag.Bool("v", false, "show the handler's logs on stderr")
	flag.Parse()
	cfg.logs = io.Discard
	if *verbose {
		cfg.logs = os.Stderr
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := run(ctx, cfg, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
	rep.print(os.Stdout)
	if problems := rep.problems(); len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(os.Stderr, "soak: FAILED:", p)
		}
		os.Exit(1)
	}
}
