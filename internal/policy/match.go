package policy

import "github.com/snowsync/snowsync/internal/wildcard"

// matcher is a compiled Ranger resource: a list of case-insensitive wildcard values, inverted by
// isExcludes.
type matcher struct {
	patterns wildcard.List
	excludes bool
}

// newMatcher compiles values; empty values are dropped.
func newMatcher(values []string, excludes bool) matcher {
	return matcher{patterns: wildcard.CompileList(values), excludes: excludes}
}

// match reports whether the lower-cased name is matched: one value matches, or, with isExcludes, none does.
func (m matcher) match(lowerName string) bool {
	return m.patterns.Match(lowerName) != m.excludes
}
