package snowflake

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
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
	Object string
	Role   string
}

// GrantsOn is the result of SHOW GRANTS ON an object.
type GrantsOn struct {
	// Roles holds the grants to account roles, OWNERSHIP included; the grants to other grantees
	// (database roles, shares, users, applications), which snowsync never changes, are left out.
	Roles []GrantInfo
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
	privilege, grantedOn, name, grantedTo, granteeName string
}

func grantRowOf(r record) grantRow {
	return grantRow{r.get("privilege"), r.get("granted_on"), r.get("name"), r.get("granted_to"), r.get("grantee_name")}
}

var grantColumns = []string{"privilege", "granted_on", "name", "granted_to", "grantee_name"}

func (r grantRow) convert() (GrantInfo, error) {
	g, _, err := r.convertParts()
	return g, err
}

// convertParts is convert, also returning the object's name parts, database first.
func (r grantRow) convertParts() (GrantInfo, []string, error) {
	parts, err := ParseQualifiedName(r.name)
	if err != nil {
		return GrantInfo{}, nil, err
	}
	return GrantInfo{
		Privilege: Privilege(r.privilege),
		On:        ObjectType(strings.ReplaceAll(r.grantedOn, "_", " ")),
		Object:    joinQuoted(parts),
		Role:      r.granteeName,
	}, parts, nil
}

func joinQuoted(parts []string) string {
	quoted := make([]string, len(parts))
	for i, p := range parts {
		quoted[i] = QuoteIdent(p)
	}
	return strings.Join(quoted, ".")
}

// ShowGrantsOn runs SHOW GRANTS ON <on> <id> and returns the grants to roles.
// A missing object gives an error for which IsNotExist is true.
func ShowGrantsOn(ctx context.Context, q Querier, on ObjectType, id Identifier) (GrantsOn, error) {
	var out GrantsOn
	query := "SHOW GRANTS ON " + string(on) + " " + id.FullyQualifiedName()
	err := queryRecords(ctx, q, query, grantColumns, func(r record) error {
		row := grantRowOf(r)
		out.On = ObjectType(row.grantedOn)
		if row.grantedTo != granteeRole {
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

// ShowDatabases runs SHOW DATABASES (paged) and returns the names of the databases the session's role
// can see (Snowflake's own SNOWFLAKE and SNOWFLAKE_SAMPLE_DATA included; scoping is the caller's).
func ShowDatabases(ctx context.Context, q Querier) ([]string, error) {
	var out []string
	err := showPaged(ctx, q, "SHOW DATABASES", []string{"name"}, func(r record) error {
		out = append(out, r.get("name"))
		return nil
	})
	return out, err
}

// ShowPageSize is the LIMIT of every SHOW <objects> this package runs. Snowflake returns at most 10,000
// rows from SHOW <objects> and refuses a larger result unless it is limited (error 090153, "Use LIMIT
// option"); LIMIT <rows> FROM '<name>' pages through the rest, the rows coming in lexicographic order of
// their name ("SHOW Commands: Pagination Support", 2023_05 bundle,
// https://docs.snowflake.com/en/release-notes/bcr-bundles/2023_05/bcr-1080; "SHOW OBJECTS", parameter
// LIMIT rows [ FROM 'name_string' ], https://docs.snowflake.com/en/sql-reference/sql/show-objects).
// SHOW GRANTS takes LIMIT without FROM and is not paged.
const ShowPageSize = 10000

// pageSize is ShowPageSize; tests of paging lower it.
var pageSize = ShowPageSize

// ErrTooManyRows is returned for a listing that cannot be read in one request: more objects than one
// SHOW page holds where names alone cannot page (SHOW OBJECTS IN DATABASE lists several schemas, whose
// object names repeat), or Snowflake's 090153. The caller lists each schema instead.
var ErrTooManyRows = errors.New("more rows than one SHOW may return")

// showPaged runs a SHOW <objects> command page by page: `<query> LIMIT n`, then `<query> LIMIT n FROM
// '<last name>'` while a page came back full. The docs call FROM a cursor that returns the rows "following"
// the first row matching the name; a row equal to the cursor is skipped in case a server includes it.
func showPaged(ctx context.Context, q Querier, query string, cols []string, fn func(record) error) error {
	cursor, paged := "", false
	for {
		page := query + " LIMIT " + strconv.Itoa(pageSize)
		if paged {
			page += " FROM " + QuoteString(cursor)
		}
		rows, fresh := 0, 0
		err := queryRecords(ctx, q, page, append(cols, "name"), func(r record) error {
			rows++
			name := r.get("name")
			if paged && name == cursor {
				return nil
			}
			fresh++
			cursor = name
			return fn(r)
		})
		if err != nil {
			return err
		}
		if rows < pageSize || fresh == 0 {
			return nil
		}
		paged = true
	}
}

// ShowSchemas runs SHOW SCHEMAS IN DATABASE db (paged) and returns its schemas, INFORMATION_SCHEMA
// excluded.
func ShowSchemas(ctx context.Context, q Querier, db DatabaseID) ([]SchemaID, error) {
	var out []SchemaID
	err := showPaged(ctx, q, "SHOW SCHEMAS IN DATABASE "+db.FullyQualifiedName(), nil, func(r record) error {
		if name := r.get("name"); name != informationSchema {
			out = append(out, SchemaID{Database: db.Name, Name: name})
		}
		return nil
	})
	return out, err
}

var objectColumns = []string{"name", "database_name", "schema_name", "kind"}

// ShowTables returns the objects of a database or schema (in is a DatabaseID or a SchemaID) that SHOW
// OBJECTS lists: tables (transient ones included) and views with Kind ObjectTable or ObjectView, any
// other kind (materialized views, external tables, ...) with Snowflake's kind as its Kind, so that a
// caller knows the container holds objects it does not sync. INFORMATION_SCHEMA is left out.
//
// A schema is listed with SHOW OBJECTS IN SCHEMA, paged. A database is listed with one SHOW OBJECTS IN
// DATABASE of one page; when that page comes back full (or Snowflake answers 090153) the error is
// ErrTooManyRows, and the caller lists each schema: names repeat across schemas, so FROM cannot page it.
func ShowTables(ctx context.Context, q Querier, in Identifier) ([]Object, error) {
	var out []Object
	keep := func(r record) error {
		kind, ok := objectKinds[r.get("kind")]
		if !ok {
			kind = ObjectType(r.get("kind"))
		}
		if r.get("schema_name") != informationSchema {
			out = append(out, Object{ID: ObjectID{r.get("database_name"), r.get("schema_name"), r.get("name")}, Kind: kind})
		}
		return nil
	}
	switch in.(type) {
	case SchemaID:
		err := showPaged(ctx, q, "SHOW OBJECTS IN SCHEMA "+in.FullyQualifiedName(), objectColumns, keep)
		return out, err
	case DatabaseID:
		rows := 0
		err := queryRecords(ctx, q, "SHOW OBJECTS IN DATABASE "+in.FullyQualifiedName()+" LIMIT "+strconv.Itoa(pageSize),
			objectColumns, func(r record) error { rows++; return keep(r) })
		switch {
		case isTooManyRows(err) || err == nil && rows >= pageSize:
			return nil, fmt.Errorf("show objects in database %s: %w", in.FullyQualifiedName(), ErrTooManyRows)
		case err != nil:
			return nil, err
		}
		return out, nil
	}
	return nil, fmt.Errorf("show tables in %v: %w: not a database or schema identifier", in, ErrInvalidStatement)
}

// ShowRoles runs SHOW ROLES [LIKE '<like>'] (paged) and returns the role names. like is a Snowflake LIKE
// pattern (case-insensitive, % and _ wildcards); "" lists every role.
func ShowRoles(ctx context.Context, q Querier, like string) ([]string, error) {
	query := "SHOW ROLES"
	if like != "" {
		query += " LIKE " + QuoteString(like)
	}
	var out []string
	err := showPaged(ctx, q, query, nil, func(r record) error {
		out = append(out, r.get("name"))
		return nil
	})
	return out, err
}

// ShowGrantsToRole runs SHOW GRANTS TO ROLE role and calls fn with each privilege the role holds
// directly, on any object of the account (OWNERSHIP included), and the object's name parts, database
// first. Only grants on databases, schemas, tables and views are passed (the others, on the account,
// functions or roles, name objects in other forms). A role that does not exist gives an error for which
// IsNotExist is true. SHOW GRANTS takes no FROM cursor: the result is read in one request.
func ShowGrantsToRole(ctx context.Context, q Querier, role string, fn func(g GrantInfo, parts []string) error) error {
	return queryRecords(ctx, q, "SHOW GRANTS TO ROLE "+QuoteIdent(role), grantColumns, func(r record) error {
		row := grantRowOf(r)
		if levelOf(ObjectType(row.grantedOn)) == 0 {
			return nil
		}
		g, parts, err := row.convertParts()
		if err != nil {
			return err
		}
		return fn(g, parts)
	})
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
		Privilege: Privilege(r.get("privilege_type")),
		On:        on,
		Object:    id.FullyQualifiedName(),
		Role:      r.get("grantee"),
	}
}
