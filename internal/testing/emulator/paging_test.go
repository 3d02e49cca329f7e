package emulator_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/snowsync/snowsync/internal/testing/emulator"
)

// pagingSeed has 13 roles (5 system roles, R_01..R_07 and "r_lower"), more than the row
// limit of 8 the paging tests use, and a database whose schemas hold few objects (S1, S2) or
// more than 8 (S3).
const pagingSeed = `
CREATE ROLE R_01; CREATE ROLE R_02; CREATE ROLE R_03; CREATE ROLE R_04; CREATE ROLE R_05;
CREATE ROLE R_06; CREATE ROLE R_07; CREATE ROLE "r_lower";
CREATE DATABASE PAGE;
CREATE SCHEMA PAGE.S1;
CREATE TABLE PAGE.S1.B1 (ID INT); CREATE TABLE PAGE.S1.B2 (ID INT); CREATE TABLE PAGE.S1.B3 (ID INT);
CREATE VIEW PAGE.S1.V1 AS SELECT 1;
CREATE SCHEMA PAGE.S2;
CREATE TABLE PAGE.S2.A1 (ID INT); CREATE TABLE PAGE.S2.A2 (ID INT);
CREATE SCHEMA PAGE.S3;
CREATE TABLE PAGE.S3.T1 (ID INT); CREATE TABLE PAGE.S3.T2 (ID INT); CREATE TABLE PAGE.S3.T3 (ID INT);
CREATE TABLE PAGE.S3.T4 (ID INT); CREATE TABLE PAGE.S3.T5 (ID INT); CREATE TABLE PAGE.S3.T6 (ID INT);
CREATE TABLE PAGE.S3.T7 (ID INT); CREATE TABLE PAGE.S3.T8 (ID INT); CREATE TABLE PAGE.S3.T9 (ID INT);
GRANT SELECT ON ALL TABLES IN SCHEMA PAGE.S3 TO ROLE R_01;
GRANT SELECT ON FUTURE TABLES IN SCHEMA PAGE.S3 TO ROLE R_01;
GRANT INSERT ON FUTURE TABLES IN SCHEMA PAGE.S3 TO ROLE R_01;
`

// allRoles is every role of pagingSeed in SHOW ROLES' order: by name, comparing bytes.
var allRoles = []string{"ACCOUNTADMIN", "PUBLIC", "R_01", "R_02", "R_03", "R_04", "R_05", "R_06", "R_07",
	"SECURITYADMIN", "SYSADMIN", "USERADMIN", "r_lower"}

// TestShowPaging checks SHOW's row limit and LIMIT ... FROM pagination through the driver.
// Sources: SHOW TABLES, SHOW OBJECTS, SHOW ROLES, SHOW SCHEMAS ("LIMIT rows [ FROM
// 'name_string' ]" and its note on STARTS WITH; Usage notes: "The value for LIMIT rows can't
// exceed 10000. If LIMIT rows is omitted, the command results in an error if the result set is
// larger than ten thousand rows", and results sorted by database, schema and name "might break
// pagination"); "SHOW Commands: Pagination Support" (bcr-1080: FROM is a case-sensitive
// cursor, partial names supported; SHOW GRANTS supports LIMIT only); SHOW GRANTS (LIMIT, no
// row limit documented). The example "SHOW TERSE TABLES IN tpch_sf1 LIMIT 3 FROM 'J'" returning
// JCUSTOMER, JLINEITEM, JNATION shows the cursor keeps names greater than the string.
func TestShowPaging(t *testing.T) {
	srv := start(t, emulator.Options{ShowRowLimit: 8}, pagingSeed)
	db := openDB(t, srv.DSN(""))
	cases := []struct {
		sql  string
		err  int      // expected error number, or 0
		want []string // names (schema.name when the result has schema_name), in order
	}{
		{sql: "SHOW ROLES", err: emulator.ErrShowRowLimit},
		{sql: "SHOW ROLES LIMIT 9", err: emulator.ErrShowRowLimit},
		{sql: "SHOW ROLES LIMIT 8", want: allRoles[:8]},
		{sql: "SHOW ROLES LIMIT 3", want: allRoles[:3]},
		{sql: "SHOW ROLES STARTS WITH 'R_'", want: allRoles[2:9]},
		{sql: "SHOW ROLES LIKE '%R%'", err: emulator.ErrShowRowLimit}, // LIKE is case-insensitive: 10 rows
		{sql: "SHOW ROLES LIMIT 3 FROM 'R_03'", want: []string{"R_04", "R_05", "R_06"}},
		{sql: "SHOW ROLES LIMIT 3 FROM 'R_'", want: []string{"R_01", "R_02", "R_03"}},
		{sql: "SHOW ROLES LIMIT 8 FROM 'R_99'", want: []string{"SECURITYADMIN", "SYSADMIN", "USERADMIN", "r_lower"}},
		{sql: "SHOW ROLES LIMIT 8 FROM 'SYSADMIN'", want: []string{"USERADMIN", "r_lower"}},
		{sql: "SHOW ROLES LIMIT 8 FROM 'r'", want: []string{"r_lower"}},
		{sql: "SHOW ROLES LIMIT 8 FROM 'r_lower'", want: []string{}},
		{sql: "SHOW ROLES LIKE 'r_0%' LIMIT 8 FROM 'R_05'", want: []string{"R_06", "R_07"}},
		{sql: "SHOW ROLES STARTS WITH 'R_' LIMIT 8 FROM 'R_05'", want: []string{"R_06", "R_07"}},
		// The note's three examples.
		{sql: "SHOW ROLES STARTS WITH 'A' LIMIT 8 FROM 'B'", want: []string{}},
		{sql: "SHOW ROLES STARTS WITH 'S' LIMIT 8 FROM 'A'", want: []string{}},
		{sql: "SHOW ROLES STARTS WITH 'R' LIMIT 8 FROM 'R_0'", want: allRoles[2:9]},
		{sql: "SHOW ROLES LIMIT 3 FROM R_03", err: emulator.ErrSyntax},
		{sql: "SHOW ROLES FROM 'R_03'", err: emulator.ErrSyntax},

		{sql: "SHOW SCHEMAS IN DATABASE PAGE", want: []string{"INFORMATION_SCHEMA", "PUBLIC", "S1", "S2", "S3"}},
		{sql: "SHOW SCHEMAS IN DATABASE PAGE LIMIT 2 FROM 'P'", want: []string{"PUBLIC", "S1"}},
		{sql: "SHOW TABLES IN SCHEMA PAGE.S1", want: []string{"S1.B1", "S1.B2", "S1.B3"}},
		{sql: "SHOW TABLES IN SCHEMA PAGE.S1 LIMIT 2 FROM 'B1'", want: []string{"S1.B2", "S1.B3"}},
		{sql: "SHOW VIEWS IN SCHEMA PAGE.S1", want: []string{"S1.V1"}},
		{sql: "SHOW OBJECTS IN SCHEMA PAGE.S1 LIMIT 8 FROM 'B3'", want: []string{"S1.V1"}},
		{sql: "SHOW OBJECTS IN SCHEMA PAGE.S3", err: emulator.ErrShowRowLimit},
		{sql: "SHOW TABLES IN SCHEMA PAGE.S3", err: emulator.ErrShowRowLimit},
		{sql: "SHOW OBJECTS IN SCHEMA PAGE.S3 LIMIT 2 FROM 'T7'", want: []string{"S3.T8", "S3.T9"}},
		{sql: "SHOW TABLES IN SCHEMA PAGE.S3 STARTS WITH 'T1'", want: []string{"S3.T1"}},
		{sql: "SHOW OBJECTS IN DATABASE PAGE", err: emulator.ErrShowRowLimit},
		{sql: "SHOW VIEWS IN DATABASE PAGE", want: []string{"S1.V1"}},
		{sql: "SHOW OBJECTS IN DATABASE PAGE LIMIT 5", want: []string{"S1.B1", "S1.B2", "S1.B3", "S1.V1", "S2.A1"}},
		// The cursor compares names only, across schemas: S2's A1 and A2 sort after S1's rows
		// but not after 'B1' (the usage note: pagination IN DATABASE might break).
		{sql: "SHOW OBJECTS IN DATABASE PAGE LIMIT 4 FROM 'B1'", want: []string{"S1.B2", "S1.B3", "S1.V1", "S3.T1"}},

		// SHOW GRANTS: no row limit, LIMIT only.
		{sql: "SHOW GRANTS TO ROLE R_01", want: []string{"S3.T1", "S3.T2", "S3.T3", "S3.T4", "S3.T5", "S3.T6", "S3.T7", "S3.T8", "S3.T9"}},
		{sql: "SHOW GRANTS TO ROLE R_01 LIMIT 2", want: []string{"S3.T1", "S3.T2"}},
		{sql: "SHOW GRANTS TO ROLE R_01 LIMIT 20", want: []string{"S3.T1", "S3.T2", "S3.T3", "S3.T4", "S3.T5", "S3.T6", "S3.T7", "S3.T8", "S3.T9"}},
		{sql: "SHOW GRANTS TO ROLE R_01 LIMIT 2 FROM 'X'", err: emulator.ErrSyntax},
		{sql: "SHOW GRANTS ON TABLE PAGE.S3.T1 LIMIT 1", want: []string{"S3.T1"}},
		{sql: "SHOW GRANTS OF ROLE R_01 LIMIT 1", want: []string{}},
		{sql: "SHOW FUTURE GRANTS IN SCHEMA PAGE.S3 LIMIT 1", want: []string{"PAGE.S3.<TABLE>"}},
	}
	for _, c := range cases {
		t.Run(c.sql, func(t *testing.T) {
			cols, rows, err := queryRows(context.Background(), db, c.sql)
			if c.err != 0 {
				if err == nil {
					t.Fatalf("succeeded with %d rows, want error %06d", len(rows), c.err)
				}
				if n, _ := snowflakeErrorNumber(t, err); n != c.err {
					t.Fatalf("error %v, want number %06d", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := pageNames(cols, rows); !slices.Equal(got, c.want) {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

// pageNames renders SHOW rows as their names: schema_name.name for objects, the object name
// for SHOW GRANTS (schema.object, the database dropped), name otherwise.
func pageNames(cols []string, rows [][]string) []string {
	idx := map[string]int{}
	for i, c := range cols {
		idx[c] = i
	}
	out := []string{}
	for _, r := range rows {
		switch {
		case has(idx, "privilege") && has(idx, "granted_by"):
			out = append(out, strings.TrimPrefix(r[idx["name"]], "PAGE."))
		case has(idx, "schema_name"):
			out = append(out, r[idx["schema_name"]]+"."+r[idx["name"]])
		case has(idx, "role"):
			out = append(out, r[idx["grantee_name"]])
		default:
			out = append(out, r[idx["name"]])
		}
	}
	return out
}

// TestShowPagingLoop pages through every role and every object of a schema with LIMIT n FROM
// '<last name>', as a reader of more than the row limit must, and gets each row once, in order.
func TestShowPagingLoop(t *testing.T) {
	srv := start(t, emulator.Options{ShowRowLimit: 8}, pagingSeed)
	db := openDB(t, srv.DSN(""))
	for _, c := range []struct {
		show string
		want []string
	}{
		{"SHOW ROLES", allRoles},
		{"SHOW OBJECTS IN SCHEMA PAGE.S3", []string{"T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8", "T9"}},
	} {
		for _, size := range []int{1, 4, 8} {
			var got []string
			query := fmt.Sprintf("%s LIMIT %d", c.show, size)
			for len(got) <= len(c.want) { // bounded: a cursor that does not advance fails, not hangs
				cols, rows := mustQuery(t, db, query)
				names := column(t, cols, rows, "name")
				got = append(got, names...)
				if len(names) < size {
					break
				}
				query = fmt.Sprintf("%s LIMIT %d FROM '%s'", c.show, size, strings.ReplaceAll(names[len(names)-1], "'", "''"))
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("%s in pages of %d: got %q, want %q", c.show, size, got, c.want)
			}
		}
	}
}

// TestShowDefaultRowLimit checks the default limit, Snowflake's 10,000 rows, and the error's
// wording as Snowflake's drivers report it.
func TestShowDefaultRowLimit(t *testing.T) {
	srv := start(t, emulator.Options{}, "CREATE DATABASE BIG; CREATE SCHEMA BIG.S;")
	var seed strings.Builder
	for i := range emulator.DefaultShowRowLimit + 1 {
		fmt.Fprintf(&seed, "CREATE TABLE BIG.S.T%05d (ID INT);\n", i)
	}
	if err := srv.Exec(seed.String()); err != nil {
		t.Fatal(err)
	}
	db := openDB(t, srv.DSN("BIG"))
	_, _, err := queryRows(context.Background(), db, "SHOW TABLES IN SCHEMA BIG.S")
	if err == nil {
		t.Fatal("SHOW TABLES of 10,001 tables succeeded")
	}
	if n, state := snowflakeErrorNumber(t, err); n != emulator.ErrShowRowLimit || state != "22000" {
		t.Errorf("error %v, want 090153 (22000)", err)
	}
	const msg = "The result set size exceeded the max number of rows(10000) supported for SHOW statements. Use LIMIT option to limit result set to a smaller number."
	if !strings.Contains(err.Error(), msg) {
		t.Errorf("error %q does not contain %q", err, msg)
	}
	cols, rows := mustQuery(t, db, "SHOW TABLES IN SCHEMA BIG.S LIMIT 10000")
	if names := column(t, cols, rows, "name"); len(names) != 10000 || names[9999] != "T09999" {
		t.Errorf("LIMIT 10000: %d rows, last %q", len(names), names[len(names)-1])
	}
	cols, rows = mustQuery(t, db, "SHOW TABLES IN SCHEMA BIG.S LIMIT 10000 FROM 'T09999'")
	if names := column(t, cols, rows, "name"); !slices.Equal(names, []string{"T10000"}) {
		t.Errorf("LIMIT 10000 FROM 'T09999': %q", names)
	}
	if _, _, err := queryRows(context.Background(), db, "SHOW TABLES IN SCHEMA BIG.S LIMIT 10001"); err == nil {
		t.Error("LIMIT 10001 succeeded")
	}
	if _, rows := mustQuery(t, db, "SHOW GRANTS ON SCHEMA BIG.S LIMIT 10001"); len(rows) != 1 {
		t.Errorf("SHOW GRANTS ON SCHEMA BIG.S LIMIT 10001: %d rows, want 1", len(rows))
	}
}
