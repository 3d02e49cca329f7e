// Package emulatortest starts a Snowflake emulator for a test.
package emulatortest

import (
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
