package snowflake

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/snowflakedb/gosnowflake"
)

func TestShowGrantsOn(t *testing.T) {
	const query = `SHOW GRANTS ON TABLE "SALES"."my.schema"."Or""ders"`
	// Columns in another order than Snowflake's, plus one more: rows are read by name.
	cols := []string{"grantee_name", "privilege", "extra", "granted_on", "name", "granted_to", "grant_option", "granted_by", "created_on"}
	row := func(grantee, priv, grantedTo, option string) []any {
		return []any{grantee, priv, "x", "TABLE", `SALES."my.schema"."Or""ders"`, grantedTo, option, "SYSADMIN", "2026-01-01"}
	}
	f := &fakeDB{results: map[string]fakeResult{query: {cols: cols, rows: [][]any{
		row("SYSADMIN", "OWNERSHIP", "ROLE", "true"),
		row("PRIV_ANALYSTS", "SELECT", "ROLE", "false"),
		row("SALES.DB_READER", "SELECT", "DATABASE_ROLE", "false"),
		row("MY_SHARE", "SELECT", "SHARE", "false"),
		row("priv_lower", "INSERT", "ROLE", "true"),
	}}}}
	got, err := ShowGrantsOn(context.Background(), newFakeDB(t, f), ObjectTable, ObjectID{"SALES", "my.schema", `Or"ders`})
	if err != nil {
		t.Fatal(err)
	}
	obj := `"SALES"."my.schema"."Or""ders"`
	want := GrantsOn{Roles: []GrantInfo{
		{PrivilegeOwnership, ObjectTable, obj, "SYSADMIN"},
		{"SELECT", ObjectTable, obj, "PRIV_ANALYSTS"},
		{"INSERT", ObjectTable, obj, "priv_lower"},
	}, On: ObjectTable}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ShowGrantsOn =\n%+v\nwant\n%+v", got, want)
	}
	if obj != (ObjectID{"SALES", "my.schema", `Or"ders`}).FullyQualifiedName() {
		t.Error("GrantInfo.Object does not equal the identifier's FullyQualifiedName")
	}
}

func TestLoadErrors(t *testing.T) {
	missing := &gosnowflake.SnowflakeError{Number: 2003, SQLState: "02000", Message: "does not exist or not authorized"}
	f := &fakeDB{results: map[string]fakeResult{
		`SHOW GRANTS ON VIEW "D"."S"."GONE"`:              {err: missing},
		`SHOW GRANTS ON TABLE "D"."S"."ODD"`:              {cols: []string{"privilege", "name"}, rows: [][]any{{"SELECT", "D.S.ODD"}}},
		`SHOW GRANTS ON TABLE "D"."S"."BAD"`:              {cols: grantColumns, rows: [][]any{{"SELECT", "TABLE", `D.S."BAD`, "ROLE", "R"}}},
		`SHOW SCHEMAS IN DATABASE "GONE" LIMIT 10000`:     {err: &gosnowflake.SnowflakeError{Number: 2043}},
		`SHOW OBJECTS IN SCHEMA "D"."NOCOLS" LIMIT 10000`: {cols: []string{"name"}},
	}}
	db := newFakeDB(t, f)
	ctx := context.Background()
	if _, err := ShowGrantsOn(ctx, db, ObjectView, ObjectID{"D", "S", "GONE"}); !IsNotExist(err) || Code(err) != "002003" {
		t.Errorf("missing object: %v", err)
	}
	if _, err := ShowSchemas(ctx, db, DatabaseID{"GONE"}); !IsNotExist(err) {
		t.Errorf("missing database: %v", err)
	}
	if _, err := ShowGrantsOn(ctx, db, ObjectTable, ObjectID{"D", "S", "ODD"}); err == nil {
		t.Error("missing columns: no error")
	}
	if _, err := ShowGrantsOn(ctx, db, ObjectTable, ObjectID{"D", "S", "BAD"}); err == nil {
		t.Error("malformed name: no error")
	}
	if _, err := ShowTables(ctx, db, SchemaID{"D", "NOCOLS"}); err == nil {
		t.Error("missing columns: no error")
	}
	if _, err := ShowTables(ctx, db, ObjectID{"D", "S", "T"}); err == nil {
		t.Error("ShowTables in a table: no error")
	}
}

func TestShowCatalog(t *testing.T) {
	objCols := []string{"created_on", "name", "database_name", "schema_name", "kind", "comment"}
	f := &fakeDB{results: map[string]fakeResult{
		`SHOW SCHEMAS IN DATABASE "SALES" LIMIT 10000`: {cols: []string{"created_on", "name", "is_default", "database_name"}, rows: [][]any{
			{"t", "INFORMATION_SCHEMA", "N", "SALES"}, {"t", "PUBLIC", "N", "SALES"}, {"t", "my schema", "N", "SALES"},
		}},
		`SHOW OBJECTS IN SCHEMA "SALES"."PUBLIC" LIMIT 10000`: {cols: objCols, rows: [][]any{
			{"t", "ORDERS", "SALES", "PUBLIC", "TABLE", ""},
			{"t", "V_ORDERS", "SALES", "PUBLIC", "VIEW", ""},
			{"t", "MV", "SALES", "PUBLIC", "MATERIALIZED_VIEW", ""},
			{"t", "DBT_STAGE", "SALES", "PUBLIC", "TRANSIENT", ""},
			{"t", "SESSION_TMP", "SALES", "PUBLIC", "TEMPORARY", ""},
		}},
		`SHOW OBJECTS IN DATABASE "SALES" LIMIT 10000`: {cols: objCols, rows: [][]any{
			{"t", "ORDERS", "SALES", "PUBLIC", "TABLE", ""},
			{"t", "TABLES", "SALES", "INFORMATION_SCHEMA", "VIEW", ""},
		}},
		`SHOW ROLES LIKE 'PRIV\\_%' LIMIT 10000`: {cols: []string{"created_on", "name", "is_default"}, rows: [][]any{
			{"t", "PRIV_A", "N"}, {"t", "PRIV_B", "N"},
		}},
		`SHOW ROLES LIMIT 10000`: {cols: []string{"name"}, rows: [][]any{{"PUBLIC"}}},
		`SHOW DATABASES LIMIT 10000`: {cols: []string{"created_on", "name", "is_default"}, rows: [][]any{
			{"t", "SALES", "N"}, {"t", "SNOWFLAKE", "N"}, {"t", "lower db", "N"},
		}},
	}}
	db := newFakeDB(t, f)
	ctx := context.Background()

	schemas, err := ShowSchemas(ctx, db, DatabaseID{"SALES"})
	if want := []SchemaID{{"SALES", "PUBLIC"}, {"SALES", "my schema"}}; err != nil || !reflect.DeepEqual(schemas, want) {
		t.Errorf("ShowSchemas = %v, %v; want %v", schemas, err, want)
	}
	objs, err := ShowTables(ctx, db, SchemaID{"SALES", "PUBLIC"})
	want := []Object{{ObjectID{"SALES", "PUBLIC", "ORDERS"}, ObjectTable}, {ObjectID{"SALES", "PUBLIC", "V_ORDERS"}, ObjectView},
		{ObjectID{"SALES", "PUBLIC", "MV"}, "MATERIALIZED_VIEW"}, {ObjectID{"SALES", "PUBLIC", "DBT_STAGE"}, ObjectTable},
		{ObjectID{"SALES", "PUBLIC", "SESSION_TMP"}, "TEMPORARY"}}
	if err != nil || !reflect.DeepEqual(objs, want) {
		t.Errorf("ShowTables(schema) = %v, %v; want %v", objs, err, want)
	}
	objs, err = ShowTables(ctx, db, DatabaseID{"SALES"})
	if err != nil || !reflect.DeepEqual(objs, want[:1]) {
		t.Errorf("ShowTables(database) = %v, %v; want %v", objs, err, want[:1])
	}
	roles, err := ShowRoles(ctx, db, `PRIV\_%`)
	if err != nil || !slices.Equal(roles, []string{"PRIV_A", "PRIV_B"}) {
		t.Errorf("ShowRoles = %v, %v", roles, err)
	}
	if dbs, err := ShowDatabases(ctx, db); err != nil || !slices.Equal(dbs, []string{"SALES", "SNOWFLAKE", "lower db"}) {
		t.Errorf("ShowDatabases = %v, %v", dbs, err)
	}
	if roles, err := ShowRoles(ctx, db, ""); err != nil || !slices.Equal(roles, []string{"PUBLIC"}) {
		t.Errorf("ShowRoles() = %v, %v", roles, err)
	}
}

func TestShowPaged(t *testing.T) {
	defer func(n int) { pageSize = n }(pageSize)
	pageSize = 2
	cols := []string{"created_on", "name"}
	page := func(names ...string) fakeResult {
		r := fakeResult{cols: cols}
		for _, n := range names {
			r.rows = append(r.rows, []any{"t", n})
		}
		return r
	}
	objCols := []string{"name", "database_name", "schema_name", "kind"}
	f := &fakeDB{results: map[string]fakeResult{
		// Pages after the cursor; the third server includes the cursor row, which is skipped.
		`SHOW ROLES LIMIT 2`:                   page("A", "B"),
		`SHOW ROLES LIMIT 2 FROM 'B'`:          page("C", "D"),
		`SHOW ROLES LIMIT 2 FROM 'D'`:          page("D", "E"),
		`SHOW ROLES LIMIT 2 FROM 'E'`:          page("E"),
		`SHOW DATABASES LIMIT 2`:               page("X", "Y"),
		`SHOW DATABASES LIMIT 2 FROM 'Y'`:      page(),
		`SHOW OBJECTS IN DATABASE "D" LIMIT 2`: {cols: objCols, rows: [][]any{{"T1", "D", "S1", "TABLE"}, {"T1", "D", "S2", "TABLE"}}},
		`SHOW OBJECTS IN DATABASE "E" LIMIT 2`: {err: &gosnowflake.SnowflakeError{Number: 90153}},
	}}
	db := newFakeDB(t, f)
	ctx := context.Background()
	if roles, err := ShowRoles(ctx, db, ""); err != nil || !slices.Equal(roles, []string{"A", "B", "C", "D", "E"}) {
		t.Errorf("ShowRoles = %v, %v; want A to E, each once", roles, err)
	}
	if dbs, err := ShowDatabases(ctx, db); err != nil || !slices.Equal(dbs, []string{"X", "Y"}) {
		t.Errorf("ShowDatabases = %v, %v", dbs, err)
	}
	for _, d := range []string{"D", "E"} {
		if _, err := ShowTables(ctx, db, DatabaseID{d}); !errors.Is(err, ErrTooManyRows) {
			t.Errorf("ShowTables(database %s) = %v; want ErrTooManyRows (a full page, or 090153)", d, err)
		}
	}
}

func TestLoadCatalog(t *testing.T) {
	const (
		schemata  = `SELECT SCHEMA_NAME FROM "SALES"."INFORMATION_SCHEMA"."SCHEMATA" WHERE SCHEMA_NAME != 'INFORMATION_SCHEMA' AND SCHEMA_NAME IN ('PUBLIC')`
		tables    = `SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE FROM "SALES"."INFORMATION_SCHEMA"."TABLES" WHERE TABLE_SCHEMA != 'INFORMATION_SCHEMA' AND TABLE_SCHEMA IN ('PUBLIC')`
		tablePriv = `SELECT GRANTOR, GRANTEE, TABLE_SCHEMA, TABLE_NAME, PRIVILEGE_TYPE, IS_GRANTABLE FROM "SALES"."INFORMATION_SCHEMA"."TABLE_PRIVILEGES" WHERE TABLE_SCHEMA != 'INFORMATION_SCHEMA' AND TABLE_SCHEMA IN ('PUBLIC')`
		objPriv   = `SELECT GRANTOR, GRANTEE, OBJECT_NAME, OBJECT_TYPE, PRIVILEGE_TYPE, IS_GRANTABLE FROM "SALES"."INFORMATION_SCHEMA"."OBJECT_PRIVILEGES" WHERE OBJECT_TYPE IN ('DATABASE', 'SCHEMA') AND OBJECT_NAME IN ('SALES', 'PUBLIC')`
	)
	privCols := []string{"GRANTOR", "GRANTEE", "TABLE_SCHEMA", "TABLE_NAME", "PRIVILEGE_TYPE", "IS_GRANTABLE"}
	f := &fakeDB{results: map[string]fakeResult{
		schemata: {cols: []string{"SCHEMA_NAME"}, rows: [][]any{{"PUBLIC"}}},
		tables: {cols: []string{"TABLE_SCHEMA", "TABLE_NAME", "TABLE_TYPE"}, rows: [][]any{
			{"PUBLIC", "ORDERS", "BASE TABLE"}, {"PUBLIC", "V_ORDERS", "VIEW"}, {"PUBLIC", "EXT", "EXTERNAL TABLE"},
		}},
		tablePriv: {cols: privCols, rows: [][]any{
			{"SYSADMIN", "PRIV_A", "PUBLIC", "ORDERS", "SELECT", "NO"},
			{"SYSADMIN", "PRIV_A", "PUBLIC", "V_ORDERS", "SELECT", "YES"},
			{"SYSADMIN", "PRIV_A", "PUBLIC", "EXT", "SELECT", "NO"},
		}},
		objPriv: {cols: []string{"GRANTOR", "GRANTEE", "OBJECT_NAME", "OBJECT_TYPE", "PRIVILEGE_TYPE", "IS_GRANTABLE"}, rows: [][]any{
			{"SYSADMIN", "PRIV_A", "SALES", "DATABASE", "USAGE", "NO"},
			{"SYSADMIN", "PRIV_A", "OTHER", "DATABASE", "USAGE", "NO"},
			{"SYSADMIN", "PRIV_A", "PUBLIC", "SCHEMA", "USAGE", "NO"},
			{"SYSADMIN", "PRIV_A", "SALES", "SCHEMA", "USAGE", "NO"},
		}},
	}}
	cat, err := LoadCatalog(context.Background(), newFakeDB(t, f), DatabaseID{"SALES"}, CatalogScope{Schemas: []string{"PUBLIC"}})
	if err != nil {
		t.Fatal(err)
	}
	orders, view := ObjectID{"SALES", "PUBLIC", "ORDERS"}, ObjectID{"SALES", "PUBLIC", "V_ORDERS"}
	want := Catalog{
		Schemas: []SchemaID{{"SALES", "PUBLIC"}},
		Objects: []Object{{orders, ObjectTable}, {view, ObjectView}},
		Grants: []GrantInfo{
			{"SELECT", ObjectTable, orders.FullyQualifiedName(), "PRIV_A"},
			{"SELECT", ObjectView, view.FullyQualifiedName(), "PRIV_A"},
			{"USAGE", ObjectDatabase, `"SALES"`, "PRIV_A"},
			{"USAGE", ObjectSchema, `"SALES"."PUBLIC"`, "PRIV_A"},
		},
	}
	if !reflect.DeepEqual(cat, want) {
		t.Errorf("LoadCatalog =\n%+v\nwant\n%+v", cat, want)
	}
	if got := f.requests(); len(got) != 4 {
		t.Errorf("%d queries; want 4: %q", len(got), got)
	}
}
