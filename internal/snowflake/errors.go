package snowflake

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"syscall"

	"github.com/snowflakedb/gosnowflake"
)

// Snowflake error numbers that snowsync acts on. Server numbers are Snowflake's (SQL compilation and GS
// login errors); driver numbers are gosnowflake v1.19.0's (errors.go).
const (
	// Object missing or not visible to the session's role: "Object 'X' does not exist or not
	// authorized" (also for a missing role in GRANT), and "Object does not exist, or operation cannot
	// be performed" (e.g. SHOW ... IN a missing database).
	errObjectNotExist          = 2003
	errObjectNotExistOperation = 2043

	// Statement-level, worth another attempt: cancelled (our per-statement deadline), statement or
	// warehouse timeout, waiting for a lock held by another transaction.
	errExecutionCanceled = 604
	errLockWaitAborted   = 625
	errStatementTimeout  = 630

	// Session-level: the session was closed or its token expired; a new connection logs in again.
	errSessionGone    = gosnowflake.ErrSessionGone // 390111
	errSessionExpired = 390112
	errTokenExpired   = 390114

	// Login refused: wrong user/password, locked or disabled user, bad JWT (390144), and the rest of the
	// 3901xx authentication family; the session's default role (390189) or object (390201) does not
	// exist; OAuth token invalid or expired.
	errLoginFirst          = 390100
	errLoginLast           = 390199
	errObjectNotAuthorized = gosnowflake.ErrObjectNotExistOrAuthorized // 390201
	errOAuthInvalid        = 390303
	errOAuthExpired        = 390318
)

// IsNotExist reports whether err says that a database, schema, table, view or role does not exist (or is
// not visible to the session's role, which Snowflake does not distinguish): numbers 002003 and 002043.
func IsNotExist(err error) bool {
	n, ok := number(err)
	return ok && (n == errObjectNotExist || n == errObjectNotExistOperation)
}

// IsTransient reports whether the statement that failed with err may succeed if sent again: Snowflake
// throttling or HTTP failures that the driver gave up retrying (261000), a failed result download, a
// cancelled or timed-out statement, a lock wait, an expired or closed session, a broken connection, a
// network timeout, or context.DeadlineExceeded. It does not know whether a deadline was the statement's
// own or its caller's: callers must not retry once their own context is done. Systemic errors are not
// transient.
func IsTransient(err error) bool {
	if err == nil || IsSystemic(err) {
		return false
	}
	if n, ok := number(err); ok {
		switch n {
		case errExecutionCanceled, errLockWaitAborted, errStatementTimeout,
			errSessionGone, errSessionExpired, errTokenExpired,
			gosnowflake.ErrFailedToPostQuery, gosnowflake.ErrFailedToRenewSession,
			gosnowflake.ErrFailedToGetChunk:
			return true
		}
		return false
	}
	var netErr net.Error
	return errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) ||
		(errors.As(err, &netErr) && netErr.Timeout())
}

// IsSystemic reports whether err means Snowflake as a whole cannot be used right now, so that every
// statement would fail the same way and the whole batch should be retried by the host instead of
// failing each task (DESIGN §3): login refused (the 3901xx family, 390201, OAuth tokens), the driver
// unable to reach or authenticate to the account (260007, 260008, 261004), a refused connection or a
// failed DNS lookup.
func IsSystemic(err error) bool {
	if err == nil {
		return false
	}
	if n, ok := number(err); ok {
		switch {
		case n == errSessionGone || n == errSessionExpired || n == errTokenExpired:
			return false
		case n >= errLoginFirst && n <= errLoginLast,
			n == errObjectNotAuthorized, n == errOAuthInvalid, n == errOAuthExpired,
			n == gosnowflake.ErrCodeServiceUnavailable, n == gosnowflake.ErrCodeFailedToConnect,
			n == gosnowflake.ErrFailedToAuth:
			return true
		}
		return false
	}
	var dnsErr *net.DNSError
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EHOSTUNREACH) ||
		errors.Is(err, syscall.ENETUNREACH) || errors.As(err, &dnsErr)
}

// IsUnreachable reports whether err says the driver gave up reaching Snowflake for a request: HTTP
// failures (throttling, 5xx) past the driver's own retries, 261000. That is transient for one request;
// once the caller's retries are spent too, Snowflake is unavailable, which is systemic for a batch.
func IsUnreachable(err error) bool {
	n, ok := number(err)
	return ok && n == gosnowflake.ErrFailedToPostQuery
}

// Code returns the 6-digit Snowflake error number of err (e.g. "002003"), or "" when err does not carry
// one. It is meant for audit records and failure events.
func Code(err error) string {
	if n, ok := number(err); ok {
		return fmt.Sprintf("%06d", n)
	}
	return ""
}

// number returns the Number of the first *gosnowflake.SnowflakeError in err's chain.
func number(err error) (int, bool) {
	var se *gosnowflake.SnowflakeError
	if errors.As(err, &se) && se.Number > 0 {
		return se.Number, true
	}
	return 0, false
}

// errTooManyRows is Snowflake's refusal of a SHOW result over 10,000 rows without LIMIT.
const errTooManyRows = 90153

func isTooManyRows(err error) bool {
	n, ok := number(err)
	return ok && n == errTooManyRows
}
