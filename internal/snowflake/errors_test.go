package snowflake

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"syscall"
	"testing"

	"github.com/snowflakedb/gosnowflake"
)

func TestClassify(t *testing.T) {
	sf := func(n int) error {
		return fmt.Errorf("exec GRANT ...: %w", &gosnowflake.SnowflakeError{Number: n, SQLState: "02000", Message: "m"})
	}
	type class struct{ notExist, transient, systemic bool }
	for _, tc := range []struct {
		name string
		err  error
		want class
		code string
	}{
		{"object does not exist", sf(2003), class{notExist: true}, "002003"},
		{"object does not exist or operation cannot be performed", sf(2043), class{notExist: true}, "002043"},
		{"syntax error", sf(1003), class{}, "001003"},
		{"insufficient privileges", sf(3001), class{}, "003001"},
		{"statement timeout", sf(630), class{transient: true}, "000630"},
		{"execution canceled", sf(604), class{transient: true}, "000604"},
		{"lock wait", sf(625), class{transient: true}, "000625"},
		{"session expired", sf(390112), class{transient: true}, "390112"},
		{"session gone", sf(gosnowflake.ErrSessionGone), class{transient: true}, "390111"},
		{"HTTP failure after driver retries (429, 5xx)", sf(gosnowflake.ErrFailedToPostQuery), class{transient: true}, "261000"},
		{"bad password", sf(390100), class{systemic: true}, "390100"},
		{"bad JWT", sf(390144), class{systemic: true}, "390144"},
		{"login role missing", sf(gosnowflake.ErrRoleNotExist), class{systemic: true}, "390189"},
		{"login database missing", sf(gosnowflake.ErrObjectNotExistOrAuthorized), class{systemic: true}, "390201"},
		{"service unavailable", sf(gosnowflake.ErrCodeServiceUnavailable), class{systemic: true}, "260007"},
		{"auth failed", sf(gosnowflake.ErrFailedToAuth), class{systemic: true}, "261004"},
		{"connection refused", &url.Error{Op: "Post", URL: "http://x", Err: &net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}}, class{systemic: true}, ""},
		{"DNS", &url.Error{Op: "Post", URL: "http://x", Err: &net.DNSError{Err: "no such host", Name: "x", IsNotFound: true}}, class{systemic: true}, ""},
		{"connection reset", fmt.Errorf("read: %w", syscall.ECONNRESET), class{transient: true}, ""},
		{"network timeout", &url.Error{Op: "Post", URL: "http://x", Err: timeoutErr{}}, class{transient: true}, ""},
		{"deadline", fmt.Errorf("exec: %w", context.DeadlineExceeded), class{transient: true}, ""},
		{"bad conn", driver.ErrBadConn, class{transient: true}, ""},
		{"canceled", context.Canceled, class{}, ""},
		{"plain", errors.New("boom"), class{}, ""},
		{"nil", nil, class{}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := class{IsNotExist(tc.err), IsTransient(tc.err), IsSystemic(tc.err)}
			if got != tc.want {
				t.Errorf("(notExist, transient, systemic) = %+v; want %+v", got, tc.want)
			}
			if c := Code(tc.err); c != tc.code {
				t.Errorf("Code = %q; want %q", c, tc.code)
			}
		})
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestIsUnreachable(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want bool
	}{
		{&gosnowflake.SnowflakeError{Number: gosnowflake.ErrFailedToPostQuery}, true},
		{fmt.Errorf("apply: %w", &gosnowflake.SnowflakeError{Number: gosnowflake.ErrFailedToPostQuery}), true},
		{&gosnowflake.SnowflakeError{Number: 2003}, false},
		{errors.New("261000"), false},
	} {
		if got := IsUnreachable(tt.err); got != tt.want {
			t.Errorf("IsUnreachable(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}
