package snowflake

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/snowflakedb/gosnowflake"
	"golang.org/x/sync/errgroup"

	"github.com/snowsync/snowsync/internal/guard"
)

// Executor applies statements. Exec returns one error per statement, in the order given: nil when the
// statement was applied (or, for a dry run, accepted). A failing statement does not prevent the others.
type Executor interface {
	Exec(ctx context.Context, stmts []Statement) []error
}

// Execer runs a statement; *sql.DB implements it.
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// ExecOptions tunes SQLExecutor. A nil *ExecOptions, or a zero field, means the documented default.
type ExecOptions struct {
	// MaxRetries is how many times a request that failed with a transient error (IsTransient) is sent
	// again. Default 3; negative means never.
	MaxRetries int
	// Backoff is the delay before the first retry; it doubles for each further retry, up to MaxBackoff,
	// and each delay is jittered to between half and all of it. Defaults 200 ms and 5 s. A retry whose
	// delay would end after the context's deadline is not attempted.
	Backoff, MaxBackoff time.Duration
	// Concurrency is how many requests are in flight at once. Default 4.
	Concurrency int
	// GroupSize is how many statements go into one multi-statement request. Default 20; 1 sends each
	// statement on its own.
	GroupSize int
	// RequestTimeout bounds each request (one attempt); its expiry is a transient error as long as the
	// caller's context is not done. Default 60 s.
	RequestTimeout time.Duration
}

func (o *ExecOptions) withDefaults() ExecOptions {
	var r ExecOptions
	if o != nil {
		r = *o
	}
	switch {
	case r.MaxRetries == 0:
		r.MaxRetries = 3
	case r.MaxRetries < 0:
		r.MaxRetries = 0
	}
	r.Backoff = firstPositive(r.Backoff, 200*time.Millisecond)
	r.MaxBackoff = firstPositive(r.MaxBackoff, 5*time.Second)
	r.RequestTimeout = firstPositive(r.RequestTimeout, 60*time.Second)
	if r.Concurrency <= 0 {
		r.Concurrency = 4
	}
	if r.GroupSize <= 0 {
		r.GroupSize = 20
	}
	return r
}

// SQLExecutor applies statements through the driver, cutting round trips two ways: up to GroupSize
// statements are sent in one multi-statement request (gosnowflake.WithMultiStatement), and up to
// Concurrency requests run at once.
//
// Statements are validated first (Statement.Validate); an invalid one is reported and never sent.
// CREATE ROLE statements run first, each in its own request, so that the grants to a new role find it;
// the rest run in groups, in no particular order between groups. When a group fails, Snowflake has run
// the statements before the failing one and not the rest, so each statement of the group is sent again
// on its own: the failing one is isolated and the others are applied. That relies on GRANT and REVOKE
// being idempotent, which they are in Snowflake.
//
// A transient error is retried with capped exponential backoff and jitter inside the context's
// deadline; a permanent one is not. A systemic error (IsSystemic: login refused, Snowflake
// unreachable) stops the run: every statement not yet applied gets that error without being sent.
type SQLExecutor struct {
	db   Execer
	opts ExecOptions
}

// NewSQLExecutor returns an executor over db with opts (nil for the defaults).
func NewSQLExecutor(db Execer, opts *ExecOptions) *SQLExecutor {
	return &SQLExecutor{db: db, opts: opts.withDefaults()}
}

// run is the state of one Exec call.
type run struct {
	*SQLExecutor
	stmts []Statement
	errs  []error // each slot written by the one goroutine that owns the statement

	mu       sync.Mutex
	systemic error
}

// Exec implements Executor.
func (e *SQLExecutor) Exec(ctx context.Context, stmts []Statement) []error {
	r := &run{SQLExecutor: e, stmts: stmts, errs: make([]error, len(stmts))}
	var creates, others [][]int
	for i, s := range stmts {
		if err := s.Validate(); err != nil {
			r.errs[i] = err
			continue
		}
		if _, ok := s.(CreateRole); ok {
			creates = append(creates, []int{i})
			continue
		}
		if len(others) == 0 || len(others[len(others)-1]) == e.opts.GroupSize {
			others = append(others, make([]int, 0, e.opts.GroupSize))
		}
		others[len(others)-1] = append(others[len(others)-1], i)
	}
	r.runGroups(ctx, creates)
	r.runGroups(ctx, others)
	return r.errs
}

func (r *run) runGroups(ctx context.Context, groups [][]int) {
	g := new(errgroup.Group)
	g.SetLimit(r.opts.Concurrency)
	for _, group := range groups {
		g.Go(func() error {
			// A panic fails every statement of the group that has not failed already: some may have
			// been applied, which a re-run converges on.
			if err := guard.Call(func() error { r.runGroup(ctx, group); return nil }); err != nil {
				for _, i := range group {
					if r.errs[i] == nil {
						r.errs[i] = err
					}
				}
			}
			return nil
		})
	}
	_ = g.Wait() // the goroutines report through r.errs and never return an error
}

func (r *run) runGroup(ctx context.Context, group []int) {
	if len(group) > 1 {
		sqls := make([]string, len(group))
		for k, i := range group {
			sqls[k] = Render(r.stmts[i])
		}
		err := r.send(ctx, strings.Join(sqls, ";\n"), len(group))
		if err == nil || IsSystemic(err) || ctx.Err() != nil {
			for _, i := range group {
				r.errs[i] = err
			}
			return
		}
	}
	for _, i := range group {
		r.errs[i] = r.send(ctx, Render(r.stmts[i]), 1)
	}
}

// send runs query (n statements) with retries, and records a systemic error for the whole run.
func (r *run) send(ctx context.Context, query string, n int) error {
	for attempt := 0; ; attempt++ {
		r.mu.Lock()
		stop := r.systemic
		r.mu.Unlock()
		if stop != nil {
			return stop
		}
		err := r.once(ctx, query, n)
		if err == nil {
			return nil
		}
		if IsSystemic(err) {
			r.mu.Lock()
			if r.systemic == nil {
				r.systemic = err
			}
			r.mu.Unlock()
			return err
		}
		if attempt >= r.opts.MaxRetries || !IsTransient(err) || ctx.Err() != nil {
			return err
		}
		delay := r.backoff(attempt)
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < delay {
			return err
		}
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return err
		}
	}
}

func (r *run) once(ctx context.Context, query string, n int) error {
	ctx, cancel := context.WithTimeout(ctx, r.opts.RequestTimeout)
	defer cancel()
	if n > 1 {
		ctx, _ = gosnowflake.WithMultiStatement(ctx, n) // never fails
	}
	if _, err := r.db.ExecContext(ctx, query); err != nil {
		if n > 1 {
			return fmt.Errorf("exec %d statements: %w", n, err)
		}
		return fmt.Errorf("exec %s: %w", query, err)
	}
	return nil
}

// backoff returns the delay before retry attempt+1: Backoff·2^attempt capped at MaxBackoff, jittered to
// [d/2, d].
func (r *run) backoff(attempt int) time.Duration {
	d := r.opts.MaxBackoff
	if attempt < 30 {
		d = min(r.opts.Backoff<<attempt, r.opts.MaxBackoff)
	}
	return d/2 + rand.N(d/2+1)
}

// Recorder is the dry-run Executor: it applies nothing, remembers every statement it is given, and
// reports the same validation errors as SQLExecutor (nil for valid statements). Safe for concurrent use.
type Recorder struct {
	mu    sync.Mutex
	stmts []Statement
}

// Exec implements Executor.
func (r *Recorder) Exec(_ context.Context, stmts []Statement) []error {
	r.mu.Lock()
	r.stmts = append(r.stmts, stmts...)
	r.mu.Unlock()
	errs := make([]error, len(stmts))
	for i, s := range stmts {
		errs[i] = s.Validate()
	}
	return errs
}

// Recorded returns a copy of the statements given to Exec so far, in order.
func (r *Recorder) Recorded() []Statement {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.stmts)
}
