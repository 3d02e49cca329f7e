package engine

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/snowsync/snowsync/internal/policy"
	"github.com/snowsync/snowsync/internal/request"
	"github.com/snowsync/snowsync/internal/snowflake"
	"github.com/snowsync/snowsync/internal/task/outcome"
	"github.com/snowsync/snowsync/internal/testing/emulator"
	"github.com/snowsync/snowsync/internal/testing/emulator/emulatortest"
)

// doc is a Ranger ServicePolicies document of version with policies (JSON objects).
func doc(version int, policies ...string) string {
	return fmt.Sprintf(`{"serviceName":"snowflake","policyVersion":%d,"policies":[%s]}`, version, strings.Join(policies, ","))
}

// selectOn is an access policy granting group SELECT on database.schema.table (Ranger wildcards).
func selectOn(id int, database, schema, table, group string) string {
	return fmt.Sprintf(`{"id":%d,"name":"select %d","isEnabled":true,
	  "resources":{"database":{"values":[%q]},"schema":{"values":[%q]},"table":{"values":[%q]}},
	  "policyItems":[{"accesses":[{"type":"select","isAllowed":true}],"groups":[%q]}]}`, id, id, database, schema, table, group)
}

// hrRead is a policy over HR that no test changes.
var hrRead = selectOn(1, "HR", "CORE", "*", "analysts")

// seedInventory builds SALES with schemas S0..S4 of 20 tables T000..T019, SALES.SNOWSYNC_POLICIES
// (snowsync's policy schema, holding a table the wildcards would match), HR.CORE with 3 tables, and
// Snowflake's own SNOWFLAKE database.
func seedInventory(t *testing.T, srv *emulator.Server) {
	t.Helper()
	seedSchemas(t, srv, "SALES", []string{"S0", "S1", "S2", "S3", "S4"}, 20)
	seedSchemas(t, srv, "HR", []string{"CORE"}, 3)
	seedSchemas(t, srv, "SNOWFLAKE", []string{"ACCOUNT_USAGE"}, 1)
	if err := srv.Exec(`CREATE SCHEMA SALES.SNOWSYNC_POLICIES; CREATE TABLE SALES.SNOWSYNC_POLICIES.T000 (ID INT);
		CREATE ROLE PRIV_ANALYSTS; CREATE ROLE PRIV_READERS`); err != nil {
		t.Fatal(err)
	}
}

// diff returns Diff of two documents.
func diff(t *testing.T, from, to string) *policy.Change {
	t.Helper()
	return policy.Diff(mustSet(t, from), mustSet(t, to))
}

func table(db, schema, name string) request.Resource {
	return request.Resource{Kind: request.KindTable, Database: db, Schema: schema, Table: name}
}

func schemaOwn(db, schema string) request.Resource {
	return request.Resource{Kind: request.KindSchema, Database: db, Schema: schema, ObjectOnly: true}
}

// tables returns table resources db.schema.T<from>..T<to-1> for each schema.
func tables(db string, schemas []string, from, to int) []request.Resource {
	var out []request.Resource
	for _, s := range schemas {
		for i := from; i < to; i++ {
			out = append(out, table(db, s, fmt.Sprintf("T%03d", i)))
		}
	}
	return out
}

// A table-level policy added on SALES.*.T00* affects exactly the matching tables of every schema, and,
// through the USAGE it implies, the database and the schemas (their own grants only); HR is not listed,
// the policy schema and SNOWFLAKE never appear. Listing costs three queries.
func TestAffectedTablePolicy(t *testing.T) {
	srv := emulatortest.Start(t, emulator.Options{})
	seedInventory(t, srv)
	e := newEngine(t, srv, Options{Scope: NewScope(ScopeLists{})})
	c := diff(t, doc(1, hrRead), doc(2, hrRead, selectOn(10, "SALES", "*", "T00*", "readers")))
	srv.ResetLog()
	got, err := e.Affected(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	schemas := []string{"S0", "S1", "S2", "S3", "S4"}
	want := []request.Resource{salesOwn, schemaOwn("SALES", "PUBLIC")} // empty, but the wildcard's USAGE may reach it
	for _, s := range schemas {
		want = append(append(want, schemaOwn("SALES", s)), tables("SALES", []string{s}, 0, 10)...)
	}
	if !slices.Equal(got, want) {
		t.Errorf("Affected =\n%v\nwant\n%v", got, want)
	}
	wantReads := []string{"SHOW DATABASES", `SHOW OBJECTS IN DATABASE "SALES"`, `SHOW SCHEMAS IN DATABASE "SALES"`}
	r := reads(srv)
	slices.Sort(r) // concurrent: SALES is named literally, so its listings start beside SHOW DATABASES
	if len(r) != len(wantReads) {
		t.Fatalf("reads = %q; want one each of %q", r, wantReads)
	}
	for i, q := range r {
		if !strings.HasPrefix(q, wantReads[i]) {
			t.Errorf("read %d = %q, want %q", i, q, wantReads[i])
		}
	}
}

// A change that names its database literally lists it in one wave: the schemas and objects of that
// database are read beside SHOW DATABASES, not after it.
func TestAffectedListsANamedDatabaseInOneWave(t *testing.T) {
	lat := emulator.Latency{Fixed: 100 * time.Millisecond} // wide enough that concurrent reads overlap on a loaded machine
	srv := emulatortest.Start(t, emulator.Options{Latency: map[emulator.StatementClass]emulator.Latency{emulator.ClassShow: lat}})
	seedSchemas(t, srv, "A", []string{"S0", "S1"}, 3)
	e := newEngine(t, srv, Options{Scope: NewScope(ScopeLists{})})
	srv.ResetLog()
	got, err := e.Affected(context.Background(), diff(t, doc(1, hrRead), doc(2, hrRead, selectOn(10, "A", "*", "T000", "readers"))))
	if err != nil {
		t.Fatal(err)
	}
	if want := table("A", "S1", "T000"); !slices.Contains(got, want) {
		t.Errorf("Affected = %v, want %v among them", got, want)
	}
	if w, n := readWaves(srv), len(srv.Log()); w != 1 || n != 3 {
		for _, q := range srv.Log() {
			t.Logf("%s +%s %s", q.Start.Format("15:04:05.000"), q.Duration, q.SQL)
		}
		t.Errorf("%d reads in %d waves, want SHOW DATABASES, SHOW SCHEMAS and SHOW OBJECTS in one", n, w)
	}
}

// Coarsening: a schema whose every table a change affects is one schema resource in full; a database
// whose every schema is, one database resource in full. A schema-level policy reaches no table: the
// schema ObjectOnly, without listing any object.
func TestAffectedCoarsens(t *testing.T) {
	srv := emulatortest.Start(t, emulator.Options{})
	seedInventory(t, srv)
	e := newEngine(t, srv, Options{Scope: NewScope(ScopeLists{})})
	schemaUsage := `{"id":11,"name":"s3 usage","isEnabled":true,"resources":{"database":{"values":["SALES"]},"schema":{"values":["S3"]}},
	  "policyItems":[{"accesses":[{"type":"usage","isAllowed":true}],"groups":["analysts"]}]}`
	tests := []struct {
		name   string
		added  []string
		want   []request.Resource
		listed bool // objects were listed
	}{
		{"whole schema", []string{selectOn(10, "SALES", "S1", "*", "readers"), selectOn(12, "SALES", "S2", "T001", "readers")},
			[]request.Resource{salesOwn, {Kind: request.KindSchema, Database: "SALES", Schema: "S1"}, schemaOwn("SALES", "S2"), table("SALES", "S2", "T001")}, true},
		{"whole database", []string{selectOn(10, "sales", "*", "*", "readers")},
			[]request.Resource{{Kind: request.KindDatabase, Database: "SALES"}}, true},
		{"schema level", []string{schemaUsage}, []request.Resource{salesOwn, schemaOwn("SALES", "S3")}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.ResetLog()
			got, err := e.Affected(context.Background(), diff(t, doc(1, hrRead), doc(2, append([]string{hrRead}, tt.added...)...)))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Affected = %v, want %v", got, tt.want)
			}
			if listed := len(statements(srv, "SHOW OBJECTS")) > 0; listed != tt.listed {
				t.Errorf("objects listed: %v, want %v (%q)", listed, tt.listed, reads(srv))
			}
		})
	}
}

// An empty change reads nothing; a change without a set to compare (All) gives every in-scope database
// in full after one SHOW DATABASES; the ignore lists and the manage lists keep to the scope.
func TestAffectedEmptyAllAndScope(t *testing.T) {
	srv := emulatortest.Start(t, emulator.Options{})
	seedInventory(t, srv)
	if err := srv.Exec(`CREATE DATABASE SCRATCH`); err != nil {
		t.Fatal(err)
	}
	e := newEngine(t, srv, Options{Scope: NewScope(ScopeLists{})})
	srv.ResetLog()
	if got, err := e.Affected(context.Background(), diff(t, doc(1, hrRead), doc(2, hrRead))); err != nil || got != nil {
		t.Errorf("empty change: %v, %v", got, err)
	}
	if n := len(srv.Log()); n != 0 {
		t.Errorf("%d queries for an empty change, want 0", n)
	}

	got, err := e.Affected(context.Background(), policy.Diff(nil, mustSet(t, doc(1, hrRead))))
	want := []request.Resource{{Kind: request.KindDatabase, Database: "HR"}, {Kind: request.KindDatabase, Database: "SALES"},
		{Kind: request.KindDatabase, Database: "SCRATCH"}}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("All = %v, %v; want %v", got, err, want)
	}
	if r := reads(srv); len(r) != 1 {
		t.Errorf("All read %q, want SHOW DATABASES alone", r)
	}

	scoped := newEngine(t, srv, Options{Scope: NewScope(ScopeLists{IgnoreDatabases: []string{"SCRATCH"},
		IgnoreSchemas: []string{"S2", "SALES.S3"}, IgnoreTables: []string{"T001", "S1.T00?"}})})
	got, err = scoped.Affected(context.Background(), diff(t, doc(1, hrRead), doc(2, hrRead, selectOn(10, "*", "*", "T00*", "readers"))))
	if err != nil {
		t.Fatal(err)
	}
	// HR: CORE's every in-scope table is affected, PUBLIC is empty: HR in full. SALES: S1's in-scope
	// tables are T010..T019, which the change does not affect.
	want = []request.Resource{{Kind: request.KindDatabase, Database: "HR"}, salesOwn, schemaOwn("SALES", "PUBLIC")}
	want = append(want, schemaOwn("SALES", "S0"), table("SALES", "S0", "T000"))
	want = append(want, tables("SALES", []string{"S0"}, 2, 10)...)
	want = append(want, schemaOwn("SALES", "S1"), schemaOwn("SALES", "S4"), table("SALES", "S4", "T000"))
	want = append(want, tables("SALES", []string{"S4"}, 2, 10)...)
	if !slices.Equal(got, want) {
		t.Errorf("scoped Affected =\n%v\nwant\n%v", got, want)
	}
	all, err := scoped.Affected(context.Background(), policy.Diff(mustSet(t, doc(1, hrRead)), nil))
	if want := []request.Resource{{Kind: request.KindDatabase, Database: "HR"}, {Kind: request.KindDatabase, Database: "SALES"}}; err != nil || !slices.Equal(all, want) {
		t.Errorf("scoped All = %v, %v; want %v", all, err, want)
	}
}

// Names are matched as Ranger matches them, ignoring case; a database a policy names that does not
// exist gives nothing; a database that cannot be listed for lack of privileges is synced in full (its
// failure is reported there), one dropped between listings is left out, and an outage is the error.
func TestAffectedNamesAndFailures(t *testing.T) {
	srv := emulatortest.Start(t, emulator.Options{})
	seedInventory(t, srv)
	e := newEngine(t, srv, Options{Scope: NewScope(ScopeLists{})})
	c := diff(t, doc(1, hrRead), doc(2, hrRead, selectOn(10, "sales", "s1", "t000", "readers"), selectOn(11, "NOPE", "*", "*", "readers")))
	got, err := e.Affected(context.Background(), c)
	if want := []request.Resource{salesOwn, schemaOwn("SALES", "S1"), table("SALES", "S1", "T000")}; err != nil || !slices.Equal(got, want) {
		t.Errorf("Affected = %v, %v; want %v", got, err, want)
	}

	// Two schemas reached: one SHOW OBJECTS IN DATABASE, or, when Snowflake refuses it for its size,
	// one per schema.
	two := diff(t, doc(1, hrRead), doc(2, hrRead, selectOn(10, "SALES", "S1", "T000", "readers"), selectOn(11, "SALES", "S2", "T019", "readers")))
	srv.AddFault(emulator.Fault{Kind: emulator.FaultError, Match: regexp.MustCompile(`^SHOW OBJECTS IN DATABASE`), Number: 90153, Times: 1})
	srv.ResetLog()
	got, err = e.Affected(context.Background(), two)
	want := []request.Resource{salesOwn, schemaOwn("SALES", "S1"), table("SALES", "S1", "T000"), schemaOwn("SALES", "S2"), table("SALES", "S2", "T019")}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("too many rows: %v, %v; want %v", got, err, want)
	}
	if n := len(statements(srv, "SHOW OBJECTS IN SCHEMA")); n != 2 {
		t.Errorf("%d SHOW OBJECTS IN SCHEMA after the database's was refused, want 2 (%q)", n, reads(srv))
	}

	srv.AddFault(emulator.Fault{Kind: emulator.FaultError, Match: regexp.MustCompile(`^SHOW SCHEMAS IN DATABASE "SALES"`), Number: 3001, Times: 1})
	got, err = e.Affected(context.Background(), c)
	if want := []request.Resource{{Kind: request.KindDatabase, Database: "SALES"}}; err != nil || !slices.Equal(got, want) {
		t.Errorf("SALES unreadable: %v, %v; want %v", got, err, want)
	}
	srv.AddFault(emulator.Fault{Kind: emulator.FaultError, Match: regexp.MustCompile(`^SHOW SCHEMAS IN DATABASE "SALES"`), Number: 2003, Times: 1})
	if got, err = e.Affected(context.Background(), c); err != nil || len(got) != 0 {
		t.Errorf("SALES dropped: %v, %v; want nothing", got, err)
	}
	srv.AddFault(emulator.Fault{Kind: emulator.FaultError, Match: regexp.MustCompile(`^SHOW OBJECTS`), Number: 390144, Times: 1})
	if got, err = e.Affected(context.Background(), c); !snowflake.Outage(err) {
		t.Errorf("outage: %v, %v; want the outage", got, err)
	}
}

// Schemas lists every in-scope schema, sorted, with one SHOW SCHEMAS per in-scope database.
func TestSchemas(t *testing.T) {
	srv := emulatortest.Start(t, emulator.Options{})
	seedInventory(t, srv)
	e := newEngine(t, srv, Options{Scope: NewScope(ScopeLists{IgnoreSchemas: []string{"S3"}})})
	srv.ResetLog()
	got, err := e.Schemas(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var want []snowflake.SchemaID
	for _, s := range []string{"HR.CORE", "HR.PUBLIC", "SALES.PUBLIC", "SALES.S0", "SALES.S1", "SALES.S2", "SALES.S4"} {
		db, schema, _ := strings.Cut(s, ".")
		want = append(want, snowflake.SchemaID{Database: db, Name: schema})
	}
	if !slices.Equal(got, want) {
		t.Errorf("Schemas = %v\nwant %v", got, want)
	}
	if r := reads(srv); len(r) != 3 {
		t.Errorf("reads = %q; want SHOW DATABASES and one SHOW SCHEMAS per in-scope database", r)
	}
}

// dbAccess is a database-level policy granting group the accesses on database.
func dbAccess(id int, database, group string, accesses ...string) string {
	items := make([]string, len(accesses))
	for i, a := range accesses {
		items[i] = fmt.Sprintf(`{"type":%q,"isAllowed":true}`, a)
	}
	return fmt.Sprintf(`{"id":%d,"name":"db %d","isEnabled":true,"resources":{"database":{"values":[%q]}},
	  "policyItems":[{"accesses":[%s],"groups":[%q]}]}`, id, id, database, strings.Join(items, ","), group)
}

// A new policy version, end to end in the engine: Diff of the two documents, Affected, then Sync of
// those resources against a state converged under the old version moves exactly the grants that
// differ (a grant added by hand elsewhere is drift, left to the sweep), and a second Sync sends nothing.
func TestPolicyVersionSyncsExactlyWhatChanged(t *testing.T) {
	srv := emulatortest.Start(t, emulator.Options{})
	seedInventory(t, srv)
	from := doc(1, hrRead, selectOn(2, "SALES", "S0", "*", "analysts"), selectOn(3, "SALES", "S1", "T00*", "readers"),
		dbAccess(4, "SALES", "analysts", "usage"))
	to := doc(2, hrRead, selectOn(2, "SALES", "S0", "*", "analysts"), selectOn(3, "SALES", "S1", "T01*", "readers"),
		dbAccess(4, "SALES", "analysts", "usage", "monitor"), selectOn(5, "SALES", "S2", "T005", "readers"))
	opts := Options{Scope: NewScope(ScopeLists{}), CreateMissingRoles: true}
	old := newEngineWith(t, srv, from, opts)
	full := []request.Resource{{Kind: request.KindDatabase, Database: "HR"}, {Kind: request.KindDatabase, Database: "SALES"}}
	if res, err := old.Run(context.Background(), full); err != nil || res[0].Status != outcome.Success || res[1].Status != outcome.Success {
		t.Fatalf("converge under the old version: %+v, %v", res, err)
	}
	if err := srv.Exec(`GRANT INSERT ON TABLE SALES.S3.T000 TO ROLE PRIV_READERS`); err != nil { // drift
		t.Fatal(err)
	}

	e := newEngineWith(t, srv, to, opts)
	resources, err := e.Affected(context.Background(), policy.Diff(mustSet(t, from), mustSet(t, to)))
	if err != nil {
		t.Fatal(err)
	}
	// S1's every table is affected (T00* lose SELECT, T01* gain it): the schema in full.
	wantRes := []request.Resource{salesOwn, {Kind: request.KindSchema, Database: "SALES", Schema: "S1"}, schemaOwn("SALES", "S2"), table("SALES", "S2", "T005")}
	if !slices.Equal(resources, wantRes) {
		t.Errorf("Affected = %v, want %v", resources, wantRes)
	}
	srv.ResetLog()
	results, err := e.Sync(context.Background(), []request.Request{{Source: "POLICY_CHANGE", Resources: resources}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results[0] {
		if r.Status != outcome.Success {
			t.Errorf("%s = %+v", r.Resource, r)
		}
	}
	want := []string{
		`GRANT MONITOR ON DATABASE "SALES" TO ROLE "PRIV_ANALYSTS"`,
		`GRANT USAGE ON SCHEMA "SALES"."S2" TO ROLE "PRIV_READERS"`,
		`GRANT SELECT ON TABLE "SALES"."S2"."T005" TO ROLE "PRIV_READERS"`,
	}
	for i := range 10 {
		want = append(want,
			fmt.Sprintf(`REVOKE SELECT ON TABLE "SALES"."S1"."T%03d" FROM ROLE "PRIV_READERS"`, i),
			fmt.Sprintf(`GRANT SELECT ON TABLE "SALES"."S1"."T%03d" TO ROLE "PRIV_READERS"`, 10+i))
	}
	if got := writes(srv); !sameSet(got, want) {
		t.Errorf("sent\n%s\nwant\n%s\nfor %v", strings.Join(got, "\n"), strings.Join(want, "\n"), resources)
	}
	if g := grantsOn(t, e, "SALES", "S3", "T000"); !slices.Contains(g, "INSERT PRIV_READERS") {
		t.Errorf("S3.T000 grants = %v; the policy change does not reach it", g)
	}

	srv.ResetLog()
	if _, err := e.Sync(context.Background(), []request.Request{{Source: "POLICY_CHANGE", Resources: resources}}); err != nil {
		t.Fatal(err)
	}
	if got := writes(srv); len(got) != 0 {
		t.Errorf("second sync sent %q, want nothing", got)
	}
}

// Databases are listed concurrently: three databases reached down to their tables cost at most three
// waves of reads (databases, schemas, objects), not three per database.
func TestAffectedListsDatabasesConcurrently(t *testing.T) {
	lat := emulator.Latency{Fixed: 100 * time.Millisecond} // wide enough that concurrent reads overlap on a loaded machine
	srv := emulatortest.Start(t, emulator.Options{Latency: map[emulator.StatementClass]emulator.Latency{emulator.ClassShow: lat}})
	for _, db := range []string{"A", "B", "C"} {
		seedSchemas(t, srv, db, []string{"S0", "S1"}, 3)
	}
	e := newEngine(t, srv, Options{Scope: NewScope(ScopeLists{})})
	srv.ResetLog()
	got, err := e.Affected(context.Background(), diff(t, doc(1, hrRead), doc(2, hrRead, selectOn(10, "*", "S*", "T000", "readers"))))
	if err != nil {
		t.Fatal(err)
	}
	var want []request.Resource
	for _, db := range []string{"A", "B", "C"} {
		want = append(want, request.Resource{Kind: request.KindDatabase, Database: db, ObjectOnly: true})
		for _, s := range []string{"S0", "S1"} {
			want = append(want, schemaOwn(db, s), table(db, s, "T000"))
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("Affected = %v\nwant %v", got, want)
	}
	// Databases go on independently, so one's objects may be listed while another's schemas still are:
	// the log may show fewer waves, never more.
	if w := readWaves(srv); w > 3 {
		for _, q := range srv.Log() {
			t.Logf("%s +%s %s", q.Start.Format("15:04:05.000"), q.Duration, q.SQL)
		}
		t.Errorf("%d waves of reads, want at most 3", w)
	}
}
