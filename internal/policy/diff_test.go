package policy

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/snowsync/snowsync/internal/snowflake"
)

// inventory is the Snowflake catalog the diff tests resolve changes against.
var inventory = []Object{
	{Type: snowflake.ObjectDatabase, Database: "SALES"},
	{Type: snowflake.ObjectDatabase, Database: "HR"},
	{Type: snowflake.ObjectSchema, Database: "SALES", Schema: "PUBLIC"},
	{Type: snowflake.ObjectSchema, Database: "SALES", Schema: "STAGING"},
	{Type: snowflake.ObjectSchema, Database: "HR", Schema: "PUBLIC"},
	{Type: snowflake.ObjectTable, Database: "SALES", Schema: "PUBLIC", Name: "ORDERS"},
	{Type: snowflake.ObjectTable, Database: "SALES", Schema: "PUBLIC", Name: "CUSTOMERS"},
	{Type: snowflake.ObjectView, Database: "SALES", Schema: "PUBLIC", Name: "V_ORDERS"},
	{Type: snowflake.ObjectTable, Database: "SALES", Schema: "STAGING", Name: "ORDERS"},
	{Type: snowflake.ObjectTable, Database: "HR", Schema: "PUBLIC", Name: "EMPLOYEES"},
}

// render names an inventory object compactly: "TABLE SALES.PUBLIC.ORDERS".
func render(o Object) string {
	parts := []string{o.Database, o.Schema, o.Name}
	lvl, _ := levelOf(o.Type)
	return string(o.Type) + " " + strings.Join(parts[:lvl+1], ".")
}

// affected returns the inventory objects c affects, and those it reaches, rendered.
func affected(c *Change) (affects, reaches []string) {
	return affectedIn(c, inventory)
}

// affectedIn returns the objects c affects, and those it reaches, rendered.
func affectedIn(c *Change, objects []Object) (affects, reaches []string) {
	for _, o := range objects {
		if c.Affects(o) {
			affects = append(affects, render(o))
		}
		if c.Reaches(o) {
			reaches = append(reaches, render(o))
		}
	}
	return affects, reaches
}

// renderValues renders a resource: values joined by "|", "!" in front for isExcludes.
func renderValues(v Values) string {
	s := strings.Join(v.Values, "|")
	if v.Excludes {
		s = "!" + s
	}
	return s
}

// renderChanges renders c's policies: "1 CHANGED p1: SALES.PUBLIC.ORDERS -> HR.PUBLIC.EMPLOYEES",
// "none" for a side without resources.
func renderChanges(c *Change) []string {
	side := func(rs []Resources) string {
		var out []string
		for _, r := range rs {
			var parts []string
			for _, v := range []Values{r.Database, r.Schema, r.Table, r.Column} {
				if len(v.Values) > 0 {
					parts = append(parts, renderValues(v))
				}
			}
			out = append(out, strings.Join(parts, "."))
		}
		if len(out) == 0 {
			return "none"
		}
		return strings.Join(out, ",")
	}
	var out []string
	for _, p := range c.Policies {
		out = append(out, fmt.Sprintf("%d %s %s: %s -> %s", p.ID, p.Kind, p.Name, side(p.Old), side(p.New)))
	}
	return out
}

// renderNames renders an answer of Databases, Schemas or Tables: "[A,B]", or "list".
func renderNames(names []string, ok bool) string {
	if !ok {
		return "list"
	}
	return "[" + strings.Join(names, ",") + "]"
}

// accessPolicy is an enabled access policy with the given resources and items (JSON fragments).
func accessPolicy(id int, resources, items string) string {
	return fmt.Sprintf(`{"id":%d,"name":"p%d","resources":{%s},%s}`, id, id, resources, items)
}

// with inserts JSON fields (`"isEnabled":false`) into a policy made by the helpers.
func with(policy, fields string) string {
	return strings.Replace(policy, `"name"`, fields+`,"name"`, 1)
}

// maskOn is a data-mask policy "m<id>" on SALES.PUBLIC.<table>.<column> masking for group a with typ.
func maskOn(id int, table, column, typ string) string {
	return maskPolicy(id, fmt.Sprintf("m%d", id), table, column, `,"dataMaskPolicyItems":[`+maskItem(`"groups":["a"]`, `{"dataMaskType":"`+typ+`"}`)+`]`)
}

// recursiveTable sets isRecursive on a CUSTOMERS table resource: only the evaluation order changes.
func recursiveTable(policy string) string {
	return strings.Replace(policy, `"table":{"values":["CUSTOMERS"]}`, `"table":{"values":["CUSTOMERS"],"isRecursive":true}`, 1)
}

// filterOn is a row-filter policy "f" on SALES.PUBLIC.<table> filtering group a with expr.
func filterOn(id int, table, expr string) string {
	return filterPolicy(id, "f", table, `,"rowFilterPolicyItems":[`+filterItem(`"groups":["a"]`, expr)+`]`)
}

var (
	all = []string{
		"DATABASE SALES", "DATABASE HR", "SCHEMA SALES.PUBLIC", "SCHEMA SALES.STAGING", "SCHEMA HR.PUBLIC",
		"TABLE SALES.PUBLIC.ORDERS", "TABLE SALES.PUBLIC.CUSTOMERS", "VIEW SALES.PUBLIC.V_ORDERS",
		"TABLE SALES.STAGING.ORDERS", "TABLE HR.PUBLIC.EMPLOYEES",
	}
	containers  = []string{"DATABASE SALES", "DATABASE HR", "SCHEMA SALES.PUBLIC", "SCHEMA SALES.STAGING", "SCHEMA HR.PUBLIC"}
	salesPublic = []string{"DATABASE SALES", "SCHEMA SALES.PUBLIC"}
	// ordersAndParents and customersAndParents are what a change of an allowing policy on one table affects.
	ordersAndParents    = []string{"DATABASE SALES", "SCHEMA SALES.PUBLIC", "TABLE SALES.PUBLIC.ORDERS"}
	customersAndParents = []string{"DATABASE SALES", "SCHEMA SALES.PUBLIC", "TABLE SALES.PUBLIC.CUSTOMERS"}

	ordersSelect    = tablePolicy(1, "ORDERS", items("policyItems", "a", "select"))
	customersSelect = tablePolicy(2, "CUSTOMERS", items("policyItems", "b", "select"))
	ssnMask         = maskPolicy(5, "mask ssn", "CUSTOMERS", "SSN",
		`,"dataMaskPolicyItems":[`+maskItem(`"groups":["a"]`, `{"dataMaskType":"MASK_HASH"}`)+`]`)
	hrSelect = accessPolicy(4, `"database":{"values":["HR"]},"schema":{"values":["*"]},"table":{"values":["*"]}`,
		items("policyItems", "c", "select"))
)

func TestDiff(t *testing.T) {
	base := []string{ordersSelect, customersSelect, ssnMask}
	replace := func(i int, p string) []string { s := slices.Clone(base); s[i] = p; return s }
	tests := []struct {
		name          string
		from, to      []string
		wantPolicies  []string
		wantAffected  []string
		wantReached   []string
		serviceDefNew string // a serviceDef for the new document
	}{
		{name: "unchanged document", from: base, to: base},
		{name: "an edit snowsync does not read", from: base,
			to: replace(0, with(ordersSelect, `"description":"now documented","version":7,"isAuditEnabled":false`))},
		{name: "an access policy renamed", from: base, to: replace(0, strings.Replace(ordersSelect, `"p1"`, `"orders"`, 1))},
		{name: "one policy's item changed", from: base, to: replace(0, tablePolicy(1, "ORDERS", items("policyItems", "a", "insert"))),
			wantPolicies: []string{"1 CHANGED p1: SALES.PUBLIC.ORDERS -> SALES.PUBLIC.ORDERS"},
			wantAffected: ordersAndParents,
			wantReached:  salesPublic},
		{name: "a deny item added to an allowing policy", from: base,
			to:           replace(0, tablePolicy(1, "ORDERS", items("policyItems", "a", "select")+","+items("denyPolicyItems", "b", "select"))),
			wantPolicies: []string{"1 CHANGED p1: SALES.PUBLIC.ORDERS -> SALES.PUBLIC.ORDERS"},
			wantAffected: ordersAndParents,
			wantReached:  salesPublic},
		{name: "a deny-only policy changed", from: []string{tablePolicy(3, "ORDERS", items("denyPolicyItems", "a", "select"))},
			to:           []string{tablePolicy(3, "ORDERS", items("denyPolicyItems", "a", "insert"))},
			wantPolicies: []string{"3 CHANGED p3: SALES.PUBLIC.ORDERS -> SALES.PUBLIC.ORDERS"},
			wantAffected: []string{"TABLE SALES.PUBLIC.ORDERS"},
			wantReached:  salesPublic},
		{name: "priority changed", from: base, to: replace(0, with(ordersSelect, `"policyPriority":1`)),
			wantPolicies: []string{"1 CHANGED p1: SALES.PUBLIC.ORDERS -> SALES.PUBLIC.ORDERS"},
			wantAffected: ordersAndParents,
			wantReached:  salesPublic},
		{name: "isDenyAllElse set", from: base, to: replace(1, with(customersSelect, `"isDenyAllElse":true`)),
			wantPolicies: []string{"2 CHANGED p2: SALES.PUBLIC.CUSTOMERS -> SALES.PUBLIC.CUSTOMERS"},
			wantAffected: customersAndParents,
			wantReached:  salesPublic},
		{name: "policy added", from: base, to: append(slices.Clone(base), hrSelect),
			wantPolicies: []string{"4 ADDED p4: none -> HR.*.*"},
			wantAffected: []string{"DATABASE HR", "SCHEMA HR.PUBLIC", "TABLE HR.PUBLIC.EMPLOYEES"},
			wantReached:  []string{"DATABASE HR", "SCHEMA HR.PUBLIC"}},
		{name: "policy removed", from: base, to: []string{ordersSelect, ssnMask},
			wantPolicies: []string{"2 REMOVED p2: SALES.PUBLIC.CUSTOMERS -> none"},
			wantAffected: customersAndParents,
			wantReached:  salesPublic},
		{name: "policy disabled", from: base, to: replace(0, with(ordersSelect, `"isEnabled":false`)),
			wantPolicies: []string{"1 DISABLED p1: SALES.PUBLIC.ORDERS -> none"},
			wantAffected: ordersAndParents,
			wantReached:  salesPublic},
		{name: "policy enabled", from: replace(0, with(ordersSelect, `"isEnabled":false`)), to: base,
			wantPolicies: []string{"1 ENABLED p1: none -> SALES.PUBLIC.ORDERS"},
			wantAffected: ordersAndParents,
			wantReached:  salesPublic},
		{name: "a disabled policy added, or edited while disabled", from: append(slices.Clone(base), with(hrSelect, `"id":8,"isEnabled":false`)),
			to: append(slices.Clone(base), with(hrSelect, `"id":8,"isEnabled":false,"policyPriority":1`), with(hrSelect, `"id":9,"isEnabled":false`))},
		{name: "an ignored policy edited", from: append(slices.Clone(base), with(hrSelect, `"id":8,"validitySchedules":[{}]`)),
			to: append(slices.Clone(base), with(strings.Replace(hrSelect, `"select"`, `"insert"`, 1), `"id":8,"validitySchedules":[{}]`))},
		{name: "an ignored policy made valid", from: append(slices.Clone(base), with(hrSelect, `"id":8,"validitySchedules":[{}]`)),
			to:           append(slices.Clone(base), with(hrSelect, `"id":8`)),
			wantPolicies: []string{"8 CHANGED p4: none -> HR.*.*"},
			wantAffected: []string{"DATABASE HR", "SCHEMA HR.PUBLIC", "TABLE HR.PUBLIC.EMPLOYEES"},
			wantReached:  []string{"DATABASE HR", "SCHEMA HR.PUBLIC"}},
		{name: "wildcard table: only the view it adds", from: base, to: replace(0, tablePolicy(1, "*orders", items("policyItems", "a", "select"))),
			wantPolicies: []string{"1 CHANGED p1: SALES.PUBLIC.ORDERS -> SALES.PUBLIC.*orders"},
			wantAffected: []string{"VIEW SALES.PUBLIC.V_ORDERS"},
			wantReached:  salesPublic},
		{name: "wildcard table with another item: what either side matches", from: base,
			to:           replace(0, tablePolicy(1, "*orders", items("policyItems", "a", "insert"))),
			wantPolicies: []string{"1 CHANGED p1: SALES.PUBLIC.ORDERS -> SALES.PUBLIC.*orders"},
			wantAffected: []string{"DATABASE SALES", "SCHEMA SALES.PUBLIC", "TABLE SALES.PUBLIC.ORDERS", "VIEW SALES.PUBLIC.V_ORDERS"},
			wantReached:  salesPublic},
		{name: "isExcludes schema", from: base,
			to: append(slices.Clone(base), accessPolicy(7, `"database":{"values":["SALES"]},"schema":{"values":["public"],"isExcludes":true},"table":{"values":["*"]}`,
				items("policyItems", "a", "select"))),
			wantPolicies: []string{"7 ADDED p7: none -> SALES.!public.*"},
			wantAffected: []string{"DATABASE SALES", "SCHEMA SALES.STAGING", "TABLE SALES.STAGING.ORDERS"},
			wantReached:  []string{"DATABASE SALES", "SCHEMA SALES.STAGING"}},
		{name: "isExcludes database at database level", from: base,
			to:           append(slices.Clone(base), accessPolicy(7, `"database":{"values":["sales"],"isExcludes":true}`, items("policyItems", "a", "usage"))),
			wantPolicies: []string{"7 ADDED p7: none -> !sales"},
			wantAffected: []string{"DATABASE HR"}},
		{name: "schema-level policy", from: base,
			to:           append(slices.Clone(base), accessPolicy(7, `"database":{"values":["SALES"]},"schema":{"values":["STAG?NG"]}`, items("policyItems", "a", "usage"))),
			wantPolicies: []string{"7 ADDED p7: none -> SALES.STAG?NG"},
			wantAffected: []string{"DATABASE SALES", "SCHEMA SALES.STAGING"},
			wantReached:  []string{"DATABASE SALES"}},
		{name: "a changed policy on every database affects everything", from: base,
			to: append(slices.Clone(base), accessPolicy(7, `"database":{"values":["*"]},"schema":{"values":["*"]},"table":{"values":["*"]}`,
				items("policyItems", "a", "select"))),
			wantPolicies: []string{"7 ADDED p7: none -> *.*.*"},
			wantAffected: all, wantReached: containers},
		{name: "a mask policy's type changed affects its table only", from: base,
			to: replace(2, maskPolicy(5, "mask ssn", "CUSTOMERS", "SSN",
				`,"dataMaskPolicyItems":[`+maskItem(`"groups":["a"]`, `{"dataMaskType":"MASK_NULL"}`)+`]`)),
			wantPolicies: []string{"5 CHANGED mask ssn: SALES.PUBLIC.CUSTOMERS.SSN -> SALES.PUBLIC.CUSTOMERS.SSN"},
			wantAffected: []string{"TABLE SALES.PUBLIC.CUSTOMERS"},
			wantReached:  salesPublic},
		{name: "a mask policy renamed", from: base,
			to:           replace(2, strings.Replace(ssnMask, `"mask ssn"`, `"hash ssn"`, 1)),
			wantPolicies: []string{"5 CHANGED hash ssn: SALES.PUBLIC.CUSTOMERS.SSN -> SALES.PUBLIC.CUSTOMERS.SSN"},
			wantAffected: []string{"TABLE SALES.PUBLIC.CUSTOMERS"},
			wantReached:  salesPublic},
		{name: "a row filter added", from: base,
			to:           append(slices.Clone(base), filterPolicy(6, "eu rows", "ORDERS", `,"rowFilterPolicyItems":[`+filterItem(`"groups":["a"]`, "region = 'EU'")+`]`)),
			wantPolicies: []string{"6 ADDED eu rows: none -> SALES.PUBLIC.ORDERS"},
			wantAffected: []string{"TABLE SALES.PUBLIC.ORDERS"},
			wantReached:  salesPublic},
		{name: "two mask policies that tie swap places", from: []string{
			maskPolicy(5, "m", "ORDERS", "*", `,"dataMaskPolicyItems":[`+maskItem(`"groups":["a"]`, `{"dataMaskType":"MASK_HASH"}`)+`]`),
			maskPolicy(6, "m", "CUSTOMERS", "*", `,"dataMaskPolicyItems":[`+maskItem(`"groups":["a"]`, `{"dataMaskType":"MASK_NULL"}`)+`]`),
		}, to: []string{
			maskPolicy(6, "m", "CUSTOMERS", "*", `,"dataMaskPolicyItems":[`+maskItem(`"groups":["a"]`, `{"dataMaskType":"MASK_NULL"}`)+`]`),
			maskPolicy(5, "m", "ORDERS", "*", `,"dataMaskPolicyItems":[`+maskItem(`"groups":["a"]`, `{"dataMaskType":"MASK_HASH"}`)+`]`),
		},
			wantPolicies: []string{"5 CHANGED m: SALES.PUBLIC.ORDERS.* -> SALES.PUBLIC.ORDERS.*", "6 CHANGED m: SALES.PUBLIC.CUSTOMERS.* -> SALES.PUBLIC.CUSTOMERS.*"},
			wantAffected: []string{"TABLE SALES.PUBLIC.ORDERS", "TABLE SALES.PUBLIC.CUSTOMERS"},
			wantReached:  salesPublic},
		{name: "evaluation order of a mask changed", from: []string{maskOn(5, "CUSTOMERS", "SSN", "MASK_NULL")},
			to:           []string{recursiveTable(maskOn(5, "CUSTOMERS", "SSN", "MASK_NULL"))},
			wantPolicies: []string{"5 CHANGED m5: SALES.PUBLIC.CUSTOMERS.SSN -> SALES.PUBLIC.CUSTOMERS.SSN"},
			wantAffected: []string{"TABLE SALES.PUBLIC.CUSTOMERS"},
			wantReached:  salesPublic},
		{name: "policy id reused for other resources", from: base, to: replace(0, with(hrSelect, `"id":1`)),
			wantPolicies: []string{"1 CHANGED p4: SALES.PUBLIC.ORDERS -> HR.*.*"},
			wantAffected: []string{"DATABASE SALES", "DATABASE HR", "SCHEMA SALES.PUBLIC", "SCHEMA HR.PUBLIC",
				"TABLE SALES.PUBLIC.ORDERS", "TABLE HR.PUBLIC.EMPLOYEES"},
			wantReached: []string{"DATABASE SALES", "DATABASE HR", "SCHEMA SALES.PUBLIC", "SCHEMA HR.PUBLIC"}},
		{name: "an id shared by two policies", from: base, to: append(slices.Clone(base), with(hrSelect, `"id":2`)),
			wantPolicies: []string{"2 CHANGED p2: SALES.PUBLIC.CUSTOMERS -> SALES.PUBLIC.CUSTOMERS,HR.*.*"},
			wantAffected: []string{"DATABASE SALES", "DATABASE HR", "SCHEMA SALES.PUBLIC", "SCHEMA HR.PUBLIC",
				"TABLE SALES.PUBLIC.CUSTOMERS", "TABLE HR.PUBLIC.EMPLOYEES"},
			wantReached: []string{"DATABASE SALES", "DATABASE HR", "SCHEMA SALES.PUBLIC", "SCHEMA HR.PUBLIC"}},
		{name: "impliedGrants of the serviceDef changed", from: []string{ordersSelect, tablePolicy(3, "CUSTOMERS", items("policyItems", "a", "all"))},
			to:            []string{ordersSelect, tablePolicy(3, "CUSTOMERS", items("policyItems", "a", "all"))},
			serviceDefNew: `{"accessTypes":[{"name":"all","impliedGrants":["select","insert"]}]}`,
			wantPolicies:  []string{"3 CHANGED p3: SALES.PUBLIC.CUSTOMERS -> SALES.PUBLIC.CUSTOMERS"},
			wantAffected:  []string{"DATABASE SALES", "SCHEMA SALES.PUBLIC", "TABLE SALES.PUBLIC.CUSTOMERS"},
			wantReached:   salesPublic},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from, _ := mustParse(t, doc(tt.from...))
			newDoc := doc(tt.to...)
			if tt.serviceDefNew != "" {
				newDoc = withServiceDef(newDoc, tt.serviceDefNew)
			}
			to, _ := mustParse(t, newDoc)
			c := Diff(from, to)
			if got := renderChanges(c); !slices.Equal(got, tt.wantPolicies) {
				t.Errorf("Policies = %q, want %q", got, tt.wantPolicies)
			}
			gotAffected, gotReached := affected(c)
			if !slices.Equal(gotAffected, tt.wantAffected) {
				t.Errorf("affected %q, want %q", gotAffected, tt.wantAffected)
			}
			if !slices.Equal(gotReached, tt.wantReached) {
				t.Errorf("reached %q, want %q", gotReached, tt.wantReached)
			}
			if c.Empty() != (len(tt.wantPolicies) == 0) || c.All() {
				t.Errorf("Empty() = %v, All() = %v", c.Empty(), c.All())
			}
		})
	}
}

// reportingInventory is inventory with the demo's second sales schema, SALES.REPORTING.
var reportingInventory = append(slices.Clone(inventory),
	Object{Type: snowflake.ObjectSchema, Database: "SALES", Schema: "REPORTING"},
	Object{Type: snowflake.ObjectTable, Database: "SALES", Schema: "REPORTING", Name: "DAILY"},
)

// salesSchemas is the demo's policy 1 "analysts read sales" (allowing select to analysts, denying it to
// contractors) with the schema resource given as JSON.
func salesSchemas(schema, items string) string {
	return accessPolicy(1, `"database":{"values":["SALES"]},"schema":`+schema+`,"table":{"values":["*"]}`, items)
}

// TestDiffResourcesOnly checks that a policy whose resources alone changed affects what exactly one side
// matches, and any other change what either side matches.
func TestDiffResourcesOnly(t *testing.T) {
	analysts := items("policyItems", "analysts", "select") + "," + items("denyPolicyItems", "contractors", "select")
	wide := salesSchemas(`{"values":["PUBLIC","REPORTING"]}`, analysts)
	narrow := salesSchemas(`{"values":["PUBLIC"]}`, analysts)
	reporting := []string{"SCHEMA SALES.REPORTING", "TABLE SALES.REPORTING.DAILY"}
	salesReporting := []string{"DATABASE SALES", "SCHEMA SALES.REPORTING"}
	maskTable := func(table, column string) string { return maskOn(5, table, column, "MASK_NULL") }
	tests := []struct {
		name         string
		from, to     string
		wantAffected []string
		wantReached  []string
		wantNames    string // Databases(), Schemas(SALES), Tables(SALES, PUBLIC), Tables(SALES, REPORTING)
		wantPolicy   string // the one changed policy
	}{
		{name: "the demo's policy narrowed to one schema", from: wide, to: narrow,
			wantPolicy:   "1 CHANGED p1: SALES.PUBLIC|REPORTING.* -> SALES.PUBLIC.*",
			wantAffected: reporting, wantReached: salesReporting,
			wantNames: "[SALES] [PUBLIC,REPORTING] [] list"},
		{name: "the demo's policy widened to another schema", from: narrow, to: wide,
			wantPolicy:   "1 CHANGED p1: SALES.PUBLIC.* -> SALES.PUBLIC|REPORTING.*",
			wantAffected: reporting, wantReached: salesReporting,
			wantNames: "[SALES] [PUBLIC,REPORTING] [] list"},
		{name: "narrowed, and the item changed too", from: wide,
			to:         salesSchemas(`{"values":["PUBLIC"]}`, items("policyItems", "analysts", "insert")),
			wantPolicy: "1 CHANGED p1: SALES.PUBLIC|REPORTING.* -> SALES.PUBLIC.*",
			wantAffected: []string{"DATABASE SALES", "SCHEMA SALES.PUBLIC", "TABLE SALES.PUBLIC.ORDERS", "TABLE SALES.PUBLIC.CUSTOMERS",
				"VIEW SALES.PUBLIC.V_ORDERS", "SCHEMA SALES.REPORTING", "TABLE SALES.REPORTING.DAILY"},
			wantReached: []string{"DATABASE SALES", "SCHEMA SALES.PUBLIC", "SCHEMA SALES.REPORTING"},
			wantNames:   "[SALES] [PUBLIC,REPORTING] list list"},
		{name: "isExcludes flipped on the schema", from: narrow, to: salesSchemas(`{"values":["PUBLIC"],"isExcludes":true}`, analysts),
			wantPolicy: "1 CHANGED p1: SALES.PUBLIC.* -> SALES.!PUBLIC.*",
			wantAffected: []string{"SCHEMA SALES.PUBLIC", "SCHEMA SALES.STAGING", "TABLE SALES.PUBLIC.ORDERS", "TABLE SALES.PUBLIC.CUSTOMERS",
				"VIEW SALES.PUBLIC.V_ORDERS", "TABLE SALES.STAGING.ORDERS", "SCHEMA SALES.REPORTING", "TABLE SALES.REPORTING.DAILY"},
			wantReached: []string{"DATABASE SALES", "SCHEMA SALES.PUBLIC", "SCHEMA SALES.STAGING", "SCHEMA SALES.REPORTING"},
			wantNames:   "[SALES] list list list"},
		{name: "a table wildcard narrowed", from: tablePolicy(1, "*", analysts), to: tablePolicy(1, "*ORDERS", analysts),
			wantPolicy:   "1 CHANGED p1: SALES.PUBLIC.* -> SALES.PUBLIC.*ORDERS",
			wantAffected: []string{"TABLE SALES.PUBLIC.CUSTOMERS"}, wantReached: salesPublic,
			wantNames: "[SALES] [PUBLIC] list []"},
		{name: "a deny-only policy moved to another table implies no USAGE",
			from: tablePolicy(1, "ORDERS", items("denyPolicyItems", "a", "select")), to: tablePolicy(1, "CUSTOMERS", items("denyPolicyItems", "a", "select")),
			wantPolicy:   "1 CHANGED p1: SALES.PUBLIC.ORDERS -> SALES.PUBLIC.CUSTOMERS",
			wantAffected: []string{"TABLE SALES.PUBLIC.ORDERS", "TABLE SALES.PUBLIC.CUSTOMERS"}, wantReached: salesPublic,
			wantNames: "[SALES] [PUBLIC] [CUSTOMERS,ORDERS] []"},
		{name: "a deny-only policy moved to another schema affects tables only",
			from:         accessPolicy(1, `"database":{"values":["SALES"]},"schema":{"values":["PUBLIC"]},"table":{"values":["ORDERS"]}`, items("denyPolicyItems", "a", "select")),
			to:           accessPolicy(1, `"database":{"values":["SALES"]},"schema":{"values":["STAGING"]},"table":{"values":["CUSTOMERS"]}`, items("denyPolicyItems", "a", "select")),
			wantPolicy:   "1 CHANGED p1: SALES.PUBLIC.ORDERS -> SALES.STAGING.CUSTOMERS",
			wantAffected: []string{"TABLE SALES.PUBLIC.ORDERS"},
			wantReached:  []string{"DATABASE SALES", "SCHEMA SALES.PUBLIC", "SCHEMA SALES.STAGING"},
			wantNames:    "[SALES] [PUBLIC,STAGING] [ORDERS] []"},
		{name: "a database-level policy loses a database",
			from:         accessPolicy(1, `"database":{"values":["SALES","HR"]}`, items("policyItems", "a", "usage")),
			to:           accessPolicy(1, `"database":{"values":["SALES"]}`, items("policyItems", "a", "usage")),
			wantPolicy:   "1 CHANGED p1: SALES|HR -> SALES",
			wantAffected: []string{"DATABASE HR"},
			wantNames:    "[HR,SALES] [] [] []"},
		{name: "a database wildcard moved: the databases both match are still reached",
			from:        accessPolicy(1, `"database":{"values":["*"]},"schema":{"values":["PUBLIC"]}`, items("policyItems", "a", "usage")),
			to:          accessPolicy(1, `"database":{"values":["*"]},"schema":{"values":["P*"]}`, items("policyItems", "a", "usage")),
			wantPolicy:  "1 CHANGED p1: *.PUBLIC -> *.P*",
			wantReached: []string{"DATABASE SALES", "DATABASE HR"},
			wantNames:   "list list [] []"},
		{name: "a mask moved to tables of the same evaluation order", from: maskTable("*ORDERS", "SSN"), to: maskTable("V_*", "SSN"),
			wantPolicy:   "5 CHANGED m5: SALES.PUBLIC.*ORDERS.SSN -> SALES.PUBLIC.V_*.SSN",
			wantAffected: []string{"TABLE SALES.PUBLIC.ORDERS"}, wantReached: salesPublic,
			wantNames: "[SALES] [PUBLIC] list []"},
		{name: "a mask moved to another column affects the tables both match", from: maskTable("*ORDERS", "SSN"), to: maskTable("V_*", "ID"),
			wantPolicy:   "5 CHANGED m5: SALES.PUBLIC.*ORDERS.SSN -> SALES.PUBLIC.V_*.ID",
			wantAffected: []string{"TABLE SALES.PUBLIC.ORDERS", "VIEW SALES.PUBLIC.V_ORDERS"}, wantReached: salesPublic,
			wantNames: "[SALES] [PUBLIC] list []"},
		{name: "a mask moved to a wildcard changes its evaluation order", from: maskTable("V_ORDERS", "SSN"), to: maskTable("V_*", "SSN"),
			wantPolicy:   "5 CHANGED m5: SALES.PUBLIC.V_ORDERS.SSN -> SALES.PUBLIC.V_*.SSN",
			wantAffected: []string{"VIEW SALES.PUBLIC.V_ORDERS"}, wantReached: salesPublic,
			wantNames: "[SALES] [PUBLIC] list []"},
		{name: "a row filter widened", from: filterOn(6, "*ORDERS", "region = 'EU'"), to: filterOn(6, "*S", "region = 'EU'"),
			wantPolicy:   "6 CHANGED f: SALES.PUBLIC.*ORDERS -> SALES.PUBLIC.*S",
			wantAffected: []string{"TABLE SALES.PUBLIC.CUSTOMERS"}, wantReached: salesPublic,
			wantNames: "[SALES] [PUBLIC] list []"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from, _ := mustParse(t, doc(tt.from))
			to, _ := mustParse(t, doc(tt.to))
			c := Diff(from, to)
			if got := renderChanges(c); !slices.Equal(got, []string{tt.wantPolicy}) {
				t.Errorf("Policies = %q, want [%q]", got, tt.wantPolicy)
			}
			gotAffected, gotReached := affectedIn(c, reportingInventory)
			if !slices.Equal(gotAffected, tt.wantAffected) {
				t.Errorf("affected %q, want %q", gotAffected, tt.wantAffected)
			}
			if !slices.Equal(gotReached, tt.wantReached) {
				t.Errorf("reached %q, want %q", gotReached, tt.wantReached)
			}
			got := strings.Join([]string{renderNames(c.Databases()), renderNames(c.Schemas("SALES")), renderNames(c.Tables("sales", "public")),
				renderNames(c.Tables("SALES", "REPORTING"))}, " ")
			if got != tt.wantNames {
				t.Errorf("Databases, Schemas(SALES), Tables(sales, public), Tables(SALES, REPORTING) = %s, want %s", got, tt.wantNames)
			}
		})
	}
}

func TestDiffSampleWithItself(t *testing.T) {
	from, _ := loadSample(t)
	to, _ := loadSample(t)
	if c := Diff(from, to); !c.Empty() || len(c.Policies) != 0 {
		t.Errorf("Diff(sample, sample) = %q, want no change", renderChanges(c))
	}
}

func TestDiffMappingChanged(t *testing.T) {
	data := doc(ordersSelect, customersSelect, ssnMask, hrSelect)
	from, _, err := Parse(data, Mapping{})
	if err != nil {
		t.Fatal(err)
	}
	to, _, err := Parse(data, Mapping{EntityPrefix: "ACL_"})
	if err != nil {
		t.Fatal(err)
	}
	c := Diff(from, to)
	want := []string{
		"1 CHANGED p1: SALES.PUBLIC.ORDERS -> SALES.PUBLIC.ORDERS",
		"2 CHANGED p2: SALES.PUBLIC.CUSTOMERS -> SALES.PUBLIC.CUSTOMERS",
		"4 CHANGED p4: HR.*.* -> HR.*.*",
		"5 CHANGED mask ssn: SALES.PUBLIC.CUSTOMERS.SSN -> SALES.PUBLIC.CUSTOMERS.SSN",
	}
	if got := renderChanges(c); !slices.Equal(got, want) {
		t.Errorf("Policies = %q, want %q", got, want)
	}
	gotAffected, _ := affected(c)
	wantAffected := slices.DeleteFunc(slices.Clone(all), func(s string) bool {
		return s == "VIEW SALES.PUBLIC.V_ORDERS" || strings.HasPrefix(s, "TABLE SALES.STAGING") || s == "SCHEMA SALES.STAGING"
	})
	if !slices.Equal(gotAffected, wantAffected) {
		t.Errorf("affected %q, want %q", gotAffected, wantAffected)
	}
}

func TestDiffWithoutSet(t *testing.T) {
	set, _ := mustParse(t, doc(ordersSelect))
	for _, c := range []*Change{Diff(nil, set), Diff(set, nil)} {
		gotAffected, gotReached := affected(c)
		if !c.All() || c.Empty() || !slices.Equal(gotAffected, all) || !slices.Equal(gotReached, containers) {
			t.Errorf("All() = %v, Empty() = %v, affected %q, reached %q; want everything", c.All(), c.Empty(), gotAffected, gotReached)
		}
		if names, ok := c.Databases(); ok {
			t.Errorf("Databases() = %q, true; want a listing", names)
		}
	}
	if c := Diff(nil, set); c.From != 0 || c.To != 3 {
		t.Errorf("Diff(nil, set): From %d, To %d; want 0, 3", c.From, c.To)
	}
	if c := Diff(set, set); c.From != 3 || c.To != 3 || !c.Empty() || c.Affects(inventory[0]) || c.Reaches(inventory[0]) {
		t.Errorf("Diff(set, set) = %+v, want empty from 3 to 3", c)
	}
	if c := Diff(nil, set); c.Affects(Object{Type: snowflake.ObjectType("STAGE"), Database: "SALES"}) {
		t.Error("Affects(a stage) = true; the policies do not cover stages")
	}
}

// TestChangeNames checks the literal names a caller can resolve without listing.
func TestChangeNames(t *testing.T) {
	tests := []struct {
		name                           string
		added                          []string
		databases, sales, hr, salesPub string // Databases(), Schemas(SALES), Schemas(HR), Tables(SALES, PUBLIC)
	}{
		{"no change", nil, "[]", "[]", "[]", "[]"},
		{"literal table policies and masks", []string{
			tablePolicy(7, "orders", items("policyItems", "a", "select")),
			tablePolicy(8, "ORDERS", items("policyItems", "a", "select")),
			maskPolicy(9, "m", "CUSTOMERS", "SSN", `,"dataMaskPolicyItems":[`+maskItem(`"groups":["a"]`, `{"dataMaskType":"MASK_NULL"}`)+`]`),
		}, "[SALES]", "[PUBLIC]", "[]", "[CUSTOMERS,orders]"},
		{"a database-level policy names no schema", []string{
			accessPolicy(7, `"database":{"values":["HR","sales"]}`, items("policyItems", "a", "usage")),
		}, "[HR,sales]", "[]", "[]", "[]"},
		{"a wildcard table is listed in its schema only", []string{
			tablePolicy(7, "ORD*", items("policyItems", "a", "select")),
			hrSelect,
		}, "[HR,SALES]", "[PUBLIC]", "list", "list"},
		{"isExcludes on schema", []string{
			accessPolicy(7, `"database":{"values":["SALES"]},"schema":{"values":["PUBLIC"],"isExcludes":true}`, items("policyItems", "a", "usage")),
		}, "[SALES]", "list", "[]", "[]"},
		{"a wildcard database lists every database", []string{
			accessPolicy(7, `"database":{"values":["S*"]}`, items("policyItems", "a", "usage")),
		}, "list", "[]", "[]", "[]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from, _ := mustParse(t, doc())
			to, _ := mustParse(t, doc(tt.added...))
			c := Diff(from, to)
			got := []string{renderNames(c.Databases()), renderNames(c.Schemas("SALES")), renderNames(c.Schemas("hr")), renderNames(c.Tables("sales", "public"))}
			want := []string{tt.databases, tt.sales, tt.hr, tt.salesPub}
			if !slices.Equal(got, want) {
				t.Errorf("Databases, Schemas(SALES), Schemas(hr), Tables(sales, public) = %q, want %q", got, want)
			}
		})
	}
}

// TestDiffIsSound checks the contract on random pairs of documents: every inventory object that a
// Change does not affect gets the same answers from both sets.
func TestDiffIsSound(t *testing.T) {
	// Variants of the policy with each id; a document takes one variant of some ids, in any order.
	slots := [][]string{
		{ordersSelect, with(ordersSelect, `"isEnabled":false`), with(ordersSelect, `"policyPriority":1`),
			tablePolicy(1, "ORDERS", items("policyItems", "a", "insert")), tablePolicy(1, "CUSTOMERS", items("policyItems", "a", "select")),
			tablePolicy(1, "*ORDERS", items("denyPolicyItems", "b", "select")), tablePolicy(1, "*ORDERS", items("denyPolicyItems", "b", "insert"))},
		{customersSelect, with(customersSelect, `"isDenyAllElse":true`), tablePolicy(2, "*", items("policyItems", "a", "insert"))},
		{hrSelect, with(hrSelect, `"id":4,"validitySchedules":[{}]`),
			accessPolicy(4, `"database":{"values":["SALES"]},"schema":{"values":["PUBLIC"],"isExcludes":true}`, items("policyItems", "a", "usage"))},
		{accessPolicy(6, `"database":{"values":["*"]}`, items("policyItems", "b", "monitor")),
			accessPolicy(6, `"database":{"values":["*"]},"schema":{"values":["*"]}`, items("denyPolicyItems", "a", "usage"))},
		{ssnMask, maskOn(5, "CUSTOMERS", "SSN", "MASK_NULL"), maskOn(5, "*", "*", "MASK_HASH"), maskOn(5, "CUSTOMERS", "SSN", "UNKNOWN"),
			maskOn(5, "CUSTOMERS", "SSN", "OTHER")},
		{maskOn(7, "CUSTOMERS", "*", "MASK_NULL"), maskOn(7, "CUSTOMERS", "*", "MASK_HASH"), maskOn(7, "V_*", "ID", "MASK_NULL"),
			maskOn(7, "CUSTOMERS", "S*", "MASK_NULL"), maskOn(7, "CUSTOMERS", "I*", "MASK_NULL"), maskOn(7, "ORDERS", "S*", "MASK_NULL"),
			maskOn(7, "CUSTOMERS", "SSN", "MASK_NULL"), recursiveTable(maskOn(7, "CUSTOMERS", "SSN", "MASK_NULL"))},
		{filterOn(8, "ORDERS", "region = 'EU'"), filterOn(8, "*", "1 = 1"), filterOn(8, "ORDERS", "")},
		{filterOn(9, "ORDERS", "id > 0"), with(filterOn(9, "ORDERS", "id > 0"), `"policyPriority":1`)},
		{tablePolicy(10, "*", items("policyItems", "b", "insert"))},
		{tablePolicy(11, "ORDERS", items("denyPolicyItems", "a", "select"))},
		// Ids whose variants differ in their resources alone, at every level, with wildcards and isExcludes.
		movedVariants(12, items("policyItems", "a", "select"), []string{
			`"database":{"values":["SALES"]},"schema":{"values":["PUBLIC"]},"table":{"values":["*"]}`,
			`"database":{"values":["SALES"]},"schema":{"values":["PUBLIC","REPORTING"]},"table":{"values":["*"]}`,
			`"database":{"values":["SALES"]},"schema":{"values":["PUBLIC"],"isExcludes":true},"table":{"values":["*"]}`,
			`"database":{"values":["*"]},"schema":{"values":["PUBLIC"]},"table":{"values":["*ORDERS"]}`,
			`"database":{"values":["SALES"]},"schema":{"values":["*"]},"table":{"values":["ORDERS"]}`,
			`"database":{"values":["HR"],"isExcludes":true},"schema":{"values":["P*"]},"table":{"values":["*"]}`,
			`"database":{"values":["SALES"]},"schema":{"values":["REPORTING"]},"table":{"values":["DAILY"]}`,
		}),
		// Two policies with one id: never a change of resources alone.
		{strings.Join(movedVariants(19, items("policyItems", "b", "select"), []string{
			`"database":{"values":["SALES"]},"schema":{"values":["PUBLIC"]},"table":{"values":["ORDERS"]}`,
			`"database":{"values":["SALES"]},"schema":{"values":["STAGING"]},"table":{"values":["ORDERS"]}`,
		}), ","), tablePolicy(19, "ORDERS", items("policyItems", "b", "select"))},
		movedVariants(13, items("policyItems", "b", "usage"), []string{
			`"database":{"values":["SALES"]},"schema":{"values":["PUBLIC"]}`,
			`"database":{"values":["SALES"]},"schema":{"values":["*"]}`,
			`"database":{"values":["*"]},"schema":{"values":["PUBLIC"]}`,
			`"database":{"values":["SALES"]},"schema":{"values":["STAG?NG"],"isExcludes":true}`,
			`"database":{"values":["HR","SALES"]},"schema":{"values":["*"]}`,
		}),
		movedVariants(14, items("denyPolicyItems", "a", "select"), []string{
			`"database":{"values":["SALES"]},"schema":{"values":["PUBLIC"]},"table":{"values":["ORDERS"]}`,
			`"database":{"values":["*"]},"schema":{"values":["*"]},"table":{"values":["ORDERS"]}`,
			`"database":{"values":["SALES"]},"schema":{"values":["STAGING"]},"table":{"values":["*"]}`,
			`"database":{"values":["SALES"]},"schema":{"values":["PUBLIC"],"isExcludes":true},"table":{"values":["*"]}`,
		}),
		movedVariants(15, items("policyItems", "c", "monitor"), []string{
			`"database":{"values":["SALES"]}`, `"database":{"values":["SALES","HR"]}`,
			`"database":{"values":["SALES"],"isExcludes":true}`, `"database":{"values":["*"]}`,
		}),
		movedVariants(16, items("denyPolicyItems", "b", "usage"), []string{
			`"database":{"values":["SALES"]}`, `"database":{"values":["HR"]}`, `"database":{"values":["*"]},"schema":{"values":["REPORTING"]}`,
			`"database":{"values":["SALES"]},"schema":{"values":["PUBLIC"]}`,
		}),
		// Masks and filters moved to tables (and columns) with the same evaluation order, or another one.
		// m90 sorts after m7 and "mask ssn": on CUSTOMERS.SSN it is evaluated after them unless a wildcard
		// or isRecursive puts it first.
		{maskOn(90, "*ORDERS", "*", "MASK_HASH"), maskOn(90, "V_*", "*", "MASK_HASH"), maskOn(90, "C*", "*", "MASK_HASH"),
			maskOn(90, "ORDERS", "SSN", "MASK_HASH"), maskOn(90, "CUSTOMERS", "SSN", "MASK_HASH"), maskOn(90, "CUSTOMERS", "ID", "MASK_HASH"),
			maskOn(90, "C*", "SSN", "MASK_HASH"), recursiveTable(maskOn(90, "CUSTOMERS", "SSN", "MASK_HASH"))},
		{filterOn(18, "*ORDERS", "id < 9"), filterOn(18, "*S", "id < 9"), filterOn(18, "C*", "id < 9"), filterOn(18, "ORDERS", "id < 9")},
	}
	// A pair of documents differs in one or two slots, and sometimes in the order of its policies, so
	// that an object one change touches is rarely also touched by another.
	rng := rand.New(rand.NewPCG(14, 2))
	build := func(picks []int, order []int) []byte {
		var ps []string
		for _, slot := range order {
			if variants := slots[slot]; picks[slot] < len(variants) {
				ps = append(ps, variants[picks[slot]])
			}
		}
		return doc(ps...)
	}
	pair := func() (from, to []byte) {
		picks, order := make([]int, len(slots)), rng.Perm(len(slots))
		for i, variants := range slots {
			picks[i] = rng.IntN(len(variants) + 1) // len(variants): absent
		}
		from = build(picks, order)
		for range 1 + rng.IntN(2) {
			slot := rng.IntN(len(slots))
			picks[slot] = rng.IntN(len(slots[slot]) + 1)
		}
		if rng.IntN(4) == 0 {
			order = rng.Perm(len(slots))
		}
		return from, build(picks, order)
	}
	answers := func(s *Set, o Object) string {
		out := fmt.Sprint(grants(s.Desired(o)), s.MasksTable(o), s.FiltersTable(o))
		for _, col := range []string{"SSN", "ID"} {
			m, err := s.Mask(o, col)
			out += fmt.Sprint(cases(m), err)
		}
		f, err := s.RowFilter(o)
		return out + fmt.Sprint(f, err)
	}
	var changed, unaffected, differing, moved, spared int
	for range 2000 {
		a, b := pair()
		from, _ := mustParse(t, a)
		to, _ := mustParse(t, b)
		c := Diff(from, to)
		union := unionOf(c)
		for _, s := range c.scopes {
			if s.moved != nil {
				moved++
			}
		}
		for _, o := range reportingInventory {
			a, b := answers(from, o), answers(to, o)
			if a != b {
				differing++
			}
			if c.Affects(o) {
				changed++
				if missed := unfound(c, o); missed != "" {
					t.Fatalf("%s is affected, but %s\nchanges: %q", render(o), missed, renderChanges(c))
				}
				continue
			}
			unaffected++
			if union.Affects(o) {
				spared++
			}
			if a != b {
				t.Fatalf("%s is not affected, but its answers differ:\n%s\n%s\nchanges: %q", render(o), a, b, renderChanges(c))
			}
		}
	}
	t.Logf("%d objects affected, %d unaffected (%d of them spared by %d resource-only changes), %d differing", changed, unaffected, spared, moved, differing)
	if changed == 0 || unaffected == 0 || differing == 0 || spared == 0 {
		t.Fatalf("the random documents exercise too little: %d affected, %d unaffected, %d differing, %d spared", changed, unaffected, differing, spared)
	}
}

// movedVariants returns access policies with the id and items, one per resources (JSON fragments).
func movedVariants(id int, items string, resources []string) []string {
	out := make([]string, len(resources))
	for i, r := range resources {
		out[i] = accessPolicy(id, r, items)
	}
	return out
}

// unionOf returns c with every resource-only change widened to what either side matches.
func unionOf(c *Change) *Change {
	u := *c
	u.scopes = nil
	for _, s := range c.scopes {
		if s.moved != nil {
			u.scopes = append(u.scopes, scope{level: s.level, match: *s.moved, parents: s.parents})
			s.moved = nil
		}
		u.scopes = append(u.scopes, s)
	}
	return &u
}

// unfound returns why a caller resolving c could miss the affected object o (a container above it that
// c does not reach, or a Databases, Schemas or Tables answer without it), or "".
func unfound(c *Change, o Object) string {
	lvl, _ := levelOf(o.Type)
	path := []string{o.Database, o.Schema, o.Name}
	for l := levelDatabase; l <= lvl; l++ {
		parent := Object{Database: o.Database, Schema: o.Schema}
		var names []string
		var ok bool
		switch l {
		case levelDatabase:
			names, ok = c.Databases()
		case levelSchema:
			parent.Type = snowflake.ObjectDatabase
			names, ok = c.Schemas(o.Database)
		default:
			parent.Type = snowflake.ObjectSchema
			names, ok = c.Tables(o.Database, o.Schema)
		}
		if l > levelDatabase && !c.Reaches(parent) {
			return "it does not reach " + render(parent)
		}
		if ok && !slices.ContainsFunc(names, func(n string) bool { return strings.EqualFold(n, path[l]) }) {
			return fmt.Sprintf("the names at its %s level are %q", l, names)
		}
	}
	return ""
}

// BenchmarkChangeAffects measures what resolving a change against an inventory costs per object: the
// sample document with one table policy changed, asked about tables that it does and does not match.
func BenchmarkChangeAffects(b *testing.B) {
	from, _ := loadSample(b)
	data, err := os.ReadFile("testdata/service_policies.json")
	if err != nil {
		b.Fatal(err)
	}
	i := strings.Index(string(data), `"name": "sales public read"`) // a table policy: its next policyPriority
	changed := string(data[:i]) + strings.Replace(string(data[i:]), `"policyPriority": 0`, `"policyPriority": 1`, 1)
	to, _, err := Parse([]byte(changed), Mapping{})
	if err != nil {
		b.Fatal(err)
	}
	c := Diff(from, to)
	if len(c.Policies) != 1 {
		b.Fatalf("Policies = %q, want one", renderChanges(c))
	}
	objects := []Object{
		{Type: snowflake.ObjectTable, Database: "SALES", Schema: "PUBLIC", Name: "ORDERS"},
		{Type: snowflake.ObjectTable, Database: "HR", Schema: "PUBLIC", Name: "EMPLOYEES"},
		{Type: snowflake.ObjectDatabase, Database: "SALES"},
	}
	if !c.Affects(objects[0]) || c.Affects(objects[1]) || !c.Affects(objects[2]) {
		b.Fatal("the changed policy on SALES.PUBLIC.* must affect SALES.PUBLIC.ORDERS and SALES, not HR.PUBLIC.EMPLOYEES")
	}
	for b.Loop() {
		for _, o := range objects {
			c.Affects(o)
		}
	}
}
