package emulator

import (
	"slices"
	"strconv"
)

// lookup narrows an INFORMATION_SCHEMA scan to named schemas and object names (nil = all).
type lookup struct {
	schemas, names []string
}

// infoView is one INFORMATION_SCHEMA view: its columns, which of them name the schema and
// the object (for lookups), and its rows for a database.
type infoView struct {
	cols               []colMeta
	schemaCol, nameCol string
	rows               func(x *execCtx, db *object, l lookup) [][]*string
}

func textCols(names ...string) []colMeta {
	cols := make([]colMeta, len(names))
	for i, n := range names {
		cols[i] = colMeta{n, "text"}
		switch n {
		case "CREATED", "LAST_ALTERED", "LAST_DDL":
			cols[i].typ = "timestamp_ltz"
		}
	}
	return cols
}

// infoViews are the INFORMATION_SCHEMA views the emulator answers, with Snowflake's columns
// in Snowflake's order (https://docs.snowflake.com/en/sql-reference/info-schema).
var infoViews = map[string]*infoView{
	"TABLES": {
		cols: textCols("TABLE_CATALOG", "TABLE_SCHEMA", "TABLE_NAME", "TABLE_OWNER", "TABLE_TYPE", "IS_TRANSIENT",
			"CLUSTERING_KEY", "ROW_COUNT", "BYTES", "RETENTION_TIME", "CREATED", "LAST_ALTERED", "LAST_DDL",
			"LAST_DDL_BY", "AUTO_CLUSTERING_ON", "COMMENT"),
		schemaCol: "TABLE_SCHEMA", nameCol: "TABLE_NAME",
		rows: func(x *execCtx, db *object, l lookup) [][]*string {
			var rows [][]*string
			for _, o := range x.infoObjects(db, l, kTable, kView) {
				typ, count := "BASE TABLE", str("0")
				if o.kind == kView {
					typ, count = "VIEW", nil
				}
				rows = append(rows, []*string{str(db.name), str(o.parent.name), str(o.name), nullIfEmpty(o.ownerName()),
					str(typ), yesNo(o.transient), nil, count, count, str("1"), ts(o.created), ts(o.created),
					ts(o.created), nullIfEmpty(o.ownerName()), str("NO"), nullIfEmpty(o.comment)})
			}
			return rows
		},
	},
	"VIEWS": {
		cols: textCols("TABLE_CATALOG", "TABLE_SCHEMA", "TABLE_NAME", "TABLE_OWNER", "VIEW_DEFINITION",
			"CHECK_OPTION", "IS_UPDATABLE", "INSERTABLE_INTO", "IS_SECURE", "CREATED", "LAST_ALTERED", "LAST_DDL",
			"LAST_DDL_BY", "COMMENT"),
		schemaCol: "TABLE_SCHEMA", nameCol: "TABLE_NAME",
		rows: func(x *execCtx, db *object, l lookup) [][]*string {
			var rows [][]*string
			for _, o := range x.infoObjects(db, l, kView) {
				rows = append(rows, []*string{str(db.name), str(o.parent.name), str(o.name), nullIfEmpty(o.ownerName()),
					str(o.viewText), str("NONE"), str("NO"), str("NO"), yesNo(o.secure), ts(o.created), ts(o.created),
					ts(o.created), nullIfEmpty(o.ownerName()), nullIfEmpty(o.comment)})
			}
			return rows
		},
	},
	"COLUMNS": {
		// The leading columns of https://docs.snowflake.com/en/sql-reference/info-schema/columns,
		// up to NUMERIC_SCALE: length for text, precision and scale for fixed-point numbers.
		cols: textCols("TABLE_CATALOG", "TABLE_SCHEMA", "TABLE_NAME", "COLUMN_NAME", "ORDINAL_POSITION",
			"COLUMN_DEFAULT", "IS_NULLABLE", "DATA_TYPE", "CHARACTER_MAXIMUM_LENGTH", "CHARACTER_OCTET_LENGTH",
			"NUMERIC_PRECISION", "NUMERIC_PRECISION_RADIX", "NUMERIC_SCALE"),
		schemaCol: "TABLE_SCHEMA", nameCol: "TABLE_NAME",
		rows: func(x *execCtx, db *object, l lookup) [][]*string {
			var rows [][]*string
			for _, o := range x.infoObjects(db, l, kTable, kView) {
				for i, c := range o.columns {
					var length, octets, precision, radix, scale *string
					dt := columnDataType(c)
					if n, ok := dt["length"].(int); ok {
						length, octets = str(strconv.Itoa(n)), str(strconv.Itoa(min(4*n, 16777216)))
					}
					if p, ok := dt["precision"].(int); ok {
						precision, radix, scale = str(strconv.Itoa(p)), str("10"), str(strconv.Itoa(dt["scale"].(int)))
					}
					rows = append(rows, []*string{str(db.name), str(o.parent.name), str(o.name), str(c.name),
						str(strconv.Itoa(i + 1)), nil, yesNo(c.nullable), str(sqlTypeName(c.typ)), length, octets,
						precision, radix, scale})
				}
			}
			return rows
		},
	},
	"SCHEMATA": {
		cols: textCols("CATALOG_NAME", "SCHEMA_NAME", "SCHEMA_OWNER", "IS_TRANSIENT", "IS_MANAGED_ACCESS",
			"RETENTION_TIME", "DEFAULT_CHARACTER_SET_CATALOG", "DEFAULT_CHARACTER_SET_SCHEMA",
			"DEFAULT_CHARACTER_SET_NAME", "SQL_PATH", "CREATED", "LAST_ALTERED", "COMMENT"),
		schemaCol: "SCHEMA_NAME",
		rows: func(x *execCtx, db *object, l lookup) [][]*string {
			var rows [][]*string
			for _, sc := range x.infoSchemas(db, l) {
				rows = append(rows, []*string{str(db.name), str(sc.name), nullIfEmpty(sc.ownerName()), yesNo(sc.transient),
					str("NO"), str("1"), nil, nil, nil, nil, ts(sc.created), ts(sc.created), nullIfEmpty(sc.comment)})
			}
			return rows
		},
	},
	"TABLE_PRIVILEGES": {
		cols: textCols("GRANTOR", "GRANTEE", "GRANTED_TO", "TABLE_CATALOG", "TABLE_SCHEMA", "TABLE_NAME",
			"PRIVILEGE_TYPE", "IS_GRANTABLE", "WITH_HIERARCHY", "CREATED"),
		schemaCol: "TABLE_SCHEMA", nameCol: "TABLE_NAME",
		rows: func(x *execCtx, db *object, l lookup) [][]*string {
			var rows [][]*string
			for _, o := range x.infoObjects(db, l, kTable, kView) {
				for _, g := range objectGrants(o) {
					rows = append(rows, []*string{str(g.grantedBy), str(g.role.name), str("ROLE"), str(db.name),
						str(o.parent.name), str(o.name), str(g.priv), yesNo(g.grantOption), str("NO"), ts(g.created)})
				}
			}
			return rows
		},
	},
	"OBJECT_PRIVILEGES": {
		cols: textCols("GRANTOR", "GRANTEE", "GRANTED_TO", "OBJECT_CATALOG", "OBJECT_SCHEMA", "OBJECT_NAME",
			"OBJECT_TYPE", "PRIVILEGE_TYPE", "IS_GRANTABLE", "CREATED"),
		schemaCol: "OBJECT_SCHEMA", nameCol: "OBJECT_NAME",
		rows: func(x *execCtx, db *object, l lookup) [][]*string {
			var objs []*object
			if l.schemas == nil && (l.names == nil || slices.Contains(l.names, db.name)) && x.roles().sees(db) {
				objs = append(objs, db)
			}
			// A schema's row names the schema in OBJECT_NAME, so a name filter selects schemas too.
			for _, sc := range x.infoSchemas(db, lookup{schemas: l.schemas}) {
				if l.names == nil || slices.Contains(l.names, sc.name) {
					objs = append(objs, sc)
				}
			}
			objs = append(objs, x.infoObjects(db, l, kTable, kView)...)
			var rows [][]*string
			for _, o := range objs {
				var schema *string
				if o.kind == kTable || o.kind == kView {
					schema = str(o.parent.name)
				}
				for _, g := range objectGrants(o) {
					rows = append(rows, []*string{str(g.grantedBy), str(g.role.name), str("ROLE"), str(db.name), schema,
						str(o.name), str(string(o.kind)), str(g.priv), yesNo(g.grantOption), ts(g.created)})
				}
			}
			return rows
		},
	},
}

// objectGrants lists an object's grants, ownership first, then by privilege and grantee.
func objectGrants(o *object) []*grant {
	out := make([]*grant, 0, len(o.grants)+1)
	if o.owner != nil {
		out = append(out, &grant{obj: o, priv: privOwnership, role: o.owner, grantOption: true,
			grantedBy: o.owner.name, created: o.created})
	}
	rest := make([]*grant, 0, len(o.grants))
	for _, g := range o.grants {
		rest = append(rest, g)
	}
	slices.SortFunc(rest, func(a, b *grant) int {
		if a.priv != b.priv {
			return compareStrings(a.priv, b.priv)
		}
		return compareStrings(a.role.name, b.role.name)
	})
	return append(out, rest...)
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// infoSchemaName is the schema every database has; infoViewNames are the views in it that the
// emulator models (the keys of infoViews), which INFORMATION_SCHEMA.TABLES and VIEWS list too.
const infoSchemaName = "INFORMATION_SCHEMA"

var infoViewNames = []string{"COLUMNS", "OBJECT_PRIVILEGES", "SCHEMATA", "TABLES", "TABLE_PRIVILEGES", "VIEWS"}

// infoSchemaOf returns db's INFORMATION_SCHEMA, built on demand: ownerless, visible to every
// role, holding its views (without columns).
func infoSchemaOf(db *object) *object {
	sc := &object{kind: kSchema, name: infoSchemaName, parent: db, created: db.created, builtin: true,
		children: map[string]*object{}, comment: "Views describing the contents of schemas in this database"}
	for _, n := range infoViewNames {
		sc.children[n] = &object{kind: kView, name: n, parent: sc, created: db.created, builtin: true}
	}
	return sc
}

// withInfoSchema returns the schemas of db, INFORMATION_SCHEMA included, ordered by name.
func withInfoSchema(db *object) []*object {
	schemas := db.sortedChildren(kSchema)
	info := infoSchemaOf(db)
	i, _ := slices.BinarySearchFunc(schemas, info.name, func(o *object, n string) int { return compareStrings(o.name, n) })
	return slices.Insert(schemas, i, info)
}

// infoSchemas lists the visible schemas of db in the lookup, by name, INFORMATION_SCHEMA
// included (the SCHEMATA, TABLES and VIEWS references: "including the INFORMATION_SCHEMA").
func (x *execCtx) infoSchemas(db *object, l lookup) []*object {
	var out []*object
	if l.schemas == nil {
		out = withInfoSchema(db)
	} else {
		for _, n := range l.schemas {
			sc := db.children[n]
			if n == infoSchemaName {
				sc = infoSchemaOf(db)
			}
			if sc != nil && !slices.ContainsFunc(out, func(o *object) bool { return o.name == sc.name }) {
				out = append(out, sc)
			}
		}
	}
	set := x.roles()
	return slices.DeleteFunc(out, func(o *object) bool { return !set.sees(o) })
}

// infoObjects lists the visible tables and views (of the given kinds) of db in the lookup.
func (x *execCtx) infoObjects(db *object, l lookup, kinds ...kind) []*object {
	set := x.roles()
	var out []*object
	for _, sc := range x.infoSchemas(db, lookup{schemas: l.schemas}) {
		var objs []*object
		if l.names == nil {
			objs = sc.sortedChildren("")
		} else {
			for _, n := range l.names {
				if o := sc.children[n]; o != nil && !slices.Contains(objs, o) {
					objs = append(objs, o)
				}
			}
		}
		for _, o := range objs {
			if slices.Contains(kinds, o.kind) && set.sees(o) {
				out = append(out, o)
			}
		}
	}
	return out
}

// sqlTypeName is the DATA_TYPE INFORMATION_SCHEMA.COLUMNS reports: SHOW COLUMNS' internal name
// (FIXED, REAL) spelled as SQL spells it (NUMBER, FLOAT). The COLUMNS reference does not list
// the values; these are Snowflake's answers.
func sqlTypeName(t string) string {
	switch c := canonicalType(t); c {
	case "FIXED":
		return "NUMBER"
	case "REAL":
		return "FLOAT"
	default:
		return c
	}
}
