package policy

import (
	"cmp"
	"maps"
	"slices"
	"strings"
)

// Change is what differs between two policy sets (Diff): the policies whose contribution changed, and,
// through Affects and Reaches, the Snowflake objects whose desired state (Set.Desired, Set.Mask,
// Set.RowFilter) may differ between them.
//
// The contract is conservative: an object whose desired state differs is always affected; an affected
// object may turn out to need nothing (a policy changed in a way that leaves its outcome on that object
// equal, or another policy decides it the same way either side). It is exact at the level of
// policies: an object that no changed policy's resources (old side or new side) match is never
// affected, because Set's answers for an object depend only on the policies whose resources match it
// (for a database or schema, also on deeper policies that imply USAGE on it). For a policy whose only
// change is its resources (the most common edit: a schema added, a table wildcard narrowed) it is
// exact at the level of objects too: the policy affects only the objects that exactly one side's
// resources match, as on an object both sides match it contributes the same.
//
// Objects are matched as Ranger matches them, case-insensitively; resolving them against Snowflake's
// inventory, and keeping to the managed scope, is the caller's job. Databases, Schemas and Tables tell
// when the changed policies name objects literally, so that nothing needs listing.
type Change struct {
	// From and To are the policyVersion of the old and the new set (0 for a missing set).
	From, To int64
	// Policies are the changed policies, by id.
	Policies []PolicyChange

	all    bool
	scopes []scope
}

// ChangeKind says how a policy's contribution changed.
type ChangeKind string

// The kinds of change. A policy that is disabled, or ignored with a Problem, contributes nothing.
const (
	PolicyAdded    ChangeKind = "ADDED"    // the id is new and its policy contributes
	PolicyRemoved  ChangeKind = "REMOVED"  // the id is gone and its policy contributed
	PolicyEnabled  ChangeKind = "ENABLED"  // isEnabled became true
	PolicyDisabled ChangeKind = "DISABLED" // isEnabled became false
	PolicyChanged  ChangeKind = "CHANGED"  // anything else, and every change of an id that several policies share
)

// PolicyChange is one policy id whose contribution differs between the sets. Old and New are the
// resources of its policies that contribute in the old and the new set (none for a disabled or ignored
// policy); the objects they match are affected, or, when the resources alone changed (see Diff), those
// that exactly one side matches.
type PolicyChange struct {
	ID   int64
	Name string // the name in the new set, else in the old one
	Kind ChangeKind
	Old  []Resources
	New  []Resources
}

// Resources are a policy's resources as written in Ranger. Schema, Table and Column are zero for a
// policy that does not have them (a database- or schema-level access policy; Column is set for
// data-mask policies only).
type Resources struct {
	Database, Schema, Table, Column Values
}

// Values is one Ranger resource: case-insensitive wildcard values (blanks dropped), inverted by
// isExcludes.
type Values struct {
	Values   []string
	Excludes bool
}

// Names returns the values when each names one object (no '*' or '?', not isExcludes), and false when
// the objects they match can only be found by listing.
func (v Values) Names() ([]string, bool) {
	if v.Excludes || slices.ContainsFunc(v.Values, func(s string) bool { return strings.ContainsAny(s, "*?") }) {
		return nil, false
	}
	return v.Values, true
}

// Diff returns what differs between the sets from (the one in effect) and to (the new one). Policies are
// paired by id and compared by what they contribute once compiled: resources, items as (role,
// privilege) pairs, masks and filters, priority, isDenyAllElse, and for data-mask and row-filter
// policies their place in Ranger's evaluation order (name, evalOrder, ties). So an edit that changes
// nothing snowsync reads (a description, audit flags) is no change, while a change of the serviceDef's
// impliedGrants, or of the role Mapping, changes every policy it touches. A policy whose resources
// alone changed (one policy with the id on each side, both contributing, equal in everything else,
// evaluation order included) affects the objects that exactly one side matches; any other change of an
// id affects every object that its old or its new resources match.
//
// A nil from or to (no set applied yet, or none to compare with) gives a Change that affects every
// object (All).
func Diff(from, to *Set) *Change {
	c := &Change{}
	if from != nil {
		c.From = from.Version()
	}
	if to != nil {
		c.To = to.Version()
	}
	if from == nil || to == nil {
		c.all = true
		return c
	}
	before, after := byID(from.policies), byID(to.policies)
	ids := slices.Collect(maps.Keys(before))
	for id := range after {
		if _, ok := before[id]; !ok {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		was, now := before[id], after[id]
		if sameEffects(was, now) {
			continue
		}
		pc := PolicyChange{ID: id, Kind: kindOf(was, now)}
		if resourcesOnly(was, now) {
			pc.Old, pc.New = c.addMoved(was[0], now[0])
		} else {
			pc.Old, pc.New = c.add(was), c.add(now)
		}
		if len(now) > 0 {
			pc.Name = now[0].name
		} else {
			pc.Name = was[0].name
		}
		c.Policies = append(c.Policies, pc)
	}
	return c
}

// All reports whether every object is affected: Diff lacked a set to compare.
func (c *Change) All() bool { return c.all }

// Empty reports whether no object is affected.
func (c *Change) Empty() bool { return !c.all && len(c.Policies) == 0 }

// Affects reports whether o's own desired state may differ: a changed policy at o's level matches o, or,
// for a database or schema, a deeper changed access policy that allows something matches it and so may
// imply USAGE on it; for a policy whose resources alone changed, one side matches o and the other does
// not. An object of a type the policies do not cover is not affected.
func (c *Change) Affects(o Object) bool {
	lvl, ok := levelOf(o.Type)
	if !ok {
		return false
	}
	if c.all {
		return true
	}
	names := o.lowerNames()
	for i := range c.scopes {
		if c.scopes[i].affects(&names, lvl) {
			return true
		}
	}
	return false
}

// Reaches reports whether objects under o (a database or a schema) may be affected, so that the caller
// must look at o's schemas or objects: a changed policy at a deeper level matches o (for a policy whose
// resources alone changed: one side matches o and the other does not, or both do and their deeper
// resources differ). It is false for a table or view, and for a type the policies do not cover.
func (c *Change) Reaches(o Object) bool {
	lvl, ok := levelOf(o.Type)
	if !ok || lvl == levelTable {
		return false
	}
	if c.all {
		return true
	}
	names := o.lowerNames()
	for i := range c.scopes {
		if c.scopes[i].reaches(&names, lvl) {
			return true
		}
	}
	return false
}

// Databases returns the databases that may be affected or reached, as the changed policies name them
// (case-insensitive; duplicates removed), or false when some changed policy's database resource has a
// wildcard or isExcludes (or All): then every database in scope must be listed and tested with Affects
// and Reaches.
func (c *Change) Databases() ([]string, bool) {
	return c.names(levelDatabase, Object{})
}

// Schemas returns the schemas of database that may be affected or reached (see Databases), or false
// when they must be listed.
func (c *Change) Schemas(database string) ([]string, bool) {
	return c.names(levelSchema, Object{Database: database})
}

// Tables returns the tables and views of database.schema that may be affected (see Databases), or false
// when they must be listed.
func (c *Change) Tables(database, schema string) ([]string, bool) {
	return c.names(levelTable, Object{Database: database, Schema: schema})
}

// names returns the literal values of the resource at lvl of every changed policy that reaches that
// level and parent (for lvl below the database), from each side whose resources above lvl match
// parent's names.
func (c *Change) names(lvl level, parent Object) ([]string, bool) {
	if c.all {
		return nil, false
	}
	names := parent.lowerNames()
	seen := map[string]bool{}
	var out []string
	for i := range c.scopes {
		s := &c.scopes[i]
		if s.level < lvl || lvl > levelDatabase && !s.reaches(&names, lvl-1) {
			continue
		}
		for _, side := range s.sides() {
			if lvl > levelDatabase && !side.matches(&names, lvl-1) {
				continue
			}
			m := side[lvl]
			literal, ok := Values{Values: m.values, Excludes: m.excludes}.Names()
			if !ok {
				return nil, false
			}
			for _, n := range literal {
				if key := strings.ToLower(n); !seen[key] {
					seen[key] = true
					out = append(out, n)
				}
			}
		}
	}
	slices.SortFunc(out, func(a, b string) int { return cmp.Compare(strings.ToLower(a), strings.ToLower(b)) })
	return out, true
}

// scope is the reach of one contributing side of a changed policy, or of both sides of a policy whose
// resources alone changed (moved).
type scope struct {
	level   level
	match   resourceMatch
	parents bool // an access policy that allows something: it implies USAGE on the database and schema
	// moved, when set, holds the old resources of a policy that is otherwise the same on both sides
	// (match holds the new ones): an object that both match gets the same contribution from either.
	moved *resourceMatch
}

// sides returns the resources the scope matches with: match, and moved when set.
func (s *scope) sides() []*resourceMatch {
	if s.moved != nil {
		return []*resourceMatch{&s.match, s.moved}
	}
	return []*resourceMatch{&s.match}
}

// affects reports whether the scope may change the desired state of the object at lvl with the
// lower-cased names: it is at that level, or deeper and implies USAGE, and it matches the object (when
// moved: exactly one side does).
func (s *scope) affects(names *[levelCount]string, lvl level) bool {
	if s.level != lvl && !(s.level > lvl && s.parents) {
		return false
	}
	matched := s.match.matches(names, lvl)
	if s.moved == nil {
		return matched
	}
	return matched != s.moved.matches(names, lvl)
}

// reaches reports whether the scope may affect objects under the database or schema at lvl with the
// lower-cased names: it is deeper and matches the object; when moved, exactly one side matches it, or
// both do but their resources below lvl differ (then some object under it may be matched by one side
// only; which, only a listing tells).
func (s *scope) reaches(names *[levelCount]string, lvl level) bool {
	if s.level <= lvl {
		return false
	}
	matched := s.match.matches(names, lvl)
	switch {
	case s.moved == nil:
		return matched
	case matched != s.moved.matches(names, lvl):
		return true
	case !matched:
		return false
	}
	for l := lvl + 1; l <= s.level; l++ {
		if !s.match[l].equal(s.moved[l]) {
			return true
		}
	}
	return false
}

// add records the scopes of the contributing entries and returns their resources.
func (c *Change) add(entries []*policyEntry) []Resources {
	var out []Resources
	for _, e := range entries {
		if e.contributes() {
			s, r := scopeOf(e)
			c.scopes = append(c.scopes, s)
			out = append(out, r)
		}
	}
	return out
}

// addMoved records the scope of a policy whose resources alone changed from was to now (see
// resourcesOnly) and returns its old and new resources.
func (c *Change) addMoved(was, now *policyEntry) (before, after []Resources) {
	from, fromRes := scopeOf(was)
	s, toRes := scopeOf(now)
	s.moved = &from.match
	c.scopes = append(c.scopes, s)
	return []Resources{fromRes}, []Resources{toRes}
}

// scopeOf returns the scope and the resources of a contributing entry.
func scopeOf(e *policyEntry) (scope, Resources) {
	if r := e.access; r != nil {
		return scope{level: r.level, match: r.match, parents: len(r.allowRoles) > 0}, resourcesOf(&r.match, r.level, matcher{})
	}
	return scope{level: levelTable, match: e.data.match}, resourcesOf(&e.data.match, levelTable, e.data.column)
}

// resourcesOf renders compiled resources up to lvl, and a column resource, as written.
func resourcesOf(m *resourceMatch, lvl level, column matcher) Resources {
	values := func(m matcher) Values { return Values{Values: slices.Clone(m.values), Excludes: m.excludes} }
	var r Resources
	for l, v := range []*Values{&r.Database, &r.Schema, &r.Table}[:lvl+1] {
		*v = values(m[l])
	}
	r.Column = values(column)
	return r
}

// policyEntry is one policy of a document as Diff sees it. access or data is what an enabled policy in
// effect compiled to; both are nil for a disabled policy or one ignored with a Problem.
type policyEntry struct {
	id         int64
	name       string
	policyType int
	enabled    bool
	access     *rule
	data       *dataRule
}

func (e *policyEntry) contributes() bool { return e.access != nil || e.data != nil }

// sameEffect reports whether two contributing entries contribute the same.
func (e *policyEntry) sameEffect(o *policyEntry) bool {
	switch {
	case e.policyType != o.policyType:
		return false
	case e.access != nil || o.access != nil:
		return e.access != nil && o.access != nil && e.access.equal(o.access)
	}
	return e.data.equal(o.data)
}

// sameButResources reports whether two contributing entries contribute the same except for their
// database, schema and table resources. For a data-mask policy the column resource must be equal, as
// Affects works per table; for data-mask and row-filter policies the place in the evaluation order too,
// which wildcards in the resources move.
func (e *policyEntry) sameButResources(o *policyEntry) bool {
	switch {
	case e.policyType != o.policyType:
		return false
	case e.access != nil && o.access != nil:
		moved := *o.access
		moved.match = e.access.match
		return e.access.equal(&moved)
	case e.data != nil && o.data != nil:
		moved := *o.data
		moved.match = e.data.match
		return e.data.equal(&moved)
	}
	return false
}

// resourcesOnly reports whether the change of one id from was to now is of resources alone: one policy
// with the id on each side, both contributing, equal but for their resources (sameButResources).
func resourcesOnly(was, now []*policyEntry) bool {
	return len(was) == 1 && len(now) == 1 && was[0].contributes() && now[0].contributes() &&
		was[0].sameButResources(now[0])
}

// byID groups entries by policy id, each group in document order.
func byID(entries []*policyEntry) map[int64][]*policyEntry {
	m := make(map[int64][]*policyEntry, len(entries))
	for _, e := range entries {
		m[e.id] = append(m[e.id], e)
	}
	return m
}

// sameEffects reports whether the contributing entries of was and now contribute the same, in order.
func sameEffects(was, now []*policyEntry) bool {
	notContributing := func(e *policyEntry) bool { return !e.contributes() }
	was = slices.DeleteFunc(slices.Clone(was), notContributing)
	now = slices.DeleteFunc(slices.Clone(now), notContributing)
	return slices.EqualFunc(was, now, (*policyEntry).sameEffect)
}

// kindOf names the change of one id from the entries it was to those it is now, given that its
// contribution differs.
func kindOf(was, now []*policyEntry) ChangeKind {
	switch {
	case len(was) == 0:
		return PolicyAdded
	case len(now) == 0:
		return PolicyRemoved
	case len(was) > 1 || len(now) > 1:
		return PolicyChanged
	case was[0].enabled && !now[0].enabled:
		return PolicyDisabled
	case !was[0].enabled && now[0].enabled:
		return PolicyEnabled
	}
	return PolicyChanged
}

// equal reports whether two access rules grant and deny the same pairs on the same resources with the
// same precedence.
func (r *rule) equal(o *rule) bool {
	return r.priority == o.priority && r.level == o.level && r.denyAllElse == o.denyAllElse &&
		r.match.equal(&o.match) && slices.Equal(r.allow, o.allow) && slices.Equal(r.deny, o.deny)
}

// equal reports whether two data rules give the same cases (or fail the same way) on the same resources
// at the same place in Ranger's evaluation order.
func (r *dataRule) equal(o *dataRule) bool {
	return r.label == o.label && r.priority == o.priority && r.evalOrder == o.evalOrder && r.tie == o.tie &&
		r.match.equal(&o.match) && r.column.equal(o.column) &&
		(r.err == nil) == (o.err == nil) && (r.err == nil || *r.err == *o.err) &&
		slices.Equal(r.masks, o.masks) && slices.Equal(r.filters, o.filters)
}
