package policy

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// RolePublic is the Snowflake role every session holds. Ranger's group "public" (every user) and user
// macro "{USER}" (the current user, so every user) map to it in data-mask and row-filter items.
const RolePublic = "PUBLIC"

// UnexpressibleError is returned by Set.Mask and Set.RowFilter for a column or table that an enabled
// data-mask or row-filter policy matches but that snowsync cannot render for Snowflake (an unknown mask
// type, conditions, validity schedules...). Policy is the policy's label, `"mask ssn" (id 12)`; the same
// policy and message were reported as a Problem when the document loaded.
type UnexpressibleError struct {
	Policy string
	Msg    string
}

func (e *UnexpressibleError) Error() string { return "policy " + e.Policy + ": " + e.Msg }

// rangerDataItem mirrors RangerDataMaskPolicyItem and RangerRowFilterPolicyItem.
type rangerDataItem struct {
	rangerItem
	DataMaskInfo  *dataMaskInfo `json:"dataMaskInfo"`
	RowFilterInfo *struct {
		FilterExpr string `json:"filterExpr"`
	} `json:"rowFilterInfo"`
}

type dataMaskInfo struct {
	DataMaskType  string `json:"dataMaskType"`
	ConditionExpr string `json:"conditionExpr"`
	ValueExpr     string `json:"valueExpr"`
}

// dataRule is one compiled, enabled data-mask or row-filter policy. A policy that cannot be expressed
// keeps its resources and carries err: every column (table) it matches fails with it.
type dataRule struct {
	label     string
	name      string
	priority  int
	evalOrder int
	tie       int // rules before it in Ranger's order with the same priority, evalOrder and name
	match     resourceMatch
	column    matcher // data-mask policies only
	err       *UnexpressibleError
	masks     []MaskCase   // data-mask policies
	filters   []FilterCase // row-filter policies
}

// matches reports whether the rule's database, schema and table resources match the lower-cased names.
func (r *dataRule) matches(names *[levelCount]string) bool {
	return r.match.matches(names, levelTable)
}

// tableNames returns o's lower-cased database, schema and table names, or false when o is not a table
// or view.
func tableNames(o Object) (*[levelCount]string, bool) {
	if lvl, ok := levelOf(o.Type); !ok || lvl != levelTable {
		return nil, false
	}
	names := o.lowerNames()
	return &names, true
}

// sortDataRules puts rules in the order Ranger evaluates data-mask and row-filter policies that match a
// resource: higher policyPriority first, then lower evalOrder, then by name
// (RangerPolicyEvaluator.EVAL_ORDER_COMPARATOR, which RangerPolicyRepository applies to the policies
// its resource trie finds; these policies have no deny items, so hasDeny never decides). Rules that tie
// keep the document's order, and record their rank among each other in tie.
func sortDataRules(rules []*dataRule) {
	order := func(a, b *dataRule) int {
		return cmp.Or(cmp.Compare(b.priority, a.priority), cmp.Compare(a.evalOrder, b.evalOrder), strings.Compare(a.name, b.name))
	}
	slices.SortStableFunc(rules, order)
	for i, r := range rules {
		if i > 0 && order(rules[i-1], r) == 0 {
			r.tie = rules[i-1].tie + 1
		}
	}
}

// Ranger's evaluation-order score (RangerOptimizedPolicyEvaluator.computeEvalOrder): a policy starts at
// evalScoreDefault and is discounted for wildcard resources and for broad principals and accesses;
// lower scores are evaluated first.
const (
	evalScoreDefault          = 10000
	evalMaxDiscountResource   = 100
	evalMaxDiscountPrincipals = 25
	evalMaxDiscountAccesses   = 25
	evalMaxDiscountConditions = 25
	evalDiscountMatchAny      = 25
	evalDiscountHasStar       = 10
	evalDiscountHasQuestion   = 5
	evalDiscountExcludes      = 5
	evalDiscountRecursive     = 5
	evalPenaltyCondition      = 5
	evalPenaltyDynamic        = 20
)

// evalOrder computes Ranger's evaluation-order score of a data policy. accessTypes is the number of
// access types of the serviceDef (0 when the document has none: then the access-type discount, which
// is the same for every data policy of such a document, is left out).
func evalOrder(rp *rangerPolicy, items []rangerDataItem, accessTypes int) int {
	order := evalScoreDefault
	discount, dynamic := 0, false
	for _, res := range rp.Resources {
		if len(res.Values) == 0 {
			continue
		}
		matchAny, star, question := false, false, false
		for _, v := range res.Values {
			dynamic = dynamic || strings.Contains(v, "${{")
			switch {
			case v == "" || v == "*":
				matchAny = true
			case strings.Contains(v, "*"):
				star = true
			case strings.Contains(v, "?"):
				question = true
			}
		}
		switch {
		case matchAny:
			discount += evalDiscountMatchAny
			continue
		case star:
			discount += evalDiscountHasStar
		case question:
			discount += evalDiscountHasQuestion
		}
		if res.IsExcludes {
			discount += evalDiscountExcludes
		}
		if res.IsRecursive {
			discount += evalDiscountRecursive
		}
	}
	if dynamic {
		order += evalPenaltyDynamic
	}
	order -= min(evalMaxDiscountResource, discount)

	users, groups, accesses := map[string]bool{}, map[string]bool{}, map[string]bool{}
	conditions := len(rp.Conditions)
	for _, it := range items {
		for _, u := range it.Users {
			users[u] = true
		}
		for _, g := range it.Groups {
			groups[g] = true
		}
		for _, a := range it.Accesses {
			if a.IsAllowed == nil || *a.IsAllowed {
				accesses[a.Type] = true
			}
		}
		conditions += len(it.Conditions)
	}
	public := rp.IsDenyAllElse
	for g := range groups {
		public = public || strings.EqualFold(g, "public")
	}
	for u := range users {
		public = public || strings.EqualFold(u, "{USER}")
	}
	if public {
		order -= evalMaxDiscountPrincipals
	} else {
		order -= min(len(users)+len(groups), evalMaxDiscountPrincipals)
	}
	if accessTypes > 0 {
		order -= int(float64(evalMaxDiscountAccesses*len(accesses))/float64(accessTypes) + 0.5)
	}
	if d := evalMaxDiscountConditions - evalPenaltyCondition*conditions; d > 0 {
		order -= d
	}
	return order
}

// compileData compiles an enabled data-mask or row-filter policy, or reports why its resources make it
// unusable and returns nil. A policy whose items cannot be expressed is returned with err set (and
// reported).
func (p *parser) compileData(rp *rangerPolicy) *dataRule {
	label := rp.label()
	kind, what := "data-mask", "columns it masks"
	items := rp.DataMaskPolicyItems
	if rp.PolicyType == policyTypeRowFilter {
		kind, what, items = "row-filter", "tables it filters", rp.RowFilterPolicyItems
	}
	r := &dataRule{label: label, name: rp.Name, priority: rp.PolicyPriority, evalOrder: evalOrder(rp, items, p.accessTypes)}

	tableRes := make(map[string]rangerResource, len(rp.Resources))
	for k, v := range rp.Resources {
		if k != "column" {
			tableRes[k] = v
		}
	}
	lvl, ok := p.resources(label, tableRes, &r.match)
	if !ok {
		return nil
	}
	col, hasCol := rp.Resources["column"]
	switch {
	case lvl != levelTable:
		p.report(label, kind+" policies need database, schema and table resources; policy ignored")
		return nil
	case rp.PolicyType == policyTypeDataMask && (!hasCol || len(newMatcher(col.Values, col.IsExcludes).patterns) == 0):
		p.report(label, `data-mask policies need a "column" resource with values; policy ignored`)
		return nil
	case rp.PolicyType == policyTypeRowFilter && hasCol:
		p.report(label, `row-filter policies cannot have a "column" resource; policy ignored`)
		return nil
	}
	if hasCol {
		r.column = newMatcher(col.Values, col.IsExcludes)
	}

	fail := func(msg string) *dataRule {
		r.err = &UnexpressibleError{Policy: label, Msg: msg}
		r.masks, r.filters = nil, nil
		p.report(label, msg+"; the "+what+" fail")
		return r
	}
	switch {
	case len(rp.ValiditySchedules) > 0:
		return fail("validity schedules cannot be expressed in a Snowflake " + snowflakeKind(rp.PolicyType))
	case len(rp.Conditions) > 0:
		return fail("policy conditions cannot be expressed in a Snowflake " + snowflakeKind(rp.PolicyType))
	}
	for i, it := range items {
		n := i + 1
		if !p.selects(it) {
			p.report(label, fmt.Sprintf("item %d does not allow select; it never applies", n))
			continue
		}
		if len(it.Conditions) > 0 {
			return fail(fmt.Sprintf("item %d has conditions, which cannot be expressed in a Snowflake %s", n, snowflakeKind(rp.PolicyType)))
		}
		roles, err := dataPrincipals(p.mapping, it)
		if err != "" {
			return fail(fmt.Sprintf("item %d: %s", n, err))
		}
		if rp.PolicyType == policyTypeDataMask {
			c, err := maskCase(it.DataMaskInfo)
			if err != "" {
				return fail(fmt.Sprintf("item %d: %s", n, err))
			}
			for _, role := range roles {
				c.Role, c.Policy = role, label
				r.masks = append(r.masks, c)
			}
			continue
		}
		expr := ""
		if it.RowFilterInfo != nil {
			expr = strings.TrimSpace(it.RowFilterInfo.FilterExpr)
		}
		for _, role := range roles {
			r.filters = append(r.filters, FilterCase{Role: role, Expr: expr, Policy: label})
		}
	}
	return r
}

// snowflakeKind names the Snowflake policy kind a Ranger policy type becomes.
func snowflakeKind(policyType int) string {
	if policyType == policyTypeRowFilter {
		return "row access policy"
	}
	return "masking policy"
}

// selects reports whether an item allows "select" (directly or through an access type whose
// impliedGrants include it): Ranger asks data-mask and row-filter items for the "select" access type
// only (RangerDefaultPolicyItemEvaluator.isMatch), so another item never applies.
func (p *parser) selects(it rangerDataItem) bool {
	for _, a := range it.Accesses {
		if a.IsAllowed != nil && !*a.IsAllowed {
			continue
		}
		if strings.EqualFold(a.Type, "select") || slices.ContainsFunc(p.implied[strings.ToLower(a.Type)], func(s string) bool {
			return strings.EqualFold(s, "select")
		}) {
			return true
		}
	}
	return false
}

// dataPrincipals returns the roles of a data item's users, groups and Ranger roles, in that order
// (each list in its own order). Group "public" and user "{USER}" become RolePublic. Another user macro
// cannot be expressed and is returned as a message.
func dataPrincipals(m Mapping, it rangerDataItem) ([]string, string) {
	var roles []string
	for _, u := range it.Users {
		switch {
		case strings.TrimSpace(u) == "":
		case u == "{USER}":
			roles = append(roles, RolePublic)
		case strings.HasPrefix(u, "{") && strings.HasSuffix(u, "}"):
			return nil, fmt.Sprintf("user macro %q cannot be expressed in Snowflake", u)
		default:
			roles = append(roles, m.UserRole(u))
		}
	}
	for _, g := range it.Groups {
		switch {
		case strings.TrimSpace(g) == "":
		case g == "public":
			roles = append(roles, RolePublic)
		default:
			roles = append(roles, m.EntityRole(g))
		}
	}
	for _, r := range it.Roles {
		if strings.TrimSpace(r) != "" {
			roles = append(roles, m.EntityRole(r))
		}
	}
	return roles, ""
}
