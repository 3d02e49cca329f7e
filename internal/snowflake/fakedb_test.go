package snowflake

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
)

// fakeDB is an in-memory database/sql driver for the unit tests, a real implementation of the driver
// interfaces rather than a mock: queries are answered from canned results keyed by SQL text; Exec runs
// the statements of a request in order (split on ";\n" like a multi-statement request), stopping at
// the first one that fail rejects, as Snowflake does; every request is logged.
type fakeDB struct {
	mu      sync.Mutex
	results map[string]fakeResult
	fail    func(stmt string) error // nil: every statement succeeds
	log     []string                // every request, in order
	applied []string                // every statement that succeeded
}

type fakeResult struct {
	cols []string
	rows [][]any
	err  error
}

func newFakeDB(t *testing.T, f *fakeDB) *sql.DB {
	t.Helper()
	db := sql.OpenDB(f)
	t.Cleanup(func() { db.Close() })
	return db
}

func (f *fakeDB) Connect(context.Context) (driver.Conn, error) { return fakeConn{f}, nil }
func (f *fakeDB) Driver() driver.Driver                        { return nil }

func (f *fakeDB) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.log...)
}

type fakeConn struct{ f *fakeDB }

func (c fakeConn) Prepare(string) (driver.Stmt, error) { return nil, errors.New("fake: no prepare") }
func (c fakeConn) Close() error                        { return nil }
func (c fakeConn) Begin() (driver.Tx, error)           { return nil, errors.New("fake: no transactions") }

func (c fakeConn) QueryContext(_ context.Context, query string, _ []driver.NamedValue) (driver.Rows, error) {
	c.f.mu.Lock()
	defer c.f.mu.Unlock()
	c.f.log = append(c.f.log, query)
	r, ok := c.f.results[query]
	if !ok {
		return nil, errors.New("fake: unexpected query " + query)
	}
	if r.err != nil {
		return nil, r.err
	}
	return &fakeRows{cols: r.cols, rows: r.rows}, nil
}

func (c fakeConn) ExecContext(ctx context.Context, query string, _ []driver.NamedValue) (driver.Result, error) {
	c.f.mu.Lock()
	defer c.f.mu.Unlock()
	c.f.log = append(c.f.log, query)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, stmt := range strings.Split(query, ";\n") {
		if c.f.fail != nil {
			if err := c.f.fail(stmt); err != nil {
				return nil, err
			}
		}
		c.f.applied = append(c.f.applied, stmt)
	}
	return driver.RowsAffected(0), nil
}

type fakeRows struct {
	cols []string
	rows [][]any
}

func (r *fakeRows) Columns() []string { return r.cols }
func (r *fakeRows) Close() error      { return nil }
func (r *fakeRows) Next(dest []driver.Value) error {
	if len(r.rows) == 0 {
		return io.EOF
	}
	for i, v := range r.rows[0] {
		dest[i] = v
	}
	r.rows = r.rows[1:]
	return nil
}
