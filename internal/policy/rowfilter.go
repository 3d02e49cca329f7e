package policy

// FilterCase is one role's row filter: a session holding Role sees the rows for which Expr (the Ranger
// filterExpr, a SQL predicate over the table's columns) is true. An empty Expr means all rows, as in
// Ranger (RangerAccessResult.isRowFilterEnabled is false for an empty filterExpr). Policy is the label
// of the Ranger policy the case comes from.
type FilterCase struct {
	Role   string
	Expr   string
	Policy string
}

// RowFilter is what the row-filter policies decide for one table. The first case whose Role the
// session holds decides; a session holding none of them sees all rows. Each role appears at most once,
// and no case follows one for RolePublic. A RowFilter without cases means no policy filters the table.
type RowFilter struct {
	Cases []FilterCase
}

// Empty reports whether no policy filters the table: it needs no row access policy.
func (f RowFilter) Empty() bool { return len(f.Cases) == 0 }

// FiltersTable reports whether some enabled row-filter policy's resources match o (a table or a view).
func (s *Set) FiltersTable(o Object) bool {
	names, ok := tableNames(o)
	if !ok {
		return false
	}
	for _, r := range s.filters {
		if r.matches(names) {
			return true
		}
	}
	return false
}

// RowFilter returns the row filter the row-filter policies decide for o (a table or a view): the cases
// of every enabled policy whose resources match, in Ranger's order, item by item, principal by
// principal (users, groups, roles), keeping only the first case of each role. It returns an
// *UnexpressibleError when a matching policy cannot be expressed; other tables are unaffected.
func (s *Set) RowFilter(o Object) (RowFilter, error) {
	names, ok := tableNames(o)
	if !ok {
		return RowFilter{}, nil
	}
	var f RowFilter
	seen := map[string]bool{}
	for _, r := range s.filters {
		if !r.matches(names) {
			continue
		}
		if r.err != nil {
			return RowFilter{}, r.err
		}
		for _, c := range r.filters {
			if !seen[c.Role] && !seen[RolePublic] {
				seen[c.Role] = true
				f.Cases = append(f.Cases, c)
			}
		}
	}
	return f, nil
}
