package policy

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/snowsync/snowsync/internal/snowflake"
)

// Ranger policy types (RangerPolicy.POLICY_TYPE_*).
const (
	policyTypeAccess    = 0
	policyTypeDataMask  = 1
	policyTypeRowFilter = 2
)

// document is the part of Ranger's ServicePolicies (agents-common .../plugin/util/ServicePolicies.java)
// that snowsync reads. Unknown fields are ignored, as Ranger's own client does.
type document struct {
	ServiceName   string                     `json:"serviceName"`
	PolicyVersion int64                      `json:"policyVersion"`
	Policies      *[]rangerPolicy            `json:"policies"`
	ServiceDef    *serviceDef                `json:"serviceDef"`
	TagPolicies   *policyList                `json:"tagPolicies"`
	SecurityZones map[string]json.RawMessage `json:"securityZones"`
}

type policyList struct {
	Policies []json.RawMessage `json:"policies"`
}

// serviceDef holds the access types of the service definition; an access type's impliedGrants (for
// example "all") expand to the access types it stands for.
type serviceDef struct {
	AccessTypes []struct {
		Name          string   `json:"name"`
		ImpliedGrants []string `json:"impliedGrants"`
	} `json:"accessTypes"`
}

// rangerPolicy mirrors RangerPolicy.java. Booleans that Ranger defaults to true when absent are pointers.
type rangerPolicy struct {
	ID                   int64                     `json:"id"`
	Name                 string                    `json:"name"`
	IsEnabled            *bool                     `json:"isEnabled"`
	PolicyType           int                       `json:"policyType"`
	PolicyPriority       int                       `json:"policyPriority"`
	Resources            map[string]rangerResource `json:"resources"`
	PolicyItems          []rangerItem              `json:"policyItems"`
	DenyPolicyItems      []rangerItem              `json:"denyPolicyItems"`
	AllowExceptions      []rangerItem              `json:"allowExceptions"`
	DenyExceptions       []rangerItem              `json:"denyExceptions"`
	DataMaskPolicyItems  []rangerDataItem          `json:"dataMaskPolicyItems"`
	RowFilterPolicyItems []rangerDataItem          `json:"rowFilterPolicyItems"`
	ValiditySchedules    []json.RawMessage         `json:"validitySchedules"`
	Conditions           []json.RawMessage         `json:"conditions"` // read for data-mask and row-filter policies
	IsDenyAllElse        bool                      `json:"isDenyAllElse"`
}

type rangerResource struct {
	Values     []string `json:"values"`
	IsExcludes bool     `json:"isExcludes"`
	// IsRecursive matters to Ranger for path resources only (database, schema and table ignore it),
	// but it counts in the evaluation order of data-mask and row-filter policies.
	IsRecursive bool `json:"isRecursive"`
}

type rangerItem struct {
	Accesses []struct {
		Type      string `json:"type"`
		IsAllowed *bool  `json:"isAllowed"`
	} `json:"accesses"`
	Users      []string          `json:"users"`
	Groups     []string          `json:"groups"`
	Roles      []string          `json:"roles"`
	Conditions []json.RawMessage `json:"conditions"`
}

// itemKind is one of the four item lists of an access policy.
type itemKind int

const (
	itemAllow itemKind = iota
	itemDeny
	itemAllowException
	itemDenyException
)

// conditionNote says what happens to an item with conditions, which Snowflake grants cannot express:
// snowsync takes the reading that grants less.
var conditionNote = [...]string{
	itemAllow:          "an allow item with conditions cannot be enforced by a Snowflake grant; item ignored",
	itemDeny:           "a deny item with conditions is applied unconditionally",
	itemAllowException: "an allow exception with conditions is applied unconditionally",
	itemDenyException:  "a deny exception with conditions cannot be enforced by a Snowflake grant; exception ignored",
}

// Parse reads a Ranger ServicePolicies JSON document and compiles its enabled access, data-mask and
// row-filter policies, naming roles with m. It returns an error, naming what is wrong, only for a
// document that cannot be read as ServicePolicies (not JSON, not an object, a field of the wrong type,
// no "policies" array).
//
// An access policy, item or access type that is invalid or not supported is ignored and reported as a
// Problem; it never contributes a grant. That covers an access type that does not exist at the policy's
// level, resources other than database/schema/table, column-level access policies, validity schedules,
// user macros such as {OWNER}, and the parts of a document snowsync does not apply: tag policies and
// security-zone policies.
//
// A data-mask or row-filter policy whose resources are malformed (a mask without a column resource, a
// filter with one) is ignored and reported. One whose content cannot be expressed in Snowflake (an
// unknown mask type, CUSTOM without valueExpr, a mask conditionExpr, item or policy conditions,
// validity schedules, a user macro other than {USER}) is reported and kept: Set.Mask and Set.RowFilter
// return an *UnexpressibleError for exactly the columns and tables it matches, so that they fail
// rather than go unmasked. An item that does not allow "select" never applies (reported, skipped).
//
// The Set keeps data (Set.Document): the caller must not modify it afterwards.
func Parse(data []byte, m Mapping) (*Set, []Problem, error) {
	if trimmed := bytes.TrimSpace(data); len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, nil, errors.New("parse service policies: the document is not a JSON object")
	}
	var doc document
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, nil, fmt.Errorf("parse service policies: %w", err)
	}
	if doc.Policies == nil {
		return nil, nil, errors.New(`parse service policies: no "policies" array (not a Ranger ServicePolicies document?)`)
	}
	p := parser{mapping: m, implied: doc.ServiceDef.impliedGrants()}
	if doc.ServiceDef != nil {
		p.accessTypes = len(doc.ServiceDef.AccessTypes)
	}
	set := &Set{stats: Stats{Service: doc.ServiceName, Version: doc.PolicyVersion, Policies: len(*doc.Policies)}, doc: data}
	if doc.TagPolicies != nil && len(doc.TagPolicies.Policies) > 0 {
		p.report("", fmt.Sprintf("%d tag-based policies are not supported; ignored", len(doc.TagPolicies.Policies)))
	}
	for _, zone := range slices.Sorted(maps.Keys(doc.SecurityZones)) {
		p.report("", fmt.Sprintf("security zone %q is not supported; its policies are ignored", zone))
	}
	roles := map[string]bool{}
	set.policies = make([]*policyEntry, 0, len(*doc.Policies))
	for i := range *doc.Policies {
		rp := &(*doc.Policies)[i]
		e := policyEntry{id: rp.ID, name: rp.Name, policyType: rp.PolicyType, enabled: rp.IsEnabled == nil || *rp.IsEnabled}
		set.policies = append(set.policies, &e)
		switch {
		case !e.enabled:
			set.stats.Disabled++
			continue
		case rp.PolicyType == policyTypeDataMask || rp.PolicyType == policyTypeRowFilter:
			e.data = p.compileData(rp)
			set.addData(e.data, rp.PolicyType)
			continue
		}
		r := p.compile(rp)
		if r == nil {
			set.stats.Ignored++
			continue
		}
		e.access = r
		set.stats.Applied++
		set.rules[r.level] = append(set.rules[r.level], r)
		for _, role := range r.allowRoles {
			roles[role] = true
		}
	}
	for l := range set.rules {
		slices.SortStableFunc(set.rules[l], func(a, b *rule) int { return cmp.Compare(b.priority, a.priority) })
	}
	sortDataRules(set.masks)
	sortDataRules(set.filters)
	set.roles = slices.Sorted(maps.Keys(roles))
	return set, p.problems, nil
}

// parser holds what compiling policies needs besides the policy itself.
type parser struct {
	mapping     Mapping
	implied     map[string][]string
	accessTypes int // access types in the serviceDef, 0 without one
	problems    []Problem
}

func (p *parser) report(policy, msg string) {
	pr := Problem{Policy: policy, Msg: msg}
	if !slices.Contains(p.problems, pr) {
		p.problems = append(p.problems, pr)
	}
}

// label names a policy in problems: its quoted name and its id.
func (rp *rangerPolicy) label() string {
	return strconv.Quote(rp.Name) + " (id " + strconv.FormatInt(rp.ID, 10) + ")"
}

// compile turns an enabled access policy into a rule, or reports why it cannot and returns nil.
func (p *parser) compile(rp *rangerPolicy) *rule {
	label := rp.label()
	if rp.PolicyType != policyTypeAccess {
		p.report(label, fmt.Sprintf("unknown policyType %d; ignored", rp.PolicyType))
		return nil
	}
	if len(rp.ValiditySchedules) > 0 {
		p.report(label, "validity schedules cannot be enforced by Snowflake grants; policy ignored")
		return nil
	}
	r := &rule{priority: rp.PolicyPriority, denyAllElse: rp.IsDenyAllElse}
	var ok bool
	if r.level, ok = p.resources(label, rp.Resources, &r.match); !ok {
		return nil
	}

	var lists [4]map[pair]bool
	for kind, items := range [...][]rangerItem{rp.PolicyItems, rp.DenyPolicyItems, rp.AllowExceptions, rp.DenyExceptions} {
		lists[kind] = p.items(label, itemKind(kind), items, r.level)
	}
	r.allow = minus(lists[itemAllow], lists[itemAllowException])
	r.deny = minus(lists[itemDeny], lists[itemDenyException])
	if r.denyAllElse {
		r.allowed = make(map[pair]bool, len(r.allow))
		for _, pr := range r.allow {
			r.allowed[pr] = true
		}
	}
	for _, pr := range r.allow {
		if !slices.Contains(r.allowRoles, pr.role) {
			r.allowRoles = append(r.allowRoles, pr.role)
		}
	}
	return r
}

// resources compiles the policy's resources into match and returns the policy's level.
func (p *parser) resources(label string, res map[string]rangerResource, match *resourceMatch) (level, bool) {
	keys := [levelCount]string{"database", "schema", "table"}
	for _, key := range slices.Sorted(maps.Keys(res)) {
		switch {
		case key == "column":
			p.report(label, "column-level access policies are not supported yet; policy ignored")
			return 0, false
		case !slices.Contains(keys[:], key):
			p.report(label, fmt.Sprintf("resource %q is not supported; policy ignored", key))
			return 0, false
		}
	}
	depth := level(-1)
	for l, key := range keys {
		r, ok := res[key]
		if !ok {
			continue
		}
		if depth != level(l)-1 {
			p.report(label, fmt.Sprintf("resource %q needs %s; policy ignored", key, strings.Join(keys[:l], " and ")))
			return 0, false
		}
		match[l] = newMatcher(r.Values, r.IsExcludes)
		if len(match[l].patterns) == 0 {
			p.report(label, fmt.Sprintf("resource %q has no values; policy ignored", key))
			return 0, false
		}
		depth = level(l)
	}
	if depth < levelDatabase {
		p.report(label, `no "database" resource; policy ignored`)
		return 0, false
	}
	return depth, true
}

// items turns one item list into the set of (role, privilege) pairs it names at lvl.
func (p *parser) items(label string, kind itemKind, items []rangerItem, lvl level) map[pair]bool {
	pairs := map[pair]bool{}
	for _, it := range items {
		if len(it.Conditions) > 0 {
			p.report(label, conditionNote[kind])
			if kind == itemAllow || kind == itemDenyException {
				continue
			}
		}
		privs := p.privileges(label, it, lvl)
		for _, role := range p.principals(label, it) {
			for _, priv := range privs {
				pairs[pair{role, priv}] = true
			}
		}
	}
	return pairs
}

// privileges returns the Snowflake privileges of an item's allowed accesses at lvl. An access type
// with impliedGrants in the service definition stands for those; it is reported only when none of
// them applies at lvl.
func (p *parser) privileges(label string, it rangerItem, lvl level) []snowflake.Privilege {
	var privs []snowflake.Privilege
	for _, a := range it.Accesses {
		if a.IsAllowed != nil && !*a.IsAllowed {
			continue
		}
		applied := false
		for _, name := range append([]string{a.Type}, p.implied[strings.ToLower(a.Type)]...) {
			priv := snowflake.PrivilegeFromAccessType(name)
			if lvl.objectType().Allows(priv) {
				applied = true
				if !slices.Contains(privs, priv) {
					privs = append(privs, priv)
				}
			}
		}
		if !applied {
			p.report(label, fmt.Sprintf("access %q does not apply to %s", a.Type, lvl))
		}
	}
	return privs
}

// principals returns the roles of an item's users, groups and Ranger roles.
func (p *parser) principals(label string, it rangerItem) []string {
	var roles []string
	for _, u := range it.Users {
		switch {
		case strings.TrimSpace(u) == "":
		case strings.HasPrefix(u, "{") && strings.HasSuffix(u, "}"):
			p.report(label, fmt.Sprintf("user macro %q is not supported; principal ignored", u))
		default:
			roles = append(roles, p.mapping.UserRole(u))
		}
	}
	for _, g := range slices.Concat(it.Groups, it.Roles) {
		if strings.TrimSpace(g) != "" {
			roles = append(roles, p.mapping.EntityRole(g))
		}
	}
	return roles
}

// impliedGrants maps a lower-case access type to the access types it implies; nil without a serviceDef.
func (d *serviceDef) impliedGrants() map[string][]string {
	if d == nil {
		return nil
	}
	implied := map[string][]string{}
	for _, at := range d.AccessTypes {
		if len(at.ImpliedGrants) > 0 {
			implied[strings.ToLower(at.Name)] = at.ImpliedGrants
		}
	}
	return implied
}

// minus returns the pairs of a that are not in b, sorted.
func minus(a, b map[pair]bool) []pair {
	var out []pair
	for pr := range a {
		if !b[pr] {
			out = append(out, pr)
		}
	}
	slices.SortFunc(out, func(x, y pair) int { return cmp.Or(cmp.Compare(x.role, y.role), cmp.Compare(x.priv, y.priv)) })
	return out
}
