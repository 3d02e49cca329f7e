package engine

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/snowsync/snowsync/internal/request"
	"github.com/snowsync/snowsync/internal/snowflake"
	"github.com/snowsync/snowsync/internal/task/outcome"
	"github.com/snowsync/snowsync/internal/testing/emulator"
	"github.com/snowsync/snowsync/internal/testing/emulator/emulatortest"
)

// salesPolicies grants analysts USAGE and MONITOR on database SALES and USAGE on schema SALES.PUBLIC,
// and readers SELECT on SALES.PUBLIC.ORDERS (so USAGE on both, implied); extra holds more policies.
func salesPolicies(extra string) string {
	policies := `{"id":1,"name":"sales db","isEnabled":true,"resources":{"database":{"values":["SALES"]}},
	  "policyItems":[{"accesses":[{"type":"usage","isAllowed":true},{"type":"monitor","isAllowed":true}],"groups":["analysts"]}]},
	 {"id":2,"name":"public schema","isEnabled":true,"resources":{"database":{"values":["SALES"]},"schema":{"values":["PUBLIC"]}},
	  "policyItems":[{"accesses":[{"type":"usage","isAllowed":true}],"groups":["analysts"]}]}`
	if extra != "" {
		policies += "," + extra
	}
	return `{"serviceName":"snowflake","policyVersion":1,"policies":[` + policies + `]}`
}

// readersOnOrders grants readers SELECT on SALES.PUBLIC.ORDERS.
const readersOnOrders = `{"id":3,"name":"orders","isEnabled":true,
  "resources":{"database":{"values":["SALES"]},"schema":{"values":["PUBLIC"]},"table":{"values":["ORDERS"]}},
  "policyItems":[{"accesses":[{"type":"select","isAllowed":true}],"groups":["readers"]}]}`

var (
	salesOwn  = request.Resource{Kind: request.KindDatabase, Database: "SALES", ObjectOnly: true}
	publicOwn = request.Resource{Kind: request.KindSchema, Database: "SALES", Schema: "PUBLIC", ObjectOnly: true}
)

// seedSales builds SALES.PUBLIC with ORDERS and T000..T099 and the roles; PRIV_OLD (managed) holds
// grants no policy demands, BI_TOOL (not managed) grants nobody asked for.
func seedSales(t *testing.T, srv *emulator.Server) {
	t.Helper()
	seedSchemas(t, srv, "SALES", []string{"PUBLIC"}, 100)
	if err := srv.Exec(`CREATE TABLE SALES.PUBLIC.ORDERS (ID INT);
		CREATE ROLE PRIV_ANALYSTS; CREATE ROLE PRIV_READERS; CREATE ROLE PRIV_OLD; CREATE ROLE BI_TOOL;
		GRANT CREATE SCHEMA ON DATABASE SALES TO ROLE PRIV_ANALYSTS; GRANT USAGE ON DATABASE SALES TO ROLE PRIV_OLD;
		GRANT MONITOR ON DATABASE SALES TO ROLE BI_TOOL; GRANT USAGE ON SCHEMA SALES.PUBLIC TO ROLE BI_TOOL;
		GRANT CREATE TABLE ON SCHEMA SALES.PUBLIC TO ROLE PRIV_OLD; GRANT INSERT ON TABLE SALES.PUBLIC.T000 TO ROLE PRIV_OLD`); err != nil {
		t.Fatal(err)
	}
}

// reads returns the SHOW, SELECT and DESCRIBE queries of the log.
func reads(srv *emulator.Server) []string {
	var out []string
	for _, q := range srv.Log() {
		if verb, _, _ := strings.Cut(q.SQL, " "); verb == "SHOW" || verb == "SELECT" || verb == "DESCRIBE" {
			out = append(out, q.SQL)
		}
	}
	return out
}

// An ObjectOnly database sends only the database's own statements, grants and revokes for managed
// roles (the USAGE a table policy implies included), reads no table, and leaves unmanaged roles alone;
// the second run sends nothing.
func TestObjectOnlyDatabaseSyncsItsOwnGrants(t *testing.T) {
	srv := emulatortest.Start(t, emulator.Options{})
	seedSales(t, srv)
	e := newEngineWith(t, srv, salesPolicies(readersOnOrders), Options{CreateMissingRoles: true})
	srv.ResetLog()
	res, err := e.Run(context.Background(), []request.Resource{salesOwn})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`GRANT MONITOR, USAGE ON DATABASE "SALES" TO ROLE "PRIV_ANALYSTS"`,
		`GRANT USAGE ON DATABASE "SALES" TO ROLE "PRIV_READERS"`,
		`REVOKE USAGE ON DATABASE "SALES" FROM ROLE "PRIV_OLD"`,
		`REVOKE CREATE SCHEMA ON DATABASE "SALES" FROM ROLE "PRIV_ANALYSTS"`,
	}
	if res[0].Status != outcome.Success || !sameSet(res[0].Statements, want) || res[0].Grants != 3 || res[0].Revokes != 2 {
		t.Fatalf("result = %+v\nwant statements %q", res[0], want)
	}
	if sent := writes(srv); !sameSet(sent, want) {
		t.Errorf("sent %q, want %q", sent, want)
	}
	for _, q := range reads(srv) {
		if !strings.HasPrefix(q, `SHOW GRANTS ON DATABASE "SALES"`) && !strings.HasPrefix(q, "SHOW ROLES") {
			t.Errorf("read %q; an ObjectOnly database reads only its own grants and the roles", q)
		}
	}
	if g := grantsOf(t, e, snowflake.ObjectDatabase, snowflake.DatabaseID{Name: "SALES"}); !slices.Contains(g, "MONITOR BI_TOOL") {
		t.Errorf("SALES grants = %v; BI_TOOL is not managed and keeps MONITOR", g)
	}
	if g := grantsOn(t, e, "SALES", "PUBLIC", "T000"); !slices.Contains(g, "INSERT PRIV_OLD") {
		t.Errorf("T000 grants = %v; nothing under the database is synced", g)
	}
	rerunSendsNothing(t, srv, e, salesOwn)
}

// rerunSendsNothing runs resources again: converged, they succeed, list no statement, and nothing is sent.
func rerunSendsNothing(t *testing.T, srv *emulator.Server, e *Engine, resources ...request.Resource) {
	t.Helper()
	srv.ResetLog()
	res, err := e.Run(context.Background(), resources)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Status != outcome.Success || len(r.Statements) != 0 {
			t.Errorf("second run: %+v", r)
		}
	}
	if sent := writes(srv); len(sent) != 0 {
		t.Errorf("second run sent %q", sent)
	}
}

// An ObjectOnly schema revokes the USAGE a table policy implied once that policy is gone, and what a
// managed role holds beyond policy; its database is read as a parent only, its tables not at all.
func TestObjectOnlySchemaRevokesImpliedUsage(t *testing.T) {
	srv := emulatortest.Start(t, emulator.Options{})
	seedSales(t, srv)
	before := newEngineWith(t, srv, salesPolicies(readersOnOrders), Options{CreateMissingRoles: true})
	if _, err := before.Run(context.Background(), []request.Resource{publicOwn}); err != nil {
		t.Fatal(err)
	}
	if g := grantsOf(t, before, snowflake.ObjectSchema, snowflake.SchemaID{Database: "SALES", Name: "PUBLIC"}); !slices.Contains(g, "USAGE PRIV_READERS") {
		t.Fatalf("PUBLIC grants = %v; want the USAGE readers' table policy implies", g)
	}
	e := newEngineWith(t, srv, salesPolicies(""), Options{CreateMissingRoles: true})
	srv.ResetLog()
	res, err := e.Run(context.Background(), []request.Resource{publicOwn})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`REVOKE USAGE ON SCHEMA "SALES"."PUBLIC" FROM ROLE "PRIV_READERS"`}
	if res[0].Status != outcome.Success || !slices.Equal(res[0].Statements, want) || !slices.Equal(writes(srv), want) {
		t.Fatalf("result = %+v, sent %q; want %q", res[0], writes(srv), want)
	}
	for _, q := range reads(srv) {
		if !strings.HasPrefix(q, `SHOW GRANTS ON DATABASE "SALES"`) && !strings.HasPrefix(q, `SHOW GRANTS ON SCHEMA "SALES"."PUBLIC"`) &&
			!strings.HasPrefix(q, "SHOW ROLES") {
			t.Errorf("read %q; an ObjectOnly schema reads only its own and its database's grants, and the roles", q)
		}
	}
	if g := grantsOf(t, e, snowflake.ObjectSchema, snowflake.SchemaID{Database: "SALES", Name: "PUBLIC"}); !slices.Contains(g, "USAGE BI_TOOL") || slices.Contains(g, "CREATE TABLE PRIV_OLD") {
		t.Errorf("PUBLIC grants = %v; want BI_TOOL's USAGE kept, PRIV_OLD's CREATE TABLE revoked (by the first run)", g)
	}
	// The database is a parent: its grants beyond policy stay (its own ObjectOnly sync revokes them).
	if g := grantsOf(t, e, snowflake.ObjectDatabase, snowflake.DatabaseID{Name: "SALES"}); !slices.Contains(g, "USAGE PRIV_OLD") {
		t.Errorf("SALES grants = %v; a schema's sync never revokes on its database", g)
	}
}

// An ObjectOnly schema inside a database requested in full in the same batch is served by the
// database's load (no read of its own), and lists only the schema's own statements; the same database
// both ObjectOnly and in full is loaded once, in full.
func TestObjectOnlyCoalescesWithAFullDatabase(t *testing.T) {
	srv := emulatortest.Start(t, emulator.Options{})
	seedSales(t, srv)
	e := newEngineWith(t, srv, salesPolicies(readersOnOrders), Options{CreateMissingRoles: true})
	full := request.Resource{Kind: request.KindDatabase, Database: "SALES"}
	srv.ResetLog()
	res, err := e.Run(context.Background(), []request.Resource{publicOwn, full, salesOwn})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Status != outcome.Success {
			t.Fatalf("%s = %+v", r.Resource, r)
		}
	}
	wantSchema := []string{
		`GRANT USAGE ON SCHEMA "SALES"."PUBLIC" TO ROLE "PRIV_ANALYSTS"`,
		`GRANT USAGE ON SCHEMA "SALES"."PUBLIC" TO ROLE "PRIV_READERS"`,
		`REVOKE CREATE TABLE ON SCHEMA "SALES"."PUBLIC" FROM ROLE "PRIV_OLD"`,
	}
	if !sameSet(res[0].Statements, wantSchema) {
		t.Errorf("ObjectOnly schema lists %q, want %q", res[0].Statements, wantSchema)
	}
	for _, s := range res[2].Statements {
		if !strings.Contains(s, ` ON DATABASE "SALES" `) {
			t.Errorf("ObjectOnly database lists %q: not its own", s)
		}
	}
	if !slices.Contains(res[1].Statements, `REVOKE INSERT ON TABLE "SALES"."PUBLIC"."T000" FROM ROLE "PRIV_OLD"`) ||
		!slices.Contains(res[1].Statements, `GRANT SELECT ON TABLE "SALES"."PUBLIC"."ORDERS" TO ROLE "PRIV_READERS"`) {
		t.Errorf("full database lists %q; want its tables' statements", res[1].Statements)
	}
	if g := statements(srv, "SHOW GRANTS ON SCHEMA"); len(g) != 0 {
		t.Errorf("read %q; the schema is served by the database's load", g)
	}
	if n := len(statements(srv, "SHOW SCHEMAS")); n != 1 {
		t.Errorf("%d SHOW SCHEMAS, want the database's one", n)
	}
}

// ObjectOnly schema and tables under it in one batch: the tables are loaded themselves, and the
// schema does not make them complete: no GRANT … ON ALL, which would reach the tables not requested.
func TestObjectOnlySchemaWithTablesUnderIt(t *testing.T) {
	srv := emulatortest.Start(t, emulator.Options{})
	seedSchemas(t, srv, "SALES", []string{"PUBLIC"}, 4)
	if err := srv.Exec(`CREATE ROLE PRIV_ANALYSTS`); err != nil {
		t.Fatal(err)
	}
	e := newEngineWith(t, srv, selectOnSales, Options{CreateMissingRoles: true})
	table := func(n string) request.Resource {
		return request.Resource{Kind: request.KindTable, Database: "SALES", Schema: "PUBLIC", Table: n}
	}
	batch := []request.Resource{publicOwn, table("T000"), table("T001"), table("T002")}
	for _, mode := range LoadModes {
		t.Run(string(mode), func(t *testing.T) {
			if err := srv.Exec(`DROP ROLE PRIV_ANALYSTS; CREATE ROLE PRIV_ANALYSTS`); err != nil {
				t.Fatal(err)
			}
			e.opts.LoadMode = mode
			srv.ResetLog()
			res, err := e.Run(context.Background(), batch)
			if err != nil {
				t.Fatal(err)
			}
			if own := []string{`GRANT USAGE ON SCHEMA "SALES"."PUBLIC" TO ROLE "PRIV_ANALYSTS"`}; !slices.Equal(res[0].Statements, own) {
				t.Errorf("schema lists %q, want %q", res[0].Statements, own)
			}
			for i, r := range res[1:] {
				if r.Status != outcome.Success || !slices.Contains(r.Statements, `GRANT SELECT ON TABLE "SALES"."PUBLIC"."T00`+string(rune('0'+i))+`" TO ROLE "PRIV_ANALYSTS"`) {
					t.Errorf("%s = %+v", r.Resource, r)
				}
			}
			if all := statements(srv, "GRANT SELECT ON ALL"); len(all) != 0 {
				t.Errorf("sent %q; ON ALL would reach T003, which nobody requested", all)
			}
			if g := grantsOn(t, e, "SALES", "PUBLIC", "T003"); len(g) != 1 { // OWNERSHIP alone
				t.Errorf("T003 grants = %v", g)
			}
		})
	}
}

// ObjectOnly databases and schemas are read in the first wave, beside a table's reads and the roles.
func TestObjectOnlyReadsInOneWave(t *testing.T) {
	lat := emulator.Latency{Fixed: 100 * time.Millisecond} // wide enough that concurrent reads overlap on a loaded machine
	srv := emulatortest.Start(t, emulator.Options{Latency: map[emulator.StatementClass]emulator.Latency{emulator.ClassShow: lat}})
	seedSchemas(t, srv, "SALES", []string{"PUBLIC", "S1", "S2"}, 2)
	seedSchemas(t, srv, "HR", []string{"CORE"}, 2)
	if err := srv.Exec(`CREATE ROLE PRIV_ANALYSTS`); err != nil {
		t.Fatal(err)
	}
	e := newEngineWith(t, srv, selectOnSales, Options{CreateMissingRoles: true, LoadThreads: 16})
	schema := func(db, s string) request.Resource {
		return request.Resource{Kind: request.KindSchema, Database: db, Schema: s, ObjectOnly: true}
	}
	batch := []request.Resource{salesOwn, schema("SALES", "PUBLIC"), schema("SALES", "S1"), schema("SALES", "S2"),
		schema("HR", "CORE"), {Kind: request.KindDatabase, Database: "HR", ObjectOnly: true},
		{Kind: request.KindTable, Database: "SALES", Schema: "S1", Table: "T000"}}
	srv.ResetLog()
	res, err := e.Run(context.Background(), batch)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Status != outcome.Success {
			t.Errorf("%s = %+v", r.Resource, r)
		}
	}
	if w := readWaves(srv); w != 1 {
		for _, q := range srv.Log() {
			t.Logf("%s +%s %s", q.Start.Format("15:04:05.000"), q.Duration, q.SQL)
		}
		t.Errorf("%d waves of reads, want 1", w)
	}
	// Memoized: each database's and schema's grants are read once, shared with the table's parents.
	if n, want := len(statements(srv, "SHOW GRANTS ON")), 2+4+1; n != want {
		t.Errorf("%d SHOW GRANTS ON, want %d (2 databases, 4 schemas, 1 table)", n, want)
	}
}

// ObjectOnly names resolve as a container's do (exactly, else ignoring case); a missing one is skipped;
// snowsync's policy schema is never synced; and no mask or row-filter read starts for a database or
// schema, even under policies that mask and filter its tables.
func TestObjectOnlyNamesAndNoPolicyReads(t *testing.T) {
	srv := emulatortest.Start(t, emulator.Options{})
	setHR(t, srv)
	if err := srv.Exec(`CREATE SCHEMA HR.SNOWSYNC_POLICIES`); err != nil {
		t.Fatal(err)
	}
	doc := hrDoc(maskOn(2, "EMPLOYEES", "SSN", "analysts", `{"dataMaskType":"MASK_SHOW_LAST_4"}`) + "," +
		filterOn(3, "EMPLOYEES", "analysts", "REGION = 'EU'"))
	e := newPolicyEngine(t, srv, doc, true, Options{CreateMissingRoles: true})
	batch := []request.Resource{
		{Kind: request.KindDatabase, Database: "hr", ObjectOnly: true},
		{Kind: request.KindSchema, Database: "hr", Schema: "core", ObjectOnly: true},
		{Kind: request.KindDatabase, Database: "NOPE", ObjectOnly: true},
		{Kind: request.KindSchema, Database: "HR", Schema: "SNOWSYNC_POLICIES", ObjectOnly: true},
	}
	srv.ResetLog()
	res, err := e.Run(context.Background(), batch)
	if err != nil {
		t.Fatal(err)
	}
	checkResults(t, batch, res, []wantResult{
		{outcome.Success, "", []string{`GRANT USAGE ON DATABASE "HR" TO ROLE "PRIV_ADMINS"`, `GRANT USAGE ON DATABASE "HR" TO ROLE "PRIV_ANALYSTS"`}},
		{outcome.Success, "", []string{`GRANT USAGE ON SCHEMA "HR"."CORE" TO ROLE "PRIV_ADMINS"`, `GRANT USAGE ON SCHEMA "HR"."CORE" TO ROLE "PRIV_ANALYSTS"`}},
		{outcome.Skipped, "does not exist in Snowflake", nil},
		{outcome.Skipped, "holds snowsync's masking and row access policies: never synced", nil},
	})
	for _, q := range reads(srv) {
		if !strings.HasPrefix(q, "SHOW GRANTS ON") && !strings.HasPrefix(q, "SHOW ROLES") && !strings.HasPrefix(q, "SHOW DATABASES") &&
			!strings.HasPrefix(q, "SHOW SCHEMAS") {
			t.Errorf("read %q; a database or schema reads no mask, filter or object", q)
		}
	}
}

// wantResult is what a test expects of one resource's result.
type wantResult struct {
	status outcome.Status
	reason string
	stmts  []string
}

// checkResults compares the results of batch with want, resource by resource.
func checkResults(t *testing.T, batch []request.Resource, res []outcome.Resource, want []wantResult) {
	t.Helper()
	for i, w := range want {
		if res[i].Status != w.status || res[i].Reason != w.reason || !slices.Equal(res[i].Statements, w.stmts) {
			t.Errorf("%s = %s %q %q, want %s %q", batch[i], res[i].Status, res[i].Reason, res[i].Statements, w.status, w.stmts)
		}
	}
}

// A reconciliation's batch (what Affected returns for a policy on SALES.*.T00*: the database and every
// schema ObjectOnly, ten tables of each schema) sends the same statements whether its containers are read
// by role with the tables read by schema (a small read pool) or everything by object (a large one). By
// role, the batch reads no SHOW GRANTS ON at all, lists the database's objects once for its five
// schemas and its schemas once for the ObjectOnly units; the hand-made grant to a managed role on a
// schema is revoked, the unmanaged role's kept.
func TestObjectOnlyByRoleMatchesByObject(t *testing.T) {
	policies := doc(2, hrRead, selectOn(10, "SALES", "*", "T00*", "readers"))
	type run struct {
		stmts []string
		reads []string
	}
	runs := map[int]run{}
	for _, threads := range []int{4, 64} {
		srv := emulatortest.Start(t, emulator.Options{})
		seedInventory(t, srv)
		if err := srv.Exec(`CREATE ROLE BI_TOOL; GRANT CREATE TABLE ON SCHEMA SALES.S1 TO ROLE PRIV_READERS;
			GRANT USAGE ON SCHEMA SALES.S2 TO ROLE BI_TOOL`); err != nil {
			t.Fatal(err)
		}
		e := newEngineWith(t, srv, policies, Options{Scope: NewScope(ScopeLists{}), LoadThreads: threads})
		batch, err := e.Affected(context.Background(), diff(t, doc(1, hrRead), policies))
		if err != nil {
			t.Fatal(err)
		}
		if want := 1 + 6 + 5*10; len(batch) != want { // PUBLIC too: empty, but the wildcard's USAGE reaches it
			t.Fatalf("Affected = %d resources %v, want %d", len(batch), batch, want)
		}
		srv.ResetLog()
		res, err := e.Run(context.Background(), batch)
		if err != nil {
			t.Fatal(err)
		}
		var r run // what was sent: a parent's USAGE is listed in each of its children's results
		for _, x := range res {
			if x.Status != outcome.Success {
				t.Errorf("%d threads: %s = %s %s", threads, x.Resource, x.Status, x.Reason)
			}
		}
		r.stmts = writes(srv)
		slices.Sort(r.stmts)
		r.reads = reads(srv)
		runs[threads] = r
	}
	byRole, byObject := runs[4], runs[64]
	if !slices.Equal(byRole.stmts, byObject.stmts) {
		t.Errorf("by role sends %q\nby object %q", byRole.stmts, byObject.stmts)
	}
	revoke := `REVOKE CREATE TABLE ON SCHEMA "SALES"."S1" FROM ROLE "PRIV_READERS"`
	if !slices.Contains(byRole.stmts, revoke) || len(byRole.stmts) != 50+7+1 {
		t.Errorf("statements %q; want 50 SELECTs, 7 USAGEs and %s", byRole.stmts, revoke)
	}
	if slices.ContainsFunc(byRole.stmts, func(s string) bool { return strings.Contains(s, "BI_TOOL") }) {
		t.Errorf("statements %q touch the unmanaged BI_TOOL", byRole.stmts)
	}
	count := func(reads []string, prefix string) int {
		n := 0
		for _, q := range reads {
			if strings.HasPrefix(q, prefix) {
				n++
			}
		}
		return n
	}
	for prefix, want := range map[string]int{"SHOW GRANTS ON": 0, `SHOW OBJECTS IN DATABASE "SALES"`: 1, "SHOW OBJECTS IN SCHEMA": 0,
		`SHOW SCHEMAS IN DATABASE "SALES"`: 1} {
		if n := count(byRole.reads, prefix); n != want {
			t.Errorf("by role: %d reads %q..., want %d (reads %q)", n, prefix, want, byRole.reads)
		}
	}
	if n := count(byObject.reads, "SHOW GRANTS ON"); n == 0 {
		t.Errorf("by object: no SHOW GRANTS ON (reads %q): the large pool should read by object", byObject.reads)
	}
}

// Read by role, ObjectOnly names resolve as by object: exactly, else ignoring case; a missing schema or
// database is skipped, snowsync's policy schema never synced. A table in a schema named in another case
// is found although the database's shared listing has it only under its exact name.
func TestObjectOnlyByRoleNames(t *testing.T) {
	srv := emulatortest.Start(t, emulator.Options{})
	seedInventory(t, srv)
	policies := doc(2, hrRead, selectOn(10, "SALES", "*", "T00*", "readers"))
	// One read at a time: the two schemas read by schema are more than the pool lists at once, so they
	// share the database's listing.
	e := newEngineWith(t, srv, policies, Options{Scope: NewScope(ScopeLists{}), LoadThreads: 1})
	own := func(db, schema string) request.Resource {
		return request.Resource{Kind: request.KindSchema, Database: db, Schema: schema, ObjectOnly: true}
	}
	batch := []request.Resource{own("sales", "s1"), own("SALES", "NOPE"), own("SALES", "SNOWSYNC_POLICIES"), own("SALES", "S2"),
		table("SALES", "s3", "T000"), table("SALES", "S4", "T001"), table("SALES", "S4", "T002"),
		{Kind: request.KindDatabase, Database: "NOPE", ObjectOnly: true}}
	res, err := e.Run(context.Background(), batch)
	if err != nil {
		t.Fatal(err)
	}
	usage := func(schema string) []string {
		return []string{`GRANT USAGE ON DATABASE "SALES" TO ROLE "PRIV_READERS"`, `GRANT USAGE ON SCHEMA "SALES".` + schema + ` TO ROLE "PRIV_READERS"`}
	}
	checkResults(t, batch, res, []wantResult{
		{outcome.Success, "", usage(`"S1"`)[1:]}, // its own grants: the database's USAGE is listed by the tables
		{outcome.Skipped, "does not exist in Snowflake", nil},
		{outcome.Skipped, "holds snowsync's masking and row access policies: never synced", nil},
		{outcome.Success, "", usage(`"S2"`)[1:]},
		{outcome.Success, "", append(usage(`"S3"`), `GRANT SELECT ON TABLE "SALES"."S3"."T000" TO ROLE "PRIV_READERS"`)},
		{outcome.Success, "", append(usage(`"S4"`), `GRANT SELECT ON TABLE "SALES"."S4"."T001" TO ROLE "PRIV_READERS"`)},
		{outcome.Success, "", append(usage(`"S4"`), `GRANT SELECT ON TABLE "SALES"."S4"."T002" TO ROLE "PRIV_READERS"`)},
		{outcome.Skipped, "does not exist in Snowflake", nil},
	})
	if n := len(statements(srv, "SHOW GRANTS ON")); n != 0 {
		t.Errorf("%d SHOW GRANTS ON; want every grant read by role", n)
	}
}

// A batch of ObjectOnly units alone is read by role when by object would not fit one wave of the read
// pool and by role costs fewer queries (the roles the policies name, and one SHOW SCHEMAS), else by
// object; both send the same statements.
func TestObjectOnlyAloneByRoleWhenCheaper(t *testing.T) {
	policies := doc(2, hrRead, selectOn(10, "SALES", "*", "T00*", "readers"))
	batch := []request.Resource{salesOwn}
	for _, s := range []string{"S0", "S1", "S2", "S3", "S4"} {
		batch = append(batch, schemaOwn("SALES", s))
	}
	var want []string
	for _, tt := range []struct {
		threads    int
		grantsRead int // SHOW GRANTS ON
	}{{2, 0}, {16, 6}} {
		srv := emulatortest.Start(t, emulator.Options{})
		seedInventory(t, srv)
		e := newEngineWith(t, srv, policies, Options{Scope: NewScope(ScopeLists{}), LoadThreads: tt.threads})
		srv.ResetLog()
		if _, err := e.Run(context.Background(), batch); err != nil {
			t.Fatal(err)
		}
		sent := writes(srv)
		slices.Sort(sent)
		if want == nil {
			want = sent
		}
		if len(sent) != 6 || !slices.Equal(sent, want) {
			t.Errorf("%d threads: sent %q, want the 6 USAGEs (%q)", tt.threads, sent, want)
		}
		if n := len(statements(srv, "SHOW GRANTS ON")); n != tt.grantsRead {
			t.Errorf("%d threads: %d SHOW GRANTS ON, want %d (reads %q)", tt.threads, n, tt.grantsRead, reads(srv))
		}
	}
}
