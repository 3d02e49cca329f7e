package emulator_test

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/snowsync/snowsync/internal/testing/emulator"
)

// The corpus (testdata/corpus/*.txt, one file per statement family) is Snowflake's documented
// behaviour, each case citing its source. A file is a sequence of blocks separated by blank
// lines; # starts a comment line. A block is "key: value" lines:
//
//	seed:     SQL run as ACCOUNTADMIN before the cases (blocks with seed lines only)
//	source:   the documentation page title and section the case checks (required, repeatable)
//	note:     where the documentation is silent or ambiguous, what the case assumes
//	sql:      a statement to run (repeatable; all but the last must succeed)
//	error:    the error number the last sql (or the login, or the query) must give
//	message:  a substring of that error's message
//	connect:  after the sql, log in with user=U password=P [role=R] [database=D] and run the
//	          query (if any) on that session
//	query:    a query whose result must match
//	columns:  the query's exact column names, comma-separated
//	render:   the columns that render each row (space-separated, or comma-separated when a
//	          name holds a space); default: the grant rendering
//	want:     one rendered row (repeatable); rows compare in any order unless "order: exact"
//	rows:     the exact number of rows (when the rows themselves are not listed)
//
// The cases of a file run in order on one session of one emulator, each seeing the state the
// previous ones left, so the first failing case stops its file.
type corpusCase struct {
	line           int // where the case starts in its file
	sources, notes []string
	sql            []string
	err            int
	message        string
	connect        string
	query, render  string
	columns        []string
	want           []string
	wantSet, exact bool
	rows           int
	hasRows        bool
	name           string
	seed           []string
}

// corpusMinimum is the least number of cases each family must keep.
var corpusMinimum = map[string]int{
	"grant": 30, "revoke": 10, "show_grants": 15, "show_objects": 20, "create_drop": 10, "use": 5,
	"information_schema": 8, "session": 4, "masking_policy": 20, "row_access_policy": 10, "table_data": 12,
}

func readCorpus(t *testing.T, path string) (seed []string, cases []corpusCase) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var blocks [][]string
	var starts []int
	var cur []string
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "":
			if cur != nil {
				blocks, cur = append(blocks, cur), nil
			}
		case strings.HasPrefix(line, "#"):
		default:
			if cur == nil {
				starts = append(starts, n)
			}
			cur = append(cur, line)
		}
	}
	if cur != nil {
		blocks = append(blocks, cur)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for i, b := range blocks {
		c := corpusCase{line: starts[i]}
		for _, l := range b {
			key, val, ok := strings.Cut(l, ":")
			if !ok {
				t.Fatalf("%s:%d: %q is not key: value", path, starts[i], l)
			}
			val = strings.TrimSpace(val)
			switch key {
			case "seed":
				seed = append(seed, val)
				c.seed = append(c.seed, val)
			case "source":
				c.sources = append(c.sources, val)
			case "note":
				c.notes = append(c.notes, val)
			case "sql":
				c.sql = append(c.sql, val)
			case "error":
				if c.err, err = strconv.Atoi(val); err != nil {
					t.Fatalf("%s:%d: error %q", path, starts[i], val)
				}
			case "message":
				c.message = val
			case "connect":
				c.connect = val
			case "query":
				c.query = val
			case "columns":
				c.columns = strings.Split(val, ",")
				for j := range c.columns {
					c.columns[j] = strings.TrimSpace(c.columns[j])
				}
			case "render":
				c.render = val
			case "want":
				c.want, c.wantSet = append(c.want, val), true
			case "order":
				c.exact = val == "exact"
			case "rows":
				if c.rows, err = strconv.Atoi(val); err != nil {
					t.Fatalf("%s:%d: rows %q", path, starts[i], val)
				}
				c.hasRows = true
			default:
				t.Fatalf("%s:%d: unknown key %q", path, starts[i], key)
			}
		}
		if c.seed != nil {
			if len(c.seed) != len(b) {
				t.Fatalf("%s:%d: a seed block holds seed lines only", path, starts[i])
			}
			continue
		}
		if len(c.sources) == 0 {
			t.Fatalf("%s:%d: case without a source", path, starts[i])
		}
		// A case must be able to fail: it expects an error, or a result.
		if c.err == 0 && !c.wantSet && !c.hasRows && c.columns == nil {
			t.Fatalf("%s:%d: case expects nothing", path, starts[i])
		}
		if (c.wantSet || c.hasRows || c.columns != nil) && c.query == "" {
			t.Fatalf("%s:%d: result expected without a query", path, starts[i])
		}
		switch {
		case c.connect != "":
			c.name = "connect " + c.connect
		case len(c.sql) > 0:
			c.name = c.sql[len(c.sql)-1]
		default:
			c.name = c.query
		}
		cases = append(cases, c)
	}
	return seed, cases
}

// TestCorpus runs every family of the corpus through the real driver.
func TestCorpus(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "corpus", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, path := range files {
		family := strings.TrimSuffix(filepath.Base(path), ".txt")
		seed, cases := readCorpus(t, path)
		counts[family] = len(cases)
		t.Run(family, func(t *testing.T) {
			srv := start(t, emulator.Options{}, strings.Join(seed, "\n"))
			db := openDB(t, srv.DSN("SALES"))
			for i, c := range cases {
				ok := t.Run(fmt.Sprintf("%03d %s", i, c.name), func(t *testing.T) {
					runCorpusCase(t, srv, db, c)
				})
				if !ok {
					t.Fatalf("%s:%d failed; the later cases of %s depend on it", path, c.line, family)
				}
			}
		})
	}
	total := 0
	for family, min := range corpusMinimum {
		if counts[family] < min {
			t.Errorf("family %s has %d cases, want at least %d", family, counts[family], min)
		}
		total += counts[family]
	}
	t.Logf("corpus: %d cases %v", total, counts)
}

func runCorpusCase(t *testing.T, srv *emulator.Server, db *sql.DB, c corpusCase) {
	ctx := context.Background()
	var err error
	for i, q := range c.sql {
		if _, err = db.ExecContext(ctx, q); err != nil && (i < len(c.sql)-1 || c.connect != "") {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if c.connect != "" {
		var conn *sql.DB
		conn, err = sql.Open("snowflake", corpusDSN(t, srv, c.connect))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetMaxOpenConns(1)
		if err = conn.PingContext(ctx); err == nil && c.query != "" {
			db = conn
		}
	}
	var cols []string
	var rows [][]string
	if err == nil && c.query != "" {
		cols, rows, err = queryRows(ctx, db, c.query)
	}
	switch {
	case c.err != 0 && err == nil:
		t.Fatalf("succeeded, want error %06d (%s)", c.err, strings.Join(c.sources, "; "))
	case c.err != 0:
		if n, _ := snowflakeErrorNumber(t, err); n != c.err {
			t.Fatalf("error %v, want number %06d (%s)", err, c.err, strings.Join(c.sources, "; "))
		}
		if !strings.Contains(err.Error(), c.message) {
			t.Fatalf("error %q does not contain %q", err, c.message)
		}
		return
	case err != nil:
		t.Fatalf("unexpected error: %v", err)
	}
	if c.columns != nil && !slices.Equal(cols, c.columns) {
		t.Errorf("%s: columns\n  %s\nwant\n  %s", c.query, strings.Join(cols, ","), strings.Join(c.columns, ","))
	}
	if c.hasRows && len(rows) != c.rows {
		t.Errorf("%s: %d rows, want %d", c.query, len(rows), c.rows)
	}
	if !c.wantSet {
		return
	}
	got := renderRows(t, cols, rows, c.render)
	want := slices.Clone(c.want)
	if len(want) == 1 && want[0] == "" {
		want = nil // "want:" alone: no rows
	}
	if !c.exact {
		slices.Sort(got)
		slices.Sort(want)
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s (%s):\ngot:\n  %s\nwant:\n  %s", c.query, strings.Join(c.sources, "; "),
			strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// renderRows renders rows by the named columns joined by spaces, or as renderGrants does.
func renderRows(t *testing.T, cols []string, rows [][]string, render string) []string {
	t.Helper()
	if render == "" {
		return renderGrants(cols, rows)
	}
	names := strings.Fields(render)
	if strings.Contains(render, ",") {
		names = strings.Split(render, ",")
		for i := range names {
			names[i] = strings.TrimSpace(names[i])
		}
	}
	idx := make([]int, len(names))
	for i, n := range names {
		if idx[i] = slices.Index(cols, n); idx[i] < 0 {
			t.Fatalf("no column %q in %v", n, cols)
		}
	}
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		vals := make([]string, len(idx))
		for i, j := range idx {
			vals[i] = r[j]
		}
		out = append(out, strings.TrimSpace(strings.Join(vals, " ")))
	}
	return out
}

// corpusDSN builds the DSN of a connect case: "user=U password=P role=R database=D".
func corpusDSN(t *testing.T, srv *emulator.Server, spec string) string {
	t.Helper()
	kv := map[string]string{}
	for _, f := range strings.Fields(spec) {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			t.Fatalf("connect: %q is not key=value", f)
		}
		kv[k] = v
	}
	params := url.Values{"account": {"emulator"}, "protocol": {"http"}, "disableTelemetry": {"true"},
		"validateDefaultParameters": {"false"}}
	if kv["role"] != "" {
		params.Set("role", kv["role"])
	}
	path := ""
	if kv["database"] != "" {
		path = "/" + url.PathEscape(kv["database"])
	}
	return fmt.Sprintf("%s:%s@%s%s?%s", url.QueryEscape(kv["user"]), url.QueryEscape(kv["password"]), srv.Addr(), path, params.Encode())
}
