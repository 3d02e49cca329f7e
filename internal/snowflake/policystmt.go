package snowflake

import (
	"fmt"
	"strings"
)

// PolicyKind is a kind of schema-level policy, spelled as in SQL.
type PolicyKind string

// The policy kinds snowsync manages.
const (
	MaskingPolicy   PolicyKind = "MASKING POLICY"
	RowAccessPolicy PolicyKind = "ROW ACCESS POLICY"
)

// CreateSchema is `CREATE SCHEMA IF NOT EXISTS <Schema>`: the schema that holds snowsync's policies.
type CreateSchema struct {
	Schema SchemaID
}

// PolicyArg is one argument of a policy's signature: a name and a SQL data type as DESCRIBE TABLE
// reports it (e.g. VARCHAR(16777216), NUMBER(38,0), TIMESTAMP_NTZ(9)).
type PolicyArg struct {
	Name, Type string
}

// CreatePolicy is `CREATE <Kind> IF NOT EXISTS <Name> AS (<Args>) RETURNS <Returns> -> <Body>
// COMMENT = '<Comment>'` ("CREATE MASKING POLICY", https://docs.snowflake.com/en/sql-reference/sql/
// create-masking-policy; "CREATE ROW ACCESS POLICY", https://docs.snowflake.com/en/sql-reference/sql/
// create-row-access-policy). Names go through QuoteIdent and the comment through QuoteString; types
// are checked to be type names (Validate). Body is an SQL expression that the caller built (package
// datapolicy renders every name and literal in it through QuoteIdent / QuoteString); it is written as
// given. IF NOT EXISTS makes a re-run harmless: policy names are stable for the same content.
type CreatePolicy struct {
	Kind    PolicyKind
	Name    ObjectID
	Args    []PolicyArg
	Returns string
	Body    string
	Comment string
}

// SetMaskingPolicy is `ALTER TABLE|VIEW <Object> MODIFY COLUMN <Column> SET MASKING POLICY <Policy>
// [FORCE]`. FORCE replaces the column's current masking policy in one statement, so the column is
// never unprotected ("ALTER TABLE … ALTER COLUMN", "Replace a masking policy on a column",
// https://docs.snowflake.com/en/sql-reference/sql/alter-table-column; ALTER VIEW takes the same clause,
// https://docs.snowflake.com/en/sql-reference/sql/alter-view).
type SetMaskingPolicy struct {
	On     ObjectType // ObjectTable or ObjectView
	Object ObjectID
	Column string
	Policy ObjectID
	Force  bool
}

// UnsetMaskingPolicy is `ALTER TABLE|VIEW <Object> MODIFY COLUMN <Column> UNSET MASKING POLICY`.
type UnsetMaskingPolicy struct {
	On     ObjectType
	Object ObjectID
	Column string
}

// AddRowAccessPolicy is `ALTER TABLE|VIEW <Object> [DROP ROW ACCESS POLICY <Replace>,] ADD ROW ACCESS
// POLICY <Policy> ON (<Columns>)`. With Replace set it is the swap: Snowflake allows one row access
// policy per table or view, and dropping the old one and adding the new one in one ALTER leaves no
// moment without a policy ("ALTER TABLE", row access policy actions: "DROP ROW ACCESS POLICY <name> ,
// ADD ROW ACCESS POLICY <name> ON (…)", https://docs.snowflake.com/en/sql-reference/sql/alter-table).
type AddRowAccessPolicy struct {
	On      ObjectType
	Object  ObjectID
	Replace *ObjectID
	Policy  ObjectID
	Columns []string
}

// DropRowAccessPolicy is `ALTER TABLE|VIEW <Object> DROP ROW ACCESS POLICY <Policy>`.
type DropRowAccessPolicy struct {
	On     ObjectType
	Object ObjectID
	Policy ObjectID
}

// DropPolicy is `DROP <Kind> IF EXISTS <Name>`. Snowflake refuses to drop a policy that is still set on
// a column or table (https://docs.snowflake.com/en/sql-reference/sql/drop-masking-policy), which callers
// may rely on instead of reading its references first.
type DropPolicy struct {
	Kind PolicyKind
	Name ObjectID
}

func (CreateSchema) statement()        {}
func (CreatePolicy) statement()        {}
func (SetMaskingPolicy) statement()    {}
func (UnsetMaskingPolicy) statement()  {}
func (AddRowAccessPolicy) statement()  {}
func (DropRowAccessPolicy) statement() {}
func (DropPolicy) statement()          {}

// Validate implements Statement.
func (c CreateSchema) Validate() error {
	return validID("CREATE SCHEMA", c.Schema)
}

// Validate implements Statement.
func (c CreatePolicy) Validate() error {
	op := "CREATE " + string(c.Kind)
	if err := validKind(op, c.Kind); err != nil {
		return err
	}
	if err := validID(op, c.Name); err != nil {
		return err
	}
	if len(c.Args) == 0 {
		return fmt.Errorf("%s %s: %w: no arguments", op, c.Name.FullyQualifiedName(), ErrInvalidStatement)
	}
	types := []string{c.Returns}
	for _, a := range c.Args {
		if a.Name == "" {
			return fmt.Errorf("%s %s: %w: argument without a name", op, c.Name.FullyQualifiedName(), ErrInvalidStatement)
		}
		types = append(types, a.Type)
	}
	for _, t := range types {
		if !isTypeName(t) {
			return fmt.Errorf("%s %s: %w: %q is not a data type", op, c.Name.FullyQualifiedName(), ErrInvalidStatement, t)
		}
	}
	if strings.TrimSpace(c.Body) == "" {
		return fmt.Errorf("%s %s: %w: empty body", op, c.Name.FullyQualifiedName(), ErrInvalidStatement)
	}
	return nil
}

// Validate implements Statement.
func (s SetMaskingPolicy) Validate() error {
	return validAlter("SET MASKING POLICY", s.On, s.Object, []string{s.Column}, s.Policy)
}

// Validate implements Statement.
func (u UnsetMaskingPolicy) Validate() error {
	return validAlter("UNSET MASKING POLICY", u.On, u.Object, []string{u.Column}, u.Object)
}

// Validate implements Statement.
func (a AddRowAccessPolicy) Validate() error {
	if len(a.Columns) == 0 {
		return fmt.Errorf("ADD ROW ACCESS POLICY: %w: no columns", ErrInvalidStatement)
	}
	if a.Replace != nil {
		if err := validID("DROP ROW ACCESS POLICY", *a.Replace); err != nil {
			return err
		}
	}
	return validAlter("ADD ROW ACCESS POLICY", a.On, a.Object, a.Columns, a.Policy)
}

// Validate implements Statement.
func (d DropRowAccessPolicy) Validate() error {
	return validAlter("DROP ROW ACCESS POLICY", d.On, d.Object, nil, d.Policy)
}

// Validate implements Statement.
func (d DropPolicy) Validate() error {
	if err := validKind("DROP "+string(d.Kind), d.Kind); err != nil {
		return err
	}
	return validID("DROP "+string(d.Kind), d.Name)
}

func validKind(op string, k PolicyKind) error {
	if k != MaskingPolicy && k != RowAccessPolicy {
		return fmt.Errorf("%s: %w: unknown policy kind %q", op, ErrInvalidStatement, k)
	}
	return nil
}

// validID checks that every part of id is set.
func validID(op string, id Identifier) error {
	for _, p := range id.Parts() {
		if p == "" {
			return fmt.Errorf("%s %s: %w: empty name part", op, id.FullyQualifiedName(), ErrInvalidStatement)
		}
	}
	return nil
}

// validAlter checks an ALTER TABLE | VIEW of obj naming columns and a policy.
func validAlter(op string, on ObjectType, obj ObjectID, columns []string, policy ObjectID) error {
	if on != ObjectTable && on != ObjectView {
		return fmt.Errorf("%s: %w: unsupported object type %q", op, ErrInvalidStatement, on)
	}
	for _, id := range []ObjectID{obj, policy} {
		if err := validID(op, id); err != nil {
			return err
		}
	}
	for _, c := range columns {
		if c == "" {
			return fmt.Errorf("%s on %s: %w: empty column name", op, obj.FullyQualifiedName(), ErrInvalidStatement)
		}
	}
	return nil
}

// isTypeName reports whether t looks like a Snowflake data type: letters, digits and underscores, with
// an optional parenthesised list of numbers ("NUMBER(38,0)"), and spaces (TIMESTAMP WITH TIME ZONE).
// Anything else (a quote, a semicolon, an operator) could end the type and start other SQL.
func isTypeName(t string) bool {
	if t == "" || !(t[0] >= 'A' && t[0] <= 'Z' || t[0] >= 'a' && t[0] <= 'z') {
		return false
	}
	open := false
	for _, r := range t {
		switch {
		case r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_', r == ' ':
		case r == '(' && !open:
			open = true
		case r == ',' && open:
		case r == ')' && open:
			open = false
		default:
			return false
		}
	}
	return !open
}

// renderPolicyStatement renders the statements of this file; ok is false for another type.
func renderPolicyStatement(b *strings.Builder, s Statement) bool {
	switch s := s.(type) {
	case CreateSchema:
		b.WriteString("CREATE SCHEMA IF NOT EXISTS ")
		b.WriteString(s.Schema.FullyQualifiedName())
	case CreatePolicy:
		b.WriteString("CREATE ")
		b.WriteString(string(s.Kind))
		b.WriteString(" IF NOT EXISTS ")
		b.WriteString(s.Name.FullyQualifiedName())
		args := make([]string, len(s.Args))
		for i, a := range s.Args {
			args[i] = QuoteIdent(a.Name) + " " + a.Type
		}
		b.WriteString(" AS (")
		b.WriteString(strings.Join(args, ", "))
		b.WriteString(") RETURNS ")
		b.WriteString(s.Returns)
		b.WriteString(" -> ")
		b.WriteString(s.Body)
		if s.Comment != "" {
			b.WriteString(" COMMENT = ")
			b.WriteString(QuoteString(s.Comment))
		}
	case SetMaskingPolicy:
		writeAlterColumn(b, s.On, s.Object, s.Column)
		b.WriteString(" SET MASKING POLICY ")
		b.WriteString(s.Policy.FullyQualifiedName())
		if s.Force {
			b.WriteString(" FORCE")
		}
	case UnsetMaskingPolicy:
		writeAlterColumn(b, s.On, s.Object, s.Column)
		b.WriteString(" UNSET MASKING POLICY")
	case AddRowAccessPolicy:
		writeAlter(b, s.On, s.Object)
		if s.Replace != nil {
			b.WriteString(" DROP ROW ACCESS POLICY ")
			b.WriteString(s.Replace.FullyQualifiedName())
			b.WriteByte(',')
		}
		b.WriteString(" ADD ROW ACCESS POLICY ")
		b.WriteString(s.Policy.FullyQualifiedName())
		cols := make([]string, len(s.Columns))
		for i, c := range s.Columns {
			cols[i] = QuoteIdent(c)
		}
		b.WriteString(" ON (")
		b.WriteString(strings.Join(cols, ", "))
		b.WriteByte(')')
	case DropRowAccessPolicy:
		writeAlter(b, s.On, s.Object)
		b.WriteString(" DROP ROW ACCESS POLICY ")
		b.WriteString(s.Policy.FullyQualifiedName())
	case DropPolicy:
		b.WriteString("DROP ")
		b.WriteString(string(s.Kind))
		b.WriteString(" IF EXISTS ")
		b.WriteString(s.Name.FullyQualifiedName())
	default:
		return false
	}
	return true
}

func writeAlter(b *strings.Builder, on ObjectType, obj ObjectID) {
	b.WriteString("ALTER ")
	b.WriteString(string(on))
	b.WriteByte(' ')
	b.WriteString(obj.FullyQualifiedName())
}

func writeAlterColumn(b *strings.Builder, on ObjectType, obj ObjectID, column string) {
	writeAlter(b, on, obj)
	b.WriteString(" MODIFY COLUMN ")
	b.WriteString(QuoteIdent(column))
}
