package emulator_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"

	"github.com/snowflakedb/gosnowflake"
	"github.com/snowsync/snowsync/internal/testing/emulator"
	"github.com/snowsync/snowsync/internal/testing/emulator/emulatortest"
)

func TestMain(m *testing.M) { emulatortest.Main(m) }

// start starts an emulator seeded with the given SQL.
func start(t *testing.T, opts emulator.Options, seed string) *emulator.Server {
	t.Helper()
	srv := emulatortest.Start(t, opts)
	if seed != "" {
		if err := srv.Exec(seed); err != nil {
			t.Fatalf("seed: %v", err)
		}
	}
	return srv
}

// openDB opens a pool of one connection (one Snowflake session) to dsn.
func openDB(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("snowflake", dsn)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

func mustExec(t *testing.T, db *sql.DB, query string) {
	t.Helper()
	if _, err := db.Exec(query); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// queryRows runs a query and returns its column names and rows, NULL as "NULL".
func queryRows(ctx context.Context, db *sql.DB, query string, args ...any) ([]string, [][]string, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, nil, err
	}
	out, err := emulatortest.Strings(rows, "NULL")
	return cols, out, err
}

func mustQuery(t *testing.T, db *sql.DB, query string, args ...any) ([]string, [][]string) {
	t.Helper()
	cols, rows, err := queryRows(context.Background(), db, query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return cols, rows
}

// column returns one column of rows by name.
func column(t *testing.T, cols []string, rows [][]string, name string) []string {
	t.Helper()
	for i, c := range cols {
		if c == name {
			out := make([]string, len(rows))
			for j, r := range rows {
				out[j] = r[i]
			}
			return out
		}
	}
	t.Fatalf("no column %q in %v", name, cols)
	return nil
}

// snowflakeErrorNumber returns the driver error's Number and SQLState, failing the test when
// err is not a *gosnowflake.SnowflakeError.
func snowflakeErrorNumber(t *testing.T, err error) (int, string) {
	t.Helper()
	var se *gosnowflake.SnowflakeError
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T) is not a *gosnowflake.SnowflakeError", err, err)
	}
	return se.Number, se.SQLState
}

// renderGrants renders SHOW GRANTS / SHOW FUTURE GRANTS rows one line each, so expectations
// read like the rows: "PRIV ON NAME GRANTEE [WGO] BY GRANTOR" for privilege grants and
// "ROLE GRANTED_TO GRANTEE" for role grants.
func renderGrants(cols []string, rows [][]string) []string {
	idx := map[string]int{}
	for i, c := range cols {
		idx[c] = i
	}
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		get := func(n string) string { return r[idx[n]] }
		switch {
		case has(idx, "granted_by") && has(idx, "privilege"):
			line := fmt.Sprintf("%s %s %s %s", get("privilege"), get("granted_on"), get("name"), get("grantee_name"))
			if get("grant_option") == "true" {
				line += " WGO"
			}
			out = append(out, line+" BY "+get("granted_by"))
		case has(idx, "grant_on"):
			out = append(out, fmt.Sprintf("%s %s %s %s", get("privilege"), get("grant_on"), get("name"), get("grantee_name")))
		default:
			out = append(out, fmt.Sprintf("%s %s %s", get("role"), get("granted_to"), get("grantee_name")))
		}
	}
	return out
}

func has(m map[string]int, k string) bool { _, ok := m[k]; return ok }
