package request

import (
	"fmt"
	"strings"
	"time"
)

// The filters of a task listing, shared by GET /api/tasks and `snowsync tasks` so that both accept
// the same values. Their errors quote the value and say what is accepted; the caller names the
// parameter or flag.

// ParseStatus reads a status filter: SUCCESS, FAILED or SKIPPED in any case; "" is no filter.
func ParseStatus(v string) (Status, error) {
	switch s := Status(strings.ToUpper(v)); s {
	case "", StatusSuccess, StatusFailed, StatusSkipped:
		return s, nil
	}
	return "", fmt.Errorf("%q is not SUCCESS, FAILED or SKIPPED", v)
}

// ParseTime reads a time bound: an RFC 3339 time, or a positive duration back from now ("24h"); ""
// is the zero time, no bound.
func ParseTime(v string, now time.Time) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(v); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 time (2026-11-24T10:00:00Z) nor a duration such as 24h", v)
}
