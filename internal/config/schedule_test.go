package config

import (
	"strings"
	"testing"
)

func TestCheckSchedule(t *testing.T) {
	for _, ok := range []string{
		"0 */5 * * * *", "0 0 * * * *", "0 30 9 * * 1-5", "0 0 9-17 * * *", "0 30 9 * Jan Mon",
		"5,35 0-59/15 */2 1,15 1-12/3 SUN-SAT", " 0  */5 * * * * ",
	} {
		if err := checkSchedule(ok); err != nil {
			t.Errorf("checkSchedule(%q) = %v, want nil", ok, err)
		}
	}
	tests := []struct{ expr, want string }{
		{"*/5 * * * *", "has 5 fields, want 6"},
		{"0 */5 * * * * *", "has 7 fields, want 6"},
		{"", "has 0 fields"},
		{"60 * * * * *", `second field "60": "60" is not a value from 0 to 59`},
		{"0 * 24 * * *", `hour field "24"`},
		{"0 * * 0 * *", `day field "0": "0" is not a value from 1 to 31`},
		{"0 * * * 13 *", `month field "13"`},
		{"0 * * * * 7", `day-of-week field "7"`},
		{"0 */0 * * * *", `step "0" is not a whole number from 1`},
		{"0 5-1 * * * *", `range "5-1" runs backwards`},
		{"0 * * * * FUNDAY", `"FUNDAY" is not a value from 0 to 6`},
		{"0 1,,2 * * * *", `"" is not a value`},
		{"00:05:00 * * * * *", `second field "00:05:00"`},
	}
	for _, tt := range tests {
		err := checkSchedule(tt.expr)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("checkSchedule(%q) = %v, want an error containing %q", tt.expr, err, tt.want)
		}
	}
}
