package datapolicy

import (
	"strings"
	"testing"

	"github.com/snowsync/snowsync/internal/snowflake"
)

// FuzzRender checks that whatever an administrator writes, an accepted expression stays one
// expression: quotes balanced, and no ';', comment or '$$' outside its literals and identifiers.
func FuzzRender(f *testing.F) {
	for _, s := range []string{
		"region = 'EU'", `"a""b" = 'it\'s'`, "concat({col}, '''; x')", "{col} || '$$'", "x -- y", "a /* b */",
		"'\\\\' || {col}", "cast({col} as varchar)", "1.5e3 + .5", "region IN ('a', 'b')", "'\\''; drop",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		out, err := render(expr, exprRefs{
			value:  snowflake.QuoteIdent("VAL"),
			column: func(name string, _ bool) (string, error) { return snowflake.QuoteIdent(name), nil },
		})
		if err != nil {
			return
		}
		code, _, _, ok := scan(out)
		if !ok {
			t.Fatalf("render(%q) = %q: unbalanced quotes", expr, out)
		}
		for _, bad := range []string{";", "--", "/*", "//", "$"} {
			if strings.Contains(code, bad) {
				t.Fatalf("render(%q) = %q: %q outside literals", expr, out, bad)
			}
		}
		if strings.Count(code, "(") != strings.Count(code, ")") {
			t.Fatalf("render(%q) = %q: unbalanced parentheses", expr, out)
		}
	})
}
