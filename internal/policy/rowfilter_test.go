package policy

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/snowsync/snowsync/internal/snowflake"
)

// filterPolicy is an enabled row-filter policy on SALES.PUBLIC.<table> with the given extra JSON fields.
func filterPolicy(id int, name, table, extra string) string {
	return fmt.Sprintf(`{"id":%d,"name":%q,"policyType":2,"resources":{"database":{"values":["SALES"]},"schema":{"values":["PUBLIC"]},"table":{"values":[%q]}}%s}`,
		id, name, table, extra)
}

func filterItem(principals, expr string) string {
	return fmt.Sprintf(`{"accesses":[{"type":"select","isAllowed":true}],%s,"rowFilterInfo":{"filterExpr":%q}}`, principals, expr)
}

func filterCases(f RowFilter) []string {
	var out []string
	for _, c := range f.Cases {
		out = append(out, c.Role+": "+c.Expr+" by "+c.Policy)
	}
	return out
}

func TestRowFilter(t *testing.T) {
	set, problems := mustParse(t, doc(
		filterPolicy(1, "regions", "CUSTOMERS", `,"rowFilterPolicyItems":[`+
			filterItem(`"groups":["admins"]`, "")+`,`+
			filterItem(`"groups":["eu"],"users":["ann"]`, "region = 'EU'")+`,`+
			filterItem(`"groups":["eu","us"]`, "region = 'US'")+`]`),
		filterPolicy(2, "override", "CUST*", `,"policyPriority":1,"rowFilterPolicyItems":[`+
			filterItem(`"roles":["auditor"]`, " 1 = 0 ")+`]`),
		filterPolicy(3, "off", "*", `,"isEnabled":false,"rowFilterPolicyItems":[`+filterItem(`"groups":["public"]`, "1 = 0")+`]`),
	))
	if problems != nil {
		t.Fatalf("problems = %q", problems)
	}
	f, err := set.RowFilter(customers)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`PRIV_AUDITOR: 1 = 0 by "override" (id 2)`,
		`PRIV_ADMINS:  by "regions" (id 1)`, // empty filterExpr: all rows, as in Ranger
		`PRIV_USER_ANN: region = 'EU' by "regions" (id 1)`,
		`PRIV_EU: region = 'EU' by "regions" (id 1)`,
		`PRIV_US: region = 'US' by "regions" (id 1)`,
	}
	if got := filterCases(f); !reflect.DeepEqual(got, want) {
		t.Errorf("RowFilter =\n  %q\nwant\n  %q", got, want)
	}
	orders := Object{Type: snowflake.ObjectTable, Database: "SALES", Schema: "PUBLIC", Name: "ORDERS"}
	if set.FiltersTable(orders) || !set.FiltersTable(customers) {
		t.Errorf("FiltersTable(ORDERS, CUSTOMERS) = %v, %v; want false, true", set.FiltersTable(orders), set.FiltersTable(customers))
	}
	if f, err := set.RowFilter(orders); err != nil || !f.Empty() {
		t.Errorf("RowFilter(ORDERS) = %q, %v; want empty", filterCases(f), err)
	}
	if s := set.Stats(); s.RowFilter != 2 || s.Disabled != 1 {
		t.Errorf("Stats() = %+v, want 2 row filters, 1 disabled", s)
	}
}

func TestRowFilterProblems(t *testing.T) {
	set, problems := mustParse(t, doc(
		filterPolicy(1, "timed", "CUSTOMERS", `,"validitySchedules":[{"endTime":"2027/01/01 00:00:00"}],"rowFilterPolicyItems":[`+
			filterItem(`"groups":["g"]`, "1 = 1")+`]`),
		filterPolicy(2, "fine", "ORDERS", `,"rowFilterPolicyItems":[`+filterItem(`"groups":["g"]`, "1 = 1")+`]`),
		`{"id":3,"name":"column","policyType":2,"resources":{"database":{"values":["SALES"]},"schema":{"values":["PUBLIC"]},"table":{"values":["*"]},"column":{"values":["*"]}}}`,
		`{"id":4,"name":"schema only","policyType":2,"resources":{"database":{"values":["SALES"]},"schema":{"values":["PUBLIC"]}}}`,
	))
	want := []string{
		`policy "timed" (id 1): validity schedules cannot be expressed in a Snowflake row access policy; the tables it filters fail`,
		`policy "column" (id 3): row-filter policies cannot have a "column" resource; policy ignored`,
		`policy "schema only" (id 4): row-filter policies need database, schema and table resources; policy ignored`,
	}
	if !reflect.DeepEqual(problems, want) {
		t.Errorf("problems =\n  %q\nwant\n  %q", problems, want)
	}
	var ue *UnexpressibleError
	if _, err := set.RowFilter(customers); !errors.As(err, &ue) || ue.Policy != `"timed" (id 1)` {
		t.Errorf("RowFilter(CUSTOMERS) error = %v, want the policy's UnexpressibleError", err)
	}
	orders := Object{Type: snowflake.ObjectTable, Database: "SALES", Schema: "PUBLIC", Name: "ORDERS"}
	if f, err := set.RowFilter(orders); err != nil || len(f.Cases) != 1 {
		t.Errorf("RowFilter(ORDERS) = %q, %v; want one case", filterCases(f), err)
	}
	if s := set.Stats(); s.RowFilter != 1 || s.Failing != 1 || s.Ignored != 2 {
		t.Errorf("Stats() = %+v, want 1 row filter, 1 failing, 2 ignored", s)
	}
}

func TestRowFilterEveryUser(t *testing.T) {
	// "{USER}" (the current user) and group "public" match every user: role PUBLIC, which every
	// session holds, so nothing after it can decide. A group named "PUBLIC" is just a group.
	set, problems := mustParse(t, doc(filterPolicy(1, "all", "CUSTOMERS", `,"rowFilterPolicyItems":[`+
		filterItem(`"groups":["PUBLIC"]`, "a = 1")+`,`+
		filterItem(`"users":["{USER}"]`, "a = 2")+`,`+
		filterItem(`"groups":["public"]`, "a = 3")+`]`)))
	if problems != nil {
		t.Fatalf("problems = %q", problems)
	}
	f, err := set.RowFilter(customers)
	want := []string{`PRIV_PUBLIC: a = 1 by "all" (id 1)`, `PUBLIC: a = 2 by "all" (id 1)`}
	if err != nil || !reflect.DeepEqual(filterCases(f), want) {
		t.Errorf("RowFilter = %q, %v; want %q", filterCases(f), err, want)
	}
}
