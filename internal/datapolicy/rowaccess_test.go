package datapolicy

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/snowsync/snowsync/internal/policy"
	"github.com/snowsync/snowsync/internal/snowflake"
)

var table = []Column{
	{"ID", "NUMBER(38,0)"},
	{"REGION", "VARCHAR(16777216)"},
	{"amount", "NUMBER(10,2)"},
	{"Created", "TIMESTAMP_NTZ(9)"},
	{"created", "TIMESTAMP_NTZ(9)"},
}

func filter(exprs ...string) policy.RowFilter {
	var f policy.RowFilter
	for i, e := range exprs {
		f.Cases = append(f.Cases, policy.FilterCase{Role: []string{"PRIV_EU", "PRIV_US", "PRIV_ADMINS"}[i], Expr: e, Policy: `"regions" (id 4)`})
	}
	return f
}

func TestForTable(t *testing.T) {
	tests := []struct {
		name string
		f    policy.RowFilter
		opts Options
		args string
		on   []string
		body string
	}{
		{"bare names resolve upper-cased, then ignoring case", filter("region = 'EU' and AMOUNT >= 10.5", "Region IN ('US', 'CA')", ""), opts,
			`"REGION" VARCHAR, "amount" NUMBER`, []string{"REGION", "amount"},
			`CASE WHEN IS_ROLE_IN_SESSION('PRIV_EU') THEN ("REGION" = 'EU' AND "amount" >= 10.5) WHEN IS_ROLE_IN_SESSION('PRIV_US') THEN ("REGION" IN ('US', 'CA')) WHEN IS_ROLE_IN_SESSION('PRIV_ADMINS') THEN TRUE ELSE TRUE END`},
		{"quoted names are exact", filter(`"Created" > to_date('2026-01-01') OR "created" IS NULL`), opts,
			`"Created" TIMESTAMP_NTZ, "created" TIMESTAMP_NTZ`, []string{"Created", "created"},
			`CASE WHEN IS_ROLE_IN_SESSION('PRIV_EU') THEN ("Created" > TO_DATE('2026-01-01') OR "created" IS NULL) ELSE TRUE END`},
		{"no column: the first is the argument", filter("current_role() = 'AUDITOR'"), opts,
			`"ID" NUMBER`, []string{"ID"},
			`CASE WHEN IS_ROLE_IN_SESSION('PRIV_EU') THEN (CURRENT_ROLE() = 'AUDITOR') ELSE TRUE END`},
		{"deny by default", filter("id::varchar = '1'"), Options{Database: "SNOWSYNC", Schema: "POLICIES", NullFallthrough: true},
			`"ID" NUMBER`, []string{"ID"},
			`CASE WHEN IS_ROLE_IN_SESSION('PRIV_EU') THEN ("ID"::VARCHAR = '1') ELSE FALSE END`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, on, err := ForTable(table, tt.f, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			want := `CREATE ROW ACCESS POLICY IF NOT EXISTS "SNOWSYNC"."POLICIES"."` + p.Name + `" AS (` + tt.args +
				`) RETURNS BOOLEAN -> ` + tt.body + comment
			if got := snowflake.Render(p.Create()); got != want {
				t.Errorf("Create() =\n  %s\nwant\n  %s", got, want)
			}
			if !reflect.DeepEqual(on, tt.on) {
				t.Errorf("ON = %q, want %q", on, tt.on)
			}
			if p.Kind != RowAccess || !strings.HasPrefix(p.Name, RowsPrefix) || !Ours(p.Database, p.Schema, p.Name, opts) {
				t.Errorf("Policy = %+v", p)
			}
		})
	}
}

func TestForTableRefused(t *testing.T) {
	tests := []struct{ expr, want string }{
		{"country = 'DE'", `the table has no column "country"`},
		{`"region" = 'EU'`, `the table has no column "region"`}, // quoted: exact
		{"created > '2026-01-01'", `the table has no column "created"`},
		{"region = 'EU'; DROP TABLE x", `character ';' is not allowed`},
		{"region = 'EU' -- all", "comments are not allowed"},
		{"region = 'EU' /* x */", "comments are not allowed"},
		{"region = 'EU' // x", "comments are not allowed"},
		{"region = $$EU$$", `character '$' is not allowed`},
		{"region = 'EU", "unterminated string literal"},
		{`"REGION = 'EU'`, "unterminated quoted identifier"},
		{"(region = 'EU'", "unbalanced parentheses"},
		{"region = 'EU')", "unbalanced parentheses"},
		{"region IN (SELECT r FROM t)", `"SELECT" followed by "r" is not an expression`},
		{"upper(region) like 'E%'", `the table has no column "like"`},
		{"my_udf(region)", `function "my_udf" is not allowed`},
		{"t.region = 'EU'", `character '.' is not allowed`},
		{"region = ${{USER.region}}", `character '$' is not allowed`},
		{"{col} = 1", "{col} is only allowed in a CUSTOM mask"},
		{"region::weird = 1", `type "weird" is not allowed`},
		{"region as r", "AS is only allowed in CAST"},
		{"id = 1e", `malformed number`},
	}
	for _, tt := range tests {
		_, _, err := ForTable(table, filter(tt.expr), opts)
		if !errors.Is(err, errExpr) || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), `policy "regions" (id 4): filterExpr: `) {
			t.Errorf("ForTable(%q) error = %v, want %q naming the policy", tt.expr, err, tt.want)
		}
	}
	if _, _, err := ForTable(table, policy.RowFilter{}, opts); err == nil {
		t.Error("ForTable(empty filter) = nil error")
	}
	if _, _, err := ForTable(nil, filter("1 = 1"), opts); err == nil {
		t.Error("ForTable(no columns) = nil error")
	}
}
