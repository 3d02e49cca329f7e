// Package emulatortest starts a Snowflake emulator for a test.
package emulatortest

import (
	"database/sql"
	"testing"

	"github.com/snowsync/snowsync/internal/emulator"
)

// Start starts an emulator on a free port of 127.0.0.1 and stops it when the test ends. It
// opens no connection; use srv.DSN with database/sql and the gosnowflake driver. The driver
// needs SNOWFLAKE_DISABLE_PLATFORM_DETECTION=true and CGO_ENABLED=0 (or
// SF_DISABLE_MINICORE=true) in the test's environment.
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
	for r.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := r.Scan(ptrs...); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		row := make([]string, len(vals))
		for i, v := range vals {
			row[i] = v.String
		}
		rows = append(rows, row)
	}
	if err := r.Err(); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return cols, rows
}
