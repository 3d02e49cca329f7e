// Package wildcard matches names against case-insensitive wildcard patterns, as Ranger resources and
// the connector's manage / ignore lists write them: '*' matches any run of characters, '?' exactly
// one. Patterns are compiled once; matching does not allocate and uses no regexp.
package wildcard

import (
	"strings"
	"unicode/utf8"
)

type kind int

const (
	kindAny    kind = iota // "*"
	kindExact              // no wildcard
	kindPrefix             // "abc*", no other wildcard
	kindGlob               // anything else
)

// Pattern is one compiled pattern. The zero Pattern matches only the empty name.
type Pattern struct {
	kind kind
	text string // lower case; for kindPrefix without the trailing '*'
}

// Compile compiles p (case-insensitive).
func Compile(p string) Pattern {
	p = strings.ToLower(p)
	switch i := strings.IndexAny(p, "*?"); {
	case p != "" && strings.Trim(p, "*") == "":
		return Pattern{kind: kindAny}
	case i < 0:
		return Pattern{kind: kindExact, text: p}
	case i == len(p)-1 && p[i] == '*':
		return Pattern{kind: kindPrefix, text: p[:i]}
	}
	return Pattern{kind: kindGlob, text: p}
}

// Match reports whether lowerName, which the caller has lower-cased, matches the pattern.
func (p Pattern) Match(lowerName string) bool {
	switch p.kind {
	case kindAny:
		return true
	case kindExact:
		return lowerName == p.text
	case kindPrefix:
		return strings.HasPrefix(lowerName, p.text)
	}
	return glob(p.text, lowerName)
}

// List is a set of patterns; it matches a name when any pattern does.
type List []Pattern

// CompileList compiles patterns, dropping blank ones.
func CompileList(patterns []string) List {
	var l List
	for _, p := range patterns {
		if p = strings.TrimSpace(p); p != "" {
			l = append(l, Compile(p))
		}
	}
	return l
}

// Match reports whether any pattern matches lowerName.
func (l List) Match(lowerName string) bool {
	for _, p := range l {
		if p.Match(lowerName) {
			return true
		}
	}
	return false
}

// glob matches s against the wildcard pattern p without allocating: on a mismatch it backtracks to
// the last '*' and lets it absorb one more character.
func glob(p, s string) bool {
	px, sx := 0, 0
	starPx, starSx := -1, 0
	for px < len(p) || sx < len(s) {
		if px < len(p) {
			switch c := p[px]; c {
			case '*':
				starPx, starSx = px, sx
				px++
				continue
			case '?':
				if sx < len(s) {
					_, n := utf8.DecodeRuneInString(s[sx:])
					px, sx = px+1, sx+n
					continue
				}
			default:
				if sx < len(s) && s[sx] == c {
					px, sx = px+1, sx+1
					continue
				}
			}
		}
		if starPx < 0 || starSx >= len(s) {
			return false
		}
		_, n := utf8.DecodeRuneInString(s[starSx:])
		starSx += n
		px, sx = starPx+1, starSx
	}
	return true
}
