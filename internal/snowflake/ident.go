package snowflake

import (
	"errors"
	"fmt"
	"strings"
)

// QuoteIdent returns name as a Snowflake quoted identifier: always double-quoted, with every `"` doubled.
// The name is used exactly as given (case, spaces, dots and unicode preserved), so it must be the name as
// Snowflake stores it (upper case for objects created with unquoted names). It is the only function that
// puts an identifier into SQL.
func QuoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// QuoteString returns s as a Snowflake single-quoted string literal, with `\` and `'` escaped by a
// backslash, so that the literal's value is exactly s. It is the only function that puts a string value
// (a LIKE pattern, a name compared in a WHERE clause) into SQL.
func QuoteString(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for _, r := range s {
		switch r {
		case '\\', '\'':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteByte('\'')
	return b.String()
}

// Identifier is the identifier of a securable object at one level of the catalog.
type Identifier interface {
	// FullyQualifiedName returns the identifier as SQL: each part quoted by QuoteIdent, joined by dots.
	FullyQualifiedName() string
	// Parts returns the name parts, outermost first (database, schema, object).
	Parts() []string
}

// DatabaseID identifies a database by its stored name.
type DatabaseID struct{ Name string }

// SchemaID identifies a schema by its database's and its own stored names.
type SchemaID struct{ Database, Name string }

// ObjectID identifies a schema object (a table or a view) by database, schema and object names.
type ObjectID struct{ Database, Schema, Name string }

// FullyQualifiedName returns `"<database>"`.
func (id DatabaseID) FullyQualifiedName() string { return QuoteIdent(id.Name) }

// Parts returns [database].
func (id DatabaseID) Parts() []string { return []string{id.Name} }

// String returns the fully qualified name.
func (id DatabaseID) String() string { return id.FullyQualifiedName() }

// FullyQualifiedName returns `"<database>"."<schema>"`.
func (id SchemaID) FullyQualifiedName() string {
	return QuoteIdent(id.Database) + "." + QuoteIdent(id.Name)
}

// Parts returns [database, schema].
func (id SchemaID) Parts() []string { return []string{id.Database, id.Name} }

// String returns the fully qualified name.
func (id SchemaID) String() string { return id.FullyQualifiedName() }

// DatabaseID returns the identifier of the schema's database.
func (id SchemaID) DatabaseID() DatabaseID { return DatabaseID{Name: id.Database} }

// FullyQualifiedName returns `"<database>"."<schema>"."<name>"`.
func (id ObjectID) FullyQualifiedName() string {
	return QuoteIdent(id.Database) + "." + QuoteIdent(id.Schema) + "." + QuoteIdent(id.Name)
}

// Parts returns [database, schema, name].
func (id ObjectID) Parts() []string { return []string{id.Database, id.Schema, id.Name} }

// String returns the fully qualified name.
func (id ObjectID) String() string { return id.FullyQualifiedName() }

// SchemaID returns the identifier of the object's schema.
func (id ObjectID) SchemaID() SchemaID { return SchemaID{Database: id.Database, Name: id.Schema} }

// levelOf returns how many name parts identify an object of type t (0 for a type snowsync does not
// sync), so that a statement can check it names an object of the right level.
func levelOf(t ObjectType) int {
	switch t {
	case ObjectDatabase:
		return 1
	case ObjectSchema:
		return 2
	case ObjectTable, ObjectView:
		return 3
	}
	return 0
}

// ErrBadQualifiedName is wrapped by ParseQualifiedName's errors.
var ErrBadQualifiedName = errors.New("malformed qualified name")

// ParseQualifiedName splits a qualified name as Snowflake prints it (the name column of SHOW GRANTS,
// e.g. `SALES.PUBLIC.ORDERS` or `SALES."my.schema"."a""b"`) into its parts. Quoted parts lose their quotes
// and `""` becomes `"`; unquoted parts are returned as printed, which is how Snowflake stores them.
func ParseQualifiedName(s string) ([]string, error) {
	var parts []string
	for i := 0; ; {
		var part strings.Builder
		if i < len(s) && s[i] == '"' {
			i++
			for {
				j := strings.IndexByte(s[i:], '"')
				if j < 0 {
					return nil, fmt.Errorf("parse %q: %w: unterminated quote", s, ErrBadQualifiedName)
				}
				part.WriteString(s[i : i+j])
				i += j + 1
				if i < len(s) && s[i] == '"' {
					part.WriteByte('"')
					i++
					continue
				}
				break
			}
			if i < len(s) && s[i] != '.' {
				return nil, fmt.Errorf("parse %q: %w: text after a closing quote", s, ErrBadQualifiedName)
			}
		} else {
			j := strings.IndexAny(s[i:], `."`)
			if j < 0 {
				j = len(s) - i
			} else if s[i+j] == '"' {
				return nil, fmt.Errorf("parse %q: %w: quote inside an unquoted part", s, ErrBadQualifiedName)
			}
			if j == 0 {
				return nil, fmt.Errorf("parse %q: %w: empty part", s, ErrBadQualifiedName)
			}
			part.WriteString(s[i : i+j])
			i += j
		}
		parts = append(parts, part.String())
		if i == len(s) {
			return parts, nil
		}
		i++ // the dot
		if i == len(s) {
			return nil, fmt.Errorf("parse %q: %w: empty part", s, ErrBadQualifiedName)
		}
	}
}

// ResolveName picks the catalog name that a requested identifier name refers to (DESIGN §2): the
// candidate equal to requested if there is one, else the only candidate equal to it ignoring case. It
// reports false when nothing matches or when several candidates match only ignoring case.
func ResolveName(candidates []string, requested string) (string, bool) {
	match, n := "", 0
	for _, c := range candidates {
		if c == requested {
			return c, true
		}
		if strings.EqualFold(c, requested) {
			match, n = c, n+1
		}
	}
	if n != 1 {
		return "", false
	}
	return match, true
}
