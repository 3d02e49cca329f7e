package audit

import (
	"fmt"
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
