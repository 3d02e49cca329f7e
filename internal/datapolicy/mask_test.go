package datapolicy

import (
	"errors"
	"strings"
	"testing"

	"github.com/snowsync/snowsync/internal/policy"
	"github.com/snowsync/snowsync/internal/snowflake"
)

var opts = Options{Database: "SNOWSYNC", Schema: "POLICIES"}

const comment = ` COMMENT = 'managed by snowsync from Ranger data-mask / row-filter policies; the name is a hash of the body, do not edit'`

// oneCase is a mask with one case for role PRIV_ANALYSTS.
func oneCase(t policy.MaskType, expr string) policy.Mask {
	return policy.Mask{Cases: []policy.MaskCase{{Role: "PRIV_ANALYSTS", Type: t, Expr: expr, Policy: `"m" (id 1)`}}}
}

// createMask is the statement for a one-case mask: the name is checked separately.
func createMask(name, typ, masked, fall string) string {
	return `CREATE MASKING POLICY IF NOT EXISTS "SNOWSYNC"."POLICIES".` + name + ` AS ("VAL" ` + typ + `) RETURNS ` + typ +
		` -> CASE WHEN IS_ROLE_IN_SESSION('PRIV_ANALYSTS') THEN ` + masked + ` ELSE ` + fall + ` END` + comment
}

func TestForColumn(t *testing.T) {
	tests := []struct {
		name   string
		col    Column
		mask   policy.Mask
		opts   Options
		typ    string // signature type
		masked string
	}{
		{"mask text", Column{"NAME", "VARCHAR(16777216)"}, oneCase(policy.MaskRedact, ""), opts, "VARCHAR",
			`REGEXP_REPLACE(REGEXP_REPLACE(REGEXP_REPLACE("VAL", '[A-Z]', 'X'), '[a-z]', 'x'), '[0-9]', 'n')`},
		{"show last 4 text", Column{"SSN", "VARCHAR(11)"}, oneCase(policy.MaskShowLast4, ""), opts, "VARCHAR",
			`REGEXP_REPLACE(LEFT("VAL", GREATEST(LENGTH("VAL") - 4, 0)), '[A-Za-z0-9]', 'x') || RIGHT("VAL", 4)`},
		{"show first 4 text", Column{"CARD", "TEXT"}, oneCase(policy.MaskShowFirst4, ""), opts, "VARCHAR",
			`LEFT("VAL", 4) || REGEXP_REPLACE(SUBSTR("VAL", 5), '[A-Za-z0-9]', 'x')`},
		{"hash text", Column{"EMAIL", "VARCHAR(100)"}, oneCase(policy.MaskHash, ""), opts, "VARCHAR", `SHA2("VAL", 256)`},
		{"null", Column{"DOC", "VARIANT"}, oneCase(policy.MaskNull, ""), opts, "VARIANT", `NULL`},
		{"none", Column{"OK", "BOOLEAN"}, oneCase(policy.MaskNone, ""), opts, "BOOLEAN", `"VAL"`},
		{"mask integer", Column{"ID", "NUMBER(38,0)"}, oneCase(policy.MaskRedact, ""), opts, "NUMBER",
			`TO_NUMBER(REGEXP_REPLACE(TO_VARCHAR("VAL"), '[0-9]', '1'))`},
		{"show last 4 integer", Column{"ACCOUNT", "NUMBER(12,0)"}, oneCase(policy.MaskShowLast4, ""), opts, "NUMBER",
			`TO_NUMBER(REGEXP_REPLACE(LEFT(TO_VARCHAR("VAL"), GREATEST(LENGTH(TO_VARCHAR("VAL")) - 4, 0)), '[0-9]', '1') || RIGHT(TO_VARCHAR("VAL"), 4))`},
		{"show first 4 integer", Column{"ACCOUNT", "INT"}, oneCase(policy.MaskShowFirst4, ""), opts, "NUMBER",
			`TO_NUMBER(LEFT(TO_VARCHAR("VAL"), 4) || REGEXP_REPLACE(SUBSTR(TO_VARCHAR("VAL"), 5), '[0-9]', '1'))`},
		{"year of a date", Column{"BORN", "DATE"}, oneCase(policy.MaskDateShowYear, ""), opts, "DATE", `DATE_TRUNC('YEAR', "VAL")`},
		{"year of a timestamp", Column{"SEEN", "TIMESTAMP_LTZ(9)"}, oneCase(policy.MaskDateShowYear, ""), opts, "TIMESTAMP_LTZ",
			`DATE_TRUNC('YEAR', "VAL")`},
		{"custom", Column{"SALARY", "NUMBER(10,2)"}, oneCase(policy.MaskCustom, "least({col}, 1000)*0 + round_me"), opts, "", ""},
		{"custom number", Column{"SALARY", "NUMBER(10,2)"}, oneCase(policy.MaskCustom, "least( {col},1000 )"), opts, "NUMBER",
			`(LEAST( "VAL",1000 ))`},
		{"custom cast", Column{"TS", "TIMESTAMP_NTZ(9)"}, oneCase(policy.MaskCustom, "cast(to_date({col}) as timestamp_ntz)"), opts, "TIMESTAMP_NTZ",
			`(CAST(TO_DATE("VAL") AS TIMESTAMP_NTZ))`},
		{"null fall-through", Column{"SSN", "STRING"}, oneCase(policy.MaskNone, ""), Options{Database: "SNOWSYNC", Schema: "POLICIES", NullFallthrough: true}, "VARCHAR", `"VAL"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ForColumn(tt.col, tt.mask, tt.opts)
			if tt.typ == "" {
				if err == nil || !strings.Contains(err.Error(), `policy "m" (id 1): valueExpr:`) {
					t.Fatalf("ForColumn error = %v, want a refused valueExpr naming the policy", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			fall := `"VAL"`
			if tt.opts.NullFallthrough {
				fall = "NULL"
			}
			want := createMask(`"`+p.Name+`"`, tt.typ, tt.masked, fall)
			if got := snowflake.Render(p.Create()); got != want {
				t.Errorf("Create() =\n  %s\nwant\n  %s", got, want)
			}
			if !strings.HasPrefix(p.Name, MaskPrefix) || !Ours(p.Database, p.Schema, p.Name, opts) {
				t.Errorf("Name = %s, not recognised by Ours", p.Name)
			}
			if p.Kind != Masking || p.Returns != tt.typ || len(p.Sources) != 1 || p.Sources[0] != `"m" (id 1)` {
				t.Errorf("Policy = %+v", p)
			}
		})
	}
}

func TestForColumnMismatch(t *testing.T) {
	tests := []struct {
		col  Column
		mask policy.MaskType
		want string
	}{
		{Column{"PRICE", "NUMBER(10,2)"}, policy.MaskRedact, "MASK on NUMBER"},
		{Column{"RATE", "FLOAT"}, policy.MaskShowLast4, "MASK_SHOW_LAST_4 on FLOAT"},
		{Column{"ID", "NUMBER(38,0)"}, policy.MaskHash, "MASK_HASH on NUMBER"},
		{Column{"NAME", "VARCHAR(10)"}, policy.MaskDateShowYear, "MASK_DATE_SHOW_YEAR on VARCHAR"},
		{Column{"AT", "TIME(9)"}, policy.MaskDateShowYear, "MASK_DATE_SHOW_YEAR on TIME"},
		{Column{"DOC", "VARIANT"}, policy.MaskRedact, "MASK on VARIANT"},
		{Column{"B", "BINARY(8388608)"}, policy.MaskHash, "MASK_HASH on BINARY"},
	}
	for _, tt := range tests {
		_, err := ForColumn(tt.col, oneCase(tt.mask, ""), opts)
		if !errors.Is(err, errMismatch) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), `policy "m" (id 1)`) {
			t.Errorf("ForColumn(%v, %s) error = %v, want a mismatch %q naming the policy", tt.col, tt.mask, err, tt.want)
		}
	}
	for _, typ := range []string{"TIMESTAMP", "VECTOR(FLOAT, 3)", "OBJECT(a VARCHAR)", "NUMBER(38", "NUMBER(x,0)"} {
		if _, err := ForColumn(Column{"C", typ}, oneCase(policy.MaskNull, ""), opts); err == nil {
			t.Errorf("ForColumn(type %s) = nil error, want unsupported", typ)
		}
	}
	if _, err := ForColumn(Column{"C", "VARCHAR"}, policy.Mask{}, opts); err == nil {
		t.Error("ForColumn(empty mask) = nil error")
	}
	if _, err := ForColumn(Column{"C", "VARCHAR"}, oneCase(policy.MaskNull, ""), Options{Database: "DB"}); err == nil {
		t.Error("ForColumn without a schema = nil error")
	}
}

func TestMaskNames(t *testing.T) {
	m := oneCase(policy.MaskHash, "")
	a, _ := ForColumn(Column{"EMAIL", "VARCHAR(100)"}, m, opts)
	b, _ := ForColumn(Column{"other name", "STRING"}, m, opts)
	if a.Name != b.Name {
		t.Errorf("identical masks on two VARCHAR columns: names %s and %s, want one shared policy", a.Name, b.Name)
	}
	other := policy.Mask{Cases: []policy.MaskCase{{Role: "PRIV_SUPPORT", Type: policy.MaskHash, Policy: `"m" (id 1)`}}}
	c, _ := ForColumn(Column{"EMAIL", "VARCHAR(100)"}, other, opts)
	d, _ := ForColumn(Column{"EMAIL", "VARCHAR(100)"}, m, Options{Database: "SNOWSYNC", Schema: "POLICIES", NullFallthrough: true})
	if c.Name == a.Name || d.Name == a.Name {
		t.Errorf("another role or fall-through kept the name %s", a.Name)
	}
	if !Ours(a.Database, a.Schema, a.Name, opts) || !strings.HasPrefix(a.Name, MaskPrefix) {
		t.Errorf("Name = %s, want SNOWSYNC_MASK_ and 16 upper-case hex digits", a.Name)
	}
}

func TestOurs(t *testing.T) {
	tests := []struct {
		db, schema, name string
		want             bool
	}{
		{"SNOWSYNC", "POLICIES", "SNOWSYNC_MASK_0123456789ABCDEF", true},
		{"SNOWSYNC", "POLICIES", "SNOWSYNC_ROWS_FEDCBA9876543210", true},
		{"SNOWSYNC", "POLICIES", "SNOWSYNC_MASK_0123456789abcdef", false},
		{"SNOWSYNC", "POLICIES", "SNOWSYNC_MASK_0123456789ABCDE", false},
		{"SNOWSYNC", "POLICIES", "SNOWSYNC_MASK_0123456789ABCDEF0", false},
		{"SNOWSYNC", "POLICIES", "SSN_MASK", false},
		{"SNOWSYNC", "OTHER", "SNOWSYNC_MASK_0123456789ABCDEF", false},
		{"snowsync", "POLICIES", "SNOWSYNC_MASK_0123456789ABCDEF", false},
	}
	for _, tt := range tests {
		if got := Ours(tt.db, tt.schema, tt.name, opts); got != tt.want {
			t.Errorf("Ours(%s, %s, %s) = %v, want %v", tt.db, tt.schema, tt.name, got, tt.want)
		}
	}
}
