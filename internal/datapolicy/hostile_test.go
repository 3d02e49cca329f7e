package datapolicy

import (
	"reflect"
	"strings"
	"testing"

	"github.com/snowsync/snowsync/internal/policy"
	"github.com/snowsync/snowsync/internal/snowflake"
)

// scan splits a statement as Snowflake's lexer does for what matters here, independently of the
// package's tokenizer: string literals in single quotes (a backslash escapes the next character, two
// quotes are one) and identifiers in double quotes (two are one). It returns the code outside them
// (each literal or identifier replaced by a placeholder), the literals' raw text and the identifiers'
// names. ok is false when a quote is left open.
func scan(sql string) (code string, literals, idents []string, ok bool) {
	var b strings.Builder
	for i := 0; i < len(sql); i++ {
		switch sql[i] {
		case '\'':
			j := i + 1
			for ; j < len(sql); j++ {
				if sql[j] == '\\' {
					j++
				} else if sql[j] == '\'' {
					if j+1 < len(sql) && sql[j+1] == '\'' {
						j++
						continue
					}
					break
				}
			}
			if j >= len(sql) {
				return "", nil, nil, false
			}
			literals = append(literals, sql[i:j+1])
			b.WriteString("'?'")
			i = j
		case '"':
			var name strings.Builder
			j := i + 1
			for ; j < len(sql); j++ {
				if sql[j] == '"' {
					if j+1 < len(sql) && sql[j+1] == '"' {
						name.WriteByte('"')
						j++
						continue
					}
					break
				}
				name.WriteByte(sql[j])
			}
			if j >= len(sql) {
				return "", nil, nil, false
			}
			idents = append(idents, name.String())
			b.WriteString(`"?"`)
			i = j
		default:
			b.WriteByte(sql[i])
		}
	}
	return b.String(), literals, idents, true
}

// checkContained asserts that a statement is one statement whose hostile parts stayed inside their
// literals and identifiers: no ';', comment or '$$' in the code, and exactly the expected literals and
// identifiers.
func checkContained(t *testing.T, sql string, literals, idents []string) {
	t.Helper()
	code, lits, ids, ok := scan(sql)
	if !ok {
		t.Fatalf("unbalanced quotes in\n  %s", sql)
	}
	for _, bad := range []string{";", "--", "/*", "//", "$$"} {
		if strings.Contains(code, bad) {
			t.Errorf("%q outside literals in\n  %s", bad, sql)
		}
	}
	if !reflect.DeepEqual(lits, literals) {
		t.Errorf("literals = %q, want %q", lits, literals)
	}
	if !reflect.DeepEqual(ids, idents) {
		t.Errorf("identifiers = %q, want %q", ids, idents)
	}
}

func TestHostileMask(t *testing.T) {
	o := Options{Database: `my"db`, Schema: "pol; x"}
	m := policy.Mask{Cases: []policy.MaskCase{
		{Role: `PRIV_O'BRIEN`, Type: policy.MaskCustom, Expr: `concat({col}, '''; DROP TABLE t; --')`, Policy: `"p" (id 1)`},
		{Role: `PRIV_A\`, Type: policy.MaskCustom, Expr: `{col} || '$$ \' ; /*'`, Policy: `"p" (id 1)`},
		{Role: `PRIV_$$X;`, Type: policy.MaskHash, Policy: `"p" (id 1)`},
		{Role: `PRIV_"Q"`, Type: policy.MaskNull, Policy: `"p" (id 1)`},
	}}
	p, err := ForColumn(Column{Name: `col"; DROP TABLE t; --`, Type: "VARCHAR(10)"}, m, o)
	if err != nil {
		t.Fatal(err)
	}
	want := `CREATE MASKING POLICY IF NOT EXISTS "my""db"."pol; x"."` + p.Name + `" AS ("VAL" VARCHAR) RETURNS VARCHAR -> CASE` +
		` WHEN IS_ROLE_IN_SESSION('PRIV_O\'BRIEN') THEN (CONCAT("VAL", '''; DROP TABLE t; --'))` +
		` WHEN IS_ROLE_IN_SESSION('PRIV_A\\') THEN ("VAL" || '$$ \' ; /*')` +
		` WHEN IS_ROLE_IN_SESSION('PRIV_$$X;') THEN SHA2("VAL", 256)` +
		` WHEN IS_ROLE_IN_SESSION('PRIV_"Q"') THEN NULL ELSE "VAL" END` + comment
	got := snowflake.Render(p.Create())
	if got != want {
		t.Fatalf("Create() =\n  %s\nwant\n  %s", got, want)
	}
	checkContained(t, got,
		[]string{`'PRIV_O\'BRIEN'`, `'''; DROP TABLE t; --'`, `'PRIV_A\\'`, `'$$ \' ; /*'`, `'PRIV_$$X;'`, `'PRIV_"Q"'`, "'" + Comment + "'"},
		[]string{`my"db`, "pol; x", p.Name, "VAL", "VAL", "VAL", "VAL", "VAL"})
}

func TestHostileValueExprRefused(t *testing.T) {
	for _, expr := range []string{
		"{col}; DROP TABLE t",
		"{col} -- x",
		"{col} /* x */",
		"$$ || {col} || $$",
		"{col} || '",
		"concat({col}, 'x'",
		"concat({col}, 'x'))",
		`{col} || "other column"`,
		"{col} || other_column",
		"(select max(x) from t)",
		"{col} || current_user()",
		"{ col }",
		"{col}\x00",
		"{col} || 'a\x00b'",
	} {
		_, err := ForColumn(Column{"C", "VARCHAR"}, oneCase(policy.MaskCustom, expr), opts)
		if err == nil || !strings.Contains(err.Error(), `policy "m" (id 1): valueExpr: expression refused: `) {
			t.Errorf("ForColumn(valueExpr %q) error = %v, want refused naming the policy", expr, err)
		}
	}
}

func TestHostileRowFilter(t *testing.T) {
	cols := []Column{{`a"b`, "VARCHAR(5)"}, {`x'; DROP TABLE t; --`, "NUMBER(38,0)"}, {"$$", "DATE"}}
	f := policy.RowFilter{Cases: []policy.FilterCase{
		{Role: `PRIV_DATA-ENG'); DROP`, Expr: `"a""b" = 'it\'s' AND "x'; DROP TABLE t; --" > 0 OR "$$" IS NULL`, Policy: `"f" (id 2)`},
	}}
	p, on, err := ForTable(cols, f, opts)
	if err != nil {
		t.Fatal(err)
	}
	want := `CREATE ROW ACCESS POLICY IF NOT EXISTS "SNOWSYNC"."POLICIES"."` + p.Name + `" AS ("a""b" VARCHAR, "x'; DROP TABLE t; --" NUMBER, "$$" DATE)` +
		` RETURNS BOOLEAN -> CASE WHEN IS_ROLE_IN_SESSION('PRIV_DATA-ENG\'); DROP') THEN ("a""b" = 'it\'s' AND "x'; DROP TABLE t; --" > 0 OR "$$" IS NULL) ELSE TRUE END` + comment
	got := snowflake.Render(p.Create())
	if got != want {
		t.Fatalf("Create() =\n  %s\nwant\n  %s", got, want)
	}
	if !reflect.DeepEqual(on, []string{`a"b`, `x'; DROP TABLE t; --`, "$$"}) {
		t.Errorf("ON = %q", on)
	}
	checkContained(t, got,
		[]string{`'PRIV_DATA-ENG\'); DROP'`, `'it\'s'`, "'" + Comment + "'"},
		[]string{"SNOWSYNC", "POLICIES", p.Name, `a"b`, `x'; DROP TABLE t; --`, "$$", `a"b`, `x'; DROP TABLE t; --`, "$$"})
}
