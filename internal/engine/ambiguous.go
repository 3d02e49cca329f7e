package engine

import (
	"fmt"
	"slices"
	"strings"

	"github.com/snowsync/snowsync/internal/snowflake"
)

// ambiguous is the error of a requested name that matches no catalog name exactly and several ignoring
// case: quoted identifiers "lower" and "LOWER" for a request of "Lower". snowsync cannot tell which is
// meant, so the resource is SKIPPED, naming the candidates. Snowflake resolves an unquoted identifier by
// upper-casing it and a quoted one exactly
// (https://docs.snowflake.com/en/sql-reference/identifiers-syntax#double-quoted-identifiers), so both
// objects can exist side by side.
type ambiguous struct {
	level      string // "database", "schema", "table or view"
	requested  string
	candidates []string // sorted
}

func (a ambiguous) Error() string {
	quoted := make([]string, len(a.candidates))
	for i, c := range a.candidates {
		quoted[i] = snowflake.QuoteIdent(c)
	}
	return fmt.Sprintf("ambiguous %s name %s: %s match it only ignoring case; request one of them by its exact name",
		a.level, snowflake.QuoteIdent(a.requested), strings.Join(quoted, ", "))
}

// resolve is snowflake.ResolveName that says why it found nothing: ok is false and err nil when no
// candidate matches, err is an ambiguous when several match only ignoring case.
func resolve(level string, candidates []string, requested string) (exact string, ok bool, err error) {
	if exact, ok := snowflake.ResolveName(candidates, requested); ok {
		return exact, true, nil
	}
	var matches []string
	for _, c := range candidates {
		if strings.EqualFold(c, requested) {
			matches = append(matches, c)
		}
	}
	if len(matches) < 2 {
		return "", false, nil
	}
	slices.Sort(matches)
	return "", false, ambiguous{level: level, requested: requested, candidates: matches}
}
