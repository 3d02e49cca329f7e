package engine

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
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

func TestMain(m *testing.M) { emulatortest.Main(m) }

const testPolicies = `{"serviceName":"snowflake","policyVersion":1,"policies":[
 {"id":1,"name":"analysts","isEnabled":true,
  "resources":{"database":{"values":["SALES"]},"schema":{"values":["PUBLIC"]},"table":{"values":["*"]}},
  "policyItems":[{"accesses":[{"type":"select","isAllowed":true}],"groups":["analysts"]}]}]}`

// staticPolicies serves one parsed set.
type staticPolicies struct{ set *policy.Set }

func (s staticPolicies) Current(context.Context) (*policy.Set, error) { return s.set, nil }

func newEngine(t testing.TB, srv *emulator.Server, opts Options) *Engine {
	t.Helper()
	set, problems, err := policy.Parse([]byte(testPolicies), policy.Mapping{})
	if err != nil || len(problems) > 0 {
		t.Fatalf("policies: %v %v", err, problems)
	}
	db, err := snowflake.Open(snowflake.ConnConfig{JDBCURL: "jdbc:snowflake://" + srv.Addr() + "/?account=emulator&ssl=off",
		Username: "admin", Password: "admin"}) // the emulator's default user
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Ping(); err != nil { // log in before counting round trips
		t.Fatal(err)
	}
	return New(db, snowflake.NewSQLExecutor(db, nil), staticPolicies{set}, opts)
}

// waves counts sequential round trips in the query log: queries whose time spans overlap ran
// concurrently and form one wave.
func waves(log []emulator.LoggedQuery) int {
	sort.Slice(log, func(i, j int) bool { return log[i].Start.Before(log[j].Start) })
	n := 0
	var end time.Time
	for _, q := range log {
		if n == 0 || q.Start.After(end) {
			n++
			end = q.Start.Add(q.Duration)
		} else if e := q.Start.Add(q.Duration); e.After(end) {
			end = e
		}
	}
	return n
}

func TestSingleTableNeedsTwoRoundTrips(t *testing.T) {
	lat := emulator.Latency{Fixed: 100 * time.Millisecond} // wide enough that concurrent reads overlap on a loaded machine
	srv := emulatortest.Start(t, emulator.Options{Latency: map[emulator.StatementClass]emulator.Latency{
		emulator.ClassShow: lat, emulator.ClassGrant: lat, emulator.ClassRevoke: lat}})
	if err := srv.Exec(`CREATE DATABASE SALES; CREATE TABLE SALES.PUBLIC.ORDERS (ID INT); CREATE ROLE PRIV_ANALYSTS;
		GRANT USAGE ON DATABASE SALES TO ROLE PRIV_ANALYSTS; GRANT USAGE ON SCHEMA SALES.PUBLIC TO ROLE PRIV_ANALYSTS`); err != nil {
		t.Fatal(err)
	}
	e := newEngine(t, srv, Options{Mapping: policy.Mapping{}, CreateMissingRoles: true})
	srv.ResetLog()
	res, err := e.Run(context.Background(), []request.Resource{{Kind: request.KindTable, Database: "SALES", Schema: "PUBLIC", Table: "ORDERS"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`GRANT SELECT ON TABLE "SALES"."PUBLIC"."ORDERS" TO ROLE "PRIV_ANALYSTS"`}
	if res[0].Status != outcome.Success || !slices.Equal(res[0].Statements, want) {
		t.Fatalf("result = %+v, want %v", res[0], want)
	}
	log := srv.Log()
	if w := waves(log); w > 2 {
		for _, q := range log {
			t.Logf("%s +%s %s", q.Start.Format("15:04:05.000"), q.Duration, q.SQL)
		}
		t.Errorf("%d sequential round trips after login, want at most 2 (read, then apply)", w)
	}
}

func TestPlanExactSQL(t *testing.T) {
	set, _, err := policy.Parse([]byte(testPolicies), policy.Mapping{})
	if err != nil {
		t.Fatal(err)
	}
	grant := func(priv, role string) held { return held{role, snowflake.Privilege(priv)} }
	table := &node{kind: snowflake.ObjectTable, name: name{"SALES", "PUBLIC", `we"ird`}, full: true,
		held: []held{grant("OWNERSHIP", "SYSADMIN"), grant("INSERT", "PRIV_ANALYSTS"), grant("SELECT", "BI_TOOL"), grant("UPDATE", "LEGACY_ETL")}}
	schema := &node{kind: snowflake.ObjectSchema, name: name{"SALES", "PUBLIC", ""}}
	nodes := []*node{table, schema, {kind: snowflake.ObjectDatabase, name: name{Database: "SALES"}, held: []held{grant("USAGE", "PRIV_ANALYSTS")}}}
	manages := func(r string) bool { return r == "PRIV_ANALYSTS" || r == "LEGACY_ETL" }
	var got []string
	for _, c := range (planner{set: set, manages: manages, roles: map[string]bool{}, createMissing: true}).plan(nodes).changes {
		got = append(got, c.sql)
	}
	want := []string{
		`CREATE ROLE IF NOT EXISTS "PRIV_ANALYSTS"`,
		`GRANT USAGE ON SCHEMA "SALES"."PUBLIC" TO ROLE "PRIV_ANALYSTS"`,
		`GRANT SELECT ON TABLE "SALES"."PUBLIC"."we""ird" TO ROLE "PRIV_ANALYSTS"`,
		`REVOKE UPDATE ON TABLE "SALES"."PUBLIC"."we""ird" FROM ROLE "LEGACY_ETL"`,
		`REVOKE INSERT ON TABLE "SALES"."PUBLIC"."we""ird" FROM ROLE "PRIV_ANALYSTS"`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("plan =\n%q\nwant\n%q", got, want)
	}
	// Converged state plans nothing.
	table.held = []held{grant("OWNERSHIP", "SYSADMIN"), grant("SELECT", "PRIV_ANALYSTS"), grant("SELECT", "BI_TOOL")}
	schema.held = []held{grant("USAGE", "PRIV_ANALYSTS")}
	if c := (planner{set: set, manages: manages, roles: map[string]bool{"PRIV_ANALYSTS": true}, createMissing: true}).plan(nodes).changes; len(c) != 0 {
		t.Errorf("converged plan = %v", c)
	}
}

func TestScope(t *testing.T) {
	s := NewScope(ScopeLists{Schemas: []string{"SALES.PUBLIC", "STAGING"}, IgnoreTables: []string{"*_PII"}})
	tests := []struct {
		db, schema, name string
		want             bool
	}{
		{"SALES", "PUBLIC", "ORDERS", true},
		{"sales", "public", "orders", true},
		{"SALES", "PUBLIC", "CUSTOMERS_PII", false},
		{"MARKETING", "STAGING", "X", true},
		{"MARKETING", "PUBLIC", "X", false},
		{"SNOWFLAKE", "STAGING", "X", false},
		{"SALES", "INFORMATION_SCHEMA", "TABLES", false},
	}
	for _, tt := range tests {
		if got := s.Object(tt.db, tt.schema, tt.name); got != tt.want {
			t.Errorf("Object(%s.%s.%s) = %v, want %v", tt.db, tt.schema, tt.name, got, tt.want)
		}
	}
}

func TestBulkObjectsOneReadForTheBatch(t *testing.T) {
	srv := emulatortest.Start(t, emulator.Options{})
	if err := srv.Exec(`CREATE DATABASE SALES; CREATE TABLE SALES.PUBLIC.ORDERS (ID INT); CREATE TABLE SALES.PUBLIC.ITEMS (ID INT);
		CREATE VIEW SALES.PUBLIC.V_ORDERS AS SELECT ID FROM SALES.PUBLIC.ORDERS; CREATE TABLE SALES.PUBLIC."MixedCase" (ID INT);
		CREATE ROLE PRIV_ANALYSTS; GRANT SELECT ON TABLE SALES.PUBLIC.ITEMS TO ROLE PRIV_ANALYSTS`); err != nil {
		t.Fatal(err)
	}
	e := newEngine(t, srv, Options{LoadMode: "load_bulk", CreateMissingRoles: true})
	table := func(name string) request.Resource {
		return request.Resource{Kind: request.KindTable, Database: "SALES", Schema: "PUBLIC", Table: name}
	}
	resources := []request.Resource{table("ORDERS"), table("ITEMS"), table("V_ORDERS"), table("NOPE")}
	srv.ResetLog()
	res, err := e.Run(context.Background(), resources)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		status outcome.Status
		stmts  []string
	}{
		{outcome.Success, []string{`GRANT USAGE ON DATABASE "SALES" TO ROLE "PRIV_ANALYSTS"`, `GRANT USAGE ON SCHEMA "SALES"."PUBLIC" TO ROLE "PRIV_ANALYSTS"`,
			`GRANT SELECT ON TABLE "SALES"."PUBLIC"."ORDERS" TO ROLE "PRIV_ANALYSTS"`}},
		{outcome.Success, []string{`GRANT USAGE ON DATABASE "SALES" TO ROLE "PRIV_ANALYSTS"`, `GRANT USAGE ON SCHEMA "SALES"."PUBLIC" TO ROLE "PRIV_ANALYSTS"`}},
		{outcome.Success, []string{`GRANT USAGE ON DATABASE "SALES" TO ROLE "PRIV_ANALYSTS"`, `GRANT USAGE ON SCHEMA "SALES"."PUBLIC" TO ROLE "PRIV_ANALYSTS"`,
			`GRANT SELECT ON VIEW "SALES"."PUBLIC"."V_ORDERS" TO ROLE "PRIV_ANALYSTS"`}},
		{outcome.Skipped, nil},
	}
	for i, w := range want {
		if res[i].Status != w.status || !slices.Equal(res[i].Statements, w.stmts) {
			t.Errorf("%s = %s %q %v, want %s %v", resources[i], res[i].Status, res[i].Reason, res[i].Statements, w.status, w.stmts)
		}
	}
	// The three found objects came from one INFORMATION_SCHEMA pass (4 SELECTs) beside SHOW ROLES; only
	// the missing one took the one-object path: 3 SHOW GRANTS, then SHOW DATABASES, SCHEMAS and OBJECTS
	// to match names ignoring case. One SHOW MASKING POLICIES finds no policy of ours in SALES, so no
	// requested table is described.
	counts := srv.Counts()
	if counts[emulator.ClassSelect] != 4 || counts[emulator.ClassShow] != 8 || counts[emulator.ClassOther] != 0 {
		for _, q := range srv.Log() {
			t.Log(q.SQL)
		}
		t.Errorf("reads: %d SELECT, %d SHOW, %d other (DESCRIBE); want 4, 8, 0", counts[emulator.ClassSelect], counts[emulator.ClassShow], counts[emulator.ClassOther])
	}

	// A name in another case is found through the one-object path.
	res, err = e.Run(context.Background(), []request.Resource{table("mixedcase")})
	if err != nil || res[0].Status != outcome.Success ||
		!slices.Contains(res[0].Statements, `GRANT SELECT ON TABLE "SALES"."PUBLIC"."MixedCase" TO ROLE "PRIV_ANALYSTS"`) {
		t.Errorf("mixedcase = %+v, %v", res[0], err)
	}
}

func TestMissingContainersAreSkipped(t *testing.T) {
	srv := emulatortest.Start(t, emulator.Options{})
	if err := srv.Exec(`CREATE DATABASE SALES`); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []LoadMode{"load", "load_multi_thread", "load_bulk"} {
		e := newEngine(t, srv, Options{LoadMode: mode, CreateMissingRoles: mode != "load"})
		res, err := e.Run(context.Background(), []request.Resource{
			{Kind: request.KindDatabase, Database: "NOPE"},
			{Kind: request.KindSchema, Database: "SALES", Schema: "NOPE"},
			{Kind: request.KindSchema, Database: "sales", Schema: "public"},
		})
		if err != nil {
			t.Fatal(err)
		}
		// Without CREATE_MISSING_ROLES ("load" here) the grants to the missing role fail, naming it.
		last := outcome.Success
		if mode == "load" {
			last = outcome.Failed
			if !strings.Contains(res[2].Reason, "role PRIV_ANALYSTS does not exist") {
				t.Errorf("reason %q does not name the missing role", res[2].Reason)
			}
		}
		for i, want := range []outcome.Status{outcome.Skipped, outcome.Skipped, last} {
			if res[i].Status != want {
				t.Errorf("%s: %s = %s (%s), want %s", mode, res[i].Resource, res[i].Status, res[i].Reason, want)
			}
		}
	}
}

func TestFailedContainerLoadChangesNothing(t *testing.T) {
	srv := emulatortest.Start(t, emulator.Options{})
	if err := srv.Exec(`CREATE DATABASE SALES; CREATE TABLE SALES.PUBLIC.A (ID INT); CREATE TABLE SALES.PUBLIC.B (ID INT); CREATE ROLE PRIV_ANALYSTS`); err != nil {
		t.Fatal(err)
	}
	// Read by role (one managed role, 4 objects) the grants fail, and so does the fallback by object.
	srv.AddFault(emulator.Fault{Kind: emulator.FaultError, Match: regexp.MustCompile(`^SHOW GRANTS (ON TABLE .*"B"|TO ROLE)`), Number: 3001})
	for _, mode := range []LoadMode{"load", "load_multi_thread"} {
		e := newEngine(t, srv, Options{LoadMode: mode, CreateMissingRoles: true})
		srv.ResetLog()
		res, err := e.Run(context.Background(), []request.Resource{{Kind: request.KindSchema, Database: "SALES", Schema: "PUBLIC"}})
		if err != nil {
			t.Fatal(err)
		}
		if res[0].Status != outcome.Failed || res[0].ErrorCode != "003001" || len(res[0].Statements) != 0 {
			t.Errorf("%s: %+v; want FAILED 003001 with no statement", mode, res[0])
		}
		if c := srv.Counts(); c[emulator.ClassGrant]+c[emulator.ClassRevoke]+c[emulator.ClassCreate] != 0 {
			t.Errorf("%s: a schema that failed to load was changed: %v", mode, c)
		}
	}
}

func TestNamesDifferingInCaseAreDifferentObjects(t *testing.T) {
	srv := emulatortest.Start(t, emulator.Options{})
	if err := srv.Exec(`CREATE DATABASE SALES; CREATE DATABASE "sales"; CREATE TABLE SALES.PUBLIC.ORDERS (ID INT);
		CREATE TABLE "sales".PUBLIC.ORDERS (ID INT); CREATE ROLE PRIV_ANALYSTS`); err != nil {
		t.Fatal(err)
	}
	policies := `{"policies":[{"id":1,"name":"p","resources":{"database":{"values":["*"]},"schema":{"values":["PUBLIC"]},"table":{"values":["ORDERS"]}},
		"policyItems":[{"accesses":[{"type":"select"}],"groups":["analysts"]}]}]}`
	set, _, err := policy.Parse([]byte(policies), policy.Mapping{})
	if err != nil {
		t.Fatal(err)
	}
	e := newEngine(t, srv, Options{})
	e.policies = staticPolicies{set}
	res, err := e.Run(context.Background(), []request.Resource{
		{Kind: request.KindTable, Database: "sales", Schema: "PUBLIC", Table: "ORDERS"},
		{Kind: request.KindTable, Database: "SALES", Schema: "PUBLIC", Table: "ORDERS"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, db := range []string{`"sales"`, `"SALES"`} {
		want := `GRANT SELECT ON TABLE ` + db + `."PUBLIC"."ORDERS" TO ROLE "PRIV_ANALYSTS"`
		if !slices.Contains(res[i].Statements, want) {
			t.Errorf("%s: statements %v lack %s", res[i].Resource, res[i].Statements, want)
		}
	}
}

func TestSecondRunIssuesNothingInEveryMode(t *testing.T) {
	for _, mode := range []LoadMode{"load", "load_multi_thread", "load_bulk"} {
		t.Run(string(mode), func(t *testing.T) {
			srv := emulatortest.Start(t, emulator.Options{})
			if err := srv.Exec(`CREATE DATABASE SALES; CREATE TABLE SALES.PUBLIC.ORDERS (ID INT); CREATE TABLE SALES.PUBLIC.ITEMS (ID INT);
				CREATE VIEW SALES.PUBLIC.V AS SELECT ID FROM SALES.PUBLIC.ORDERS; CREATE ROLE PRIV_OLD;
				GRANT SELECT ON TABLE SALES.PUBLIC.ITEMS TO ROLE PRIV_OLD; GRANT USAGE ON SCHEMA SALES.PUBLIC TO ROLE PRIV_OLD`); err != nil {
				t.Fatal(err)
			}
			e := newEngine(t, srv, Options{LoadMode: mode, CreateMissingRoles: true})
			for _, batch := range [][]request.Resource{
				{{Kind: request.KindTable, Database: "SALES", Schema: "PUBLIC", Table: "ORDERS"}, {Kind: request.KindView, Database: "SALES", Schema: "PUBLIC", Table: "V"}},
				{{Kind: request.KindSchema, Database: "SALES", Schema: "PUBLIC"}},
				{{Kind: request.KindDatabase, Database: "SALES"}},
			} {
				if _, err := e.Run(context.Background(), batch); err != nil {
					t.Fatal(err)
				}
				rerunSendsNothing(t, srv, e, batch...)
			}
		})
	}
}

func TestLoginRefusedStopsTheReads(t *testing.T) {
	srv := emulatortest.Start(t, emulator.Options{})
	var seed strings.Builder
	seed.WriteString("CREATE DATABASE SALES;")
	for i := range 50 { // more managed roles than objects: the grants are read by object
		seed.WriteString("CREATE ROLE " + snowflake.QuoteIdent(fmt.Sprintf("PRIV_R%d", i)) + ";")
	}
	for i := range 40 {
		seed.WriteString("CREATE TABLE " + snowflake.ObjectID{Database: "SALES", Schema: "PUBLIC", Name: "T" + strings.Repeat("X", i)}.FullyQualifiedName() + " (ID INT);")
	}
	if err := srv.Exec(seed.String()); err != nil {
		t.Fatal(err)
	}
	e := newEngine(t, srv, Options{LoadMode: "load"})
	srv.AddFault(emulator.Fault{Kind: emulator.FaultError, Match: regexp.MustCompile(`^SHOW GRANTS ON TABLE`), Number: 390144})
	srv.ResetLog()
	_, err := e.Run(context.Background(), []request.Resource{{Kind: request.KindDatabase, Database: "SALES"}})
	if !snowflake.IsSystemic(err) {
		t.Fatalf("err = %v; want the systemic error", err)
	}
	if n := len(srv.Log()); n > 10 {
		t.Errorf("%d queries ran after Snowflake refused; want the remaining reads cancelled", n)
	}
}

// brokenPolicies is a policy source that cannot be read.
type brokenPolicies struct{}

func (brokenPolicies) Current(context.Context) (*policy.Set, error) {
	return nil, errors.New("ranger: 401 Unauthorized")
}

func TestPolicyErrorFailsTheResources(t *testing.T) {
	srv := emulatortest.Start(t, emulator.Options{})
	e := newEngine(t, srv, Options{})
	e.policies = brokenPolicies{}
	res, err := e.Run(context.Background(), []request.Resource{{Kind: request.KindDatabase, Database: "SALES"}})
	if err != nil {
		t.Fatalf("err = %v; a policy source error is not a Snowflake outage", err)
	}
	if res[0].Status != outcome.Failed || !strings.Contains(res[0].Reason, "policies unavailable: ranger: 401") {
		t.Errorf("result = %+v", res[0])
	}
}

func TestCountsOncePerRequest(t *testing.T) {
	srv := emulatortest.Start(t, emulator.Options{})
	if err := srv.Exec(`CREATE DATABASE SALES; CREATE TABLE SALES.PUBLIC.ORDERS (ID INT); CREATE TABLE SALES.PUBLIC.ITEMS (ID INT); CREATE ROLE PRIV_ANALYSTS`); err != nil {
		t.Fatal(err)
	}
	e := newEngine(t, srv, Options{})
	table := func(name string) request.Resource {
		return request.Resource{Kind: request.KindTable, Database: "SALES", Schema: "PUBLIC", Table: name}
	}
	// One request names the schema and a table in it; another names the other table alone.
	reqs := []request.Request{
		{Resources: []request.Resource{{Kind: request.KindSchema, Database: "SALES", Schema: "PUBLIC"}, table("ORDERS")}},
		{Resources: []request.Resource{table("ITEMS")}},
	}
	out, err := e.Sync(context.Background(), reqs)
	if err != nil {
		t.Fatal(err)
	}
	total := func(rs []outcome.Resource) (n int) {
		for _, r := range rs {
			n += r.Grants
		}
		return n
	}
	// The schema request applies USAGE on SALES and SALES.PUBLIC and SELECT on both tables: 4 grants,
	// whichever of its resources lists them. The table request lists what its table needed: 3.
	if got := total(out[0]); got != 4 {
		t.Errorf("request 1 counts %d grants, want 4 (each statement once): %+v", got, out[0])
	}
	if got := total(out[1]); got != 3 {
		t.Errorf("request 2 counts %d grants, want 3: %+v", got, out[1])
	}
}
