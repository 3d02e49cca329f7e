package engine

import (
	"context"
	"errors"
	"fmt"
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

// hrDoc is a policy document over HR.CORE: analysts may SELECT every table; extra holds more policies
// (JSON objects, comma-separated, or "").
func hrDoc(extra string) string {
	policies := `{"id":1,"name":"hr read","isEnabled":true,
	  "resources":{"database":{"values":["HR"]},"schema":{"values":["CORE"]},"table":{"values":["*"]}},
	  "policyItems":[{"accesses":[{"type":"select","isAllowed":true}],"groups":["analysts","admins"]}]}`
	if extra != "" {
		policies += "," + extra
	}
	return `{"serviceName":"snowflake","policyVersion":1,"policies":[` + policies + `]}`
}

// maskOn is a data-mask policy on HR.CORE.<table>.<column> for group with Ranger's dataMaskInfo info.
func maskOn(id int, table, column, group, info string) string {
	return fmt.Sprintf(`{"id":%d,"name":"mask %d","policyType":1,"isEnabled":true,
	  "resources":{"database":{"values":["HR"]},"schema":{"values":["CORE"]},"table":{"values":[%q]},"column":{"values":[%q]}},
	  "dataMaskPolicyItems":[{"accesses":[{"type":"select","isAllowed":true}],"groups":[%q],"dataMaskInfo":%s}]}`,
		id, id, table, column, group, info)
}

// filterOn is a row-filter policy on HR.CORE.<table> for group.
func filterOn(id int, table, group, expr string) string {
	return fmt.Sprintf(`{"id":%d,"name":"filter %d","policyType":2,"isEnabled":true,
	  "resources":{"database":{"values":["HR"]},"schema":{"values":["CORE"]},"table":{"values":[%q]}},
	  "rowFilterPolicyItems":[{"accesses":[{"type":"select","isAllowed":true}],"groups":[%q],"rowFilterInfo":{"filterExpr":%q}}]}`,
		id, id, table, group, expr)
}

// newPolicyEngine is newEngine over doc, with a warehouse in the session when warehouse is set (what
// POLICY_REFERENCES needs), and DataPolicy.References accordingly.
func newPolicyEngine(t *testing.T, srv *emulator.Server, doc string, warehouse bool, opts Options) *Engine {
	t.Helper()
	url := "jdbc:snowflake://" + srv.Addr() + "/?account=emulator&ssl=off"
	if warehouse {
		url += "&warehouse=SYNC_WH"
	}
	db, err := snowflake.Open(snowflake.ConnConfig{JDBCURL: url, Username: "admin", Password: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Ping(); err != nil {
		t.Fatal(err)
	}
	opts.DataPolicy.References = warehouse
	e := New(db, snowflake.NewSQLExecutor(db, nil), staticPolicies{mustSet(t, doc)}, opts)
	return e
}

func mustSet(t *testing.T, doc string) *policy.Set {
	t.Helper()
	set, problems, err := policy.Parse([]byte(doc), policy.Mapping{})
	if err != nil || len(problems) > 0 {
		t.Fatalf("policies: %v %v", err, problems)
	}
	return set
}

func setHR(t *testing.T, srv *emulator.Server) {
	t.Helper()
	if err := srv.Exec(`CREATE DATABASE HR; CREATE SCHEMA HR.CORE;
		CREATE TABLE HR.CORE.EMPLOYEES (ID NUMBER(38,0), NAME VARCHAR, SSN VARCHAR(11), REGION VARCHAR, HIRED DATE);
		CREATE ROLE PRIV_ANALYSTS; CREATE ROLE PRIV_ADMINS`); err != nil {
		t.Fatal(err)
	}
}

var employees = request.Resource{Kind: request.KindTable, Database: "HR", Schema: "CORE", Table: "EMPLOYEES"}

// index returns the position of the first statement starting with prefix, or -1.
func index(stmts []string, prefix string) int {
	return slices.IndexFunc(stmts, func(s string) bool { return strings.HasPrefix(s, prefix) })
}

// writes returns the DDL and DCL statements of the emulator's log, in order.
func writes(srv *emulator.Server) []string {
	var out []string
	for _, q := range srv.Log() {
		if !strings.HasPrefix(q.SQL, "SHOW") && !strings.HasPrefix(q.SQL, "DESCRIBE") && !strings.HasPrefix(q.SQL, "SELECT") {
			out = append(out, q.SQL)
		}
	}
	return out
}

func TestMaskAndFilterBeforeGrants(t *testing.T) {
	srv := emulatortest.Start(t, emulator.Options{})
	setHR(t, srv)
	doc := hrDoc(maskOn(2, "EMPLOYEES", "SSN", "analysts", `{"dataMaskType":"MASK_SHOW_LAST_4"}`) + "," +
		filterOn(3, "EMPLOYEES", "analysts", "REGION = 'EU'"))
	for _, mode := range []LoadMode{"load", "load_multi_thread", "load_bulk"} {
		t.Run(string(mode), func(t *testing.T) {
			srv := emulatortest.Start(t, emulator.Options{})
			setHR(t, srv)
			e := newPolicyEngine(t, srv, doc, true, Options{LoadMode: mode, CreateMissingRoles: true})
			srv.ResetLog()
			res, err := e.Run(context.Background(), []request.Resource{employees})
			if err != nil {
				t.Fatal(err)
			}
			r := res[0]
			if r.Status != outcome.Success || r.MasksSet != 1 || r.FiltersSet != 1 || r.Grants != 6 {
				t.Fatalf("result = %+v", r)
			}
			log := writes(srv)
			schema, mask, rows := index(log, "CREATE SCHEMA IF NOT EXISTS \"HR\".\"SNOWSYNC_POLICIES\""),
				index(log, "CREATE MASKING POLICY IF NOT EXISTS \"HR\".\"SNOWSYNC_POLICIES\".\"SNOWSYNC_MASK_"),
				index(log, "CREATE ROW ACCESS POLICY IF NOT EXISTS \"HR\".\"SNOWSYNC_POLICIES\".\"SNOWSYNC_ROWS_")
			set := index(log, `ALTER TABLE "HR"."CORE"."EMPLOYEES" MODIFY COLUMN "SSN" SET MASKING POLICY`)
			add := index(log, `ALTER TABLE "HR"."CORE"."EMPLOYEES" ADD ROW ACCESS POLICY`)
			grant := index(log, `GRANT SELECT ON TABLE "HR"."CORE"."EMPLOYEES"`)
			if schema < 0 || !(schema < mask && schema < rows && mask < set && rows < add && set < grant && add < grant) {
				t.Errorf("statements out of order (schema %d, mask %d, rows %d, set %d, add %d, grant %d):\n%s",
					schema, mask, rows, set, add, grant, strings.Join(log, "\n"))
			}
			if len(r.Statements) != len(log) {
				t.Errorf("result lists %d statements, %d were sent:\n%s", len(r.Statements), len(log), strings.Join(r.Statements, "\n"))
			}

			// Converged: a second run reads and changes nothing.
			rerunSendsNothing(t, srv, e, employees)
		})
	}
}

func TestMaskSwapRemoveAndForeign(t *testing.T) {
	srv := emulatortest.Start(t, emulator.Options{})
	setHR(t, srv)
	if err := srv.Exec(`CREATE SCHEMA HR.SEC; CREATE MASKING POLICY HR.SEC.NAME_MASK AS (V VARCHAR) RETURNS VARCHAR -> '***';
		ALTER TABLE HR.CORE.EMPLOYEES MODIFY COLUMN NAME SET MASKING POLICY HR.SEC.NAME_MASK`); err != nil {
		t.Fatal(err)
	}
	run := func(doc string) outcome.Resource {
		t.Helper()
		e := newPolicyEngine(t, srv, doc, true, Options{CreateMissingRoles: true})
		srv.ResetLog()
		res, err := e.Run(context.Background(), []request.Resource{employees})
		if err != nil {
			t.Fatal(err)
		}
		return res[0]
	}
	nameMask := maskOn(4, "EMPLOYEES", "NAME", "analysts", `{"dataMaskType":"MASK_NULL"}`)
	first := run(hrDoc(maskOn(2, "EMPLOYEES", "SSN", "analysts", `{"dataMaskType":"MASK"}`) + "," + nameMask))
	if first.Status != outcome.Success || first.MasksSet != 1 || len(first.Notes) != 1 ||
		!strings.Contains(first.Notes[0], `column "NAME" carries masking policy "HR"."SEC"."NAME_MASK", which snowsync did not create`) {
		t.Fatalf("first run = %+v", first)
	}
	// Another mask type: our policy is swapped in one statement; the foreign one stays.
	second := run(hrDoc(maskOn(2, "EMPLOYEES", "SSN", "analysts", `{"dataMaskType":"MASK_HASH"}`) + "," + nameMask))
	swap := index(second.Statements, `ALTER TABLE "HR"."CORE"."EMPLOYEES" MODIFY COLUMN "SSN" SET MASKING POLICY "HR"."SNOWSYNC_POLICIES"."SNOWSYNC_MASK_`)
	if second.Status != outcome.Success || second.MasksSwapped != 1 || second.MasksSet != 0 || swap < 0 ||
		!strings.HasSuffix(second.Statements[swap], " FORCE") || index(second.Statements, "CREATE SCHEMA") >= 0 {
		t.Errorf("swap = %+v", second)
	}
	for _, s := range writes(srv) {
		if strings.Contains(s, `"NAME"`) || strings.Contains(s, "NAME_MASK") {
			t.Errorf("touched the foreign policy: %s", s)
		}
	}
	// The Ranger policy is disabled: ours is removed, the foreign one stays.
	third := run(hrDoc(strings.Replace(maskOn(2, "EMPLOYEES", "SSN", "analysts", `{"dataMaskType":"MASK_HASH"}`), `"isEnabled":true`, `"isEnabled":false`, 1)))
	if third.Status != outcome.Success || third.MasksRemoved != 1 || len(third.Statements) != 2 ||
		third.Statements[0] != `ALTER TABLE "HR"."CORE"."EMPLOYEES" MODIFY COLUMN "SSN" UNSET MASKING POLICY` ||
		!strings.HasPrefix(third.Statements[1], `DROP MASKING POLICY IF EXISTS "HR"."SNOWSYNC_POLICIES"."SNOWSYNC_MASK_`) {
		t.Errorf("remove = %+v", third)
	}
	// The swap dropped the first version, the removal the second: our schema is empty again.
	if !strings.Contains(second.Statements[len(second.Statements)-1], "DROP MASKING POLICY IF EXISTS") {
		t.Errorf("the swap did not drop the version it released: %q", second.Statements)
	}
	q := newPolicyEngine(t, srv, hrDoc(""), false, Options{}).q
	if left, err := snowflake.ShowPolicies(t.Context(), q, snowflake.MaskingPolicy, snowflake.SchemaID{Database: "HR", Name: "SNOWSYNC_POLICIES"}); err != nil || len(left) != 0 {
		t.Errorf("our masking policies left: %+v, %v", left, err)
	}
	cols, err := snowflake.DescribeTable(context.Background(), newPolicyEngine(t, srv, hrDoc(""), false, Options{}).q, snowflake.ObjectID{Database: "HR", Schema: "CORE", Name: "EMPLOYEES"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cols {
		want := c.Name == "NAME"
		if (c.MaskingPolicy != nil) != want {
			t.Errorf("column %s has masking policy %v", c.Name, c.MaskingPolicy)
		}
	}
}

func TestFilterSwapAndDrop(t *testing.T) {
	srv := emulatortest.Start(t, emulator.Options{})
	setHR(t, srv)
	run := func(doc string) outcome.Resource {
		t.Helper()
		e := newPolicyEngine(t, srv, doc, true, Options{CreateMissingRoles: true})
		res, err := e.Run(context.Background(), []request.Resource{employees})
		if err != nil {
			t.Fatal(err)
		}
		return res[0]
	}
	if r := run(hrDoc(filterOn(3, "EMPLOYEES", "analysts", "REGION = 'EU'"))); r.FiltersSet != 1 || r.Status != outcome.Success {
		t.Fatalf("set = %+v", r)
	}
	r := run(hrDoc(filterOn(3, "EMPLOYEES", "analysts", "REGION = 'US'")))
	i := index(r.Statements, `ALTER TABLE "HR"."CORE"."EMPLOYEES" DROP ROW ACCESS POLICY "HR"."SNOWSYNC_POLICIES"."SNOWSYNC_ROWS_`)
	if r.FiltersSwapped != 1 || r.Status != outcome.Success || i < 0 || !strings.Contains(r.Statements[i], `, ADD ROW ACCESS POLICY "HR"."SNOWSYNC_POLICIES"."SNOWSYNC_ROWS_`) {
		t.Errorf("swap = %+v", r)
	}
	if r := run(hrDoc("")); r.FiltersRemoved != 1 || r.Status != outcome.Success || len(r.Statements) != 2 ||
		!strings.HasPrefix(r.Statements[1], `DROP ROW ACCESS POLICY IF EXISTS "HR"."SNOWSYNC_POLICIES"."SNOWSYNC_ROWS_`) {
		t.Errorf("drop = %+v", r)
	}
}

// Without a warehouse a table's row access policy cannot be read: a filtered table fails, saying so,
// and gets no grant; its masks are still set. A table Ranger does not filter syncs as usual.
func TestFilterNeedsWarehouse(t *testing.T) {
	srv := emulatortest.Start(t, emulator.Options{})
	setHR(t, srv)
	if err := srv.Exec(`CREATE TABLE HR.CORE.PUBLIC_INFO (ID NUMBER(38,0))`); err != nil {
		t.Fatal(err)
	}
	doc := hrDoc(maskOn(2, "EMPLOYEES", "SSN", "analysts", `{"dataMaskType":"MASK_NULL"}`) + "," +
		filterOn(3, "EMPLOYEES", "analysts", "REGION = 'EU'"))
	e := newPolicyEngine(t, srv, doc, false, Options{CreateMissingRoles: true})
	info := employees
	info.Table = "PUBLIC_INFO"
	res, err := e.Run(context.Background(), []request.Resource{employees, info})
	if err != nil {
		t.Fatal(err)
	}
	r := res[0]
	if r.Status != outcome.Failed || !strings.Contains(r.Reason, "CONNECTOR_SNOWFLAKE_WAREHOUSE_TO_USE") || r.MasksSet != 1 ||
		index(r.Statements, `GRANT SELECT ON TABLE "HR"."CORE"."EMPLOYEES"`) < 0 || !strings.Contains(r.Reason, "withheld") {
		t.Errorf("filtered table = %+v", r)
	}
	if g := grantsOn(t, e, "HR", "CORE", "EMPLOYEES"); slices.ContainsFunc(g, func(s string) bool { return strings.HasPrefix(s, "SELECT") }) {
		t.Errorf("filtered table got %v", g)
	}
	if res[1].Status != outcome.Success || res[1].Grants == 0 {
		t.Errorf("other table = %+v", res[1])
	}
}

// A Ranger policy that cannot be expressed on a column fails the tables it matches, naming the policy,
// and withholds their grants; a schema request still syncs the others.
func TestUnexpressibleMaskFailsOnlyItsTable(t *testing.T) {
	srv := emulatortest.Start(t, emulator.Options{})
	setHR(t, srv)
	if err := srv.Exec(`CREATE TABLE HR.CORE.OTHER (ID NUMBER(38,0))`); err != nil {
		t.Fatal(err)
	}
	doc := hrDoc(maskOn(2, "EMPLOYEES", "HIRED", "analysts", `{"dataMaskType":"MASK_SHOW_LAST_4"}`))
	e := newPolicyEngine(t, srv, doc, true, Options{CreateMissingRoles: true})
	res, err := e.Run(context.Background(), []request.Resource{{Kind: request.KindSchema, Database: "HR", Schema: "CORE"}, employees})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Status != outcome.Failed || !strings.Contains(r.Reason, "mask 2") || !strings.Contains(r.Reason, `"HIRED"`) {
			t.Errorf("%s = %s %q", r.Resource, r.Status, r.Reason)
		}
	}
	if g := grantsOn(t, e, "HR", "CORE", "EMPLOYEES"); len(g) != 1 { // OWNERSHIP only
		t.Errorf("EMPLOYEES grants = %v", g)
	}
	if g := grantsOn(t, e, "HR", "CORE", "OTHER"); !slices.Contains(g, "SELECT PRIV_ANALYSTS") {
		t.Errorf("OTHER grants = %v", g)
	}
}

// A dry run (GRANT_UPDATES=false: the Recorder executor) plans the policy DDL before the grants and
// applies nothing.
func TestDryRunPlansPoliciesAndAppliesNothing(t *testing.T) {
	srv := emulatortest.Start(t, emulator.Options{})
	setHR(t, srv)
	doc := hrDoc(maskOn(2, "EMPLOYEES", "SSN", "analysts", `{"dataMaskType":"MASK_HASH"}`))
	e := newPolicyEngine(t, srv, doc, true, Options{CreateMissingRoles: true})
	rec := &snowflake.Recorder{}
	e.exec = rec
	srv.ResetLog()
	res, err := e.Run(context.Background(), []request.Resource{employees})
	if err != nil {
		t.Fatal(err)
	}
	if w := writes(srv); len(w) != 0 {
		t.Errorf("a dry run sent %q", w)
	}
	var planned []string
	for _, s := range rec.Recorded() {
		planned = append(planned, snowflake.Render(s))
	}
	set, grant := index(planned, `ALTER TABLE "HR"."CORE"."EMPLOYEES" MODIFY COLUMN "SSN" SET MASKING POLICY`), index(planned, `GRANT SELECT ON TABLE`)
	if res[0].Status != outcome.Success || res[0].MasksSet != 1 || index(planned, "CREATE MASKING POLICY") < 0 || set < 0 || grant < set {
		t.Errorf("dry run = %+v, recorded:\n%s", res[0], strings.Join(planned, "\n"))
	}
}

// seedMasked builds database SALES with schemas S0.. of perSchema tables T000.. (ID, SSN), and roles.
func seedMasked(t *testing.T, srv *emulator.Server, schemas, perSchema int) {
	t.Helper()
	var sql strings.Builder
	sql.WriteString("CREATE DATABASE SALES; CREATE ROLE PRIV_ANALYSTS;")
	for s := range schemas {
		fmt.Fprintf(&sql, "CREATE SCHEMA SALES.S%d;", s)
		for i := range perSchema {
			fmt.Fprintf(&sql, "CREATE TABLE SALES.S%d.T%03d (ID NUMBER(38,0), SSN VARCHAR);", s, i)
		}
	}
	if err := srv.Exec(sql.String()); err != nil {
		t.Fatal(err)
	}
}

// readWaves counts the sequential round trips of the reads in the emulator's log.
func readWaves(srv *emulator.Server) int {
	var reads []emulator.LoggedQuery
	for _, q := range srv.Log() {
		verb, _, _ := strings.Cut(q.SQL, " ")
		if verb == "SHOW" || verb == "SELECT" || verb == "DESCRIBE" {
			reads = append(reads, q)
		}
	}
	return waves(reads)
}

// A database request whose schemas each hold 10 masked tables (5,000 tables in 50 schemas) reads their masks in the waves that read
// its grants: with reads concurrent, at most one more sequential round trip of reads than without
// masks, whatever the number of schemas; one at a time ("load"), a fixed number of reads more (our two
// schemas' listings, one INFORMATION_SCHEMA.COLUMNS, one POLICY_REFERENCES per policy of ours). The
// second run sends nothing.
func TestMasksCostAtMostOneReadWave(t *testing.T) {
	schemas, perSchema := 50, 100 // the benchmark's 5,000-table database, 10 masked tables a schema
	if testing.Short() {
		schemas, perSchema = 12, 20
	}
	selectAll := `{"id":1,"name":"all","isEnabled":true,
	  "resources":{"database":{"values":["SALES"]},"schema":{"values":["*"]},"table":{"values":["*"]}},
	  "policyItems":[{"accesses":[{"type":"select","isAllowed":true}],"groups":["analysts"]}]}`
	mask := `{"id":2,"name":"ssn","policyType":1,"isEnabled":true,
	  "resources":{"database":{"values":["SALES"]},"schema":{"values":["*"]},"table":{"values":["T00?"]},"column":{"values":["SSN"]}},
	  "dataMaskPolicyItems":[{"accesses":[{"type":"select","isAllowed":true}],"groups":["analysts"],"dataMaskInfo":{"dataMaskType":"MASK_NULL"}}]}`
	doc := func(policies ...string) string {
		return `{"serviceName":"snowflake","policyVersion":1,"policies":[` + strings.Join(policies, ",") + `]}`
	}
	lat := emulator.Latency{Fixed: 60 * time.Millisecond} // wide enough that concurrent reads overlap on a loaded machine
	latency := map[emulator.StatementClass]emulator.Latency{emulator.ClassShow: lat, emulator.ClassSelect: lat, emulator.ClassOther: lat}
	type cost struct{ waves, reads int }
	for _, mode := range []LoadMode{"load", "load_multi_thread", "load_bulk"} {
		t.Run(string(mode), func(t *testing.T) {
			measure := func(masked bool) (first, converged cost) {
				srv := emulatortest.Start(t, emulator.Options{Latency: latency})
				seedMasked(t, srv, schemas, perSchema)
				policies := doc(selectAll)
				if masked {
					policies = doc(selectAll, mask)
				}
				e := newPolicyEngine(t, srv, policies, true, Options{LoadMode: mode, CreateMissingRoles: true})
				db := []request.Resource{{Kind: request.KindDatabase, Database: "SALES"}}
				for i := range 2 {
					srv.ResetLog()
					res, err := e.Run(context.Background(), db)
					if err != nil || res[0].Status != outcome.Success {
						t.Fatalf("run %d: %+v, %v", i, res[0], err)
					}
					c := cost{readWaves(srv), len(srv.Log()) - len(writes(srv))}
					if i == 0 {
						first = c
						if masked && res[0].MasksSet != schemas*10 {
							t.Errorf("masks set = %d, want %d", res[0].MasksSet, schemas*10)
						}
						continue
					}
					converged = c
					if w := writes(srv); len(w) != 0 {
						t.Errorf("second run sent %q", w)
					}
				}
				return first, converged
			}
			plainFirst, plainConverged := measure(false)
			maskFirst, maskConverged := measure(true)
			t.Logf("read waves (reads): first run %d (%d) plain, %d (%d) masked; converged %d (%d) plain, %d (%d) masked",
				plainFirst.waves, plainFirst.reads, maskFirst.waves, maskFirst.reads,
				plainConverged.waves, plainConverged.reads, maskConverged.waves, maskConverged.reads)
			if mode == "load" {
				if maskFirst.reads > plainFirst.reads+4 || maskConverged.reads > plainConverged.reads+4 {
					t.Errorf("masks cost %d and %d reads more; want at most 4", maskFirst.reads-plainFirst.reads, maskConverged.reads-plainConverged.reads)
				}
				return
			}
			if maskFirst.waves > plainFirst.waves+1 || maskConverged.waves > plainConverged.waves+1 {
				t.Errorf("masks cost %d and %d read waves more; want at most 1", maskFirst.waves-plainFirst.waves, maskConverged.waves-plainConverged.waves)
			}
		})
	}
}

// A table carrying a row access policy snowsync did not create keeps it: Ranger's filter is not applied,
// a note says so, and the grants go out. (Views are masked the same way, with ALTER VIEW; the emulator's
// views have no typed columns, so that is covered by the exact-SQL tests of package snowflake only.)
func TestForeignRowAccessPolicy(t *testing.T) {
	srv := emulatortest.Start(t, emulator.Options{})
	setHR(t, srv)
	if err := srv.Exec(`CREATE SCHEMA HR.SEC; CREATE ROW ACCESS POLICY HR.SEC.MINE AS (R VARCHAR) RETURNS BOOLEAN -> TRUE;
		ALTER TABLE HR.CORE.EMPLOYEES ADD ROW ACCESS POLICY HR.SEC.MINE ON (REGION)`); err != nil {
		t.Fatal(err)
	}
	e := newPolicyEngine(t, srv, hrDoc(filterOn(3, "EMPLOYEES", "analysts", "REGION = 'EU'")), true, Options{CreateMissingRoles: true})
	srv.ResetLog()
	res, err := e.Run(context.Background(), []request.Resource{employees})
	if err != nil {
		t.Fatal(err)
	}
	r := res[0]
	if r.Status != outcome.Success || r.FiltersSet+r.FiltersSwapped != 0 || len(r.Notes) != 1 ||
		!strings.Contains(r.Notes[0], `carries row access policy "HR"."SEC"."MINE", which snowsync did not create`) ||
		index(r.Statements, `GRANT SELECT ON TABLE "HR"."CORE"."EMPLOYEES"`) < 0 {
		t.Errorf("table = %+v", r)
	}
	for _, w := range writes(srv) {
		if strings.Contains(w, "ROW ACCESS") {
			t.Errorf("touched the foreign row access policy: %s", w)
		}
	}
}

// onceSource serves doc on its first fetch and fails every later one.
type onceSource struct {
	doc     string
	fetched bool
}

func (s *onceSource) Fetch(context.Context, int64) ([]byte, bool, error) {
	if s.fetched {
		return nil, false, errors.New("ranger admin unreachable")
	}
	s.fetched = true
	return []byte(s.doc), true, nil
}

// A Stale set (its source could not confirm it) only adds protection: it attaches a new mask, but
// never swaps or removes one of ours, since a newer set may have put it there; those changes fail
// the table, saying why.
func TestStaleSetNeverLoosensMasksOrFilters(t *testing.T) {
	srv := emulatortest.Start(t, emulator.Options{})
	setHR(t, srv)
	newer := hrDoc(maskOn(2, "EMPLOYEES", "SSN", "analysts", `{"dataMaskType":"MASK"}`) + "," + filterOn(3, "EMPLOYEES", "analysts", "REGION = 'EU'"))
	if r, err := newPolicyEngine(t, srv, newer, true, Options{CreateMissingRoles: true}).Run(t.Context(), []request.Resource{employees}); err != nil ||
		r[0].MasksSet != 1 || r[0].FiltersSet != 1 {
		t.Fatalf("newer set: %+v, %v", r, err)
	}

	// An older set: another mask type on SSN (a swap), no filter (a drop), a new mask on NAME (an attach).
	older := hrDoc(maskOn(2, "EMPLOYEES", "SSN", "analysts", `{"dataMaskType":"MASK_HASH"}`) + "," +
		maskOn(4, "EMPLOYEES", "NAME", "analysts", `{"dataMaskType":"MASK_NULL"}`))
	cache := policy.NewCache(&onceSource{doc: older}, policy.Mapping{}, 0, nil, nil)
	if _, err := cache.Current(t.Context()); err != nil {
		t.Fatal(err)
	}
	e := newPolicyEngine(t, srv, older, true, Options{CreateMissingRoles: true})
	e.policies = cache
	srv.ResetLog()
	res, err := e.Run(t.Context(), []request.Resource{employees})
	if err != nil {
		t.Fatal(err)
	}
	r := res[0]
	if r.Status != outcome.Failed || !strings.Contains(r.Reason, "not sent: stale policies") || r.MasksSet != 1 ||
		r.MasksSwapped+r.FiltersRemoved != 0 {
		t.Errorf("stale run = %+v", r)
	}
	for _, s := range writes(srv) {
		if strings.Contains(s, `"SSN"`) || strings.Contains(s, "ROW ACCESS POLICY") {
			t.Errorf("a stale set loosened protection: %s", s)
		}
	}
	if index(writes(srv), `ALTER TABLE "HR"."CORE"."EMPLOYEES" MODIFY COLUMN "NAME" SET MASKING POLICY`) < 0 {
		t.Errorf("the new mask was not attached: %q", writes(srv))
	}
}

// The bulk read sees only our policies: the attach it plans on a column or table that carries a foreign
// policy is refused by Snowflake, the table is read again the per-table way, and it ends as on the
// per-table path: the foreign policy stays, a note says so, and the grants go out.
func TestForeignPoliciesUnderBulkRead(t *testing.T) {
	for _, mode := range []LoadMode{"load_multi_thread", "load_bulk"} {
		t.Run(string(mode), func(t *testing.T) {
			srv := emulatortest.Start(t, emulator.Options{})
			seedMasked(t, srv, 1, 12) // SALES.S0.T000..T011: more masked tables than the pool's 8 threads
			if err := srv.Exec(`CREATE SCHEMA SALES.SEC;
				CREATE MASKING POLICY SALES.SEC.THEIRS AS (V VARCHAR) RETURNS VARCHAR -> 'theirs';
				CREATE ROW ACCESS POLICY SALES.SEC.ROWS AS (S VARCHAR) RETURNS BOOLEAN -> TRUE;
				ALTER TABLE SALES.S0.T003 MODIFY COLUMN SSN SET MASKING POLICY SALES.SEC.THEIRS;
				ALTER TABLE SALES.S0.T004 ADD ROW ACCESS POLICY SALES.SEC.ROWS ON (SSN)`); err != nil {
				t.Fatal(err)
			}
			doc := `{"serviceName":"snowflake","policyVersion":1,"policies":[{"id":1,"name":"all","isEnabled":true,
			  "resources":{"database":{"values":["SALES"]},"schema":{"values":["*"]},"table":{"values":["*"]}},
			  "policyItems":[{"accesses":[{"type":"select","isAllowed":true}],"groups":["analysts"]}]},
			 {"id":2,"name":"ssn","policyType":1,"isEnabled":true,
			  "resources":{"database":{"values":["SALES"]},"schema":{"values":["*"]},"table":{"values":["T00?"]},"column":{"values":["SSN"]}},
			  "dataMaskPolicyItems":[{"accesses":[{"type":"select","isAllowed":true}],"groups":["analysts"],"dataMaskInfo":{"dataMaskType":"MASK_NULL"}}]},
			 {"id":3,"name":"rows","policyType":2,"isEnabled":true,
			  "resources":{"database":{"values":["SALES"]},"schema":{"values":["S0"]},"table":{"values":["T004"]}},
			  "rowFilterPolicyItems":[{"accesses":[{"type":"select","isAllowed":true}],"groups":["analysts"],"rowFilterInfo":{"filterExpr":"ID > 0"}}]}]}`
			e := newPolicyEngine(t, srv, doc, true, Options{LoadMode: mode, CreateMissingRoles: true})
			srv.ResetLog()
			res, err := e.Run(t.Context(), []request.Resource{{Kind: request.KindDatabase, Database: "SALES"}})
			if err != nil {
				t.Fatal(err)
			}
			r := res[0]
			if !slices.ContainsFunc(srv.Log(), func(q emulator.LoggedQuery) bool { return strings.Contains(q.SQL, `"INFORMATION_SCHEMA"."COLUMNS"`) }) {
				t.Fatal("the masks were not read in bulk")
			}
			if r.Status != outcome.Success || r.MasksSet != 9 || r.FiltersSet != 0 || len(r.Notes) != 2 ||
				!strings.Contains(r.Notes[0], `"SALES"."S0"."T003": column "SSN" carries masking policy "SALES"."SEC"."THEIRS", which snowsync did not create`) ||
				!strings.Contains(r.Notes[1], `"SALES"."S0"."T004": carries row access policy "SALES"."SEC"."ROWS", which snowsync did not create`) {
				t.Errorf("database = %+v", r)
			}
			for _, s := range r.Statements {
				if strings.Contains(s, `"T003" MODIFY`) || strings.Contains(s, `"T004" ADD ROW`) {
					t.Errorf("lists the refused attach %s", s)
				}
			}
			for _, table := range []string{"T003", "T004"} {
				if index(r.Statements, `GRANT SELECT ON TABLE "SALES"."S0".`+fmt.Sprintf("%q", table)) < 0 &&
					index(r.Statements, `GRANT SELECT ON ALL TABLES IN SCHEMA "SALES"."S0"`) < 0 {
					t.Errorf("no SELECT for %s: %q", table, r.Statements)
				}
			}
			cols, err := snowflake.DescribeTable(t.Context(), e.q, snowflake.ObjectID{Database: "SALES", Schema: "S0", Name: "T003"})
			if err != nil || cols[1].MaskingPolicy == nil || cols[1].MaskingPolicy.Name != "THEIRS" {
				t.Errorf("T003 columns = %+v, %v; want THEIRS kept", cols, err)
			}
		})
	}
}

// A masking policy of ours that other columns still use is not dropped when one column stops using
// it: Snowflake refuses the DROP, and that is no failure.
func TestSharedPolicyStaysWhileInUse(t *testing.T) {
	srv := emulatortest.Start(t, emulator.Options{})
	setHR(t, srv)
	run := func(doc string) outcome.Resource {
		t.Helper()
		res, err := newPolicyEngine(t, srv, doc, true, Options{CreateMissingRoles: true}).Run(t.Context(), []request.Resource{employees})
		if err != nil {
			t.Fatal(err)
		}
		return res[0]
	}
	both := hrDoc(maskOn(2, "EMPLOYEES", "SSN", "analysts", `{"dataMaskType":"MASK"}`) + "," + maskOn(4, "EMPLOYEES", "NAME", "analysts", `{"dataMaskType":"MASK"}`))
	creates := func(stmts []string) int {
		return len(slices.DeleteFunc(slices.Clone(stmts), func(s string) bool { return !strings.HasPrefix(s, "CREATE MASKING POLICY") }))
	}
	if r := run(both); r.MasksSet != 2 || creates(r.Statements) != 1 {
		t.Fatalf("first = %+v; want two columns masked by one policy", r)
	}
	srv.ResetLog()
	r := run(hrDoc(maskOn(2, "EMPLOYEES", "SSN", "analysts", `{"dataMaskType":"MASK"}`)))
	if r.Status != outcome.Success || r.MasksRemoved != 1 ||
		!slices.Equal(r.Statements, []string{`ALTER TABLE "HR"."CORE"."EMPLOYEES" MODIFY COLUMN "NAME" UNSET MASKING POLICY`}) {
		t.Errorf("second = %+v", r)
	}
	if i := slices.IndexFunc(srv.Log(), func(q emulator.LoggedQuery) bool { return strings.HasPrefix(q.SQL, "DROP MASKING POLICY") }); i < 0 || srv.Log()[i].ErrorNumber == 0 {
		t.Errorf("want a DROP that Snowflake refused: %q", writes(srv))
	}
}

// A table requested by itself, where Ranger masks and filters nothing and our schemas hold no policy,
// costs no DESCRIBE and no POLICY_REFERENCES: only the listing of our two schemas, in the wave of its
// grant reads.
func TestRequestedTableWithoutOursReadsInOneWave(t *testing.T) {
	lat := emulator.Latency{Fixed: 100 * time.Millisecond} // wide enough that concurrent reads overlap on a loaded machine
	srv := emulatortest.Start(t, emulator.Options{Latency: map[emulator.StatementClass]emulator.Latency{
		emulator.ClassShow: lat, emulator.ClassSelect: lat, emulator.ClassOther: lat}})
	setHR(t, srv)
	e := newPolicyEngine(t, srv, hrDoc(""), true, Options{CreateMissingRoles: true})
	if _, err := e.Run(t.Context(), []request.Resource{employees}); err != nil { // grants the table
		t.Fatal(err)
	}
	srv.ResetLog()
	if _, err := e.Run(t.Context(), []request.Resource{employees}); err != nil {
		t.Fatal(err)
	}
	var sqls []string
	for _, q := range srv.Log() {
		sqls = append(sqls, q.SQL)
		if q.Class != emulator.ClassShow {
			t.Errorf("read %s", q.SQL)
		}
	}
	if w := waves(srv.Log()); w != 1 || len(sqls) != 6 {
		t.Errorf("%d waves, %d reads %q; want 1 wave of 6 (3 SHOW GRANTS, SHOW ROLES, our 2 schemas)", w, len(sqls), sqls)
	}
}
