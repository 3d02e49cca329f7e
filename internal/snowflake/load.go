package snowflake

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/snowsync/snowsync/internal/guard"
)

// QueryTimeout bounds each query of the readers in this file (a shorter deadline of the caller's
// context wins).
const QueryTimeout = 60 * time.Second

// Querier runs a query; *sql.DB, *sql.Conn and *sql.Tx implement it.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Grantee types of SHOW GRANTS' granted_to column.
const granteeRole = "ROLE"

// GrantInfo is one privilege held by a role on an object, as Snowflake reports it.
type GrantInfo struct {
	Privilege Privilege
	On        ObjectType
	// Object is the object's fully qualified name, re-rendered from the reported name through
	// QuoteIdent, so that it equals the FullyQualifiedName of the object's identifier.
	Object      string
	Role        string
	GrantOption bool
	GrantedBy   string
}

// GrantsOn is the result of SHOW GRANTS ON an object.
type GrantsOn struct {
	// Roles holds the grants to account roles, OWNERSHIP included.
	Roles []GrantInfo
	// Other counts the grants to other grantees (database roles, shares, users, applications), which
	// snowsync never changes.
	Other int
	// On is the object's type as Snowflake reports it in granted_on (e.g. VIEW for a view asked about
	// as a TABLE); "" when no grant at all was reported.
	On ObjectType
}

// Object is a table or a view found in the catalog.
type Object struct {
	ID   ObjectID
	Kind ObjectType // ObjectTable or ObjectView
}

// record is one row with its columns addressed by (case-insensitive) name.
type record struct {
	index  map[string]int
	values []sql.NullString
}

func (r record) get(col string) string { return r.values[r.index[col]].String }

// queryRecords runs query with a QueryTimeout deadline, checks that every column in cols is present,
// and calls fn for each row. Errors are wrapped with the query text (identifiers only, never secrets).
func queryRecords(ctx context.Context, q Querier, query string, cols []string, fn func(record) error) error {
	ctx, cancel := context.WithTimeout(ctx, QueryTimeout)
	defer cancel()
	err := func() error {
		rows, err := q.QueryContext(ctx, query)
		if err != nil {
			return err
		}
		defer rows.Close()
		names, err := rows.Columns()
		if err != nil {
			return err
		}
		rec := record{index: make(map[string]int, len(names)), values: make([]sql.NullString, len(names))}
		for i, n := range names {
			rec.index[strings.ToLower(n)] = i
		}
		for _, c := range cols {
			if _, ok := rec.index[c]; !ok {
				return fmt.Errorf("result has no column %s", c)
			}
		}
		dest := make([]any, len(names))
		for i := range dest {
			dest[i] = &rec.values[i]
		}
		for rows.Next() {
			if err := rows.Scan(dest...); err != nil {
				return err
			}
			if err := fn(rec); err != nil {
				return err
			}
		}
		return rows.Err()
	}()
	if err != nil {
		return fmt.Errorf("query %s: %w", query, err)
	}
	return nil
}

// grantRow is a row of SHOW GRANTS ON, by column name.
type grantRow struct {
	privilege, grantedOn, name, grantedTo, granteeName, grantOption, grantedBy string
}

var grantColumns = []string{"privilege", "granted_on", "name", "granted_to", "grantee_name", "grant_option", "granted_by"}

func (r grantRow) convert() (GrantInfo, error) {
	parts, err := ParseQualifiedName(r.name)
	if err != nil {
		return GrantInfo{}, err
	}
	return GrantInfo{
		Privilege:   Privilege(r.privilege),
		On:          ObjectType(strings.ReplaceAll(r.grantedOn, "_", " ")),
		Object:      joinQuoted(parts),
		Role:        r.granteeName,
		GrantOption: strings.EqualFold(r.grantOption, "true"),
		GrantedBy:   r.grantedBy,
	}, nil
}

func joinQuoted(parts []string) string {
	quoted := make([]string, len(parts))
	for i, p := range parts {
		quoted[i] = QuoteIdent(p)
	}
	return strings.Join(quoted, ".")
}

// ShowGrantsOn runs SHOW GRANTS ON <on> <id> and returns the grants to roles, counting the others.
// A missing object gives an error for which IsNotExist is true.
func ShowGrantsOn(ctx context.Context, q Querier, on ObjectType, id Identifier) (GrantsOn, error) {
	var out GrantsOn
	query := "SHOW GRANTS ON " + string(on) + " " + id.FullyQualifiedName()
	err := queryRecords(ctx, q, query, grantColumns, func(r record) error {
		row := grantRow{r.get("privilege"), r.get("granted_on"), r.get("name"), r.get("granted_to"),
			r.get("grantee_name"), r.get("grant_option"), r.get("granted_by")}
		out.On = ObjectType(row.grantedOn)
		if row.grantedTo != granteeRole {
			out.Other++
			return nil
		}
		g, err := row.convert()
		if err != nil {
			return err
		}
		out.Roles = append(out.Roles, g)
		return nil
	})
	if err != nil {
		return GrantsOn{}, err
	}
	return out, nil
}

// informationSchema is the schema that every database has and that snowsync never grants on.
const informationSchema = "INFORMATION_SCHEMA"

// ShowDatabases runs SHOW DATABASES and returns the names of the databases the session's role can see
// (Snowflake's own SNOWFLAKE and SNOWFLAKE_SAMPLE_DATA included; scoping is the caller's).
func ShowDatabases(ctx context.Context, q Querier) ([]string, error) {
	return showNames(ctx, q, "SHOW DATABASES")
}

// showNames runs a SHOW command and returns its name column.
func showNames(ctx context.Context, q Querier, query string) ([]string, error) {
	var out []string
	err := queryRecords(ctx, q, query, []string{"name"}, func(r record) error {
		out = append(out, r.get("name"))
		return nil
	})
	return out, err
}

// ShowSchemas runs SHOW SCHEMAS IN DATABASE db and returns its schemas, INFORMATION_SCHEMA excluded.
func ShowSchemas(ctx context.Context, q Querier, db DatabaseID) ([]SchemaID, error) {
	var out []SchemaID
	err := queryRecords(ctx, q, "SHOW SCHEMAS IN DATABASE "+db.FullyQualifiedName(), []string{"name"},
		func(r record) error {
			if name := r.get("name"); name != informationSchema {
				out = append(out, SchemaID{Database: db.Name, Name: name})
			}
			return nil
		})
	return out, err
}

// ShowTables runs SHOW OBJECTS IN DATABASE or IN SCHEMA (in is a DatabaseID or a SchemaID) and returns
// the tables and views, in one round trip for a whole database. Other kinds (materialized views,
// external tables, ...) and INFORMATION_SCHEMA are left out.
func ShowTables(ctx context.Context, q Querier, in Identifier) ([]Object, error) {
	var query string
	switch in.(type) {
	case DatabaseID:
		query = "SHOW OBJECTS IN DATABASE " + in.FullyQualifiedName()
	case SchemaID:
		query = "SHOW OBJECTS IN SCHEMA " + in.FullyQualifiedName()
	default:
		return nil, fmt.Errorf("show tables in %v: %w: not a database or schema identifier", in, ErrInvalidStatement)
	}
	var out []Object
	err := queryRecords(ctx, q, query, []string{"name", "database_name", "schema_name", "kind"}, func(r record) error {
		kind, ok := objectKinds[r.get("kind")]
		if ok && r.get("schema_name") != informationSchema {
			out = append(out, Object{ID: ObjectID{r.get("database_name"), r.get("schema_name"), r.get("name")}, Kind: kind})
		}
		return nil
	})
	return out, err
}

// ShowRoles runs SHOW ROLES [LIKE '<like>'] and returns the role names. like is a Snowflake LIKE
// pattern (case-insensitive, % and _ wildcards); "" lists every role.
func ShowRoles(ctx context.Context, q Querier, like string) ([]string, error) {
	query := "SHOW ROLES"
	if like != "" {
		query += " LIKE " + QuoteString(like)
	}
	return showNames(ctx, q, query)
}

// Catalog is the state of one database (or one schema of it) read in bulk from INFORMATION_SCHEMA.
type Catalog struct {
	Schemas []SchemaID
	Objects []Object
	// Grants are the privileges on the database, its schemas, tables and views. INFORMATION_SCHEMA does
	// not say which grantees are database roles and lists only what the session's role can see; use
	// ShowGrantsOn where that matters.
	Grants []GrantInfo
}

// CatalogScope narrows LoadCatalog: to the schemas named in Schemas and the tables and views named in
// Names (exact names; nil means all). Names applies to every schema in Schemas, so callers asking for
// particular objects keep the pairs they want from the result.
type CatalogScope struct {
	Schemas, Names []string
}

// LoadCatalog reads db's schemas, tables and views and their grants with one query per
// INFORMATION_SCHEMA view (SCHEMATA, TABLES, TABLE_PRIVILEGES, OBJECT_PRIVILEGES), run concurrently,
// instead of one SHOW per object: the bulk mode for requests that cover many objects. The database's own
// grants are always read. Objects other than tables and views, and INFORMATION_SCHEMA, are left out.
func LoadCatalog(ctx context.Context, q Querier, db DatabaseID, scope CatalogScope) (Catalog, error) {
	view := func(name string) string {
		return db.FullyQualifiedName() + "." + QuoteIdent(informationSchema) + "." + QuoteIdent(name)
	}
	where := func(schemaCol, nameCol string) string {
		w := " WHERE " + schemaCol + " != " + QuoteString(informationSchema)
		if scope.Schemas != nil {
			w += " AND " + schemaCol + " IN " + stringList(scope.Schemas)
		}
		if nameCol != "" && scope.Names != nil {
			w += " AND " + nameCol + " IN " + stringList(scope.Names)
		}
		return w
	}
	objWhere := " WHERE OBJECT_TYPE IN " + stringList([]string{string(ObjectDatabase), string(ObjectSchema)})
	if scope.Schemas != nil {
		objWhere += " AND OBJECT_NAME IN " + stringList(append([]string{db.Name}, scope.Schemas...))
	}
	var (
		cat                    Catalog
		kinds                  = map[ObjectID]ObjectType{}
		tableGrants, objGrants []GrantInfo
		tableIDs               []ObjectID // the object of each tableGrants entry, whose kind TABLES tells
	)
	g := new(errgroup.Group)
	guard.Go(g, func() error {
		return queryRecords(ctx, q, "SELECT SCHEMA_NAME FROM "+view("SCHEMATA")+where("SCHEMA_NAME", ""),
			[]string{"schema_name"}, func(r record) error {
				cat.Schemas = append(cat.Schemas, SchemaID{Database: db.Name, Name: r.get("schema_name")})
				return nil
			})
	})
	guard.Go(g, func() error {
		return queryRecords(ctx, q, "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE FROM "+view("TABLES")+where("TABLE_SCHEMA", "TABLE_NAME"),
			[]string{"table_schema", "table_name", "table_type"}, func(r record) error {
				if kind, ok := tableTypes[r.get("table_type")]; ok {
					id := ObjectID{db.Name, r.get("table_schema"), r.get("table_name")}
					kinds[id] = kind
					cat.Objects = append(cat.Objects, Object{ID: id, Kind: kind})
				}
				return nil
			})
	})
	guard.Go(g, func() error {
		return queryRecords(ctx, q, "SELECT GRANTOR, GRANTEE, TABLE_SCHEMA, TABLE_NAME, PRIVILEGE_TYPE, IS_GRANTABLE FROM "+
			view("TABLE_PRIVILEGES")+where("TABLE_SCHEMA", "TABLE_NAME"),
			[]string{"grantor", "grantee", "table_schema", "table_name", "privilege_type", "is_grantable"}, func(r record) error {
				id := ObjectID{db.Name, r.get("table_schema"), r.get("table_name")}
				tableIDs = append(tableIDs, id)
				tableGrants = append(tableGrants, privilegeRow(r, "", id))
				return nil
			})
	})
	// Database and schema grants: the database's row names it in OBJECT_NAME, a schema's row names the
	// schema there. Rows for other databases or schemas are dropped here.
	guard.Go(g, func() error {
		inScope := map[string]bool{}
		for _, s := range scope.Schemas {
			inScope[s] = true
		}
		return queryRecords(ctx, q, "SELECT GRANTOR, GRANTEE, OBJECT_NAME, OBJECT_TYPE, PRIVILEGE_TYPE, IS_GRANTABLE FROM "+
			view("OBJECT_PRIVILEGES")+objWhere,
			[]string{"grantor", "grantee", "object_name", "object_type", "privilege_type", "is_grantable"}, func(r record) error {
				name := r.get("object_name")
				switch ObjectType(r.get("object_type")) {
				case ObjectDatabase:
					if name == db.Name {
						objGrants = append(objGrants, privilegeRow(r, ObjectDatabase, db))
					}
				case ObjectSchema:
					if name != informationSchema && (scope.Schemas == nil || inScope[name]) {
						objGrants = append(objGrants, privilegeRow(r, ObjectSchema, SchemaID{db.Name, name}))
					}
				}
				return nil
			})
	})
	if err := g.Wait(); err != nil {
		return Catalog{}, err
	}
	for i, g := range tableGrants {
		if kind, ok := kinds[tableIDs[i]]; ok { // tables and views only
			g.On = kind
			cat.Grants = append(cat.Grants, g)
		}
	}
	cat.Grants = append(cat.Grants, objGrants...)
	return cat, nil
}

// objectKinds maps SHOW OBJECTS' kind column to the object types snowsync syncs. Transient tables
// (dbt's default) are tables for GRANT; temporary ones live in one session and are left out.
var objectKinds = map[string]ObjectType{"TABLE": ObjectTable, "TRANSIENT": ObjectTable, "VIEW": ObjectView}

// tableTypes maps INFORMATION_SCHEMA.TABLES.TABLE_TYPE to the object types snowsync syncs.
var tableTypes = map[string]ObjectType{"BASE TABLE": ObjectTable, "VIEW": ObjectView}

// stringList renders ('a', 'b') with every value through QuoteString.
func stringList(values []string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = QuoteString(v)
	}
	return "(" + strings.Join(quoted, ", ") + ")"
}

// privilegeRow converts a row of TABLE_PRIVILEGES or OBJECT_PRIVILEGES.
func privilegeRow(r record, on ObjectType, id Identifier) GrantInfo {
	return GrantInfo{
		Privilege:   Privilege(r.get("privilege_type")),
		On:          on,
		Object:      id.FullyQualifiedName(),
		Role:        r.get("grantee"),
		GrantOption: r.get("is_grantable") == "YES",
		GrantedBy:   r.get("grantor"),
	}
}
