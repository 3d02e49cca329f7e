package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/snowsync/snowsync/internal/snowflake"
)

// maskPolicy is an enabled data-mask policy named name on SALES.PUBLIC.<table>.<column> with the given
// extra JSON fields (items, priority...).
func maskPolicy(id int, name, table, column, extra string) string {
	return fmt.Sprintf(`{"id":%d,"name":%q,"policyType":1,"resources":{"database":{"values":["SALES"]},"schema":{"values":["PUBLIC"]},"table":{"values":[%q]},"column":{"values":[%q]}}%s}`,
		id, name, table, column, extra)
}

// maskItem is a data-mask item allowing select for the principals (JSON fragments such as
// `"groups":["g"]`) with the mask info.
func maskItem(principals, info string) string {
	return `{"accesses":[{"type":"select","isAllowed":true}],` + principals + `,"dataMaskInfo":` + info + `}`
}

var customers = Object{Type: snowflake.ObjectTable, Database: "SALES", Schema: "PUBLIC", Name: "CUSTOMERS"}

// cases renders a mask's cases as "role=type" strings (CUSTOM with its expression), for comparison.
func cases(m Mask) []string {
	var out []string
	for _, c := range m.Cases {
		s := c.Role + "=" + string(c.Type)
		if c.Expr != "" {
			s += "(" + c.Expr + ")"
		}
		out = append(out, s+" by "+c.Policy)
	}
	return out
}

// withServiceDef adds a serviceDef (a JSON object) to a document made by doc.
func withServiceDef(d []byte, serviceDef string) []byte {
	return append(bytes.TrimSuffix(d, []byte("}")), []byte(`,"serviceDef":`+serviceDef+`}`)...)
}

func mustParse(t *testing.T, data []byte) (*Set, []string) {
	t.Helper()
	set, problems, err := Parse(data, Mapping{})
	if err != nil {
		t.Fatal(err)
	}
	var ps []string
	for _, p := range problems {
		ps = append(ps, p.String())
	}
	return set, ps
}

func TestMaskOrder(t *testing.T) {
	// Ranger's order: policyPriority first, then the evaluation-order score (a "*" resource is evaluated
	// before an exact one), then the name; items in order; within an item users, groups, roles. A
	// role's later cases can never decide and are dropped, and nothing follows PUBLIC.
	set, problems := mustParse(t, doc(
		maskPolicy(1, "a exact", "CUSTOMERS", "SSN", `,"policyPriority":1,"dataMaskPolicyItems":[`+
			maskItem(`"users":["bob"],"groups":["analysts"],"roles":["auditor"]`, `{"dataMaskType":"MASK_SHOW_LAST_4"}`)+`,`+
			maskItem(`"groups":["support","analysts"]`, `{"dataMaskType":"MASK_NULL"}`)+`]`),
		maskPolicy(2, "z any table", "*", "SSN", `,"policyPriority":1,"dataMaskPolicyItems":[`+
			maskItem(`"groups":["support"]`, `{"dataMaskType":"MASK_HASH"}`)+`]`),
		maskPolicy(3, "override", "CUSTOMERS", "ssn", `,"policyPriority":2,"dataMaskPolicyItems":[`+
			maskItem(`"groups":["admins"]`, `{"dataMaskType":"MASK_NONE"}`)+`,`+
			maskItem(`"groups":["analysts"]`, `{"dataMaskType":"CUSTOM","valueExpr":"concat('*', {col})"}`)+`]`),
		maskPolicy(4, "everyone else", "CUSTOMERS", "*", `,"dataMaskPolicyItems":[`+
			maskItem(`"groups":["public"]`, `{"dataMaskType":"MASK"}`)+`,`+
			maskItem(`"groups":["late"]`, `{"dataMaskType":"MASK_NULL"}`)+`]`),
	))
	if problems != nil {
		t.Fatalf("problems = %q", problems)
	}
	m, err := set.Mask(customers, "ssn")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`PRIV_ADMINS=MASK_NONE by "override" (id 3)`,
		`PRIV_ANALYSTS=CUSTOM(concat('*', {col})) by "override" (id 3)`,
		`PRIV_SUPPORT=MASK_HASH by "z any table" (id 2)`,
		`PRIV_USER_BOB=MASK_SHOW_LAST_4 by "a exact" (id 1)`,
		`PRIV_AUDITOR=MASK_SHOW_LAST_4 by "a exact" (id 1)`,
		`PUBLIC=MASK by "everyone else" (id 4)`,
	}
	if got := cases(m); !reflect.DeepEqual(got, want) {
		t.Errorf("Mask(SSN) =\n  %q\nwant\n  %q", got, want)
	}

	// Another column: only the policy with column "*" applies.
	m, err = set.Mask(customers, "NAME")
	if err != nil || !reflect.DeepEqual(cases(m), []string{`PUBLIC=MASK by "everyone else" (id 4)`}) {
		t.Errorf("Mask(NAME) = %q, %v", cases(m), err)
	}
	other := Object{Type: snowflake.ObjectView, Database: "SALES", Schema: "PUBLIC", Name: "ORDERS"}
	if !set.MasksTable(other) {
		t.Error("MasksTable(ORDERS) = false, want true (policy 2 masks SSN of every table)")
	}
	if m, err := set.Mask(other, "TOTAL"); err != nil || !m.Empty() {
		t.Errorf("Mask(ORDERS.TOTAL) = %q, %v; want empty", cases(m), err)
	}
	for _, o := range []Object{
		{Type: snowflake.ObjectTable, Database: "SALES", Schema: "OTHER", Name: "CUSTOMERS"},
		{Type: snowflake.ObjectSchema, Database: "SALES", Schema: "PUBLIC"},
	} {
		if set.MasksTable(o) {
			t.Errorf("MasksTable(%+v) = true, want false", o)
		}
	}
	if s := set.Stats(); s.Masking != 4 || s.Failing != 0 || s.Applied != 0 {
		t.Errorf("Stats() = %+v, want 4 masking policies applied", s)
	}
}

func TestMaskResources(t *testing.T) {
	set, problems := mustParse(t, doc(
		`{"id":1,"name":"not ids","policyType":1,"resources":{"database":{"values":["SALES"]},"schema":{"values":["PUBLIC"]},"table":{"values":["CUSTOMERS"]},"column":{"values":["ID*"],"isExcludes":true}},"dataMaskPolicyItems":[`+
			maskItem(`"groups":["g"]`, `{"dataMaskType":"MASK_NULL"}`)+`]}`,
		maskPolicy(2, "disabled", "CUSTOMERS", "*", `,"isEnabled":false,"dataMaskPolicyItems":[`+
			maskItem(`"groups":["g"]`, `{"dataMaskType":"MASK"}`)+`]`),
	))
	if problems != nil {
		t.Fatalf("problems = %q", problems)
	}
	for col, want := range map[string]int{"ID": 0, "id_card": 0, "EMAIL": 1} {
		m, err := set.Mask(customers, col)
		if err != nil || len(m.Cases) != want {
			t.Errorf("Mask(%s) = %q, %v; want %d cases", col, cases(m), err, want)
		}
	}
	if s := set.Stats(); s.Masking != 1 || s.Disabled != 1 {
		t.Errorf("Stats() = %+v, want 1 masking, 1 disabled", s)
	}
}

func TestMaskUnexpressible(t *testing.T) {
	// A policy that cannot be expressed is reported, and fails exactly the columns it matches.
	tests := []struct {
		name, extra, problem string
	}{
		{"unknown type", `,"dataMaskPolicyItems":[` + maskItem(`"groups":["g"]`, `{"dataMaskType":"MASK_SHUFFLE"}`) + `]`,
			`item 1: mask type "MASK_SHUFFLE" is not one of Ranger's built-in types or CUSTOM`},
		{"custom without valueExpr", `,"dataMaskPolicyItems":[` + maskItem(`"groups":["g"]`, `{"dataMaskType":"CUSTOM","valueExpr":" "}`) + `]`,
			`item 1: CUSTOM mask without valueExpr`},
		{"no mask info", `,"dataMaskPolicyItems":[{"accesses":[{"type":"select"}],"groups":["g"]}]`,
			`item 1: no dataMaskInfo`},
		{"condition expression", `,"dataMaskPolicyItems":[` + maskItem(`"groups":["g"]`, `{"dataMaskType":"MASK","conditionExpr":"{col} > 0"}`) + `]`,
			`item 1: a mask conditionExpr cannot be expressed yet`},
		{"item conditions", `,"dataMaskPolicyItems":[` + maskItem(`"groups":["g"],"conditions":[{"type":"ip-range","values":["10.0.0.0/8"]}]`, `{"dataMaskType":"MASK"}`) + `]`,
			`item 1 has conditions, which cannot be expressed in a Snowflake masking policy`},
		{"policy conditions", `,"conditions":[{"type":"expr","values":["x"]}],"dataMaskPolicyItems":[` + maskItem(`"groups":["g"]`, `{"dataMaskType":"MASK"}`) + `]`,
			`policy conditions cannot be expressed in a Snowflake masking policy`},
		{"validity schedule", `,"validitySchedules":[{"startTime":"2026/01/01 00:00:00"}],"dataMaskPolicyItems":[` + maskItem(`"groups":["g"]`, `{"dataMaskType":"MASK"}`) + `]`,
			`validity schedules cannot be expressed in a Snowflake masking policy`},
		{"owner macro", `,"dataMaskPolicyItems":[` + maskItem(`"users":["{OWNER}"]`, `{"dataMaskType":"MASK"}`) + `]`,
			`item 1: user macro "{OWNER}" cannot be expressed in Snowflake`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, problems := mustParse(t, doc(
				maskPolicy(7, "bad", "CUSTOMERS", "SSN", tt.extra),
				maskPolicy(8, "good", "CUSTOMERS", "EMAIL", `,"dataMaskPolicyItems":[`+maskItem(`"groups":["g"]`, `{"dataMaskType":"MASK"}`)+`]`),
			))
			wantProblem := `policy "bad" (id 7): ` + tt.problem + `; the columns it masks fail`
			if !reflect.DeepEqual(problems, []string{wantProblem}) {
				t.Errorf("problems = %q, want %q", problems, wantProblem)
			}
			_, err := set.Mask(customers, "SSN")
			var ue *UnexpressibleError
			if !errors.As(err, &ue) || ue.Policy != `"bad" (id 7)` || err.Error() != `policy "bad" (id 7): `+tt.problem {
				t.Errorf("Mask(SSN) error = %v, want the policy's problem", err)
			}
			if m, err := set.Mask(customers, "EMAIL"); err != nil || len(m.Cases) != 1 {
				t.Errorf("Mask(EMAIL) = %q, %v; want one case, no error", cases(m), err)
			}
			if s := set.Stats(); s.Masking != 1 || s.Failing != 1 {
				t.Errorf("Stats() = %+v, want 1 masking, 1 failing", s)
			}
		})
	}
}

func TestMaskIgnoredItemsAndPolicies(t *testing.T) {
	set, problems := mustParse(t, withServiceDef(doc(
		maskPolicy(1, "m", "CUSTOMERS", "SSN", `,"dataMaskPolicyItems":[`+
			`{"accesses":[{"type":"update"}],"groups":["writers"],"dataMaskInfo":{"dataMaskType":"MASK"}},`+
			`{"accesses":[{"type":"select","isAllowed":false}],"groups":["denied"],"dataMaskInfo":{"dataMaskType":"MASK"}},`+
			`{"accesses":[{"type":"all"}],"groups":["all"],"dataMaskInfo":{"dataMaskType":"MASK_NULL"}}]`),
		`{"id":2,"name":"no column","policyType":1,"resources":{"database":{"values":["SALES"]},"schema":{"values":["PUBLIC"]},"table":{"values":["CUSTOMERS"]}},"dataMaskPolicyItems":[]}`,
	), `{"accessTypes":[{"name":"select"},{"name":"update"},{"name":"all","impliedGrants":["select","update"]}]}`))
	want := []string{
		`policy "m" (id 1): item 1 does not allow select; it never applies`,
		`policy "m" (id 1): item 2 does not allow select; it never applies`,
		`policy "no column" (id 2): data-mask policies need a "column" resource with values; policy ignored`,
	}
	if !reflect.DeepEqual(problems, want) {
		t.Errorf("problems =\n  %q\nwant\n  %q", problems, want)
	}
	m, err := set.Mask(customers, "SSN")
	if err != nil || !reflect.DeepEqual(cases(m), []string{`PRIV_ALL=MASK_NULL by "m" (id 1)`}) {
		t.Errorf("Mask(SSN) = %q, %v; want only the item allowing all (which implies select)", cases(m), err)
	}
	if s := set.Stats(); s.Masking != 1 || s.Ignored != 1 {
		t.Errorf("Stats() = %+v, want 1 masking, 1 ignored", s)
	}
}

func TestEvalOrder(t *testing.T) {
	// Figures from RangerOptimizedPolicyEvaluator.computeEvalOrder: 10000, minus resource discounts
	// (capped at 100), minus principals (25 for public), minus select/all access types, minus 25 when
	// there are no conditions.
	one := func(resources, items string) int {
		var rp rangerPolicy
		if err := json.Unmarshal([]byte(`{"resources":`+resources+`,"dataMaskPolicyItems":`+items+`}`), &rp); err != nil {
			t.Fatal(err)
		}
		return evalOrder(&rp, rp.DataMaskPolicyItems, 4)
	}
	exact := `{"database":{"values":["S"]},"table":{"values":["T"]}}`
	groups := `[{"accesses":[{"type":"select"}],"groups":["a","b"]}]`
	if got, want := one(exact, groups), 10000-2-6-25; got != want {
		t.Errorf("exact resources, 2 groups: %d, want %d", got, want)
	}
	wild := `{"database":{"values":["*"]},"table":{"values":["T*"],"isExcludes":true},"column":{"values":["c?"]}}`
	if got, want := one(wild, groups), 10000-(25+10+5+5)-2-6-25; got != want {
		t.Errorf("wildcards: %d, want %d", got, want)
	}
	public := `[{"accesses":[{"type":"select"}],"groups":["public"],"conditions":[{"type":"x"}]}]`
	if got, want := one(exact, public), 10000-25-6-20; got != want {
		t.Errorf("public with a condition: %d, want %d", got, want)
	}
}

func TestStatsLogValue(t *testing.T) {
	s := Stats{Service: "svc", Masking: 2, RowFilter: 1, Failing: 3}
	got := s.LogValue().String()
	for _, want := range []string{"masking_applied=2", "row_filter_applied=1", "data_policies_failing=3"} {
		if !strings.Contains(got, want) {
			t.Errorf("LogValue() = %s, want it to contain %s", got, want)
		}
	}
}

func TestSampleMask(t *testing.T) {
	set, _ := loadSample(t)
	pii := Object{Type: snowflake.ObjectTable, Database: "sales", Schema: "public", Name: "customers_pii"}
	m, err := set.Mask(pii, "ssn")
	if err != nil || !reflect.DeepEqual(cases(m), []string{`PRIV_ANALYSTS=MASK_HASH by "mask ssn" (id 12)`}) {
		t.Errorf("Mask(CUSTOMERS_PII.SSN) = %q, %v", cases(m), err)
	}
	if m, _ := set.Mask(pii, "NAME"); !m.Empty() || set.FiltersTable(pii) {
		t.Errorf("Mask(CUSTOMERS_PII.NAME) = %q, FiltersTable = %v; want neither", cases(m), set.FiltersTable(pii))
	}
}
