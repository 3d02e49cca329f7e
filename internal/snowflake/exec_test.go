package snowflake

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/snowflakedb/gosnowflake"

	"github.com/snowsync/snowsync/internal/guard"
)

// grants returns n valid GRANT statements on tables T0..Tn-1.
func grants(n int) []Statement {
	out := make([]Statement, n)
	for i := range out {
		out[i] = Grant{[]Privilege{"SELECT"}, ObjectTable, ObjectID{"D", "S", fmt.Sprintf("T%d", i)}, "PRIV_A"}
	}
	return out
}

func sfErr(n int) error { return &gosnowflake.SnowflakeError{Number: n, Message: "injected"} }

// quick keeps retries quick.
var quick = Retry{Backoff: 1, MaxBackoff: 1}

// fast keeps retries quick and the run sequential, so the request log has one order.
var fast = &ExecOptions{Retry: quick, Concurrency: 1}

func TestExecSendsSingleStatements(t *testing.T) {
	f := &fakeDB{}
	stmts := grants(7)
	errs := NewSQLExecutor(newFakeDB(t, f), fast).Exec(context.Background(), stmts)
	if slices.ContainsFunc(errs, func(err error) bool { return err != nil }) {
		t.Fatalf("errors: %v", errs)
	}
	var want []string
	for _, s := range stmts {
		want = append(want, Render(s))
	}
	if reqs := f.requests(); !slices.Equal(reqs, want) {
		t.Fatalf("requests =\n%q\nwant one per statement, in order (one at a time)\n%q", reqs, want)
	}
}

func TestExecIsolatesFailure(t *testing.T) {
	stmts := grants(6)
	bad := Render(stmts[1])
	f := &fakeDB{fail: func(stmt string) error {
		if stmt == bad {
			return sfErr(2003)
		}
		return nil
	}}
	errs := NewSQLExecutor(newFakeDB(t, f), fast).Exec(context.Background(), stmts)
	for i, err := range errs {
		if (i == 1) != (err != nil) {
			t.Errorf("statement %d: error %v", i, err)
		}
	}
	if !IsNotExist(errs[1]) || !strings.Contains(errs[1].Error(), bad) {
		t.Errorf("failing statement: %v; want 002003 naming the statement", errs[1])
	}
	for i, s := range stmts {
		if i != 1 && !slices.Contains(f.applied, Render(s)) {
			t.Errorf("statement %d not applied", i)
		}
	}
	// One request per statement: a permanent error is not retried.
	if n := len(f.requests()); n != 6 {
		t.Errorf("%d requests; want 6: %q", n, f.requests())
	}
}

func TestExecRetries(t *testing.T) {
	for _, tc := range []struct {
		name       string
		failures   int // how many times the statement fails before succeeding
		err        error
		opts       ExecOptions
		wantOK     bool
		wantTrials int
	}{
		{"transient then success", 2, sfErr(630), ExecOptions{Retry: quick}, true, 3},
		{"throttled beyond MaxRetries", 10, sfErr(gosnowflake.ErrFailedToPostQuery), ExecOptions{Retry: Retry{Backoff: 1, MaxBackoff: 1, MaxRetries: 2}}, false, 3},
		{"retries disabled", 1, sfErr(630), ExecOptions{Retry: Retry{MaxRetries: -1}}, false, 1},
		{"statement deadline is transient", 1, fmt.Errorf("x: %w", context.DeadlineExceeded), ExecOptions{Retry: quick}, true, 2},
		{"permanent", 10, sfErr(3001), ExecOptions{Retry: quick}, false, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			trials := 0
			f := &fakeDB{fail: func(string) error {
				mu.Lock()
				defer mu.Unlock()
				trials++
				if trials <= tc.failures {
					return tc.err
				}
				return nil
			}}
			errs := NewSQLExecutor(newFakeDB(t, f), &tc.opts).Exec(context.Background(), grants(1))
			if (errs[0] == nil) != tc.wantOK || trials != tc.wantTrials {
				t.Errorf("error %v after %d trials; want ok=%v after %d", errs[0], trials, tc.wantOK, tc.wantTrials)
			}
			if !tc.wantOK && !errors.Is(errs[0], tc.err) {
				t.Errorf("error %v does not wrap %v", errs[0], tc.err)
			}
		})
	}
}

func TestExecParentContextDone(t *testing.T) {
	f := &fakeDB{fail: func(string) error { return sfErr(630) }}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	errs := NewSQLExecutor(newFakeDB(t, f), &ExecOptions{Retry: quick}).Exec(ctx, grants(2))
	for i, err := range errs {
		if err == nil {
			t.Errorf("statement %d applied after the context was cancelled", i)
		}
	}
	if len(f.applied) != 0 {
		t.Errorf("applied %q", f.applied)
	}
}

func TestExecSystemicStops(t *testing.T) {
	login := sfErr(390100)
	f := &fakeDB{fail: func(string) error { return login }}
	errs := NewSQLExecutor(newFakeDB(t, f), fast).Exec(context.Background(), grants(7))
	for i, err := range errs {
		if !IsSystemic(err) {
			t.Errorf("statement %d: %v; want the systemic error", i, err)
		}
	}
	if n := len(f.requests()); n != 1 {
		t.Errorf("%d requests after a refused login; want 1", n)
	}
}

func TestExecOrderAndValidation(t *testing.T) {
	f := &fakeDB{}
	stmts := []Statement{
		Grant{[]Privilege{"SELECT"}, ObjectTable, ObjectID{"D", "S", "T"}, "PRIV_NEW"},
		Grant{[]Privilege{PrivilegeOwnership}, ObjectTable, ObjectID{"D", "S", "T"}, "PRIV_NEW"},
		CreateRole{"PRIV_NEW", true},
		Grant{[]Privilege{"USAGE"}, ObjectSchema, SchemaID{"D", "S"}, "PRIV_NEW"},
		CreateRole{"PRIV_OTHER", true},
	}
	errs := NewSQLExecutor(newFakeDB(t, f), &ExecOptions{Concurrency: 1}).Exec(context.Background(), stmts)
	if !errors.Is(errs[1], ErrInvalidStatement) {
		t.Errorf("OWNERSHIP grant: %v; want ErrInvalidStatement", errs[1])
	}
	for _, i := range []int{0, 2, 3, 4} {
		if errs[i] != nil {
			t.Errorf("statement %d: %v", i, errs[i])
		}
	}
	want := []string{Render(stmts[2]), Render(stmts[4]), Render(stmts[0]), Render(stmts[3])}
	if got := f.requests(); !slices.Equal(got, want) {
		t.Errorf("requests =\n%q\nwant (roles first, one each; the invalid grant never sent)\n%q", got, want)
	}
}

func TestExecConcurrent(t *testing.T) {
	stmts := grants(40)
	bad := Render(stmts[17])
	f := &fakeDB{fail: func(stmt string) error {
		if stmt == bad {
			return sfErr(2003)
		}
		return nil
	}}
	errs := NewSQLExecutor(newFakeDB(t, f), &ExecOptions{Concurrency: 8}).Exec(context.Background(), stmts)
	for i, err := range errs {
		if (i == 17) != (err != nil) {
			t.Errorf("statement %d: %v", i, err)
		}
	}
	if n := len(f.requests()); n != 40 {
		t.Errorf("%d requests; want 40 (one per statement)", n)
	}
}

func TestRecorder(t *testing.T) {
	var r Recorder
	stmts := grants(2)
	bad := Grant{[]Privilege{"INSERT"}, ObjectView, ObjectID{"D", "S", "V"}, "R"}
	errs := r.Exec(context.Background(), append(stmts, bad))
	if errs[0] != nil || errs[1] != nil || !errors.Is(errs[2], ErrInvalidStatement) {
		t.Errorf("errors = %v", errs)
	}
	errs = r.Exec(context.Background(), []Statement{CreateRole{"X", true}})
	if errs[0] != nil {
		t.Error(errs[0])
	}
	got := r.Recorded()
	if len(got) != 4 || Render(got[0]) != Render(stmts[0]) || Render(got[3]) != `CREATE ROLE IF NOT EXISTS "X"` {
		t.Errorf("Recorded = %v", got)
	}
	got[0] = nil
	if r.Recorded()[0] == nil {
		t.Error("Recorded returned its internal slice")
	}
}

// TestDryRun: the handler's dry run validates as SQLExecutor does and keeps nothing (an empty struct).
func TestDryRun(t *testing.T) {
	bad := Grant{[]Privilege{"INSERT"}, ObjectView, ObjectID{"D", "S", "V"}, "R"}
	errs := DryRun{}.Exec(context.Background(), append(grants(2), bad))
	if len(errs) != 3 || errs[0] != nil || errs[1] != nil || !errors.Is(errs[2], ErrInvalidStatement) {
		t.Errorf("errors = %v", errs)
	}
}

var _ Executor = (*SQLExecutor)(nil)
var _ Executor = (*Recorder)(nil)
var _ Executor = DryRun{}

// panicky is an identifier whose rendering panics, standing in for any bug on the apply path.
type panicky struct{ ObjectID }

func (panicky) FullyQualifiedName() string { panic("render bug") }

func TestExecPanicFailsItsStatements(t *testing.T) {
	stmts := append(grants(1), Grant{[]Privilege{"SELECT"}, ObjectTable, panicky{ObjectID{"D", "S", "X"}}, "PRIV_A"})
	errs := NewSQLExecutor(newFakeDB(t, &fakeDB{}), &ExecOptions{Concurrency: 1}).Exec(context.Background(), stmts)
	var p *guard.PanicError
	if errs[0] != nil || !errors.As(errs[1], &p) {
		t.Errorf("errs = %v; want the first applied and the panicking one failed, not reported as applied", errs)
	}
}
