package snowflake

import (
	"context"
	"errors"
	"reflect"
	"testing"
)

func TestRenderPolicyStatements(t *testing.T) {
	// Hostile names: a quote, a $$, a semicolon, a dot, lower case.
	tbl := ObjectID{`HR"; DROP`, "co.re", `emp$$loyees`}
	pol := ObjectID{"SNOWSYNC", "POLICIES", `SNOWSYNC_MASK_"x";--`}
	old := ObjectID{"SNOWSYNC", "POLICIES", "SNOWSYNC_RAP_OLD"}
	for _, tc := range []struct {
		name string
		stmt Statement
		want string
	}{
		{"create schema", CreateSchema{SchemaID{"SNOWSYNC", `pol"icies`}}, `CREATE SCHEMA IF NOT EXISTS "SNOWSYNC"."pol""icies"`},
		{"create masking policy",
			CreatePolicy{Kind: MaskingPolicy, Name: pol, Args: []PolicyArg{{"VAL", "VARCHAR(16777216)"}}, Returns: "VARCHAR(16777216)",
				Body: `CASE WHEN IS_ROLE_IN_SESSION('PRIV_HR') THEN "VAL" ELSE '***' END`, Comment: `snowsync: it's ours`},
			`CREATE MASKING POLICY IF NOT EXISTS "SNOWSYNC"."POLICIES"."SNOWSYNC_MASK_""x"";--" AS ("VAL" VARCHAR(16777216)) ` +
				`RETURNS VARCHAR(16777216) -> CASE WHEN IS_ROLE_IN_SESSION('PRIV_HR') THEN "VAL" ELSE '***' END COMMENT = 'snowsync: it\'s ours'`},
		{"create row access policy",
			CreatePolicy{Kind: RowAccessPolicy, Name: old, Args: []PolicyArg{{`re"gion`, "VARCHAR"}, {"N", "NUMBER(38,0)"}}, Returns: "BOOLEAN", Body: "TRUE"},
			`CREATE ROW ACCESS POLICY IF NOT EXISTS "SNOWSYNC"."POLICIES"."SNOWSYNC_RAP_OLD" AS ("re""gion" VARCHAR, "N" NUMBER(38,0)) RETURNS BOOLEAN -> TRUE`},
		{"set mask", SetMaskingPolicy{On: ObjectTable, Object: tbl, Column: `S"SN;`, Policy: pol},
			`ALTER TABLE "HR""; DROP"."co.re"."emp$$loyees" MODIFY COLUMN "S""SN;" SET MASKING POLICY "SNOWSYNC"."POLICIES"."SNOWSYNC_MASK_""x"";--"`},
		{"swap mask", SetMaskingPolicy{On: ObjectView, Object: tbl, Column: "SSN", Policy: pol, Force: true},
			`ALTER VIEW "HR""; DROP"."co.re"."emp$$loyees" MODIFY COLUMN "SSN" SET MASKING POLICY "SNOWSYNC"."POLICIES"."SNOWSYNC_MASK_""x"";--" FORCE`},
		{"unset mask", UnsetMaskingPolicy{On: ObjectTable, Object: tbl, Column: "SSN"},
			`ALTER TABLE "HR""; DROP"."co.re"."emp$$loyees" MODIFY COLUMN "SSN" UNSET MASKING POLICY`},
		{"add row access", AddRowAccessPolicy{On: ObjectTable, Object: tbl, Policy: old, Columns: []string{"REGION", `c"1`}},
			`ALTER TABLE "HR""; DROP"."co.re"."emp$$loyees" ADD ROW ACCESS POLICY "SNOWSYNC"."POLICIES"."SNOWSYNC_RAP_OLD" ON ("REGION", "c""1")`},
		{"swap row access", AddRowAccessPolicy{On: ObjectTable, Object: tbl, Replace: &old, Policy: pol, Columns: []string{"REGION"}},
			`ALTER TABLE "HR""; DROP"."co.re"."emp$$loyees" DROP ROW ACCESS POLICY "SNOWSYNC"."POLICIES"."SNOWSYNC_RAP_OLD", ` +
				`ADD ROW ACCESS POLICY "SNOWSYNC"."POLICIES"."SNOWSYNC_MASK_""x"";--" ON ("REGION")`},
		{"drop row access", DropRowAccessPolicy{On: ObjectView, Object: tbl, Policy: old},
			`ALTER VIEW "HR""; DROP"."co.re"."emp$$loyees" DROP ROW ACCESS POLICY "SNOWSYNC"."POLICIES"."SNOWSYNC_RAP_OLD"`},
		{"drop masking policy", DropPolicy{MaskingPolicy, pol}, `DROP MASKING POLICY IF EXISTS "SNOWSYNC"."POLICIES"."SNOWSYNC_MASK_""x"";--"`},
		{"drop row access policy", DropPolicy{RowAccessPolicy, old}, `DROP ROW ACCESS POLICY IF EXISTS "SNOWSYNC"."POLICIES"."SNOWSYNC_RAP_OLD"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Render(tc.stmt); got != tc.want {
				t.Errorf("Render =\n %s\nwant\n %s", got, tc.want)
			}
			if err := tc.stmt.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
		})
	}
}

func TestValidatePolicyStatements(t *testing.T) {
	tbl := ObjectID{"D", "S", "T"}
	pol := ObjectID{"D", "P", "M"}
	args := []PolicyArg{{"V", "VARCHAR"}}
	for _, tc := range []struct {
		name string
		stmt Statement
	}{
		{"type that ends the signature", CreatePolicy{Kind: MaskingPolicy, Name: pol, Args: []PolicyArg{{"V", "VARCHAR) RETURNS VARCHAR -> 1; DROP TABLE x; --"}}, Returns: "VARCHAR", Body: "V"}},
		{"return type with a quote", CreatePolicy{Kind: MaskingPolicy, Name: pol, Args: args, Returns: "VARCHAR'", Body: "V"}},
		{"no arguments", CreatePolicy{Kind: MaskingPolicy, Name: pol, Returns: "VARCHAR", Body: "V"}},
		{"empty body", CreatePolicy{Kind: MaskingPolicy, Name: pol, Args: args, Returns: "VARCHAR", Body: " "}},
		{"unknown kind", CreatePolicy{Kind: "NETWORK POLICY", Name: pol, Args: args, Returns: "VARCHAR", Body: "V"}},
		{"empty policy name", SetMaskingPolicy{On: ObjectTable, Object: tbl, Column: "C", Policy: ObjectID{"D", "P", ""}}},
		{"empty column", UnsetMaskingPolicy{On: ObjectTable, Object: tbl}},
		{"database target", SetMaskingPolicy{On: ObjectDatabase, Object: tbl, Column: "C", Policy: pol}},
		{"row access without columns", AddRowAccessPolicy{On: ObjectTable, Object: tbl, Policy: pol}},
		{"empty schema", CreateSchema{SchemaID{"D", ""}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.stmt.Validate(); !errors.Is(err, ErrInvalidStatement) {
				t.Errorf("Validate() = %v; want ErrInvalidStatement", err)
			}
		})
	}
}

func TestDescribeTable(t *testing.T) {
	const query = `DESCRIBE TABLE "HR"."CORE"."EMP""S"`
	cols := []string{"name", "type", "kind", "null?", "default", "policy name", "privacy domain"}
	f := &fakeDB{results: map[string]fakeResult{query: {cols: cols, rows: [][]any{
		{"ID", "NUMBER(38,0)", "COLUMN", "Y", nil, nil, nil},
		{"SSN", "VARCHAR(11)", "COLUMN", "Y", nil, `SNOWSYNC.POLICIES."m""1"`, nil},
		{"NOTE", "VARCHAR(16777216)", "COLUMN", "Y", nil, "LOCAL_MASK", nil},
	}}}}
	got, err := DescribeTable(context.Background(), newFakeDB(t, f), ObjectID{"HR", "CORE", `EMP"S`})
	if err != nil {
		t.Fatal(err)
	}
	want := []ColumnInfo{
		{Name: "ID", Type: "NUMBER(38,0)"},
		{Name: "SSN", Type: "VARCHAR(11)", MaskingPolicy: &ObjectID{"SNOWSYNC", "POLICIES", `m"1`}},
		{Name: "NOTE", Type: "VARCHAR(16777216)", MaskingPolicy: &ObjectID{"HR", "CORE", "LOCAL_MASK"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("DescribeTable =\n%+v\nwant\n%+v", got, want)
	}
}

func TestShowPoliciesAndReferences(t *testing.T) {
	showCols := []string{"created_on", "name", "database_name", "schema_name", "kind", "owner", "comment"}
	refCols := []string{"POLICY_DB", "POLICY_SCHEMA", "POLICY_NAME", "POLICY_KIND", "REF_DATABASE_NAME", "REF_SCHEMA_NAME",
		"REF_ENTITY_NAME", "REF_ENTITY_DOMAIN", "REF_COLUMN_NAME", "REF_ARG_COLUMN_NAMES"}
	f := &fakeDB{results: map[string]fakeResult{
		`SHOW MASKING POLICIES IN SCHEMA "SNOWSYNC"."POL"`: {cols: showCols, rows: [][]any{
			{"t", "SNOWSYNC_MASK_1", "SNOWSYNC", "POL", "MASKING_POLICY", "SYNC", "snowsync"}}},
		`SHOW ROW ACCESS POLICIES IN SCHEMA "SNOWSYNC"."POL"`: {cols: showCols},
		`SELECT POLICY_DB, POLICY_SCHEMA, POLICY_NAME, POLICY_KIND, REF_DATABASE_NAME, REF_SCHEMA_NAME, REF_ENTITY_NAME, ` +
			`REF_ENTITY_DOMAIN, REF_COLUMN_NAME, REF_ARG_COLUMN_NAMES FROM TABLE("HR"."INFORMATION_SCHEMA".POLICY_REFERENCES(` +
			`REF_ENTITY_NAME => '"HR"."CORE"."it\'s"', REF_ENTITY_DOMAIN => 'table'))`: {cols: refCols, rows: [][]any{
			{"SNOWSYNC", "POL", "SNOWSYNC_MASK_1", "MASKING_POLICY", "HR", "CORE", "it's", "TABLE", "SSN", nil},
			{"SNOWSYNC", "POL", "SNOWSYNC_RAP_1", "ROW_ACCESS_POLICY", "HR", "CORE", "it's", "TABLE", nil, `[ "REGION", "DEPT" ]`},
			{"X", "Y", "AGG", "AGGREGATION_POLICY", "HR", "CORE", "it's", "TABLE", nil, nil},
		}},
	}}
	db := newFakeDB(t, f)
	ctx := context.Background()
	masks, err := ShowPolicies(ctx, db, MaskingPolicy, SchemaID{"SNOWSYNC", "POL"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []PolicyInfo{{ObjectID{"SNOWSYNC", "POL", "SNOWSYNC_MASK_1"}, "snowsync", "SYNC"}}; !reflect.DeepEqual(masks, want) {
		t.Errorf("ShowPolicies = %+v; want %+v", masks, want)
	}
	if raps, err := ShowPolicies(ctx, db, RowAccessPolicy, SchemaID{"SNOWSYNC", "POL"}); err != nil || len(raps) != 0 {
		t.Errorf("ShowPolicies(row access) = %v, %v", raps, err)
	}
	refs, err := PolicyReferencesOn(ctx, db, ObjectTable, ObjectID{"HR", "CORE", "it's"})
	if err != nil {
		t.Fatal(err)
	}
	tbl := ObjectID{"HR", "CORE", "it's"}
	want := []PolicyRef{
		{Policy: ObjectID{"SNOWSYNC", "POL", "SNOWSYNC_MASK_1"}, Kind: MaskingPolicy, Object: tbl, Domain: ObjectTable, Column: "SSN"},
		{Policy: ObjectID{"SNOWSYNC", "POL", "SNOWSYNC_RAP_1"}, Kind: RowAccessPolicy, Object: tbl, Domain: ObjectTable, ArgColumns: []string{"REGION", "DEPT"}},
	}
	if !reflect.DeepEqual(refs, want) {
		t.Errorf("PolicyReferencesOn =\n%+v\nwant\n%+v", refs, want)
	}
}
