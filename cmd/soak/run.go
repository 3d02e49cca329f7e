package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/snowflakedb/gosnowflake" // the handler's driver, in this process

	"github.com/snowsync/snowsync/internal/audit"
	"github.com/snowsync/snowsync/internal/failure"
	"github.com/snowsync/snowsync/internal/task/outcome"
	"github.com/snowsync/snowsync/internal/testing/emulator"
	"github.com/snowsync/snowsync/internal/testing/stack"
)

// config says what one soak run does.
type config struct {
	events     int
	malformed  float64
	partitions int
	batch      int
	restarts   int
	// storageDown is how long Azurite stays down at each restart.
	storageDown time.Duration
	faultRate   float64
	delayScale  float64
	seed        uint64
	logs        io.Writer // the handler's logs
}

// redeliverShare is the share of batches the host delivers twice (Event Hubs is at-least-once).
const redeliverShare = 0.03

// run starts the stack, delivers the events under faults and restarts, and checks what was recorded.
// progress receives a line per restart; the error is for a run that could not be made at all.
func run(ctx context.Context, cfg config, progress io.Writer) (*report, error) {
	panics := &panicCounter{Handler: slog.NewJSONHandler(cfg.logs, nil), n: new(atomic.Int64)}
	s, err := stack.Start(ctx, stack.Options{SeedSQL: seedSQL(), Policies: []byte(soakPolicies), PersistentStorage: true,
		Logger: slog.New(panics)})
	if err != nil {
		return nil, err
	}
	defer s.Close()
	host, err := stack.NewHost(s.URL, cfg.delayScale)
	if err != nil {
		return nil, err
	}

	rng := rand.New(rand.NewPCG(cfg.seed, 1))
	events := generate(rng, cfg.events, cfg.malformed)
	rep := &report{cfg: cfg, events: events, failures: map[*event]int{}, records: map[*event][]outcome.Task{}}
	bySeq := map[string]*event{} // "partition/seq" → event, filled as batches are built

	start := time.Now()
	faults := &injector{srv: s.Snowflake, rng: rand.New(rand.NewPCG(cfg.seed, 2))}

	var delivered atomic.Int64
	restart := make(chan struct{}, cfg.restarts)
	var restarts sync.WaitGroup
	restarts.Go(func() {
		for range restart {
			t := time.Now()
			err := s.Azurite.Down()
			if err == nil {
				select {
				case <-time.After(cfg.storageDown):
				case <-ctx.Done():
				}
				err = s.Azurite.Restart(ctx)
			}
			if err != nil {
				rep.note("restart Azurite: %v", err)
				continue
			}
			rep.restarts++
			fmt.Fprintf(progress, "soak: Azurite restarted after %d of %d events (down %.1f s)\n", delivered.Load(), cfg.events, time.Since(t).Seconds())
		}
	})

	var mu sync.Mutex // guards rep's maps and counters and bySeq while workers run
	var workers sync.WaitGroup
	for p := range cfg.partitions {
		partition := strconv.Itoa(p)
		var mine []*event
		for i := p; i < len(events); i += cfg.partitions {
			mine = append(mine, events[i])
		}
		brng := rand.New(rand.NewPCG(cfg.seed, uint64(10+p)))
		workers.Go(func() {
			for len(mine) > 0 && ctx.Err() == nil {
				n := min(len(mine), 1+brng.IntN(cfg.batch))
				batch := mine[:n]
				mine = mine[n:]
				bodies := make([][]byte, n)
				for i, e := range batch {
					bodies[i] = e.body
				}
				d := s.Batch(partition, bodies...)
				mu.Lock()
				for i, e := range batch {
					e.partition, e.seq = partition, d.Events[i].SequenceNumber
					bySeq[partition+"/"+strconv.FormatInt(e.seq, 10)] = e
				}
				mu.Unlock()
				times := 1
				if brng.Float64() < redeliverShare {
					times = 2
				}
				for range times {
					if brng.Float64() < cfg.faultRate {
						faults.inject()
					}
					res := host.Deliver(ctx, d)
					mu.Lock()
					rep.batches++
					if res.Attempts > 1 {
						rep.retried++
						rep.retries += res.Attempts - 1
					}
					if res.Err != nil {
						rep.deliveryErrors++
						rep.note("partition %s, batch at sequence %d: %v", partition, d.Events[0].SequenceNumber, res.Err)
					}
					for _, f := range res.Failures {
						rep.countFailure(f, bySeq)
					}
					mu.Unlock()
				}
				mu.Lock()
				rep.redelivered += times - 1
				mu.Unlock()
				before := delivered.Add(int64(n)) - int64(n)
				for k := 1; k <= cfg.restarts; k++ { // the restarts fall evenly over the run
					if mark := int64(k * cfg.events / (cfg.restarts + 1)); before < mark && mark <= before+int64(n) {
						restart <- struct{}{}
					}
				}
			}
		})
	}
	workers.Wait()
	close(restart)
	restarts.Wait()
	rep.expired = faults.expired
	rep.wall = time.Since(start)
	rep.faults = s.Snowflake.FaultsFired()
	rep.panicLogs = int(panics.n.Load())
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	recs, err := s.App.Store.List(ctx, audit.Filter{})
	if err != nil {
		return nil, fmt.Errorf("read the audit table: %w", err)
	}
	byRow := map[string]*event{}
	for _, e := range events {
		byRow[audit.RowKeyForEvent(stack.EventHub, stack.ConsumerGroup, e.partition, e.seq)] = e
	}
	for _, r := range recs {
		e := byRow[r.RowKey]
		if e == nil {
			rep.stray++
			continue
		}
		rep.records[e] = append(rep.records[e], r)
	}
	rep.tally()
	return rep, nil
}

// injector installs random Snowflake faults: a statement error, an HTTP 429, a dropped connection, a
// slow answer, or every session token expired. Safe for concurrent use.
type injector struct {
	srv *emulator.Server
	mu  sync.Mutex
	rng *rand.Rand
	// expired counts the token expiries (the other faults count themselves: Server.FaultsFired).
	expired int
}

// anyStatement matches every statement.
var anyStatement = regexp.MustCompile(`.`)

// inject installs one fault, for the next requests whoever sends them.
func (in *injector) inject() {
	in.mu.Lock()
	defer in.mu.Unlock()
	times := 1 + in.rng.IntN(3)
	switch in.rng.IntN(6) {
	case 0: // an internal error, which the engine retries
		in.srv.AddFault(emulator.Fault{Kind: emulator.FaultError, Number: 603, Match: anyStatement, Times: times})
	case 1: // an error no retry cures: the resource FAILS
		in.srv.AddFault(emulator.Fault{Kind: emulator.FaultError, Number: 3001, Match: regexp.MustCompile(`^GRANT`), Times: 1})
	case 2:
		in.srv.AddFault(emulator.Fault{Kind: emulator.FaultThrottle, Times: times})
	case 3:
		in.srv.AddFault(emulator.Fault{Kind: emulator.FaultDrop, Times: times})
	case 4:
		in.srv.AddFault(emulator.Fault{Kind: emulator.FaultSlow, Delay: time.Duration(200+in.rng.IntN(1300)) * time.Millisecond, Times: 1})
	default:
		in.srv.ExpireTokens()
		in.expired++
	}
}

// panicCounter is a slog.Handler that counts the records mentioning a panic before passing them on.
type panicCounter struct {
	slog.Handler
	n *atomic.Int64
}

var panicText = regexp.MustCompile(`(?i)panic`)

func (h *panicCounter) Handle(ctx context.Context, r slog.Record) error {
	hit := panicText.MatchString(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		hit = hit || panicText.MatchString(a.Value.String())
		return !hit
	})
	if hit {
		h.n.Add(1)
	}
	return h.Handler.Handle(ctx, r)
}

func (h *panicCounter) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &panicCounter{Handler: h.Handler.WithAttrs(attrs), n: h.n}
}

func (h *panicCounter) WithGroup(name string) slog.Handler {
	return &panicCounter{Handler: h.Handler.WithGroup(name), n: h.n}
}

// countFailure counts one failure event against the event it names.
func (r *report) countFailure(raw string, bySeq map[string]*event) {
	r.failureEvents++
	var f failure.Event
	if err := json.Unmarshal([]byte(raw), &f); err != nil || f.SequenceNumber == nil {
		r.note("failure event that names no event: %.200s", raw)
		r.strayFailures++
		return
	}
	e := bySeq[f.Partition+"/"+strconv.FormatInt(*f.SequenceNumber, 10)]
	if e == nil {
		r.strayFailures++
		return
	}
	r.failures[e]++
	if f.ErrorType == "AUDIT_ERROR" {
		r.auditErrors++
	}
}
