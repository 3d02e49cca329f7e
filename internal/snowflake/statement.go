package snowflake

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Statement is a SQL statement as a value: Grant, Revoke or CreateRole. Render turns it into SQL.
type Statement interface {
	// Validate reports why the statement must not be sent (nil when it may): an empty role, no
	// privileges, a privilege that the object type does not accept (OWNERSHIP included), or an object
	// identifier of the wrong level.
	Validate() error
	statement()
}

// Grant is `GRANT <privileges> ON <On> <Object> TO ROLE <Role>`.
type Grant struct {
	Privileges []Privilege
	On         ObjectType
	Object     Identifier
	Role       string
}

// Revoke is `REVOKE <privileges> ON <On> <Object> FROM ROLE <Role>`, with CASCADE when Cascade is set
// (needed only when the role re-granted a privilege it held WITH GRANT OPTION; RESTRICT, Snowflake's
// default, refuses to revoke it then).
type Revoke struct {
	Privileges []Privilege
	On         ObjectType
	Object     Identifier
	Role       string
	Cascade    bool
}

// CreateRole is `CREATE ROLE [IF NOT EXISTS] <Name>`.
type CreateRole struct {
	Name        string
	IfNotExists bool
}

func (Grant) statement()      {}
func (Revoke) statement()     {}
func (CreateRole) statement() {}

// ErrInvalidStatement is wrapped by every Validate error.
var ErrInvalidStatement = errors.New("invalid statement")

// Validate implements Statement.
func (g Grant) Validate() error {
	return validatePrivileges("GRANT", g.Privileges, g.On, g.Object, g.Role)
}

// Validate implements Statement.
func (r Revoke) Validate() error {
	return validatePrivileges("REVOKE", r.Privileges, r.On, r.Object, r.Role)
}

// Validate implements Statement.
func (c CreateRole) Validate() error {
	if c.Name == "" {
		return fmt.Errorf("CREATE ROLE: %w: empty role name", ErrInvalidStatement)
	}
	return nil
}

func validatePrivileges(op string, privs []Privilege, on ObjectType, obj Identifier, role string) error {
	switch {
	case levelOf(on) == 0:
		return fmt.Errorf("%s: %w: unsupported object type %q", op, ErrInvalidStatement, on)
	case obj == nil || len(obj.Parts()) != levelOf(on):
		return fmt.Errorf("%s ON %s: %w: object identifier %v is not a %s identifier", op, on, ErrInvalidStatement, obj, strings.ToLower(string(on)))
	case slices.Contains(obj.Parts(), ""):
		return fmt.Errorf("%s ON %s %s: %w: empty name part", op, on, obj.FullyQualifiedName(), ErrInvalidStatement)
	case role == "":
		return fmt.Errorf("%s ON %s %s: %w: empty role", op, on, obj.FullyQualifiedName(), ErrInvalidStatement)
	case len(privs) == 0:
		return fmt.Errorf("%s ON %s %s: %w: no privileges", op, on, obj.FullyQualifiedName(), ErrInvalidStatement)
	}
	for _, p := range privs {
		if !on.Allows(p) {
			return fmt.Errorf("%s %s ON %s %s: %w: privilege not grantable on a %s", op, p, on, obj.FullyQualifiedName(), ErrInvalidStatement, strings.ToLower(string(on)))
		}
	}
	return nil
}

// Render returns the SQL text of s, without a trailing semicolon. It is a pure function: identifiers go
// through QuoteIdent, privileges are written as given (callers validate them; see Statement.Validate).
func Render(s Statement) string {
	var b strings.Builder
	switch s := s.(type) {
	case Grant:
		b.WriteString("GRANT ")
		writeTarget(&b, s.Privileges, s.On, s.Object)
		b.WriteString(" TO ROLE ")
		b.WriteString(QuoteIdent(s.Role))
	case Revoke:
		b.WriteString("REVOKE ")
		writeTarget(&b, s.Privileges, s.On, s.Object)
		b.WriteString(" FROM ROLE ")
		b.WriteString(QuoteIdent(s.Role))
		if s.Cascade {
			b.WriteString(" CASCADE")
		}
	case CreateRole:
		b.WriteString("CREATE ROLE ")
		if s.IfNotExists {
			b.WriteString("IF NOT EXISTS ")
		}
		b.WriteString(QuoteIdent(s.Name))
	default:
		panic(fmt.Sprintf("snowflake.Render: unknown statement type %T", s))
	}
	return b.String()
}

func writeTarget(b *strings.Builder, privs []Privilege, on ObjectType, obj Identifier) {
	for i, p := range privs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(string(p))
	}
	b.WriteString(" ON ")
	b.WriteString(string(on))
	b.WriteByte(' ')
	if obj != nil {
		b.WriteString(obj.FullyQualifiedName())
	}
}

// Coalesce merges the Grants that share object type, object and role into one Grant, and likewise the
// Revokes that also share Cascade, so that "GRANT SELECT" and "GRANT INSERT" on one table to one role
// become "GRANT SELECT, INSERT". Privileges are de-duplicated and put in the order of Privileges(On)
// (unknown ones last, in their order). The result keeps the position of each group's first statement;
// CreateRole statements are kept (de-duplicated by name). The input is not modified.
func Coalesce(stmts []Statement) []Statement {
	type key struct {
		revoke  bool
		cascade bool
		on      ObjectType
		object  string
		role    string
	}
	out := make([]Statement, 0, len(stmts))
	at := map[key]int{}
	roles := map[string]bool{}
	merge := func(k key, privs []Privilege, build func([]Privilege) Statement) {
		i, seen := at[k]
		if !seen {
			at[k] = len(out)
			out = append(out, build(sortPrivileges(k.on, nil, privs)))
			return
		}
		out[i] = build(sortPrivileges(k.on, privilegesOf(out[i]), privs))
	}
	for _, s := range stmts {
		switch s := s.(type) {
		case Grant:
			merge(key{on: s.On, object: fqn(s.Object), role: s.Role}, s.Privileges, func(p []Privilege) Statement {
				s.Privileges = p
				return s
			})
		case Revoke:
			merge(key{revoke: true, cascade: s.Cascade, on: s.On, object: fqn(s.Object), role: s.Role}, s.Privileges, func(p []Privilege) Statement {
				s.Privileges = p
				return s
			})
		case CreateRole:
			if !roles[s.Name] {
				roles[s.Name] = true
				out = append(out, s)
			}
		default:
			out = append(out, s)
		}
	}
	return out
}

func fqn(id Identifier) string {
	if id == nil {
		return ""
	}
	return id.FullyQualifiedName()
}

func privilegesOf(s Statement) []Privilege {
	switch s := s.(type) {
	case Grant:
		return s.Privileges
	case Revoke:
		return s.Privileges
	}
	return nil
}

// sortPrivileges returns the union of a and b, de-duplicated, in the order of Privileges(on) with
// unknown privileges after them in their first order. It allocates a new slice.
func sortPrivileges(on ObjectType, a, b []Privilege) []Privilege {
	all := slices.Concat(a, b)
	out := make([]Privilege, 0, len(all))
	for _, p := range Privileges(on) {
		if slices.Contains(all, p) {
			out = append(out, p)
		}
	}
	for _, p := range all {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}
