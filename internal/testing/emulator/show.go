package emulator

import (
	"cmp"
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// likePattern compiles a SQL LIKE pattern (% and _, backslash escapes) into a regexp,
// case-insensitive when fold is set, as SHOW ... LIKE and ILIKE match.
func likePattern(pat string, fold bool) *regexp.Regexp {
	var b strings.Builder
	if fold {
		b.WriteString("(?is)^")
	} else {
		b.WriteString("(?s)^")
	}
	for i := 0; i < len(pat); i++ {
		switch c := pat[i]; {
		case c == '\\' && i+1 < len(pat):
			i++
			b.WriteString(regexp.QuoteMeta(pat[i : i+1]))
		case c == '%':
			b.WriteString(".*")
		case c == '_':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(pat[i : i+1]))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// nameFilter applies SHOW's LIKE and STARTS WITH to object names.
type nameFilter struct {
	like   *regexp.Regexp
	starts string
}

func (s *showStmt) filter() nameFilter {
	f := nameFilter{starts: s.starts}
	if s.like != nil {
		f.like = likePattern(*s.like, true)
	}
	return f
}

func (f nameFilter) match(name string) bool {
	return (f.like == nil || f.like.MatchString(name)) && strings.HasPrefix(name, f.starts)
}

func showResult(names []string, rows [][]*string) *result {
	cols := make([]colMeta, len(names))
	for i, n := range names {
		cols[i] = colMeta{n, "text"}
		if n == "created_on" {
			cols[i].typ = "timestamp_ltz"
		}
	}
	return &result{cols: cols, rows: rows, stmtType: stmtTypeSCL}
}

// DefaultShowRowLimit is the most rows SHOW <objects> returns (Options.ShowRowLimit).
const DefaultShowRowLimit = 10000

// objectResult is the result of SHOW <objects>: rows, already filtered by LIKE and STARTS
// WITH and sorted in SHOW's order, go through the FROM cursor, then LIMIT. The FROM cursor
// keeps the rows whose name (the name column; column_name for SHOW COLUMNS) is greater than
// the string, comparing bytes, so it is case-sensitive and takes partial names; combined with
// STARTS WITH it returns nothing unless the string itself starts with STARTS WITH's. Without
// LIMIT, more than x.showLimit rows is error 090153; a LIMIT above x.showLimit is too.
func (s *showStmt) objectResult(x *execCtx, names []string, rows [][]*string) (*result, error) {
	if s.limit > x.showLimit {
		return nil, errShowLimit(x.showLimit)
	}
	if s.from != nil {
		key := slices.Index(names, "name")
		if key < 0 {
			key = slices.Index(names, "column_name")
		}
		from := *s.from
		if !strings.HasPrefix(from, s.starts) {
			rows = nil
		}
		rows = slices.DeleteFunc(rows, func(r []*string) bool { return *r[key] <= from })
	}
	if s.limit < 0 && len(rows) > x.showLimit {
		return nil, errShowLimit(x.showLimit)
	}
	return s.grantResult(names, rows), nil
}

// grantResult is the result of SHOW [FUTURE] GRANTS, which takes LIMIT but no FROM and has no
// row limit of its own (the SHOW GRANTS reference documents none).
func (s *showStmt) grantResult(names []string, rows [][]*string) *result {
	if s.limit >= 0 && len(rows) > s.limit {
		rows = rows[:s.limit]
	}
	return showResult(names, rows)
}

func yn(b bool) *string {
	if b {
		return str("Y")
	}
	return str("N")
}

func (s *showStmt) run(x *execCtx) (*result, error) {
	switch s.what {
	case "GRANTS":
		return s.showGrants(x)
	case "FUTURE GRANTS":
		return s.showFutureGrants(x)
	case "DATABASES":
		return s.showDatabases(x)
	case "SCHEMAS":
		return s.showSchemas(x)
	case "TABLES", "VIEWS", "OBJECTS", "COLUMNS":
		return s.showTables(x)
	case "ROLES":
		return s.showRoles(x)
	case "MASKING POLICIES":
		return s.showPolicies(x, kMaskingPolicy)
	case "ROW ACCESS POLICIES":
		return s.showPolicies(x, kRowAccessPolicy)
	default: // USERS
		return s.showUsers(x)
	}
}

func (s *showStmt) showDatabases(x *execCtx) (*result, error) {
	f, set := s.filter(), x.roles()
	var rows [][]*string
	for _, db := range x.a.root.sortedChildren(kDatabase) {
		if !f.match(db.name) || !set.sees(db) {
			continue
		}
		rows = append(rows, []*string{ts(db.created), str(db.name), str("N"), yn(db.name == x.st.database),
			str(""), str(db.ownerName()), str(db.comment), transientOpt(db), str("1"), str("STANDARD"), nil, str("ROLE")})
	}
	return s.objectResult(x, []string{"created_on", "name", "is_default", "is_current", "origin", "owner", "comment",
		"options", "retention_time", "kind", "budget", "owner_role_type"}, rows)
}

func transientOpt(o *object) *string {
	if o.transient {
		return str("TRANSIENT")
	}
	return str("")
}

// scope resolves the IN clause of SHOW SCHEMAS/TABLES/...: the databases to list, or a single
// schema (or table) when the scope names one. A named database or schema that does not exist
// (or is not visible) is 002043, not the 002003 of a missing object.
func (s *showStmt) scope(x *execCtx) (dbs []*object, schema *object, table *object, err error) {
	dbs, schema, table, err = s.resolveScope(x)
	if e, ok := err.(*Error); ok && e.Number == ErrDoesNotExist && (s.in == kDatabase || s.in == kSchema) {
		err = errCannotPerform()
	}
	return dbs, schema, table, err
}

func (s *showStmt) resolveScope(x *execCtx) (dbs []*object, schema *object, table *object, err error) {
	in := s.in
	if in == "" {
		if x.st.database == "" {
			in = kAccount
		} else {
			in = kDatabase
		}
	}
	switch in {
	case kAccount:
		return x.a.root.sortedChildren(kDatabase), nil, nil, nil
	case kDatabase:
		name := ""
		if s.inName != nil {
			name = s.inName[0]
		}
		db, err := x.database(name, "SHOW")
		return []*object{db}, nil, nil, err
	case kSchema:
		parts := s.inName
		if parts == nil {
			if x.st.schema == "" {
				return nil, nil, nil, errNoSchema("SHOW")
			}
			parts = []string{x.st.schema}
		}
		sc, err := x.schemaObj(parts, "SHOW")
		return nil, sc, nil, err
	default: // TABLE, VIEW
		t, err := x.tableObj(s.inName, "", "SHOW")
		return nil, nil, t, err
	}
}

func (s *showStmt) showSchemas(x *execCtx) (*result, error) {
	dbs, _, _, err := s.scope(x)
	if err != nil {
		return nil, err
	}
	f, set := s.filter(), x.roles()
	var rows [][]*string
	for _, db := range dbs {
		if !set.sees(db) { // schemas show only with a privilege on their database too
			continue
		}
		for _, sc := range withInfoSchema(db) {
			if !f.match(sc.name) || !set.sees(sc) {
				continue
			}
			current := db.name == x.st.database && sc.name == x.st.schema
			rows = append(rows, []*string{ts(sc.created), str(sc.name), str("N"), yn(current), str(db.name),
				str(sc.ownerName()), str(sc.comment), transientOpt(sc), str("1"), str("ROLE"), nil, nil})
		}
	}
	// SHOW SCHEMAS § Examples end with owner_role_type, object_visibility; budget is kept from
	// Snowflake's earlier answers.
	return s.objectResult(x, []string{"created_on", "name", "is_default", "is_current", "database_name", "owner",
		"comment", "options", "retention_time", "owner_role_type", "budget", "object_visibility"}, rows)
}

func (s *showStmt) showTables(x *execCtx) (*result, error) {
	dbs, schema, table, err := s.scope(x)
	if err != nil {
		return nil, err
	}
	var objs []*object
	switch {
	case table != nil:
		objs = []*object{table}
	case schema != nil:
		objs = schema.sortedChildren("")
	default:
		for _, db := range dbs {
			for _, sc := range db.sortedChildren(kSchema) {
				objs = append(objs, sc.sortedChildren("")...)
			}
		}
	}
	want := map[string]kind{"TABLES": kTable, "VIEWS": kView}[s.what]
	f, set := s.filter(), x.roles()
	var rows [][]*string
	for _, o := range objs {
		// A schema object shows only when the role also has a privilege on its schema and
		// database (SHOW <objects> § General usage notes).
		if want != "" && o.kind != want || !set.sees(o) || !set.sees(o.parent) || !set.sees(o.parent.parent) {
			continue
		}
		if s.what == "COLUMNS" {
			rows = append(rows, columnRows(o, f)...)
			continue
		}
		if !f.match(o.name) {
			continue
		}
		rows = append(rows, tableRow(s.what, o))
	}
	return s.objectResult(x, showColumns[s.what], rows)
}

// showColumns are the columns of SHOW TABLES, VIEWS, OBJECTS and COLUMNS, in the order of their
// reference pages' Output sections (SHOW TABLES: search_optimization*; SHOW VIEWS: kind; SHOW
// OBJECTS: budget, is_hybrid, is_dynamic as in its example, is_iceberg), plus columns of
// Snowflake's answers the tables leave out (budget, is_dynamic of SHOW TABLES).
var showColumns = map[string][]string{
	"TABLES": {"created_on", "name", "database_name", "schema_name", "kind", "comment", "cluster_by", "rows",
		"bytes", "owner", "retention_time", "automatic_clustering", "change_tracking", "search_optimization",
		"search_optimization_progress", "search_optimization_bytes", "is_external", "enable_schema_evolution",
		"owner_role_type", "is_event", "budget", "is_hybrid", "is_iceberg", "is_dynamic", "is_immutable"},
	"VIEWS": {"created_on", "name", "reserved", "kind", "database_name", "schema_name", "owner", "comment", "text",
		"is_secure", "is_materialized", "owner_role_type", "change_tracking"},
	"OBJECTS": {"created_on", "name", "database_name", "schema_name", "kind", "comment", "cluster_by", "rows",
		"bytes", "owner", "retention_time", "owner_role_type", "budget", "is_hybrid", "is_dynamic", "is_iceberg"},
	"COLUMNS": {"table_name", "schema_name", "column_name", "data_type", "null?", "default", "kind",
		"expression", "comment", "database_name", "autoincrement"},
}

func tableRow(what string, o *object) []*string {
	tableKind := "TABLE"
	if o.transient {
		tableKind = "TRANSIENT"
	}
	switch what {
	case "TABLES":
		return []*string{ts(o.created), str(o.name), str(o.database()), str(o.schema()), str(tableKind),
			str(o.comment), str(""), str("0"), str("0"), str(o.ownerName()), str("1"), str("OFF"), str("OFF"),
			str("OFF"), nil, nil, str("N"), str("N"), str("ROLE"), str("N"), nil, str("N"), str("N"), str("N"), str("N")}
	case "VIEWS":
		return []*string{ts(o.created), str(o.name), str(""), str("VIEW"), str(o.database()), str(o.schema()),
			str(o.ownerName()), str(o.comment), str(o.viewText), boolStr(o.secure), str("false"), str("ROLE"), str("OFF")}
	default: // OBJECTS
		if o.kind == kView {
			tableKind = "VIEW"
		}
		return []*string{ts(o.created), str(o.name), str(o.database()), str(o.schema()), str(tableKind),
			str(o.comment), str(""), str("0"), str("0"), str(o.ownerName()), str("1"), str("ROLE"), nil, str("N"),
			str("N"), str("N")}
	}
}

// columnDataType is SHOW COLUMNS' data_type: the type, with its length (text) or precision
// and scale (fixed-point numbers) as DESCRIBE TABLE shows them, and nullability.
func columnDataType(c column) map[string]any {
	dt := map[string]any{"type": canonicalType(c.typ), "nullable": c.nullable}
	shown := displayType(c.declared())
	open := strings.IndexByte(shown, '(')
	if open < 0 {
		return dt
	}
	params := strings.Split(strings.TrimSuffix(shown[open+1:], ")"), ",")
	switch typeFamily(c.declared()) {
	case "TEXT":
		dt["length"], _ = strconv.Atoi(params[0])
	case "FIXED":
		dt["precision"], _ = strconv.Atoi(params[0])
		dt["scale"] = 0
		if len(params) > 1 {
			dt["scale"], _ = strconv.Atoi(params[1])
		}
	}
	return dt
}

func columnRows(o *object, f nameFilter) [][]*string {
	var rows [][]*string
	for _, c := range o.columns {
		if !f.match(c.name) {
			continue
		}
		dt, _ := json.Marshal(columnDataType(c))
		rows = append(rows, []*string{str(o.name), str(o.schema()), str(c.name), str(string(dt)),
			boolStr(c.nullable), str(""), str("COLUMN"), str(""), str(""), str(o.database()), str("")})
	}
	return rows
}

// canonicalType maps a declared column type to the type name Snowflake reports for it.
func canonicalType(t string) string {
	switch t {
	case "VARCHAR", "STRING", "TEXT", "CHAR", "CHARACTER", "NVARCHAR", "NCHAR":
		return "TEXT"
	case "NUMBER", "NUMERIC", "DECIMAL", "INT", "INTEGER", "BIGINT", "SMALLINT", "TINYINT", "BYTEINT":
		return "FIXED"
	case "FLOAT", "FLOAT4", "FLOAT8", "DOUBLE", "REAL":
		return "REAL"
	case "DATETIME", "TIMESTAMP":
		return "TIMESTAMP_NTZ"
	case "VARBINARY":
		return "BINARY"
	}
	return t
}

func (s *showStmt) showRoles(x *execCtx) (*result, error) {
	f, set := s.filter(), x.roles()
	names := make([]string, 0, len(x.a.roles))
	for n := range x.a.roles {
		if f.match(n) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	var rows [][]*string
	for _, n := range names {
		r := x.a.roles[n]
		owner := ""
		if r.owner != nil {
			owner = r.owner.name
		}
		rows = append(rows, []*string{ts(r.created), str(r.name), str("N"), yn(r.name == x.st.role),
			yn(set[r] && r.name != x.st.role), str(strconv.Itoa(len(r.users))), str(strconv.Itoa(len(r.parents))),
			str(strconv.Itoa(len(r.children))), str(owner), str(r.comment), str("ROLE")})
	}
	return s.objectResult(x, []string{"created_on", "name", "is_default", "is_current", "is_inherited",
		"assigned_to_users", "granted_to_roles", "granted_roles", "owner", "comment", "owner_role_type"}, rows)
}

func (s *showStmt) showUsers(x *execCtx) (*result, error) {
	f := s.filter()
	names := make([]string, 0, len(x.a.users))
	for n := range x.a.users {
		if f.match(n) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	var rows [][]*string
	for _, n := range names {
		u := x.a.users[n]
		rows = append(rows, []*string{str(u.name), ts(u.created), str(u.loginName), str(u.displayName), nil, nil,
			str(u.email), nil, nil, str(u.comment), boolStr(u.disabled), str("false"), str("false"),
			str(u.defaultWarehouse), str(u.defaultNS), str(u.defaultRole), nil, str("false"), nil, nil,
			str(u.owner), nil, nil, nil, boolStr(u.password != ""), boolStr(u.pubKeys[0] != nil || u.pubKeys[1] != nil)})
	}
	return s.objectResult(x, []string{"name", "created_on", "login_name", "display_name", "first_name", "last_name",
		"email", "mins_to_unlock", "days_to_expiry", "comment", "disabled", "must_change_password",
		"snowflake_lock", "default_warehouse", "default_namespace", "default_role", "default_secondary_roles",
		"ext_authn_duo", "ext_authn_uid", "mins_to_bypass_mfa", "owner", "last_success_login",
		"expires_at_time", "locked_until_time", "has_password", "has_rsa_public_key"}, rows)
}

// grantColumns are the columns of SHOW GRANTS TO ROLE; SHOW GRANTS ON adds granted_by_role_type
// as its last column (bcr-754, bundle 2023_04: "the column is the last column in the output").
var grantColumns = []string{"created_on", "privilege", "granted_on", "name", "granted_to", "grantee_name",
	"grant_option", "granted_by"}

var grantOnColumns = append(slices.Clip(grantColumns), "granted_by_role_type")

// userGrantColumns are the columns of SHOW GRANTS TO USER and SHOW GRANTS (bcr-1803, bundle
// 2025_01); of ROLE the columns of SHOW GRANTS OF ROLE.
var (
	userGrantColumns = []string{"created_on", "privilege", "granted_on", "name", "role", "granted_to",
		"grantee_name", "grant_option", "granted_by"}
	ofRoleColumns = []string{"created_on", "role", "granted_to", "grantee_name", "granted_by"}
)

func grantRow(g *grant) []*string {
	return []*string{ts(g.created), str(g.priv), str(string(g.obj.kind)), str(g.obj.fqn()), str("ROLE"),
		str(g.role.name), boolStr(g.grantOption), str(g.grantedBy)}
}

func ownershipRow(o *object) []*string {
	return []*string{ts(o.created), str(privOwnership), str(string(o.kind)), str(o.fqn()), str("ROLE"),
		str(o.owner.name), str("true"), str(o.owner.name)}
}

// sortGrantRows orders rows by privilege, granted_on, name and grantee.
func sortGrantRows(rows [][]*string) {
	slices.SortFunc(rows, func(a, b []*string) int {
		for _, i := range []int{1, 2, 3, 5} {
			if c := cmp.Compare(*a[i], *b[i]); c != 0 {
				return c
			}
		}
		return 0
	})
}

func (s *showStmt) showGrants(x *execCtx) (*result, error) {
	var rows [][]*string
	switch s.grantsTo {
	case "":
		obj, err := x.object(s.grantsOn.kind, s.grantsOn.name, "SHOW GRANTS")
		if err != nil {
			return nil, err
		}
		if obj.owner != nil {
			rows = append(rows, ownershipRow(obj))
		}
		for _, g := range obj.grants {
			rows = append(rows, grantRow(g))
		}
		sortGrantRows(rows)
		for i := range rows {
			rows[i] = append(rows[i], str("ROLE")) // granted_by_role_type: grantors are account roles
		}
		return s.grantResult(grantOnColumns, rows), nil
	case "ROLE":
		r, err := x.role(s.grantee)
		if err != nil {
			return nil, err
		}
		for g := range r.privs {
			rows = append(rows, grantRow(g))
		}
		for o := range r.owned {
			rows = append(rows, ownershipRow(o))
		}
		for _, g := range r.children {
			rows = append(rows, []*string{ts(g.created), str("USAGE"), str("ROLE"), str(quoteName(g.granted.name)),
				str("ROLE"), str(r.name), str("false"), str(g.grantedBy)})
		}
		for o := range r.ownsRoles {
			rows = append(rows, []*string{ts(o.created), str(privOwnership), str("ROLE"), str(quoteName(o.name)),
				str("ROLE"), str(r.name), str("true"), str(r.name)})
		}
		sortGrantRows(rows)
		return s.grantResult(grantColumns, rows), nil
	case "USER":
		name := s.grantee
		if name == "" { // SHOW GRANTS: the current user
			name = x.st.user
		}
		u, err := x.user(name)
		if err != nil {
			return nil, err
		}
		for _, g := range u.roles {
			rows = append(rows, []*string{ts(g.created), str("USAGE"), str("ROLE"), str(quoteName(g.granted.name)),
				str(g.granted.name), str("USER"), str(u.name), str("false"), str(g.grantedBy)})
		}
		slices.SortFunc(rows, func(a, b []*string) int { return cmp.Compare(*a[4], *b[4]) })
		return s.grantResult(userGrantColumns, rows), nil
	default: // OF ROLE
		r, err := x.role(s.grantee)
		if err != nil {
			return nil, err
		}
		for _, g := range r.parents {
			rows = append(rows, []*string{ts(g.created), str(r.name), str("ROLE"), str(g.toRole.name), str(g.grantedBy)})
		}
		for _, g := range r.users {
			rows = append(rows, []*string{ts(g.created), str(r.name), str("USER"), str(g.toUser.name), str(g.grantedBy)})
		}
	}
	slices.SortFunc(rows, func(a, b []*string) int {
		return cmp.Or(cmp.Compare(*a[1], *b[1]), cmp.Compare(*a[2], *b[2]), cmp.Compare(*a[3], *b[3]))
	})
	return s.grantResult(ofRoleColumns, rows), nil
}

func futureRow(g *grant) []*string {
	return []*string{ts(g.created), str(g.priv), str(string(g.future)),
		str(g.obj.fqn() + ".<" + string(g.future) + ">"), str("ROLE"), str(g.role.name), boolStr(g.grantOption)}
}

func (s *showStmt) showFutureGrants(x *execCtx) (*result, error) {
	var rows [][]*string
	if s.grantsTo == "ROLE" {
		r, err := x.role(s.grantee)
		if err != nil {
			return nil, err
		}
		for g := range r.futures {
			rows = append(rows, futureRow(g))
		}
	} else {
		in, err := x.object(s.in, s.inName, "SHOW FUTURE GRANTS")
		if err != nil {
			return nil, err
		}
		for _, g := range in.futures {
			rows = append(rows, futureRow(g))
		}
	}
	sortGrantRows(rows)
	return s.grantResult([]string{"created_on", "privilege", "grant_on", "name", "grant_to", "grantee_name",
		"grant_option"}, rows), nil
}
