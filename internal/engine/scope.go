package engine

import (
	"strings"

	"github.com/snowsync/snowsync/internal/wildcard"
)

// Scope is the managed scope (DESIGN §5): which databases, schemas, tables and views the connector
// may change. Entries are case-insensitive wildcards; a schema entry is "DB.SCHEMA" or just "SCHEMA",
// a table entry "DB.SCHEMA.TABLE", "SCHEMA.TABLE" or "TABLE" (an entry with fewer parts matches the
// last parts of the name). An empty manage list means everything (for databases: everything except
// Snowflake's own SNOWFLAKE and SNOWFLAKE_SAMPLE_DATA); an ignore entry always wins.
// INFORMATION_SCHEMA is never managed.
type Scope struct {
	dbs, schemas, tables                   []qualified
	ignoreDBs, ignoreSchemas, ignoreTables []qualified
}

// qualified is one entry split into its dotted parts.
type qualified []wildcard.Pattern

// ScopeLists are the managed scope as written: the manage lists (CONNECTOR_SNOWFLAKE_MANAGE_DATABASE_LIST,
// _SCHEMA_LIST, _TABLE_LIST) and the ignore lists (CONNECTOR_SNOWFLAKE_IGNORE_DATABASE_LIST, ...), one
// entry each.
type ScopeLists struct {
	Databases, Schemas, Tables                   []string
	IgnoreDatabases, IgnoreSchemas, IgnoreTables []string
}

// NewScope compiles the lists.
func NewScope(l ScopeLists) Scope {
	managed := compile(l.Databases)
	ignoreDBs := l.IgnoreDatabases
	if len(managed) == 0 {
		ignoreDBs = append([]string{"SNOWFLAKE", "SNOWFLAKE_SAMPLE_DATA"}, ignoreDBs...)
	}
	return Scope{
		dbs: managed, schemas: compile(l.Schemas), tables: compile(l.Tables),
		ignoreDBs: compile(ignoreDBs), ignoreSchemas: append(compile(l.IgnoreSchemas), qualified{wildcard.Compile("INFORMATION_SCHEMA")}),
		ignoreTables: compile(l.IgnoreTables),
	}
}

func compile(entries []string) []qualified {
	out := make([]qualified, 0, len(entries))
	for _, e := range entries {
		if e = strings.TrimSpace(e); e == "" {
			continue
		}
		parts := strings.Split(e, ".")
		q := make(qualified, len(parts))
		for i, p := range parts {
			q[i] = wildcard.Compile(strings.TrimSpace(p))
		}
		out = append(out, q)
	}
	return out
}

// match reports whether the entry matches the last parts of name (lower-cased parts).
func (q qualified) match(name []string) bool {
	if len(q) > len(name) {
		return false
	}
	tail := name[len(name)-len(q):]
	for i, p := range q {
		if !p.Match(tail[i]) {
			return false
		}
	}
	return true
}

func anyMatch(list []qualified, name []string) bool {
	for _, q := range list {
		if q.match(name) {
			return true
		}
	}
	return false
}

// level applies one level's manage and ignore lists.
func level(manage, ignore []qualified, name []string) bool {
	return (len(manage) == 0 || anyMatch(manage, name)) && !anyMatch(ignore, name)
}

// Database reports whether the database is managed.
func (s Scope) Database(db string) bool {
	return level(s.dbs, s.ignoreDBs, lower(db))
}

// Schema reports whether the schema and its database are managed.
func (s Scope) Schema(db, schema string) bool {
	return s.Database(db) && level(s.schemas, s.ignoreSchemas, lower(db, schema))
}

// Object reports whether the table or view, its schema and its database are managed.
func (s Scope) Object(db, schema, name string) bool {
	return s.Schema(db, schema) && level(s.tables, s.ignoreTables, lower(db, schema, name))
}

func lower(parts ...string) []string {
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = strings.ToLower(p)
	}
	return out
}
