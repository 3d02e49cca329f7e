package main

import (
	"database/sql"
	"reflect"
	"slices"
	"strings"
	"testing"

	_ "github.com/snowflakedb/gosnowflake"

	"github.com/snowsync/snowsync/internal/request"
	"github.com/snowsync/snowsync/internal/task/outcome"
	"github.com/snowsync/snowsync/internal/testing/emulator"
	"github.com/snowsync/snowsync/internal/testing/emulator/emulatortest"
)

// planSeed is the account the plan tests read: a table the policy in testdata/policies.json grants
// SELECT on to group analysts, a table with a managed role's grant that no policy wants (drift), and
// an unmanaged role's grant that must never be touched.
const planSeed = `
CREATE DATABASE SALES; -- with its PUBLIC schema, as in Snowflake
CREATE TABLE SALES.PUBLIC.ORDERS (ID NUMBER, AMOUNT NUMBER(10, 2));
CREATE TABLE SALES.PUBLIC.CUSTOMERS (ID NUMBER, NAME VARCHAR);
CREATE ROLE PRIV_ANALYSTS;
CREATE ROLE PRIV_LEGACY;
CREATE ROLE REPORTING;
GRANT SELECT ON TABLE SALES.PUBLIC.CUSTOMERS TO ROLE PRIV_LEGACY;
GRANT SELECT ON TABLE SALES.PUBLIC.ORDERS TO ROLE REPORTING;
`

// TestPlan runs `snowsync plan` against the Snowflake emulator, with CONNECTOR_SNOWFLAKE_GRANT_UPDATES
// true, and checks the plan it prints and that the account's grants are unchanged afterwards.
func TestPlan(t *testing.T) {
	srv := emulatortest.Start(t, emulator.Options{})
	if err := srv.Exec(planSeed); err != nil {
		t.Fatalf("seed: %v", err)
	}
	db, err := sql.Open("snowflake", srv.DSN(""))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	before := accountGrants(t, db)

	settings := env{
		"CONNECTOR_SNOWFLAKE_JDBC_URL":      "jdbc:snowflake://" + srv.Addr() + "/?account=emulator&ssl=off",
		"CONNECTOR_SNOWFLAKE_JDBC_USERNAME": "admin",
		"CONNECTOR_SNOWFLAKE_JDBC_PASSWORD": "admin",
		"CONNECTOR_POLICY_FILE":             "testdata/policies.json",
		"CONNECTOR_SNOWFLAKE_GRANT_UPDATES": "true", // plan must change nothing even so
	}
	const (
		grantOrders = `GRANT SELECT ON TABLE "SALES"."PUBLIC"."ORDERS" TO ROLE "PRIV_ANALYSTS"`
		usageSchema = `GRANT USAGE ON SCHEMA "SALES"."PUBLIC" TO ROLE "PRIV_ANALYSTS"`
		usageDB     = `GRANT USAGE ON DATABASE "SALES" TO ROLE "PRIV_ANALYSTS"`
		revokeCust  = `REVOKE SELECT ON TABLE "SALES"."PUBLIC"."CUSTOMERS" FROM ROLE "PRIV_LEGACY"`
	)
	tests := []struct {
		name       string
		args       []string
		env        env
		wantCode   int
		wantStdout string
		wantJSON   []outcome.Resource // compared instead of wantStdout when set
		wantStderr string
	}{
		{"table grant with parent usage", []string{"--resource", "table:SALES.PUBLIC.ORDERS"}, settings, 0,
			"table SALES.PUBLIC.ORDERS: 3 statements (3 grants, 0 revokes)\n" +
				"  " + usageDB + ";\n  " + usageSchema + ";\n  " + grantOrders + ";\n" +
				"plan: 3 statements for 1 resources; nothing was applied\n", nil, ""},
		{"drift is revoked, names match ignoring case, missing table skipped",
			[]string{"--resource", "table:sales.public.customers", "--resource", `table:SALES.PUBLIC."NO.SUCH"`}, settings, 0,
			"table sales.public.customers: 1 statements (0 grants, 1 revokes)\n  " + revokeCust + ";\n" +
				"table SALES.PUBLIC.NO.SUCH: SKIPPED: does not exist in Snowflake (002003)\n" +
				"plan: 1 statements for 2 resources; nothing was applied\n", nil, ""},
		{"request file as JSON, invalid resource reported", []string{"--request", "testdata/request.json", "--json"}, settings, 0, "",
			[]outcome.Resource{
				{Resource: request.Resource{Kind: request.KindTable, Database: "SALES", Schema: "PUBLIC", Table: "CUSTOMERS"},
					Status: outcome.Success, Statements: []string{revokeCust}, Revokes: 1},
				{Resource: request.Resource{Kind: "stage"}, Status: outcome.Skipped,
					Reason: `resources[1]: resource type "stage" is not supported (database, schema, table, view)`},
			}, ""},
		{"managed scope", []string{"--resource", "table:SALES.PUBLIC.CUSTOMERS", "--resource", "table:SALES.PUBLIC.ORDERS"},
			merge(settings, env{"CONNECTOR_SNOWFLAKE_MANAGE_TABLE_LIST": "SALES.PUBLIC.CUST*"}), 0,
			"table SALES.PUBLIC.CUSTOMERS: 1 statements (0 grants, 1 revokes)\n  " + revokeCust + ";\n" +
				"table SALES.PUBLIC.ORDERS: SKIPPED: outside the managed scope (CONNECTOR_SNOWFLAKE_MANAGE_*_LIST / IGNORE_*_LIST)\n" +
				"plan: 1 statements for 2 resources; nothing was applied\n", nil, ""},
		{"no resource", nil, settings, 2, "", nil, "name at least one --resource or --request"},
		{"bad resource", []string{"--resource", "table:SALES.PUBLIC"}, settings, 2, "", nil, "got 2"},
		{"request rejected", []string{"--request", "testdata/policies.json"}, settings, 1, "", nil, "request testdata/policies.json: SKIPPED"},
		{"missing request file", []string{"--request", "testdata/nope.json"}, settings, 1, "", nil, "testdata/nope.json: no such file"},
		{"no settings", []string{"--resource", "database:SALES"}, env{}, 1, "", nil, "setting CONNECTOR_SNOWFLAKE_JDBC_URL"},
		{"wrong password", []string{"--resource", "database:SALES"},
			merge(settings, env{"CONNECTOR_SNOWFLAKE_JDBC_PASSWORD": "wrong"}), 1, "", nil, "settings CONNECTOR_SNOWFLAKE_*"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, _ := newDeps(tt.env)
			got := runCommand(t, d, append([]string{"plan"}, tt.args...)...)
			got.check(t, tt.wantCode, tt.wantStderr)
			checkStdout(t, got.stdout, tt.wantStdout, tt.wantJSON)
		})
	}

	if after := accountGrants(t, db); !reflect.DeepEqual(after, before) {
		t.Errorf("plan changed the account's grants:\nbefore %q\nafter  %q", before, after)
	}
	if len(srv.Log()) == 0 {
		t.Fatal("the emulator logged no query: plan read nothing?")
	}
	for _, q := range srv.Log() {
		if verb, _, _ := strings.Cut(strings.TrimSpace(q.SQL), " "); !slices.ContainsFunc([]string{"SHOW", "SELECT", "DESCRIBE"},
			func(read string) bool { return strings.EqualFold(verb, read) }) {
			t.Errorf("plan sent %q; it may only read", q.SQL)
		}
	}
}

// accountGrants lists the grants on the seeded objects and to the seeded roles, one string a row.
func accountGrants(t *testing.T, db *sql.DB) []string {
	t.Helper()
	var out []string
	for _, q := range []string{
		"SHOW GRANTS ON DATABASE SALES", "SHOW GRANTS ON SCHEMA SALES.PUBLIC",
		"SHOW GRANTS ON TABLE SALES.PUBLIC.ORDERS", "SHOW GRANTS ON TABLE SALES.PUBLIC.CUSTOMERS",
		"SHOW GRANTS TO ROLE PRIV_ANALYSTS", "SHOW GRANTS TO ROLE PRIV_LEGACY", "SHOW GRANTS TO ROLE REPORTING", "SHOW ROLES",
	} {
		cols, rows := emulatortest.Query(t, db, q)
		for _, vals := range rows {
			row := q + ":"
			for i, v := range vals {
				row += " " + cols[i] + "=" + v
			}
			out = append(out, row)
		}
	}
	return out
}

func merge(envs ...env) env {
	out := env{}
	for _, e := range envs {
		for k, v := range e {
			out[k] = v
		}
	}
	return out
}
