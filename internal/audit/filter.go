package audit

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// The Go aztables module has no parameterised filter helper (unlike the .NET and Python SDKs), so
// this file is one: property names and operators are constants of this package, and every value,
// user input included, goes through literal, which renders it as an OData literal of its type.

// compare renders "property op value". property and op must be constants, never input.
func compare(property, op string, value any) string {
	return property + " " + op + " " + literal(value)
}

// and joins clauses with "and", each in parentheses; no clause gives the empty filter.
func and(clauses ...string) string { return join(" and ", clauses) }

// or joins clauses with "or", each in parentheses.
func or(clauses ...string) string { return join(" or ", clauses) }

func join(op string, clauses []string) string {
	parts := make([]string, len(clauses))
	for i, c := range clauses {
		parts[i] = "(" + c + ")"
	}
	return strings.Join(parts, op)
}

// literal renders v as an OData literal. Strings are single-quoted with quotes doubled, times are
// datetime literals in UTC. It panics on a type it does not know: that is a bug in this package.
func literal(v any) string {
	switch v := v.(type) {
	case string:
		return "'" + strings.ReplaceAll(v, "'", "''") + "'"
	case time.Time:
		return "datetime'" + v.UTC().Format("2006-01-02T15:04:05.0000000Z") + "'"
	default:
		panic(fmt.Sprintf("audit: no OData literal for %T", v))
	}
}

// MaxSources is how many sources a Filter may name. Table Storage allows 15 comparisons in a
// filter (https://learn.microsoft.com/en-us/rest/api/storageservices/querying-tables-and-entities)
// and List spends up to 6 on the other fields.
const MaxSources = 9

// check reports a filter List cannot send.
func (f Filter) check() error {
	if len(f.Sources) > MaxSources {
		return fmt.Errorf("audit: list records: %d sources, at most %d", len(f.Sources), MaxSources)
	}
	return nil
}

// ParseSources reads a source filter (GET /api/tasks?source=, `snowsync tasks --source`): a comma
// list of sources, e.g. "KAFKA,api". Each is trimmed and upper-cased, the case in which the seed's
// clients and snowsync itself write them (KAFKA, API, POLICY_CHANGE, DRIFT), since List compares
// sources exactly; repeats are dropped. "" is no filter. The error quotes the value; the caller names
// the parameter or flag.
func ParseSources(v string) ([]string, error) {
	if strings.TrimSpace(v) == "" {
		return nil, nil
	}
	var sources []string
	for _, s := range strings.Split(v, ",") {
		s = strings.ToUpper(strings.TrimSpace(s))
		if s == "" {
			return nil, fmt.Errorf("%q has an empty source", v)
		}
		if !slices.Contains(sources, s) {
			sources = append(sources, s)
		}
	}
	if len(sources) > MaxSources {
		return nil, fmt.Errorf("%q names %d sources, at most %d", v, len(sources), MaxSources)
	}
	return sources, nil
}
