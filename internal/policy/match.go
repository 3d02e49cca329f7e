package policy

import (
	"slices"
	"strings"

	"github.com/snowsync/snowsync/internal/wildcard"
)

// matcher is a compiled Ranger resource: a list of case-insensitive wildcard values, inverted by
// isExcludes. values keeps them as written (trimmed, blanks dropped), for Diff to report.
type matcher struct {
	patterns wildcard.List
	values   []string
	excludes bool
}

// newMatcher compiles values; empty values are dropped.
func newMatcher(values []string, excludes bool) matcher {
	m := matcher{patterns: wildcard.CompileList(values), excludes: excludes}
	for _, v := range values {
		if v = strings.TrimSpace(v); v != "" {
			m.values = append(m.values, v)
		}
	}
	return m
}

// match reports whether the lower-cased name is matched: one value matches, or, with isExcludes, none does.
func (m matcher) match(lowerName string) bool {
	return m.patterns.Match(lowerName) != m.excludes
}

// equal reports whether m and o match the same names because they are the same compiled values (in
// the same order; values differing only in case are equal, as matching ignores case).
func (m matcher) equal(o matcher) bool {
	return m.excludes == o.excludes && slices.Equal(m.patterns, o.patterns)
}

// resourceMatch is a policy's compiled database, schema and table resources; only those up to the
// policy's level are set.
type resourceMatch [levelCount]matcher

// matches reports whether the resources match the lower-cased names, up to depth.
func (m *resourceMatch) matches(names *[levelCount]string, depth level) bool {
	for l := levelDatabase; l <= depth; l++ {
		if !m[l].match(names[l]) {
			return false
		}
	}
	return true
}

// equal reports whether m and o are the same compiled resources (see matcher.equal).
func (m *resourceMatch) equal(o *resourceMatch) bool {
	for l := range m {
		if !m[l].equal(o[l]) {
			return false
		}
	}
	return true
}
