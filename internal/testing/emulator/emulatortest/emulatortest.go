// Package emulatortest starts a Snowflake emulator for a test and holds what the tests that talk to it
// through the real gosnowflake driver share.
package emulatortest

import (
	"database/sql"
	"os"
	"testing"

	"github.com/snowflakedb/gosnowflake"

	"github.com/snowsync/snowsync/internal/testing/emulator"
)

// Main runs a package's tests (call it as TestMain) with the gosnowflake driver set as the emulator
// needs: no probing of cloud platforms, no native library, and no logging of the errors that tests
// expect (only fatal ones remain).
func Main(m *testing.M) {
	os.Setenv("SNOWFLAKE_DISABLE_PLATFORM_DETECTION", "true")
	os.Setenv("SF_DISABLE_MINICORE", "true")
	_ = gosnowflake.GetLogger().SetLogLevel("fatal")
	os.Exit(m.Run())
}

// Start starts an emulator on a free port of 127.0.0.1 and stops it when the test ends. It
// opens no connection; use srv.DSN with database/sql and the gosnowflake driver. The driver
// needs SNOWFLAKE_DISABLE_PLATFORM_DETECTION=true and CGO_ENABLED=0 (or
// SF_DISABLE_MINICORE=true) in the test's environment: see Main.
func Start(t testing.TB, opts emulator.Options) *emulator.Server {
	t.Helper()
	srv := emulator.New(opts)
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatalf("start snowflake emulator: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("close snowflake emulator: %v", err)
		}
	})
	return srv
}

// Query runs query through db (the real driver) and returns its column names and every row, each value
// as a string (NULL as ""), so that tests can check results by column name.
func Query(t testing.TB, db *sql.DB, query string) (cols []string, rows [][]string) {
	t.Helper()
	r, err := db.Query(query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer r.Close()
	if cols, err = r.Columns(); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	if rows, err = Strings(r, ""); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return cols, rows
}

// Strings reads the rows left in r's current result set, each value as a string and NULL as null. It
// does not close r; its error is that of Columns, Scan or Err.
func Strings(r *sql.Rows, null string) ([][]string, error) {
	cols, err := r.Columns()
	if err != nil {
		return nil, err
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var out [][]string
	for r.Next() {
		if err := r.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]string, len(vals))
		for i, v := range vals {
			row[i] = null
			if v.Valid {
				row[i] = v.String
			}
		}
		out = append(out, row)
	}
	return out, r.Err()
}
