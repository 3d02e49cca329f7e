package snowflake

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sync"

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
	// Retry is the retry policy of each statement (zero: Retry's defaults).
	Retry Retry
	// Concurrency is how many statements are in flight at once (CONNECTOR_SNOWFLAKE_APPLY_THREADS).
	// Default 16.
	Concurrency int
}

// DefaultApplyThreads is ExecOptions.Concurrency's default: with GRANT at about 200 ms, 16 at a time
// apply about 80 statements a second; each is a session of the pool (snowflake.Open keeps 16 idle).
const DefaultApplyThreads = 16

// SQLExecutor applies statements through the driver, each statement in a request of its own and up to
// Concurrency of them at once. Snowflake runs the statements of one multi-statement request one after
// another ("Executing multiple statements in one request", https://docs.snowflake.com/en/developer-guide/
// sql-api/submitting-multiple-statements), so packing independent GRANTs into one request only chains
// their latencies; concurrent single statements overlap them.
//
// Statements are validated first (Statement.Validate); an invalid one is reported and never sent.
// CREATE ROLE statements run first, so that the grants to a new role find it; the rest run in no
// particular order. A statement is retried by the Retry policy; a systemic error (IsSystemic: login
// refused, Snowflake unreachable) stops the run: every statement not yet sent gets that error.
type SQLExecutor struct {
	db   Execer
	opts ExecOptions
}

// NewSQLExecutor returns an executor over db with opts (nil for the defaults).
func NewSQLExecutor(db Execer, opts *ExecOptions) *SQLExecutor {
	var o ExecOptions
	if opts != nil {
		o = *opts
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultApplyThreads
	}
	return &SQLExecutor{db: db, opts: o}
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
	var creates, others []int
	for i, s := range stmts {
		if err := s.Validate(); err != nil {
			r.errs[i] = err
			continue
		}
		if _, ok := s.(CreateRole); ok {
			creates = append(creates, i)
			continue
		}
		others = append(others, i)
	}
	r.runAll(ctx, creates)
	r.runAll(ctx, others)
	return r.errs
}

// runAll sends the statements at indexes, Concurrency at a time (bounded goroutines, not one each).
func (r *run) runAll(ctx context.Context, indexes []int) {
	g := new(errgroup.Group)
	g.SetLimit(r.opts.Concurrency)
	for _, i := range indexes {
		g.Go(func() error {
			// A panic fails its statement, which may or may not have been applied: a re-run converges.
			r.errs[i] = guard.Call(func() error { return r.send(ctx, r.stmts[i]) })
			return nil
		})
	}
	_ = g.Wait() // the goroutines report through r.errs and never return an error
}

// send runs one statement under the retry policy, and records a systemic error for the whole run.
func (r *run) send(ctx context.Context, s Statement) error {
	r.mu.Lock()
	stop := r.systemic
	r.mu.Unlock()
	if stop != nil {
		return stop
	}
	query := Render(s)
	err := r.opts.Retry.Do(ctx, func(ctx context.Context) error {
		if _, err := r.db.ExecContext(ctx, query); err != nil {
			return fmt.Errorf("exec %s: %w", query, err)
		}
		return nil
	})
	if IsSystemic(err) {
		r.mu.Lock()
		if r.systemic == nil {
			r.systemic = err
		}
		r.mu.Unlock()
	}
	return err
}

// DryRun is the dry-run Executor: it applies nothing and reports the same validation errors as
// SQLExecutor (nil for valid statements). It keeps nothing, so one can serve a process for its whole
// life (the handler's dry run); Recorder also remembers the statements.
type DryRun struct{}

// Exec implements Executor.
func (DryRun) Exec(_ context.Context, stmts []Statement) []error {
	errs := make([]error, len(stmts))
	for i, s := range stmts {
		errs[i] = s.Validate()
	}
	return errs
}

// Recorder is a DryRun that remembers every statement it is given, for the caller to read back
// (tests, one-off plans). It grows with every Exec: a long-lived process wants DryRun. Safe for
// concurrent use.
type Recorder struct {
	mu    sync.Mutex
	stmts []Statement
}

// Exec implements Executor.
func (r *Recorder) Exec(ctx context.Context, stmts []Statement) []error {
	r.mu.Lock()
	r.stmts = append(r.stmts, stmts...)
	r.mu.Unlock()
	return DryRun{}.Exec(ctx, stmts)
}

// Recorded returns a copy of the statements given to Exec so far, in order.
func (r *Recorder) Recorded() []Statement {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.stmts)
}
