package request

import (
	"fmt"
	"time"
)

// The time bounds of a task listing, shared by GET /api/tasks and `snowsync tasks` so that both accept
// the same values (the status filter is outcome.ParseStatus). Errors quote the value and say what is
// accepted; the caller names the parameter or flag.

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
