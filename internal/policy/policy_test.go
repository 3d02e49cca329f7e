package policy

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/snowsync/snowsync/internal/snowflake"
)

// loadSample parses testdata/service_policies.json with the default mapping.
func loadSample(t testing.TB) (*Set, []Problem) {
	t.Helper()
	data, err := os.ReadFile("testdata/service_policies.json")
	if err != nil {
		t.Fatal(err)
	}
	set, problems, err := Parse(data, Mapping{})
	if err != nil {
		t.Fatalf("Parse(sample) = %v", err)
	}
	return set, problems
}

// grants renders grants compactly for comparison: "ROLE PRIVILEGE", with " (implied)" when implied.
func grants(gs []Grant) []string {
	out := make([]string, 0, len(gs))
	for _, g := range gs {
		s := g.Role + " " + string(g.Privilege)
		if g.Implied {
			s += " (implied)"
		}
		out = append(out, s)
	}
	return out
}

func TestDesiredSample(t *testing.T) {
	set, _ := loadSample(t)
	tests := []struct {
		name string
		obj  Object
		want []string
	}{
		{"database: explicit and implied usage", Object{Type: snowflake.ObjectDatabase, Database: "SALES"}, []string{
			"PRIV_ANALYSTS MONITOR", "PRIV_ANALYSTS USAGE", "PRIV_AUDITORS MONITOR",
			"PRIV_CONTRACTORS USAGE (implied)", "PRIV_ETL USAGE", "PRIV_ETL_ADMINS USAGE (implied)",
			"PRIV_REPORTING USAGE (implied)", "PRIV_USER_ALICE USAGE (implied)",
		}},
		{"schema: table policies imply usage", Object{Type: snowflake.ObjectSchema, Database: "SALES", Schema: "PUBLIC"}, []string{
			"PRIV_ANALYSTS USAGE (implied)", "PRIV_CONTRACTORS USAGE (implied)", "PRIV_ETL CREATE TABLE", "PRIV_ETL USAGE",
			"PRIV_ETL_ADMINS USAGE (implied)", "PRIV_REPORTING USAGE (implied)", "PRIV_USER_ALICE USAGE (implied)",
		}},
		{"schema excluded by isExcludes implies nothing", Object{Type: snowflake.ObjectSchema, Database: "SALES", Schema: "STAGING"}, []string{
			"PRIV_ETL CREATE TABLE", "PRIV_ETL USAGE",
		}},
		{"table: allow, deny, exceptions, user", Object{Type: snowflake.ObjectTable, Database: "SALES", Schema: "PUBLIC", Name: "ORDERS"}, []string{
			"PRIV_ANALYSTS SELECT", "PRIV_CONTRACTORS SELECT",
			"PRIV_ETL INSERT", "PRIV_ETL UPDATE",
			"PRIV_ETL_ADMINS DELETE", "PRIV_ETL_ADMINS INSERT", "PRIV_ETL_ADMINS UPDATE",
			"PRIV_REPORTING SELECT", "PRIV_USER_ALICE REFERENCES", "PRIV_USER_ALICE SELECT",
		}},
		{"names match case-insensitively", Object{Type: snowflake.ObjectTable, Database: "sales", Schema: "Public", Name: "orders"}, []string{
			"PRIV_ANALYSTS SELECT", "PRIV_CONTRACTORS SELECT",
			"PRIV_ETL INSERT", "PRIV_ETL UPDATE",
			"PRIV_ETL_ADMINS DELETE", "PRIV_ETL_ADMINS INSERT", "PRIV_ETL_ADMINS UPDATE",
			"PRIV_REPORTING SELECT", "PRIV_USER_ALICE REFERENCES", "PRIV_USER_ALICE SELECT",
		}},
		{"deny on the PII table beats the contractors' allow", Object{Type: snowflake.ObjectTable, Database: "SALES", Schema: "PUBLIC", Name: "CUSTOMERS_PII"}, []string{
			"PRIV_ANALYSTS SELECT",
			"PRIV_ETL INSERT", "PRIV_ETL UPDATE",
			"PRIV_ETL_ADMINS DELETE", "PRIV_ETL_ADMINS INSERT", "PRIV_ETL_ADMINS UPDATE",
			"PRIV_REPORTING SELECT",
		}},
		{"view gets view privileges only", Object{Type: snowflake.ObjectView, Database: "SALES", Schema: "PUBLIC", Name: "V_ORDERS"}, []string{
			"PRIV_ANALYSTS SELECT", "PRIV_CONTRACTORS SELECT", "PRIV_REPORTING SELECT",
		}},
		{"excluded schema and disabled policy grant nothing", Object{Type: snowflake.ObjectTable, Database: "SALES", Schema: "STAGING", Name: "RAW_ORDERS"}, []string{}},
		{"reporting reads every schema but staging", Object{Type: snowflake.ObjectTable, Database: "SALES", Schema: "ARCHIVE", Name: "ORDERS_2020"}, []string{
			"PRIV_REPORTING SELECT",
		}},
		{"serviceDef impliedGrants expand all", Object{Type: snowflake.ObjectTable, Database: "FINANCE", Schema: "GL", Name: "JOURNAL"}, []string{
			"PRIV_FINANCE_ADMINS DELETE", "PRIV_FINANCE_ADMINS INSERT", "PRIV_FINANCE_ADMINS REFERENCES",
			"PRIV_FINANCE_ADMINS SELECT", "PRIV_FINANCE_ADMINS TRUNCATE", "PRIV_FINANCE_ADMINS UPDATE",
		}},
		{"other database", Object{Type: snowflake.ObjectDatabase, Database: "FINANCE"}, []string{
			"PRIV_AUDITORS MONITOR", "PRIV_FINANCE_ADMINS USAGE (implied)",
		}},
		{"unknown database", Object{Type: snowflake.ObjectDatabase, Database: "HR"}, []string{}},
		{"unsupported object type", Object{Type: "STAGE", Database: "SALES", Schema: "PUBLIC", Name: "S"}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := grants(set.Desired(tt.obj)); !slices.Equal(got, tt.want) {
				t.Errorf("Desired(%+v) =\n  %q\nwant\n  %q", tt.obj, got, tt.want)
			}
		})
	}
}

func TestSampleReport(t *testing.T) {
	set, problems := loadSample(t)
	wantProblems := []string{
		`policy "auditors monitor" (id 13): access "insert" does not apply to database`,
	}
	var got []string
	for _, p := range problems {
		got = append(got, p.String())
	}
	if !slices.Equal(got, wantProblems) {
		t.Errorf("problems =\n  %q\nwant\n  %q", got, wantProblems)
	}
	wantStats := Stats{Service: "snowflake_prod", Version: 42, Policies: 13, Applied: 11, Disabled: 1, Masking: 1}
	if set.Stats() != wantStats {
		t.Errorf("Stats() = %+v, want %+v", set.Stats(), wantStats)
	}
	if set.Version() != 42 {
		t.Errorf("Version() = %d, want 42", set.Version())
	}
	wantRoles := []string{"PRIV_ANALYSTS", "PRIV_AUDITORS", "PRIV_CONTRACTORS", "PRIV_ETL", "PRIV_ETL_ADMINS",
		"PRIV_FINANCE_ADMINS", "PRIV_REPORTING", "PRIV_USER_ALICE"}
	if !slices.Equal(set.Roles(), wantRoles) {
		t.Errorf("Roles() = %q, want %q", set.Roles(), wantRoles)
	}
}

// doc wraps policies (JSON objects) into a ServicePolicies document.
func doc(policies ...string) []byte {
	return []byte(`{"serviceName":"svc","policyVersion":3,"policies":[` + strings.Join(policies, ",") + `]}`)
}

// tablePolicy is an enabled access policy on SALES.PUBLIC.<table> with the given item lists (JSON
// fragments such as `"policyItems":[...]`).
func tablePolicy(id int, table string, items string) string {
	return fmt.Sprintf(`{"id":%d,"name":"p%d","resources":{"database":{"values":["SALES"]},"schema":{"values":["PUBLIC"]},"table":{"values":[%q]}},%s}`,
		id, id, table, items)
}

// items builds the item list named list ("policyItems", "denyExceptions", ...) for one group and access.
func items(list, group, access string) string {
	return fmt.Sprintf(`%q:[{"accesses":[{"type":%q,"isAllowed":true}],"groups":[%q]}]`, list, access, group)
}

func TestDesiredPrecedence(t *testing.T) {
	orders := Object{Type: snowflake.ObjectTable, Database: "SALES", Schema: "PUBLIC", Name: "ORDERS"}
	tests := []struct {
		name     string
		policies []string
		want     []string
	}{
		{"allow", []string{tablePolicy(1, "*", items("policyItems", "a", "select"))}, []string{"PRIV_A SELECT"}},
		{"deny in another policy beats allow", []string{
			tablePolicy(1, "*", items("policyItems", "a", "select")),
			tablePolicy(2, "ORD*", items("denyPolicyItems", "a", "select")),
		}, []string{}},
		{"deny for one role leaves others", []string{
			tablePolicy(1, "*", items("policyItems", "a", "select")+","+items("denyPolicyItems", "b", "select")),
			tablePolicy(2, "*", items("policyItems", "b", "select")),
		}, []string{"PRIV_A SELECT"}},
		{"deny for one privilege leaves others", []string{
			tablePolicy(1, "*", items("policyItems", "a", "select")+","+items("denyPolicyItems", "a", "insert")),
			tablePolicy(2, "*", items("policyItems", "a", "insert")),
		}, []string{"PRIV_A SELECT"}},
		{"deny exception lets the allow through", []string{
			tablePolicy(1, "*", items("policyItems", "a", "select")),
			tablePolicy(2, "*", items("denyPolicyItems", "a", "select")+","+items("denyExceptions", "a", "select")),
		}, []string{"PRIV_A SELECT"}},
		{"allow exception carves out of its own policy only", []string{
			tablePolicy(1, "*", items("policyItems", "a", "select")+","+items("allowExceptions", "a", "select")),
			tablePolicy(2, "*", items("policyItems", "a", "select")),
		}, []string{"PRIV_A SELECT"}},
		{"allow exception", []string{
			tablePolicy(1, "*", items("policyItems", "a", "select")+","+items("allowExceptions", "a", "select")),
		}, []string{}},
		{"deny on another table does not apply", []string{
			tablePolicy(1, "*", items("policyItems", "a", "select")),
			tablePolicy(2, "CUSTOMERS", items("denyPolicyItems", "a", "select")),
		}, []string{"PRIV_A SELECT"}},
		{"override priority allow beats normal deny", []string{
			tablePolicy(1, "*", items("denyPolicyItems", "a", "select")),
			strings.Replace(tablePolicy(2, "*", items("policyItems", "a", "select")), `"name"`, `"policyPriority":1,"name"`, 1),
		}, []string{"PRIV_A SELECT"}},
		{"isDenyAllElse denies what it does not allow", []string{
			tablePolicy(1, "*", `"policyItems":[{"accesses":[{"type":"select"},{"type":"insert"}],"groups":["a","b"]}]`),
			strings.Replace(tablePolicy(2, "ORDERS", items("policyItems", "a", "select")), `"name"`, `"isDenyAllElse":true,"name"`, 1),
		}, []string{"PRIV_A SELECT"}},
		{"isAllowed false grants nothing", []string{
			tablePolicy(1, "*", `"policyItems":[{"accesses":[{"type":"select","isAllowed":false},{"type":"insert"}],"groups":["a"]}]`),
		}, []string{"PRIV_A INSERT"}},
		{"disabled policy", []string{
			strings.Replace(tablePolicy(1, "*", items("policyItems", "a", "select")), `"name"`, `"isEnabled":false,"name"`, 1),
		}, []string{}},
		{"allow item with conditions is ignored, deny item with conditions applies", []string{
			tablePolicy(1, "*", `"policyItems":[{"accesses":[{"type":"select"}],"groups":["a"],"conditions":[{"type":"ip-range","values":["10.*"]}]}]`),
			tablePolicy(2, "*", items("policyItems", "b", "select")+`,"denyPolicyItems":[{"accesses":[{"type":"select"}],"groups":["b"],"conditions":[{"type":"ip-range","values":["10.*"]}]}]`),
		}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, _, err := Parse(doc(tt.policies...), Mapping{})
			if err != nil {
				t.Fatal(err)
			}
			if got := grants(set.Desired(orders)); !slices.Equal(got, tt.want) {
				t.Errorf("Desired = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDesiredMatchingAndLevels(t *testing.T) {
	// One policy per level, each granting a privilege that exists at its level only.
	policy := func(resources, access string) string {
		return fmt.Sprintf(`{"id":1,"name":"p","resources":{%s},"policyItems":[{"accesses":[{"type":%q}],"groups":["g"]}]}`, resources, access)
	}
	db := func(v string) string { return fmt.Sprintf(`"database":{"values":[%s]}`, v) }
	tests := []struct {
		name   string
		policy string
		obj    Object
		want   []string
	}{
		{"database policy grants on the database", policy(db(`"SALES"`), "create_schema"),
			Object{Type: snowflake.ObjectDatabase, Database: "SALES"}, []string{"PRIV_G CREATE SCHEMA"}},
		{"database policy grants nothing on its schemas", policy(db(`"SALES"`), "usage"),
			Object{Type: snowflake.ObjectSchema, Database: "SALES", Schema: "PUBLIC"}, []string{}},
		{"schema policy grants nothing on the database but implies usage", policy(db(`"SALES"`)+`,"schema":{"values":["P*"]}`, "create_view"),
			Object{Type: snowflake.ObjectDatabase, Database: "SALES"}, []string{"PRIV_G USAGE (implied)"}},
		{"schema policy grants nothing on tables", policy(db(`"SALES"`)+`,"schema":{"values":["*"]}`, "usage"),
			Object{Type: snowflake.ObjectTable, Database: "SALES", Schema: "PUBLIC", Name: "T"}, []string{}},
		{"schema usage implies database usage", policy(db(`"SALES"`)+`,"schema":{"values":["*"]}`, "usage"),
			Object{Type: snowflake.ObjectDatabase, Database: "SALES"}, []string{"PRIV_G USAGE (implied)"}},
		{"question mark matches one character", policy(db(`"SALES_20??"`), "monitor"),
			Object{Type: snowflake.ObjectDatabase, Database: "sales_2024"}, []string{"PRIV_G MONITOR"}},
		{"question mark needs a character", policy(db(`"SALES_20??"`), "monitor"),
			Object{Type: snowflake.ObjectDatabase, Database: "SALES_202"}, []string{}},
		{"star inside a value", policy(db(`"S*_PROD"`), "monitor"),
			Object{Type: snowflake.ObjectDatabase, Database: "SALES_EU_PROD"}, []string{"PRIV_G MONITOR"}},
		{"any of several values", policy(db(`"HR","SALES"`), "monitor"),
			Object{Type: snowflake.ObjectDatabase, Database: "Sales"}, []string{"PRIV_G MONITOR"}},
		{"isExcludes inverts", policy(`"database":{"values":["SALES","HR"],"isExcludes":true}`, "monitor"),
			Object{Type: snowflake.ObjectDatabase, Database: "FINANCE"}, []string{"PRIV_G MONITOR"}},
		{"isExcludes excludes", policy(`"database":{"values":["SALES","HR"],"isExcludes":true}`, "monitor"),
			Object{Type: snowflake.ObjectDatabase, Database: "sales"}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, problems, err := Parse(doc(tt.policy), Mapping{})
			if err != nil || len(problems) > 0 {
				t.Fatalf("Parse = %v, %v", problems, err)
			}
			if got := grants(set.Desired(tt.obj)); !slices.Equal(got, tt.want) {
				t.Errorf("Desired(%+v) = %q, want %q", tt.obj, got, tt.want)
			}
		})
	}
}

func TestDesiredExplicitUsageNotImplied(t *testing.T) {
	set, _, err := Parse(doc(
		`{"id":1,"name":"db","resources":{"database":{"values":["SALES"]}},"policyItems":[{"accesses":[{"type":"usage"}],"groups":["g"]}],
		  "denyPolicyItems":[{"accesses":[{"type":"usage"}],"groups":["d"]}]}`,
		tablePolicy(2, "*", `"policyItems":[{"accesses":[{"type":"select"}],"groups":["g","d"]}]`),
	), Mapping{})
	if err != nil {
		t.Fatal(err)
	}
	got := grants(set.Desired(Object{Type: snowflake.ObjectDatabase, Database: "SALES"}))
	// g: explicit, so not implied; d: denied usage on the database, so no implied usage either.
	if want := []string{"PRIV_G USAGE"}; !slices.Equal(got, want) {
		t.Errorf("Desired = %q, want %q", got, want)
	}
}

func TestMapping(t *testing.T) {
	policy := tablePolicy(1, "*", `"policyItems":[{"accesses":[{"type":"select"}],"users":["Bob.Smith"],"groups":["Data-Eng"],"roles":["finance"]}]`)
	tests := []struct {
		name    string
		mapping Mapping
		want    []string
		manages map[string]bool
	}{
		{"defaults", Mapping{}, []string{"PRIV_DATA-ENG", "PRIV_FINANCE", "PRIV_USER_BOB.SMITH"},
			map[string]bool{"PRIV_X": true, "PRIV_USER_X": true, "SYSADMIN": false, "priv_x": false}},
		{"custom prefixes", Mapping{EntityPrefix: "sf_", UserPrefix: "u_"}, []string{"SF_DATA-ENG", "SF_FINANCE", "U_BOB.SMITH"},
			map[string]bool{"SF_X": true, "U_X": true, "PRIV_X": false}},
		{"preserve case", Mapping{EntityPrefix: "Grp_", PreserveCase: true}, []string{"Grp_Data-Eng", "Grp_finance", "PRIV_USER_Bob.Smith"},
			map[string]bool{"Grp_x": true, "GRP_X": false, "PRIV_USER_x": true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, _, err := Parse(doc(policy), tt.mapping)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(set.Roles(), tt.want) {
				t.Errorf("Roles() = %q, want %q", set.Roles(), tt.want)
			}
			for role, want := range tt.manages {
				if got := tt.mapping.Manages(role); got != want {
					t.Errorf("Manages(%q) = %v, want %v", role, got, want)
				}
			}
		})
	}
}

// BenchmarkDesired asks for the grants of every object of a 5,000-table database (50 schemas of 100
// tables) under 200 table policies with wildcards and denies, as a database request does.
func BenchmarkDesired(b *testing.B) {
	var policies []string
	for i := range 200 {
		policies = append(policies, fmt.Sprintf(`{"id":%d,"name":"p%d","resources":{"database":{"values":["SALES"]},
			"schema":{"values":["S%02d"]},"table":{"values":["T%d*","*_X?"]}},
			"policyItems":[{"accesses":[{"type":"select"},{"type":"insert"}],"groups":["team%d"]}],
			"denyPolicyItems":[{"accesses":[{"type":"insert"}],"groups":["team%d"]}]}`, 100+i, i, i%50, i%10, i, (i+1)%200))
	}
	set, _, err := Parse(doc(policies...), Mapping{})
	if err != nil {
		b.Fatal(err)
	}
	objects := []Object{{Type: snowflake.ObjectDatabase, Database: "SALES"}}
	for s := range 50 {
		schema := fmt.Sprintf("S%02d", s)
		objects = append(objects, Object{Type: snowflake.ObjectSchema, Database: "SALES", Schema: schema})
		for t := range 100 {
			objects = append(objects, Object{Type: snowflake.ObjectTable, Database: "SALES", Schema: schema, Name: fmt.Sprintf("T%d_ORDERS", t)})
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		for _, o := range objects {
			n += len(set.Desired(o))
		}
		if n == 0 {
			b.Fatal("no grants")
		}
	}
}
