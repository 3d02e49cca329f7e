package snowflake

import (
	"slices"
	"strings"
)

// ObjectType is the kind of a securable object, spelled as Snowflake spells it in SQL and in the
// granted_on column of SHOW GRANTS.
type ObjectType string

// The object types snowsync syncs.
const (
	ObjectDatabase ObjectType = "DATABASE"
	ObjectSchema   ObjectType = "SCHEMA"
	ObjectTable    ObjectType = "TABLE"
	ObjectView     ObjectType = "VIEW"
)

// Privilege is a Snowflake privilege name as written in GRANT, upper case with spaces
// ("SELECT", "CREATE SCHEMA"). OWNERSHIP is a privilege too, but snowsync never grants or revokes it.
type Privilege string

// The privileges with a special role in planning.
const (
	PrivilegeUsage     Privilege = "USAGE"
	PrivilegeOwnership Privilege = "OWNERSHIP"
)

// privileges lists, per object type, the privileges Snowflake accepts in GRANT for that type
// (https://docs.snowflake.com/en/sql-reference/sql/grant-privilege), OWNERSHIP excluded.
var privileges = map[ObjectType][]Privilege{
	ObjectDatabase: {"USAGE", "MONITOR", "MODIFY", "CREATE SCHEMA", "CREATE DATABASE ROLE", "APPLYBUDGET"},
	ObjectSchema: {"USAGE", "MONITOR", "MODIFY", "ADD SEARCH OPTIMIZATION", "APPLYBUDGET",
		"CREATE TABLE", "CREATE EXTERNAL TABLE", "CREATE DYNAMIC TABLE", "CREATE EVENT TABLE",
		"CREATE HYBRID TABLE", "CREATE ICEBERG TABLE", "CREATE VIEW", "CREATE MATERIALIZED VIEW",
		"CREATE STAGE", "CREATE FILE FORMAT", "CREATE SEQUENCE", "CREATE FUNCTION", "CREATE PROCEDURE",
		"CREATE STREAM", "CREATE TASK", "CREATE PIPE", "CREATE ALERT", "CREATE TAG",
		"CREATE MASKING POLICY", "CREATE ROW ACCESS POLICY", "CREATE SECRET", "CREATE NETWORK RULE"},
	ObjectTable: {"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "EVOLVE SCHEMA", "REBUILD"},
	ObjectView:  {"SELECT", "REFERENCES"},
}

// Allows reports whether p can be granted on objects of type t (OWNERSHIP excluded).
func (t ObjectType) Allows(p Privilege) bool { return slices.Contains(privileges[t], p) }

// PrivilegeFromAccessType converts a Ranger access type (lower case, "_" for a space, e.g.
// "create_schema") into the Snowflake privilege name ("CREATE SCHEMA"). It does not check that
// the privilege exists; use ObjectType.Allows for that.
func PrivilegeFromAccessType(accessType string) Privilege {
	return Privilege(strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(accessType), "_", " ")))
}
