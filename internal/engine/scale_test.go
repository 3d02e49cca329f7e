package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/snowsync/snowsync/internal/policy"
	"github.com/snowsync/snowsync/internal/request"
	"github.com/snowsync/snowsync/internal/snowflake"
	"github.com/snowsync/snowsync/internal/task/outcome"
	"github.com/snowsync/snowsync/internal/testing/emulator"
	"github.com/snowsync/snowsync/internal/testing/emulator/emulatortest"
)

// seedSchemas runs CREATE DATABASE db and, for each schema, CREATE SCHEMA and perSchema tables T000...,
// every name through the quoting function.
func seedSchemas(t testing.TB, srv *emulator.Server, db string, schemas []string, perSchema int) {
	t.Helper()
	var sql strings.Builder
	sql.WriteString("CREATE DATABASE " + snowflake.QuoteIdent(db) + ";")
	for _, s := range schemas {
		sql.WriteString("CREATE SCHEMA IF NOT EXISTS " + snowflake.SchemaID{Database: db, Name: s}.FullyQualifiedName() + ";")
		for i := range perSchema {
			sql.WriteString("CREATE TABLE " + snowflake.ObjectID{Database: db, Schema: s, Name: fmt.Sprintf("T%03d", i)}.FullyQualifiedName() + " (ID INT);")
		}
	}
	if err := srv.Exec(sql.String()); err != nil {
		t.Fatal(err)
	}
}

// statements returns the log's statements whose SQL starts with prefix.
func statements(srv *emulator.Server, prefix string) []string {
	var out []string
	for _, q := range srv.Log() {
		if strings.HasPrefix(q.SQL, prefix) {
			out = append(out, q.SQL)
		}
	}
	return out
}

// selectOnSales grants analysts SELECT on every table and view of SALES.
const selectOnSales = `{"serviceName":"snowflake","policies":[{"id":1,"name":"all","isEnabled":true,
  "resources":{"database":{"values":["SALES"]},"schema":{"values":["*"]},"table":{"values":["*"]}},
  "policyItems":[{"accesses":[{"type":"select","isAllowed":true}],"groups":["analysts"]}]}]}`

// A database request reads its grants by role (one SHOW GRANTS TO ROLE per managed role) and grants a
// privilege every table of a schema lacks with one ON ALL statement; the second run changes nothing.
func TestDatabaseRequestReadsByRoleAndGrantsOnAll(t *testing.T) {
	srv := emulatortest.Start(t, emulator.Options{})
	seedSchemas(t, srv, "SALES", []string{"PUBLIC", "S1", "S2"}, 30)
	// PUBLIC is converged but for two tables; S1 and S2 lack everything. PRIV_OLD holds a grant that no
	// policy demands (revoked); BI_TOOL is not managed (untouched, and never read).
	if err := srv.Exec(`CREATE ROLE PRIV_ANALYSTS; CREATE ROLE PRIV_OLD; CREATE ROLE BI_TOOL;
		GRANT USAGE ON DATABASE SALES TO ROLE PRIV_ANALYSTS; GRANT USAGE ON SCHEMA SALES.PUBLIC TO ROLE PRIV_ANALYSTS;
		GRANT SELECT ON ALL TABLES IN SCHEMA SALES.PUBLIC TO ROLE PRIV_ANALYSTS;
		REVOKE SELECT ON TABLE SALES.PUBLIC.T000 FROM ROLE PRIV_ANALYSTS; REVOKE SELECT ON TABLE SALES.PUBLIC.T001 FROM ROLE PRIV_ANALYSTS;
		GRANT INSERT ON TABLE SALES.S1.T005 TO ROLE PRIV_OLD; GRANT SELECT ON TABLE SALES.S1.T005 TO ROLE BI_TOOL`); err != nil {
		t.Fatal(err)
	}
	e := newEngineWith(t, srv, selectOnSales, Options{CreateMissingRoles: true})
	srv.ResetLog()
	res, err := e.Run(context.Background(), []request.Resource{{Kind: request.KindDatabase, Database: "SALES"}})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Status != outcome.Success {
		t.Fatalf("result = %+v", res[0])
	}
	want := []string{
		`GRANT USAGE ON SCHEMA "SALES"."S1" TO ROLE "PRIV_ANALYSTS"`,
		`GRANT SELECT ON ALL TABLES IN SCHEMA "SALES"."S1" TO ROLE "PRIV_ANALYSTS"`,
		`REVOKE INSERT ON TABLE "SALES"."S1"."T005" FROM ROLE "PRIV_OLD"`,
		`GRANT USAGE ON SCHEMA "SALES"."S2" TO ROLE "PRIV_ANALYSTS"`,
		`GRANT SELECT ON ALL TABLES IN SCHEMA "SALES"."S2" TO ROLE "PRIV_ANALYSTS"`,
		`GRANT SELECT ON TABLE "SALES"."PUBLIC"."T000" TO ROLE "PRIV_ANALYSTS"`,
		`GRANT SELECT ON TABLE "SALES"."PUBLIC"."T001" TO ROLE "PRIV_ANALYSTS"`,
	}
	if !sameSet(res[0].Statements, want) {
		t.Errorf("statements =\n%q\nwant (any order)\n%q", res[0].Statements, want)
	}
	// 2 missing in PUBLIC + 30 + 30 tables, 2 schema USAGEs; 1 revoke.
	if res[0].Grants != 64 || res[0].Revokes != 1 {
		t.Errorf("grants %d, revokes %d; want 64 and 1", res[0].Grants, res[0].Revokes)
	}
	reads := statements(srv, "SHOW")
	wantReads := []string{`SHOW ROLES LIMIT 10000`, `SHOW SCHEMAS IN DATABASE "SALES" LIMIT 10000`,
		`SHOW OBJECTS IN DATABASE "SALES" LIMIT 10000`, `SHOW GRANTS TO ROLE "PRIV_ANALYSTS"`, `SHOW GRANTS TO ROLE "PRIV_OLD"`}
	if !sameSet(reads, wantReads) {
		t.Errorf("reads =\n%q\nwant\n%q", reads, wantReads)
	}
	if g := grantsOn(t, e, "SALES", "S1", "T005"); !slices.Contains(g, "SELECT BI_TOOL") || !slices.Contains(g, "SELECT PRIV_ANALYSTS") || slices.Contains(g, "INSERT PRIV_OLD") {
		t.Errorf("grants on S1.T005 = %v", g)
	}

	srv.ResetLog()
	res, err = e.Run(context.Background(), []request.Resource{{Kind: request.KindDatabase, Database: "SALES"}})
	if err != nil || res[0].Status != outcome.Success || len(res[0].Statements) != 0 {
		t.Errorf("second run = %+v, %v; want no statement", res[0], err)
	}
}

// ON ALL never reaches an object the plan did not decide on: a table outside the managed scope, or one a
// policy denies, keeps its schema on per-object GRANTs.
func TestOnAllNeverReachesExcludedOrDeniedObjects(t *testing.T) {
	srv := emulatortest.Start(t, emulator.Options{})
	seedSchemas(t, srv, "SALES", []string{"IGNORED", "DENIED", "OPEN"}, 4)
	if err := srv.Exec(`CREATE ROLE PRIV_ANALYSTS; CREATE TABLE SALES.IGNORED.SECRET_PII (ID INT); CREATE TABLE SALES.DENIED.SECRET (ID INT)`); err != nil {
		t.Fatal(err)
	}
	const policies = `{"serviceName":"snowflake","policies":[{"id":1,"name":"all","isEnabled":true,
	  "resources":{"database":{"values":["SALES"]},"schema":{"values":["*"]},"table":{"values":["*"]}},
	  "policyItems":[{"accesses":[{"type":"select","isAllowed":true}],"groups":["analysts"]}],
	  "denyPolicyItems":[]},
	 {"id":2,"name":"deny secret","isEnabled":true,
	  "resources":{"database":{"values":["SALES"]},"schema":{"values":["DENIED"]},"table":{"values":["SECRET"]}},
	  "denyPolicyItems":[{"accesses":[{"type":"select","isAllowed":true}],"groups":["analysts"]}]}]}`
	e := newEngineWith(t, srv, policies, Options{CreateMissingRoles: true,
		Scope: NewScope(ScopeLists{IgnoreTables: []string{"*_PII"}})})
	res, err := e.Run(context.Background(), []request.Resource{{Kind: request.KindDatabase, Database: "SALES"}})
	if err != nil || res[0].Status != outcome.Success {
		t.Fatalf("result = %+v, %v", res[0], err)
	}
	var onAll []string
	for _, s := range res[0].Statements {
		if strings.Contains(s, " ON ALL ") {
			onAll = append(onAll, s)
		}
	}
	if want := []string{`GRANT SELECT ON ALL TABLES IN SCHEMA "SALES"."OPEN" TO ROLE "PRIV_ANALYSTS"`}; !slices.Equal(onAll, want) {
		t.Errorf("ON ALL statements = %q; want only %q", onAll, want)
	}
	for _, tc := range [][2]string{{"IGNORED", "SECRET_PII"}, {"DENIED", "SECRET"}} {
		if g := grantsOn(t, e, "SALES", tc[0], tc[1]); slices.Contains(g, "SELECT PRIV_ANALYSTS") {
			t.Errorf("%s.%s: %v; the excluded or denied table was granted", tc[0], tc[1], g)
		}
	}
	if g := grantsOn(t, e, "SALES", "DENIED", "T000"); !slices.Contains(g, "SELECT PRIV_ANALYSTS") {
		t.Errorf("DENIED.T000 = %v; want SELECT granted by its own statement", g)
	}
}

// A batch whose every resource is outside the managed scope costs no round trip at all.
func TestNothingToSyncReadsNothing(t *testing.T) {
	srv := emulatortest.Start(t, emulator.Options{})
	e := newEngine(t, srv, Options{Scope: NewScope(ScopeLists{Databases: []string{"SALES"}})})
	srv.ResetLog()
	res, err := e.Run(context.Background(), []request.Resource{{Kind: request.KindTable, Database: "HR", Schema: "CORE", Table: "EMPLOYEES"}})
	if err != nil || res[0].Status != outcome.Skipped {
		t.Fatalf("result = %+v, %v", res[0], err)
	}
	if n := len(srv.Log()); n != 0 {
		t.Errorf("%d queries for a batch with nothing to sync; want 0", n)
	}
}

// newEngineWith is newEngine with another policy document.
func newEngineWith(t testing.TB, srv *emulator.Server, policies string, opts Options) *Engine {
	t.Helper()
	e := newEngine(t, srv, opts)
	set, problems, err := policy.Parse([]byte(policies), policy.Mapping{})
	if err != nil || len(problems) > 0 {
		t.Fatalf("policies: %v %v", err, problems)
	}
	e.policies = staticPolicies{set}
	return e
}

// grantsOn reads SHOW GRANTS ON TABLE db.schema.name through the engine's connection and returns
// "PRIVILEGE ROLE" per grant.
func grantsOn(t *testing.T, e *Engine, db, schema, name string) []string {
	t.Helper()
	return grantsOf(t, e, snowflake.ObjectTable, snowflake.ObjectID{Database: db, Schema: schema, Name: name})
}

// grantsOf is grantsOn for an object of any kind.
func grantsOf(t *testing.T, e *Engine, kind snowflake.ObjectType, id snowflake.Identifier) []string {
	t.Helper()
	g, err := snowflake.ShowGrantsOn(context.Background(), e.q, kind, id)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range g.Roles {
		out = append(out, string(r.Privilege)+" "+r.Role)
	}
	return out
}

func sameSet(a, b []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}

// A database with more objects than one SHOW may return (Snowflake's 10,000 rows, which the emulator
// enforces with 090153) is listed schema by schema, a schema over the limit in pages; every table is
// synced and the second run changes nothing.
func TestDatabaseOverTheShowLimitIsPaged(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 20,003 tables")
	}
	srv := emulatortest.Start(t, emulator.Options{})
	seedSchemas(t, srv, "SALES", []string{"SMALL"}, 3)
	var sql strings.Builder
	sql.WriteString("CREATE SCHEMA SALES.BIG;")
	for i := range 20_000 {
		sql.WriteString("CREATE TABLE " + snowflake.ObjectID{Database: "SALES", Schema: "BIG", Name: fmt.Sprintf("T%05d", i)}.FullyQualifiedName() + " (ID INT);")
	}
	if err := srv.Exec(sql.String() + "CREATE ROLE PRIV_ANALYSTS; GRANT SELECT ON TABLE SALES.BIG.T00007 TO ROLE PRIV_ANALYSTS"); err != nil {
		t.Fatal(err)
	}
	e := newEngineWith(t, srv, selectOnSales, Options{CreateMissingRoles: true})
	srv.ResetLog()
	res, err := e.Run(context.Background(), []request.Resource{{Kind: request.KindDatabase, Database: "SALES"}})
	if err != nil || res[0].Status != outcome.Success {
		t.Fatalf("result = %+v, %v", res[0], err)
	}
	// 19,999 + 3 tables lacked SELECT; USAGE on the database and its three schemas (PUBLIC included).
	if res[0].Grants != 19_999+3+4 {
		t.Errorf("grants = %d; want %d: %q", res[0].Grants, 19_999+3+4, res[0].Statements)
	}
	pages := statements(srv, `SHOW OBJECTS IN SCHEMA "SALES"."BIG"`)
	want := []string{`SHOW OBJECTS IN SCHEMA "SALES"."BIG" LIMIT 10000`, `SHOW OBJECTS IN SCHEMA "SALES"."BIG" LIMIT 10000 FROM 'T09999'`,
		`SHOW OBJECTS IN SCHEMA "SALES"."BIG" LIMIT 10000 FROM 'T19999'`}
	if !slices.Equal(pages, want) {
		t.Errorf("listing of BIG = %q; want %q", pages, want)
	}
	for _, q := range srv.Log() {
		if q.ErrorNumber != 0 {
			t.Errorf("%s: error %06d", q.SQL, q.ErrorNumber)
		}
	}
	if g := grantsOn(t, e, "SALES", "BIG", "T19999"); !slices.Contains(g, "SELECT PRIV_ANALYSTS") {
		t.Errorf("BIG.T19999 = %v; want SELECT", g)
	}
	srv.ResetLog()
	res, err = e.Run(context.Background(), []request.Resource{{Kind: request.KindDatabase, Database: "SALES"}})
	if err != nil || len(res[0].Statements) != 0 {
		t.Errorf("second run = %+v, %v; want no statement", res[0], err)
	}
}
