package policy

import "fmt"

// Stale reports why the set may be older than the policies in force, nil when its source confirmed it
// current within the refresh interval (see Cache). A stale set must not be used to REVOKE: another
// instance may have applied newer policies that grant what this set lacks.
func (s *Set) Stale() error { return s.staleErr }

// stale returns a copy of s marked Stale with err.
func (s *Set) stale(err error) *Set {
	c := *s
	c.staleErr = fmt.Errorf("stale policies: %w", err)
	return &c
}
