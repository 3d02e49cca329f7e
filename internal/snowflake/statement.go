package snowflake

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Statement is a SQL statement as a value: Grant, GrantOnAll, Revoke, CreateRole, or one of the policy
// statements of policystmt.go. Render turns it into SQL.
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

// GrantOnAll is `GRANT <privileges> ON ALL TABLES | VIEWS IN SCHEMA <Schema> TO ROLE <Role>`: one
// statement for every table (On = ObjectTable) or view (ObjectView) that exists in the schema when it
// runs. Snowflake applies it to the objects of that kind at that moment only (not to later ones, which
// is what FUTURE grants do): "GRANT <privileges> … TO ROLE", section "ALL … IN SCHEMA",
// https://docs.snowflake.com/en/sql-reference/sql/grant-privilege.
type GrantOnAll struct {
	Privileges []Privilege
	On         ObjectType
	Schema     SchemaID
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
func (GrantOnAll) statement() {}
func (Revoke) statement()     {}
func (CreateRole) statement() {}

// ErrInvalidStatement is wrapped by every Validate error.
var ErrInvalidStatement = errors.New("invalid statement")

// Validate implements Statement.
func (g Grant) Validate() error {
	return validatePrivileges("GRANT", g.Privileges, g.On, g.Object, g.Role, g.On)
}

// Validate implements Statement.
func (g GrantOnAll) Validate() error {
	if g.On != ObjectTable && g.On != ObjectView {
		return fmt.Errorf("GRANT ON ALL: %w: unsupported object type %q", ErrInvalidStatement, g.On)
	}
	return validatePrivileges("GRANT ON ALL "+string(g.On)+"S IN", g.Privileges, ObjectSchema, g.Schema, g.Role, g.On)
}

// Validate implements Statement.
func (r Revoke) Validate() error {
	return validatePrivileges("REVOKE", r.Privileges, r.On, r.Object, r.Role, r.On)
}

// Validate implements Statement.
func (c CreateRole) Validate() error {
	if c.Name == "" {
		return fmt.Errorf("CREATE ROLE: %w: empty role name", ErrInvalidStatement)
	}
	return nil
}

// validatePrivileges checks a statement on obj, an identifier of type on, granting privileges of
// objects of type of (on itself, except for ON ALL, where obj is the schema).
func validatePrivileges(op string, privs []Privilege, on ObjectType, obj Identifier, role string, of ObjectType) error {
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
		if !of.Allows(p) {
			return fmt.Errorf("%s %s ON %s %s: %w: privilege not grantable on a %s", op, p, on, obj.FullyQualifiedName(), ErrInvalidStatement, strings.ToLower(string(of)))
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
	case GrantOnAll:
		b.WriteString("GRANT ")
		writePrivileges(&b, s.Privileges)
		b.WriteString(" ON ALL ")
		b.WriteString(string(s.On))
		b.WriteString("S IN SCHEMA ")
		b.WriteString(s.Schema.FullyQualifiedName())
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
		if !renderPolicyStatement(&b, s) {
			panic(fmt.Sprintf("snowflake.Render: unknown statement type %T", s))
		}
	}
	return b.String()
}

func writeTarget(b *strings.Builder, privs []Privilege, on ObjectType, obj Identifier) {
	writePrivileges(b, privs)
	b.WriteString(" ON ")
	b.WriteString(string(on))
	b.WriteByte(' ')
	if obj != nil {
		b.WriteString(obj.FullyQualifiedName())
	}
}

func writePrivileges(b *strings.Builder, privs []Privilege) {
	for i, p := range privs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(string(p))
	}
}
