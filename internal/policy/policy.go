// Package policy reads Apache Ranger access policies and answers one question for the sync engine:
// which (role, privilege) pairs do the policies demand on a given Snowflake object (DESIGN §6)?
//
// A Ranger ServicePolicies document (from a file, an https or blob SAS URL, or a Ranger Admin's plugin
// download API; see Source and Cache) is parsed once into a Set: wildcards are compiled, exceptions
// are folded into each policy, and policies are indexed by level, so that Set.Desired is cheap enough to
// call for every object of a large database.
//
// Principals become Snowflake roles through a Mapping. Because each principal becomes its own role,
// Ranger precedence (deny beats allow, exceptions carve out of each) is applied per role: a deny for
// group "contractors" removes privileges from role PRIV_CONTRACTORS only, never from another role that
// a contractor may also hold in Snowflake.
//
// Ranger features a Snowflake grant cannot express are resolved toward granting less, and reported as
// a Problem when the document loads: an allow item or a deny exception with conditions (an IP range,
// a time of day) is ignored, a deny item or an allow exception with conditions is applied
// unconditionally, and a policy with validity schedules is ignored (a grant cannot expire on its own).
// policyPriority (override policies decide before normal ones) and isDenyAllElse are honoured as Ranger
// evaluates them, and an access type the serviceDef gives impliedGrants (such as "all") stands for
// those access types.
//
// Data-mask and row-filter policies answer two more questions, per column (Set.Mask) and per table
// (Set.RowFilter): an ordered list of (role, mask or filter) cases, the first case whose role a
// session holds deciding, as Ranger's first matching policy and first matching item decide for a user.
// Principals map through the same Mapping as for access policies, except that group "public" and user
// "{USER}", which match every user in Ranger, become Snowflake's role PUBLIC (RolePublic), which every
// session holds. Rendering the cases as Snowflake masking and row access policies is package
// datapolicy's job.
//
// Diff compares two Sets, the one in effect and a new version, and tells which objects' answers may
// differ between them (Change.Affects), so that a new policy version is applied to those objects only.
package policy

import (
	"cmp"
	"log/slog"
	"slices"
	"strings"

	"github.com/snowsync/snowsync/internal/snowflake"
)

// Default role-name prefixes (CONNECTOR_SNOWFLAKE_ENTITY_ROLE_PREFIX, CONNECTOR_SNOWFLAKE_USER_ROLE_PREFIX).
const (
	DefaultEntityPrefix = "PRIV_"
	DefaultUserPrefix   = "PRIV_USER_"
)

// Mapping turns Ranger principals into Snowflake role names: group G and Ranger role R become
// EntityPrefix+G and EntityPrefix+R, user U becomes UserPrefix+U. An empty prefix means the default
// (DefaultEntityPrefix, DefaultUserPrefix), so the zero Mapping is the documented default.
//
// Names are upper-cased (prefix included), as Snowflake stores unquoted identifiers, unless
// PreserveCase is set. No other change is made: characters outside [A-Za-z0-9_$] (a group "data-eng",
// "Domain Users") are kept, so the role is PRIV_DATA-ENG, a name that exists in Snowflake only as a
// quoted identifier. That is safe because snowsync always quotes role names in SQL, but such a role
// can only be referred to quoted ("PRIV_DATA-ENG") by people using it. A Ranger group and a Ranger role
// with the same name map to the same Snowflake role.
type Mapping struct {
	EntityPrefix string
	UserPrefix   string
	PreserveCase bool
}

// EntityRole returns the Snowflake role for a Ranger group or Ranger role.
func (m Mapping) EntityRole(name string) string {
	return m.normalize(cmp.Or(m.EntityPrefix, DefaultEntityPrefix) + name)
}

// UserRole returns the Snowflake role for a Ranger user.
func (m Mapping) UserRole(name string) string {
	return m.normalize(cmp.Or(m.UserPrefix, DefaultUserPrefix) + name)
}

// Manages reports whether role carries one of the mapping's prefixes, that is whether a policy could
// have produced it. Names are compared as EntityRole and UserRole produce them (upper case unless
// PreserveCase).
func (m Mapping) Manages(role string) bool {
	return strings.HasPrefix(role, m.EntityRole("")) || strings.HasPrefix(role, m.UserRole(""))
}

func (m Mapping) normalize(s string) string {
	if m.PreserveCase {
		return s
	}
	return strings.ToUpper(s)
}

// Object names a Snowflake object whose desired grants are asked for. Database is always set; Schema
// for schemas, tables and views; Name for tables and views.
type Object struct {
	Type     snowflake.ObjectType
	Database string
	Schema   string
	Name     string
}

// lowerNames returns o's database, schema and name, lower-cased for matching.
func (o Object) lowerNames() [levelCount]string {
	return [levelCount]string{strings.ToLower(o.Database), strings.ToLower(o.Schema), strings.ToLower(o.Name)}
}

// Grant is one privilege the policies demand for a role on an object. Implied is true for a USAGE that
// no policy grants explicitly but that the role needs to reach objects below (a database or schema
// holding objects it was granted privileges on).
type Grant struct {
	Role      string
	Privilege snowflake.Privilege
	Implied   bool
}

// Problem is a policy, or a part of one, that was ignored when the document was loaded: invalid, or
// not supported (yet). Policy is the policy's quoted name and id (`"sales read" (id 7)`), empty for a
// problem of the whole document.
type Problem struct {
	Policy string
	Msg    string
}

// String renders the problem for a log line: `policy "sales read" (id 7): access "insert" does not
// apply to database`.
func (p Problem) String() string {
	if p.Policy == "" {
		return p.Msg
	}
	return "policy " + p.Policy + ": " + p.Msg
}

// Stats summarizes a loaded document, for the load report.
type Stats struct {
	Service   string // serviceName
	Version   int64  // policyVersion
	Policies  int    // policies in the document
	Applied   int    // enabled access policies in effect
	Disabled  int    // isEnabled false
	Masking   int    // enabled data-mask policies in effect
	RowFilter int    // enabled row-filter policies in effect
	Failing   int    // enabled data-mask and row-filter policies that cannot be expressed: what they match fails
	Ignored   int    // enabled policies dropped with a Problem
}

// LogValue renders the stats as a slog group.
func (s Stats) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("service", s.Service), slog.Int64("version", s.Version),
		slog.Int("policies", s.Policies), slog.Int("applied", s.Applied), slog.Int("disabled", s.Disabled),
		slog.Int("masking_applied", s.Masking), slog.Int("row_filter_applied", s.RowFilter),
		slog.Int("data_policies_failing", s.Failing), slog.Int("ignored", s.Ignored))
}

// Set is a parsed, compiled policy document. It is immutable and safe for concurrent use.
type Set struct {
	stats   Stats
	rules   [levelCount][]*rule // by level, higher priority first
	masks   []*dataRule         // data-mask policies in Ranger's evaluation order
	filters []*dataRule         // row-filter policies in Ranger's evaluation order
	roles   []string            // sorted
	// policies are all the document's policies, in its order, for Diff.
	policies []*policyEntry
	// staleErr is why the set may be out of date (Stale); nil for a set its source confirmed current.
	staleErr error
	// doc is the document the set was parsed from (Document).
	doc []byte
}

// addData records a compiled data-mask or row-filter policy (nil: dropped with a Problem).
func (s *Set) addData(r *dataRule, policyType int) {
	switch {
	case r == nil:
		s.stats.Ignored++
		return
	case r.err != nil:
		s.stats.Failing++
	case policyType == policyTypeDataMask:
		s.stats.Masking++
	default:
		s.stats.RowFilter++
	}
	if policyType == policyTypeDataMask {
		s.masks = append(s.masks, r)
	} else {
		s.filters = append(s.filters, r)
	}
}

// Version returns the document's policyVersion (0 when absent).
func (s *Set) Version() int64 { return s.stats.Version }

// Document returns the document the set was parsed from, byte for byte, so that it can be kept and
// parsed again to compare a later set with it (Diff). The caller must not modify it.
func (s *Set) Document() []byte { return s.doc }

// Stats returns the load report of the document.
func (s *Set) Stats() Stats { return s.stats }

// Roles returns, sorted, every role that some policy can grant a privilege to. The caller must not
// modify the result.
func (s *Set) Roles() []string { return s.roles }

// level is the depth of a policy's resources, and of an object.
type level int

const (
	levelDatabase level = iota
	levelSchema
	levelTable
	levelCount
)

// objectType is the object type whose privileges a policy at the level may grant (views take the
// subset of table privileges that ObjectView allows).
func (l level) objectType() snowflake.ObjectType {
	return [levelCount]snowflake.ObjectType{snowflake.ObjectDatabase, snowflake.ObjectSchema, snowflake.ObjectTable}[l]
}

func (l level) String() string { return [levelCount]string{"database", "schema", "table"}[l] }

// levelOf returns the level of objects of type t.
func levelOf(t snowflake.ObjectType) (level, bool) {
	switch t {
	case snowflake.ObjectDatabase:
		return levelDatabase, true
	case snowflake.ObjectSchema:
		return levelSchema, true
	case snowflake.ObjectTable, snowflake.ObjectView:
		return levelTable, true
	}
	return 0, false
}

// pair is a role holding a privilege.
type pair struct {
	role string
	priv snowflake.Privilege
}

// rule is one compiled access policy.
type rule struct {
	priority    int
	level       level
	match       resourceMatch
	allow       []pair        // allow items minus allow exceptions, de-duplicated
	deny        []pair        // deny items minus deny exceptions, de-duplicated
	denyAllElse bool          // isDenyAllElse: every pair not in allowed is denied
	allowed     map[pair]bool // set of allow, only for denyAllElse
	allowRoles  []string      // distinct roles of allow, for implied USAGE
}

// Desired returns the grants the policies demand on o, sorted by role then privilege, one per pair.
// An object of a type the policies do not cover gets none.
//
// Policies at o's level whose resources match o decide: per (role, privilege), policies with a higher
// policyPriority decide first; within a priority a deny (not carved out by a denyException, or an
// isDenyAllElse policy not allowing it) beats an allow (not carved out by an allowException). For a
// view only privileges that Snowflake accepts on views are returned.
//
// For a database or schema, a role that deeper policies allow anything on objects that may lie under o
// also gets USAGE on o, marked Implied, unless a policy explicitly grants it (then not Implied) or
// denies it (then not at all).
func (s *Set) Desired(o Object) []Grant {
	lvl, ok := levelOf(o.Type)
	if !ok {
		return nil
	}
	names := o.lowerNames()
	decided := s.decide(lvl, &names)

	var grants []Grant
	for p, ok := range decided {
		if ok && (o.Type != snowflake.ObjectView || snowflake.ObjectView.Allows(p.priv)) {
			grants = append(grants, Grant{Role: p.role, Privilege: p.priv})
		}
	}
	for deeper := lvl + 1; deeper < levelCount; deeper++ {
		for _, r := range s.rules[deeper] {
			if !r.match.matches(&names, lvl) {
				continue
			}
			for _, role := range r.allowRoles {
				p := pair{role, snowflake.PrivilegeUsage}
				if _, seen := decided[p]; !seen {
					decided[p] = true
					grants = append(grants, Grant{Role: role, Privilege: snowflake.PrivilegeUsage, Implied: true})
				}
			}
		}
	}
	slices.SortFunc(grants, func(a, b Grant) int {
		return cmp.Or(cmp.Compare(a.Role, b.Role), cmp.Compare(a.Privilege, b.Privilege))
	})
	return grants
}

// decide applies Ranger precedence to the rules at lvl that match names: true = allowed, false = denied.
func (s *Set) decide(lvl level, names *[levelCount]string) map[pair]bool {
	decided := make(map[pair]bool)
	var fences []*rule // matching isDenyAllElse rules of this or a higher priority
	rules := s.rules[lvl]
	for start := 0; start < len(rules); {
		end := start + 1
		for end < len(rules) && rules[end].priority == rules[start].priority {
			end++
		}
		var allowed []pair
		for _, r := range rules[start:end] {
			if !r.match.matches(names, lvl) {
				continue
			}
			for _, p := range r.deny {
				if _, ok := decided[p]; !ok {
					decided[p] = false
				}
			}
			allowed = append(allowed, r.allow...)
			if r.denyAllElse {
				fences = append(fences, r)
			}
		}
		for _, p := range allowed {
			if _, ok := decided[p]; !ok {
				decided[p] = !slices.ContainsFunc(fences, func(f *rule) bool { return !f.allowed[p] })
			}
		}
		start = end
	}
	return decided
}
