package request

import (
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		in      string
		want    time.Time
		wantErr string
	}{
		{"", time.Time{}, ""},
		{"2026-11-24T10:00:00Z", time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC), ""},
		{"24h", now.Add(-24 * time.Hour), ""},
		{"-1h", time.Time{}, `"-1h" is neither an RFC 3339 time (2026-11-24T10:00:00Z) nor a duration such as 24h`},
		{"noon", time.Time{}, `"noon" is neither an RFC 3339 time (2026-11-24T10:00:00Z) nor a duration such as 24h`},
	} {
		got, err := ParseTime(tt.in, now)
		if !got.Equal(tt.want) || errString(err) != tt.wantErr {
			t.Errorf("ParseTime(%q) = %v, %v; want %v, %q", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
