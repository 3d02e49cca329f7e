package config

import (
	"fmt"
	"strconv"
	"strings"
)

// ncrontabFields are the six fields of an NCRONTAB expression with seconds, as the Functions timer
// trigger reads them: {second} {minute} {hour} {day} {month} {day-of-week}, with the ranges and names
// of https://learn.microsoft.com/azure/azure-functions/functions-bindings-timer#ncrontab-expressions
// (NCrontab, https://github.com/atifaziz/NCrontab: Sunday is 0).
var ncrontabFields = []struct {
	name   string
	lo, hi int
	names  []string // index + lo is the value
}{
	{"second", 0, 59, nil},
	{"minute", 0, 59, nil},
	{"hour", 0, 23, nil},
	{"day", 1, 31, nil},
	{"month", 1, 12, []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}},
	{"day-of-week", 0, 6, []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}},
}

// checkSchedule reports what is wrong with an NCRONTAB expression of six fields, each a comma list of
// "*", a value or a range a-b, each optionally followed by /step; nil when it is well formed. It is the
// check the host makes when it indexes the timer (CrontabSchedule.TryParse with IncludingSeconds), done
// at start-up so that a bad value names the setting.
func checkSchedule(expr string) error {
	fields := strings.Fields(expr)
	if len(fields) != len(ncrontabFields) {
		return fmt.Errorf("%q has %d fields, want 6: {second} {minute} {hour} {day} {month} {day-of-week}, e.g. %q",
			expr, len(fields), "0 */5 * * * *")
	}
	for i, f := range fields {
		spec := ncrontabFields[i]
		for _, item := range strings.Split(f, ",") {
			if err := checkScheduleItem(item, spec.lo, spec.hi, spec.names); err != nil {
				return fmt.Errorf("%q: %s field %q: %v", expr, spec.name, f, err)
			}
		}
	}
	return nil
}

func checkScheduleItem(item string, lo, hi int, names []string) error {
	base, step, hasStep := strings.Cut(item, "/")
	if hasStep {
		if n, err := strconv.Atoi(step); err != nil || n < 1 {
			return fmt.Errorf("step %q is not a whole number from 1", step)
		}
	}
	if base == "*" {
		return nil
	}
	value := func(s string) (int, error) {
		for i, n := range names {
			if strings.EqualFold(s, n) {
				return lo + i, nil
			}
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < lo || n > hi {
			return 0, fmt.Errorf("%q is not a value from %d to %d", s, lo, hi)
		}
		return n, nil
	}
	from, to, isRange := strings.Cut(base, "-")
	a, err := value(from)
	if err != nil || !isRange {
		return err
	}
	b, err := value(to)
	if err != nil {
		return err
	}
	if a > b {
		return fmt.Errorf("range %q runs backwards", base)
	}
	return nil
}
