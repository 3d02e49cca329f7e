package emulator_test

import (
	"database/sql"
	"slices"
	"strings"
	"testing"

	"github.com/snowsync/snowsync/internal/testing/emulator"
)

// policySeed is an HR table with PII, two analyst roles and their users, and the roles the
// tests switch between. Policies are created by the tests.
const policySeed = `
CREATE DATABASE HR;
CREATE SCHEMA HR.CORE;
CREATE SCHEMA HR.GOV;
CREATE TABLE HR.CORE.EMPLOYEES (ID NUMBER(38,0) NOT NULL, NAME VARCHAR(100), SSN VARCHAR(11), REGION VARCHAR, SALARY NUMBER(10,2), HIRED DATE);
INSERT INTO HR.CORE.EMPLOYEES VALUES
  (1, 'Ada', '123-45-6789', 'EU', 5000.5, '2019-03-14'),
  (2, 'Bob', '987-65-4321', 'US', 4200, '2021-11-02'),
  (3, 'Cy', NULL, 'EU', 3900, '2023-01-20');
CREATE ROLE ANALYST_EU;
CREATE ROLE HR_ADMIN;
CREATE ROLE POLICY_OWNER;
GRANT USAGE ON DATABASE HR TO ROLE ANALYST_EU;
GRANT USAGE ON SCHEMA HR.CORE TO ROLE ANALYST_EU;
GRANT SELECT ON TABLE HR.CORE.EMPLOYEES TO ROLE ANALYST_EU;
GRANT USAGE ON DATABASE HR TO ROLE HR_ADMIN;
GRANT USAGE ON SCHEMA HR.CORE TO ROLE HR_ADMIN;
GRANT SELECT ON TABLE HR.CORE.EMPLOYEES TO ROLE HR_ADMIN;
CREATE USER ANNA PASSWORD = 'anna-pw';
CREATE USER HELGA PASSWORD = 'helga-pw';
GRANT ROLE ANALYST_EU TO USER ANNA;
GRANT ROLE HR_ADMIN TO USER HELGA;
CREATE MASKING POLICY HR.GOV.SSN_MASK AS (VAL VARCHAR) RETURNS VARCHAR ->
  CASE WHEN IS_ROLE_IN_SESSION('HR_ADMIN') THEN VAL ELSE REGEXP_REPLACE(VAL, '[0-9]', '*') END;
CREATE ROW ACCESS POLICY HR.GOV.EU_ONLY AS (R VARCHAR) RETURNS BOOLEAN ->
  IS_ROLE_IN_SESSION('HR_ADMIN') OR (IS_ROLE_IN_SESSION('ANALYST_EU') AND R = 'EU');
`

// userDB logs in as user with password and role.
func userDB(t *testing.T, srv *emulator.Server, user, password, role string) *sql.DB {
	t.Helper()
	return openDB(t, corpusDSN(t, srv, "user="+user+" password="+password+" role="+role+" database=HR"))
}

func rowsOf(t *testing.T, db *sql.DB, query string) []string {
	t.Helper()
	_, rows := mustQuery(t, db, query)
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = strings.Join(r, " ")
	}
	return out
}

func wantRows(t *testing.T, db *sql.DB, query string, want ...string) {
	t.Helper()
	if got := rowsOf(t, db, query); !slices.Equal(got, want) {
		t.Errorf("%s:\n got  %q\n want %q", query, got, want)
	}
}

func wantError(t *testing.T, db *sql.DB, query string, number int) {
	t.Helper()
	_, err := db.Exec(query)
	if err == nil {
		t.Fatalf("%s succeeded, want error %06d", query, number)
	}
	if n, _ := snowflakeErrorNumber(t, err); n != number {
		t.Fatalf("%s: %v, want error %06d", query, err, number)
	}
}

const employeesQuery = "SELECT ID, NAME, SSN, REGION FROM HR.CORE.EMPLOYEES WHERE ID <= 3 ORDER BY ID"

// TestMaskingPolicyByRole: the same SELECT shows masked values to a user in one role and
// clear values to a user in another; the table owner's policy change takes effect at once.
func TestMaskingPolicyByRole(t *testing.T) {
	srv := start(t, emulator.Options{}, policySeed)
	admin := openDB(t, srv.DSN("HR"))
	mustExec(t, admin, "ALTER TABLE HR.CORE.EMPLOYEES MODIFY COLUMN SSN SET MASKING POLICY HR.GOV.SSN_MASK")
	res, err := admin.Exec("INSERT INTO HR.CORE.EMPLOYEES (ID, NAME, SSN) VALUES (?, ?, ?), (5, 'Eve', NULL)", 4, "Dan", "111-22-3333")
	if err != nil {
		t.Fatal(err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 2 {
		t.Fatalf("INSERT of 2 rows: RowsAffected %d, %v", n, err)
	}
	mustExec(t, admin, "INSERT INTO HR.CORE.EMPLOYEES (ID) VALUES (6)")
	anna := userDB(t, srv, "ANNA", "anna-pw", "ANALYST_EU")
	helga := userDB(t, srv, "HELGA", "helga-pw", "HR_ADMIN")
	wantRows(t, anna, employeesQuery, "1 Ada ***-**-**** EU", "2 Bob ***-**-**** US", "3 Cy NULL EU")
	wantRows(t, helga, employeesQuery, "1 Ada 123-45-6789 EU", "2 Bob 987-65-4321 US", "3 Cy NULL EU")
	// The mask applies in WHERE too: the analyst cannot find a row by its clear SSN.
	wantRows(t, anna, "SELECT ID FROM HR.CORE.EMPLOYEES WHERE SSN = '123-45-6789'")
	wantRows(t, helga, "SELECT ID FROM HR.CORE.EMPLOYEES WHERE SSN = '123-45-6789'", "1")
	wantRows(t, anna, "SELECT ID, SSN FROM HR.CORE.EMPLOYEES WHERE ID > 3 ORDER BY ID DESC LIMIT 2", "6 NULL", "5 NULL")
	wantRows(t, helga, "SELECT NAME, SSN FROM HR.CORE.EMPLOYEES WHERE ID = 4", "Dan 111-22-3333")
	mustExec(t, admin, "ALTER MASKING POLICY HR.GOV.SSN_MASK SET BODY -> IFF(IS_ROLE_IN_SESSION('HR_ADMIN'), VAL, 'XXX-XX-' || RIGHT(VAL, 4))")
	wantRows(t, anna, "SELECT SSN FROM HR.CORE.EMPLOYEES WHERE ID = 1", "XXX-XX-6789")
	// A role without SELECT is refused as before.
	mustExec(t, admin, "REVOKE SELECT ON TABLE HR.CORE.EMPLOYEES FROM ROLE ANALYST_EU")
	if _, _, err := queryRows(t.Context(), anna, employeesQuery); err == nil {
		t.Fatal("SELECT without the privilege succeeded")
	} else if n, _ := snowflakeErrorNumber(t, err); n != emulator.ErrInsufficientPrivileges {
		t.Fatalf("SELECT without the privilege: %v", err)
	}
}

// TestRowAccessPolicyHidesRows: a row access policy keeps the rows its body accepts for the
// session's roles; USE ROLE changes what the same session sees.
func TestRowAccessPolicyHidesRows(t *testing.T) {
	srv := start(t, emulator.Options{}, policySeed+"GRANT ROLE ANALYST_EU TO USER HELGA;")
	admin := openDB(t, srv.DSN("HR"))
	mustExec(t, admin, "ALTER TABLE HR.CORE.EMPLOYEES ADD ROW ACCESS POLICY HR.GOV.EU_ONLY ON (REGION)")
	anna := userDB(t, srv, "ANNA", "anna-pw", "ANALYST_EU")
	wantRows(t, anna, "SELECT NAME FROM HR.CORE.EMPLOYEES ORDER BY NAME", "Ada", "Cy")
	// Not in the policy's roles: no rows at all, even for ACCOUNTADMIN.
	wantRows(t, admin, "SELECT NAME FROM HR.CORE.EMPLOYEES")
	// HELGA holds both roles; secondary roles are ALL by default, so HR_ADMIN counts even
	// while ANALYST_EU is primary, until USE SECONDARY ROLES NONE.
	helga := userDB(t, srv, "HELGA", "helga-pw", "HR_ADMIN")
	mustExec(t, helga, "USE ROLE ANALYST_EU")
	wantRows(t, helga, "SELECT CURRENT_ROLE(), IS_ROLE_IN_SESSION('HR_ADMIN'), IS_ROLE_IN_SESSION('PUBLIC')", "ANALYST_EU true true")
	wantRows(t, helga, "SELECT NAME FROM HR.CORE.EMPLOYEES ORDER BY NAME", "Ada", "Bob", "Cy")
	mustExec(t, helga, "USE SECONDARY ROLES NONE")
	wantRows(t, helga, "SELECT NAME FROM HR.CORE.EMPLOYEES ORDER BY NAME", "Ada", "Cy")
	mustExec(t, helga, "USE ROLE HR_ADMIN")
	wantRows(t, helga, "SELECT NAME FROM HR.CORE.EMPLOYEES ORDER BY NAME", "Ada", "Bob", "Cy")
}

// TestPolicyAttachRules: one masking policy per column (FORCE swaps it in one statement), one
// row access policy per table (DROP and ADD swap it in one statement), the signature must
// match the column types, and a policy in use cannot be dropped or replaced.
func TestPolicyAttachRules(t *testing.T) {
	srv := start(t, emulator.Options{}, policySeed+`
CREATE MASKING POLICY HR.GOV.SSN_NULL AS (VAL VARCHAR) RETURNS VARCHAR -> NULL;
CREATE MASKING POLICY HR.GOV.NUM_MASK AS (VAL NUMBER) RETURNS NUMBER -> 0;
CREATE ROW ACCESS POLICY HR.GOV.NOBODY AS (R VARCHAR) RETURNS BOOLEAN -> FALSE;`)
	admin := openDB(t, srv.DSN("HR"))
	helga := userDB(t, srv, "HELGA", "helga-pw", "HR_ADMIN")
	mustExec(t, admin, "ALTER TABLE HR.CORE.EMPLOYEES MODIFY COLUMN SSN SET MASKING POLICY HR.GOV.SSN_MASK")
	wantError(t, admin, "ALTER TABLE HR.CORE.EMPLOYEES MODIFY COLUMN SSN SET MASKING POLICY HR.GOV.SSN_NULL", emulator.ErrPolicyAttached)
	wantRows(t, helga, "SELECT SSN FROM HR.CORE.EMPLOYEES WHERE ID = 1", "123-45-6789")
	mustExec(t, admin, "ALTER TABLE HR.CORE.EMPLOYEES MODIFY COLUMN SSN SET MASKING POLICY HR.GOV.SSN_NULL FORCE")
	wantRows(t, helga, "SELECT SSN FROM HR.CORE.EMPLOYEES WHERE ID = 1", "NULL")
	// VARCHAR matches VARCHAR(11), NUMBER matches NUMBER(10,2); NUMBER does not match VARCHAR.
	wantError(t, admin, "ALTER TABLE HR.CORE.EMPLOYEES MODIFY COLUMN NAME SET MASKING POLICY HR.GOV.NUM_MASK", emulator.ErrPolicySignature)
	mustExec(t, admin, "ALTER TABLE HR.CORE.EMPLOYEES MODIFY COLUMN SALARY SET MASKING POLICY HR.GOV.NUM_MASK")
	wantRows(t, helga, "SELECT SALARY FROM HR.CORE.EMPLOYEES WHERE ID = 1", "0")
	wantError(t, admin, "DROP MASKING POLICY HR.GOV.SSN_NULL", emulator.ErrPolicyInUse)
	wantError(t, admin, "CREATE OR REPLACE MASKING POLICY HR.GOV.SSN_NULL AS (VAL VARCHAR) RETURNS VARCHAR -> VAL", emulator.ErrPolicyInUse)
	mustExec(t, admin, "ALTER TABLE HR.CORE.EMPLOYEES MODIFY COLUMN SSN UNSET MASKING POLICY, COLUMN SALARY UNSET MASKING POLICY")
	mustExec(t, admin, "DROP MASKING POLICY HR.GOV.SSN_NULL")
	cols, rows := mustQuery(t, admin, "SHOW MASKING POLICIES IN SCHEMA HR.GOV")
	if names := column(t, cols, rows, "name"); !slices.Equal(names, []string{"NUM_MASK", "SSN_MASK"}) {
		t.Errorf("SHOW MASKING POLICIES after DROP: %v", names)
	}

	mustExec(t, admin, "ALTER TABLE HR.CORE.EMPLOYEES ADD ROW ACCESS POLICY HR.GOV.EU_ONLY ON (REGION)")
	wantError(t, admin, "ALTER TABLE HR.CORE.EMPLOYEES ADD ROW ACCESS POLICY HR.GOV.NOBODY ON (REGION)", emulator.ErrRowPolicyExists)
	wantError(t, admin, "ALTER TABLE HR.CORE.EMPLOYEES DROP ROW ACCESS POLICY HR.GOV.NOBODY", emulator.ErrPolicyNotAttached)
	// A failing action leaves the table as it was: EU_ONLY is still attached.
	wantError(t, admin, "ALTER TABLE HR.CORE.EMPLOYEES DROP ROW ACCESS POLICY HR.GOV.EU_ONLY, ADD ROW ACCESS POLICY HR.GOV.NOBODY ON (ID)", emulator.ErrPolicySignature)
	wantRows(t, helga, "SELECT ID FROM HR.CORE.EMPLOYEES ORDER BY ID", "1", "2", "3")
	wantError(t, admin, "DROP ROW ACCESS POLICY HR.GOV.EU_ONLY", emulator.ErrPolicyInUse)
	mustExec(t, admin, "ALTER TABLE HR.CORE.EMPLOYEES DROP ROW ACCESS POLICY HR.GOV.EU_ONLY, ADD ROW ACCESS POLICY HR.GOV.NOBODY ON (REGION)")
	wantRows(t, helga, "SELECT ID FROM HR.CORE.EMPLOYEES ORDER BY ID")
	mustExec(t, admin, "ALTER TABLE HR.CORE.EMPLOYEES DROP ALL ROW ACCESS POLICIES")
	mustExec(t, admin, "ALTER TABLE HR.CORE.EMPLOYEES DROP ALL ROW ACCESS POLICIES") // bcr-1327: no error without one
	wantRows(t, helga, "SELECT ID FROM HR.CORE.EMPLOYEES ORDER BY ID", "1", "2", "3")
	mustExec(t, admin, "DROP ROW ACCESS POLICY HR.GOV.EU_ONLY")
}

// TestPolicyMetadata: DESCRIBE TABLE shows the masking policy per column without a
// warehouse; POLICY_REFERENCES lists references by policy and by table and needs one;
// DESCRIBE MASKING POLICY shows the signature and body.
func TestPolicyMetadata(t *testing.T) {
	srv := start(t, emulator.Options{}, policySeed+`
ALTER TABLE HR.CORE.EMPLOYEES MODIFY COLUMN SSN SET MASKING POLICY HR.GOV.SSN_MASK;
ALTER TABLE HR.CORE.EMPLOYEES ADD ROW ACCESS POLICY HR.GOV.EU_ONLY ON (REGION);`)
	admin := openDB(t, srv.DSN("HR"))
	cols, rows := mustQuery(t, admin, "DESCRIBE TABLE HR.CORE.EMPLOYEES")
	wantCols := []string{"name", "type", "kind", "null?", "default", "primary key", "unique key", "check",
		"expression", "comment", "policy name", "privacy domain"}
	if !slices.Equal(cols, wantCols) {
		t.Fatalf("DESCRIBE TABLE columns %v", cols)
	}
	var got []string
	for i, name := range column(t, cols, rows, "name") {
		got = append(got, strings.Join([]string{name, column(t, cols, rows, "type")[i], column(t, cols, rows, "null?")[i],
			column(t, cols, rows, "policy name")[i]}, " "))
	}
	want := []string{"ID NUMBER(38,0) N NULL", "NAME VARCHAR(100) Y NULL", "SSN VARCHAR(11) Y HR.GOV.SSN_MASK",
		"REGION VARCHAR(16777216) Y NULL", "SALARY NUMBER(10,2) Y NULL", "HIRED DATE Y NULL"}
	if !slices.Equal(got, want) {
		t.Errorf("DESCRIBE TABLE:\n got  %q\n want %q", got, want)
	}
	const byPolicy = "SELECT POLICY_NAME, POLICY_KIND, REF_ENTITY_NAME, REF_ENTITY_DOMAIN, REF_COLUMN_NAME, REF_ARG_COLUMN_NAMES, POLICY_STATUS FROM TABLE(HR.INFORMATION_SCHEMA.POLICY_REFERENCES(POLICY_NAME => 'HR.GOV.SSN_MASK'))"
	wantError(t, admin, byPolicy, emulator.ErrNoWarehouse)
	mustExec(t, admin, "USE WAREHOUSE WH")
	wantRows(t, admin, byPolicy, "SSN_MASK MASKING_POLICY EMPLOYEES TABLE SSN NULL ACTIVE")
	wantRows(t, admin, "SELECT POLICY_DB, POLICY_SCHEMA, POLICY_NAME, REF_COLUMN_NAME, REF_ARG_COLUMN_NAMES FROM TABLE(HR.INFORMATION_SCHEMA.POLICY_REFERENCES(REF_ENTITY_NAME => 'HR.CORE.EMPLOYEES', REF_ENTITY_DOMAIN => 'table')) ORDER BY POLICY_NAME",
		`HR GOV EU_ONLY NULL ["REGION"]`, "HR GOV SSN_MASK SSN NULL")
	cols, _ = mustQuery(t, admin, "SELECT * FROM TABLE(INFORMATION_SCHEMA.POLICY_REFERENCES(POLICY_NAME => 'HR.GOV.EU_ONLY'))")
	if want := []string{"POLICY_DB", "POLICY_SCHEMA", "POLICY_NAME", "POLICY_KIND", "REF_DATABASE_NAME", "REF_SCHEMA_NAME",
		"REF_ENTITY_NAME", "REF_ENTITY_DOMAIN", "REF_COLUMN_NAME", "REF_ARG_COLUMN_NAMES", "TAG_DATABASE", "TAG_SCHEMA",
		"TAG_NAME", "POLICY_STATUS"}; !slices.Equal(cols, want) {
		t.Errorf("POLICY_REFERENCES columns %v", cols)
	}
	wantRows(t, admin, "DESCRIBE MASKING POLICY HR.GOV.SSN_MASK",
		"SSN_MASK (VAL VARCHAR) VARCHAR(16777216) CASE WHEN IS_ROLE_IN_SESSION('HR_ADMIN') THEN VAL ELSE REGEXP_REPLACE(VAL, '[0-9]', '*') END")
}

// TestPolicyPrivileges: creating a policy needs CREATE MASKING POLICY on the schema; applying
// one needs APPLY MASKING POLICY on the account, or APPLY on the policy and ownership of the
// table.
func TestPolicyPrivileges(t *testing.T) {
	srv := start(t, emulator.Options{}, policySeed+`
CREATE ROLE CONNECTOR;
CREATE ROLE TABLE_OWNER;
CREATE USER SYNC PASSWORD = 'sync-pw';
GRANT ROLE CONNECTOR TO USER SYNC;
GRANT ROLE TABLE_OWNER TO USER SYNC;
GRANT USAGE ON DATABASE HR TO ROLE CONNECTOR;
GRANT USAGE ON SCHEMA HR.GOV TO ROLE CONNECTOR;
GRANT USAGE ON DATABASE HR TO ROLE TABLE_OWNER;
GRANT USAGE ON SCHEMA HR.CORE TO ROLE TABLE_OWNER;
GRANT CREATE TABLE ON SCHEMA HR.CORE TO ROLE TABLE_OWNER;`)
	admin := openDB(t, srv.DSN("HR"))
	sync := userDB(t, srv, "SYNC", "sync-pw", "CONNECTOR")
	mustExec(t, sync, "USE SECONDARY ROLES NONE")
	create := "CREATE MASKING POLICY HR.GOV.HASH_MASK AS (VAL VARCHAR) RETURNS VARCHAR -> SHA2(VAL)"
	wantError(t, sync, create, emulator.ErrInsufficientPrivileges)
	mustExec(t, admin, "GRANT CREATE MASKING POLICY ON SCHEMA HR.GOV TO ROLE CONNECTOR")
	mustExec(t, sync, create)
	apply := "ALTER TABLE HR.CORE.EMPLOYEES MODIFY COLUMN NAME SET MASKING POLICY HR.GOV.HASH_MASK"
	wantError(t, sync, apply, emulator.ErrDoesNotExist) // CONNECTOR has no privilege on the table
	mustExec(t, admin, "GRANT APPLY MASKING POLICY ON ACCOUNT TO ROLE CONNECTOR")
	mustExec(t, sync, apply)
	mustExec(t, admin, "REVOKE APPLY MASKING POLICY ON ACCOUNT FROM ROLE CONNECTOR")
	wantError(t, sync, "ALTER TABLE HR.CORE.EMPLOYEES MODIFY COLUMN NAME UNSET MASKING POLICY", emulator.ErrDoesNotExist)
	mustExec(t, admin, "GRANT SELECT ON TABLE HR.CORE.EMPLOYEES TO ROLE CONNECTOR")
	wantError(t, sync, "ALTER TABLE HR.CORE.EMPLOYEES MODIFY COLUMN NAME UNSET MASKING POLICY", emulator.ErrInsufficientPrivileges)

	// APPLY on the policy and ownership of the table are enough.
	mustExec(t, sync, "USE ROLE TABLE_OWNER")
	mustExec(t, sync, "CREATE TABLE HR.CORE.OWNED (NOTE VARCHAR)")
	ownedApply := "ALTER TABLE HR.CORE.OWNED MODIFY COLUMN NOTE SET MASKING POLICY HR.GOV.HASH_MASK"
	wantError(t, sync, ownedApply, emulator.ErrDoesNotExist) // the policy is not visible to TABLE_OWNER
	mustExec(t, admin, "GRANT APPLY ON MASKING POLICY HR.GOV.HASH_MASK TO ROLE TABLE_OWNER")
	mustExec(t, sync, ownedApply)
	mustExec(t, sync, "INSERT INTO HR.CORE.OWNED VALUES ('abc')")
	wantRows(t, sync, "SELECT NOTE FROM HR.CORE.OWNED", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
	cols, rows := mustQuery(t, admin, "SHOW GRANTS ON MASKING POLICY HR.GOV.HASH_MASK")
	if got := renderGrants(cols, rows); !slices.Contains(got, "APPLY MASKING_POLICY HR.GOV.HASH_MASK TABLE_OWNER BY CONNECTOR") {
		t.Errorf("SHOW GRANTS ON MASKING POLICY: %q", got)
	}
}

// TestPolicyHostileNames: quoted names with quotes and spaces, and bodies holding quotes, $$
// and semicolons, stay inside their identifiers and literals.
func TestPolicyHostileNames(t *testing.T) {
	srv := start(t, emulator.Options{}, `
CREATE DATABASE "db ""x""";
CREATE TABLE "db ""x""".PUBLIC."t;1" ("we""ird col" VARCHAR, "R" VARCHAR);
INSERT INTO "db ""x""".PUBLIC."t;1" VALUES ('a;b', 'O''Brien');
CREATE ROLE "o'brien";
GRANT ROLE "o'brien" TO USER ADMIN;`)
	admin := openDB(t, srv.DSN(""))
	mustExec(t, admin, `CREATE MASKING POLICY "db ""x""".PUBLIC."My ""Mask""" AS ("v al" VARCHAR) RETURNS VARCHAR -> `+
		`CASE WHEN IS_ROLE_IN_SESSION('o''brien') THEN '$$;' || "v al" || ''';--' ELSE "v al" END`)
	mustExec(t, admin, `ALTER TABLE "db ""x""".PUBLIC."t;1" MODIFY COLUMN "we""ird col" SET MASKING POLICY "db ""x""".PUBLIC."My ""Mask"""`)
	mustExec(t, admin, `CREATE ROW ACCESS POLICY "db ""x""".PUBLIC."rap;" AS (r VARCHAR) RETURNS BOOLEAN -> r = $$O'Brien$$`)
	mustExec(t, admin, `ALTER TABLE "db ""x""".PUBLIC."t;1" ADD ROW ACCESS POLICY "db ""x""".PUBLIC."rap;" ON ("R")`)
	wantRows(t, admin, `SELECT "we""ird col", "R" FROM "db ""x""".PUBLIC."t;1"`, "$$;a;b';-- O'Brien")
	cols, rows := mustQuery(t, admin, `DESCRIBE TABLE "db ""x""".PUBLIC."t;1"`)
	if got := column(t, cols, rows, "policy name"); !slices.Equal(got, []string{`"db ""x""".PUBLIC."My ""Mask"""`, "NULL"}) {
		t.Errorf("DESCRIBE TABLE policy name: %q", got)
	}
	mustExec(t, admin, "USE WAREHOUSE W")
	wantRows(t, admin, `SELECT POLICY_NAME, REF_COLUMN_NAME FROM TABLE("db ""x""".INFORMATION_SCHEMA.POLICY_REFERENCES(POLICY_NAME => '"db ""x""".PUBLIC."My ""Mask"""'))`,
		`My "Mask" we"ird col`)
}

// TestConditionalMasking: a masking policy with more arguments binds them with USING (the
// masked column first); POLICY_REFERENCES lists the extra columns.
func TestConditionalMasking(t *testing.T) {
	srv := start(t, emulator.Options{}, policySeed+`
CREATE MASKING POLICY HR.GOV.SSN_BY_REGION AS (VAL VARCHAR, R VARCHAR) RETURNS VARCHAR ->
  CASE WHEN R = 'US' THEN VAL ELSE 'hidden' END;`)
	admin := openDB(t, srv.DSN("HR"))
	wantError(t, admin, "ALTER TABLE HR.CORE.EMPLOYEES MODIFY COLUMN SSN SET MASKING POLICY HR.GOV.SSN_BY_REGION", emulator.ErrPolicySignature)
	wantError(t, admin, "ALTER TABLE HR.CORE.EMPLOYEES MODIFY COLUMN SSN SET MASKING POLICY HR.GOV.SSN_BY_REGION USING (REGION, SSN)", emulator.ErrPolicySignature)
	wantError(t, admin, "ALTER TABLE HR.CORE.EMPLOYEES MODIFY COLUMN SSN SET MASKING POLICY HR.GOV.SSN_BY_REGION USING (SSN, ID)", emulator.ErrPolicySignature)
	mustExec(t, admin, "ALTER TABLE HR.CORE.EMPLOYEES MODIFY COLUMN SSN SET MASKING POLICY HR.GOV.SSN_BY_REGION USING (SSN, REGION)")
	wantRows(t, admin, "SELECT ID, SSN FROM HR.CORE.EMPLOYEES ORDER BY ID", "1 hidden", "2 987-65-4321", "3 hidden")
	mustExec(t, admin, "USE WAREHOUSE W")
	wantRows(t, admin, "SELECT REF_COLUMN_NAME, REF_ARG_COLUMN_NAMES FROM TABLE(INFORMATION_SCHEMA.POLICY_REFERENCES(POLICY_NAME => 'HR.GOV.SSN_BY_REGION'))",
		`SSN ["REGION"]`)
}
