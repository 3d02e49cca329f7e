package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/snowsync/snowsync/internal/secret"
)

// reader reads settings from an environment, remembers every name it was asked for (so Names can list
// them without a second table to keep in step), and collects one error per bad setting.
type reader struct {
	getenv func(string) (string, bool)
	names  []string
	errs   []error
}

// raw returns the trimmed value of name and whether it is set to something non-blank.
func (r *reader) raw(name string) (string, bool) {
	r.names = append(r.names, name)
	v, ok := r.getenv(name)
	v = strings.TrimSpace(v)
	return v, ok && v != ""
}

func (r *reader) fail(name, format string, args ...any) {
	r.errs = append(r.errs, fmt.Errorf("setting %s: %s", name, fmt.Sprintf(format, args...)))
}

// str returns the value of name, or def when it is unset.
func (r *reader) str(name, def string) string {
	if v, ok := r.raw(name); ok {
		return v
	}
	return def
}

// secret returns the value of name as a secret; never echoed in errors.
func (r *reader) secret(name string) secret.String {
	v, _ := r.raw(name)
	return secret.String(v)
}

// boolean accepts true/false, 1/0, yes/no, on/off in any case.
func (r *reader) boolean(name string, def bool) bool {
	v, ok := r.raw(name)
	if !ok {
		return def
	}
	switch strings.ToLower(v) {
	case "true", "1", "yes", "on":
		return true
	case "false", "0", "no", "off":
		return false
	}
	r.fail(name, "%q is not a boolean (use true or false)", v)
	return def
}

// integer returns the value of name as an int in [lo, hi], or def when unset.
func (r *reader) integer(name string, def, lo, hi int) int {
	v, ok := r.raw(name)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		r.fail(name, "%q is not a whole number", v)
		return def
	}
	if n < lo || n > hi {
		r.fail(name, "%d is out of range [%d, %d]", n, lo, hi)
		return def
	}
	return n
}

// duration reads a whole number of unit (e.g. time.Second for *_SEC settings) in [lo, hi] units.
func (r *reader) duration(name string, def, lo, hi int, unit time.Duration) time.Duration {
	return time.Duration(r.integer(name, def, lo, hi)) * unit
}

// list splits a comma list, trimming blanks and dropping empty entries.
func (r *reader) list(name string) []string {
	v, _ := r.raw(name)
	var out []string
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// oneOf returns the value of name, lower-cased, if it is one of allowed; def when unset.
func (r *reader) oneOf(name, def string, allowed ...string) string {
	v, ok := r.raw(name)
	if !ok {
		return def
	}
	for _, a := range allowed {
		if strings.EqualFold(v, a) {
			return a
		}
	}
	r.fail(name, "%q is not one of %s", v, strings.Join(allowed, ", "))
	return def
}

// require records an error when a setting needed by an enabled feature is missing, and returns ok.
func (r *reader) require(ok bool, name, why string) bool {
	if !ok {
		r.fail(name, "is required %s", why)
	}
	return ok
}

func (r *reader) err() error { return errors.Join(r.errs...) }
