package emulator

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// sessionState is what a session carries between statements.
type sessionState struct {
	user, role, warehouse, database, schema string
	params                                  map[string]string // ALTER SESSION SET
	// noSecondary is USE SECONDARY ROLES NONE. Sessions start with every role granted to the
	// user active as a secondary role unless the user's DEFAULT_SECONDARY_ROLES is (): ('ALL')
	// is the default for users (bcr-1692, bundle 2024_08:
	// https://docs.snowflake.com/en/release-notes/bcr-bundles/2024_08/bcr-1692). The emulator
	// consults secondary roles only in IS_ROLE_IN_SESSION, never for privileges.
	noSecondary bool
}

// execCtx runs statements of one session against the account. The caller holds the account
// lock (a write lock unless the statement only reads).
type execCtx struct {
	a         *account
	st        *sessionState
	binds     map[string]string // bound ? values by 1-based index
	set       roleSet
	showLimit int // most rows SHOW <objects> returns (Options.ShowRowLimit)
}

// roles is the session's role set, computed once per statement (USE ROLE resets it).
func (x *execCtx) roles() roleSet {
	if x.set == nil {
		x.set = x.a.closure(x.a.roles[x.st.role])
	}
	return x.set
}

// roleInSession is IS_ROLE_IN_SESSION(name): the role is the primary role or inherited by it,
// or, unless USE SECONDARY ROLES NONE, by a role granted to the user (the secondary roles
// ALL), PUBLIC included (https://docs.snowflake.com/en/sql-reference/functions/is_role_in_session).
// The name is compared exactly, as a stored role name.
func (x *execCtx) roleInSession(name string) bool {
	r := x.a.roles[name]
	if r == nil {
		return false
	}
	if x.roles()[r] {
		return true
	}
	u := x.a.users[x.st.user]
	return !x.st.noSecondary && u != nil && x.a.userRoles(u)[r]
}

// currentRole is the session's role; a dropped role leaves PUBLIC.
func (x *execCtx) currentRole() *role {
	if r := x.a.roles[x.st.role]; r != nil {
		return r
	}
	return x.a.roles[rolePublic]
}

// colMeta is a result column: its name and Snowflake type (text, fixed, timestamp_ltz, boolean).
type colMeta struct {
	name, typ string
}

// result is what a statement answers: at least one column, rows of nullable strings.
type result struct {
	cols     []colMeta
	rows     [][]*string
	stmtType int64
}

// Statement type ids as the driver interprets them.
const (
	stmtTypeSelect int64 = 0x1000
	stmtTypeDDL    int64 = 0x6000
	stmtTypeSCL    int64 = 0x4000
	stmtTypeInsert int64 = 0x3100 // DML: the driver reads the affected rows from the first row
)

func status(msg string) *result {
	return &result{cols: []colMeta{{"status", "text"}}, rows: [][]*string{{&msg}}, stmtType: stmtTypeDDL}
}

func statusf(format string, args ...any) *result { return status(fmt.Sprintf(format, args...)) }

func str(s string) *string { return &s }

func boolStr(b bool) *string { return str(strconv.FormatBool(b)) }

func yesNo(b bool) *string {
	if b {
		return str("YES")
	}
	return str("NO")
}

// ts renders a time as Snowflake's JSON result format for TIMESTAMP_LTZ: seconds.nanoseconds.
func ts(t time.Time) *string { return str(fmt.Sprintf("%d.%09d", t.Unix(), t.Nanosecond())) }

func joinName(parts ...string) string {
	q := make([]string, len(parts))
	for i, p := range parts {
		q[i] = quoteName(p)
	}
	return strings.Join(q, ".")
}

// --- name resolution ---

// qualify completes a name of up to want parts with the session's database and schema.
func (x *execCtx) qualify(parts []string, want int, op string) ([]string, error) {
	switch want - len(parts) {
	case 1:
		if x.st.database == "" {
			return nil, errNoDatabase(op)
		}
		return append([]string{x.st.database}, parts...), nil
	case 2:
		if x.st.database == "" {
			return nil, errNoDatabase(op)
		}
		if x.st.schema == "" {
			return nil, errNoSchema(op)
		}
		return []string{x.st.database, x.st.schema, parts[0]}, nil
	}
	return parts, nil
}

func (x *execCtx) database(name, op string) (*object, error) {
	if name == "" {
		if x.st.database == "" {
			return nil, errNoDatabase(op)
		}
		name = x.st.database
	}
	db := x.a.root.children[name]
	if db == nil {
		return nil, errNotExist("Database", quoteName(name))
	}
	return db, nil
}

func (x *execCtx) schemaObj(parts []string, op string) (*object, error) {
	full, err := x.qualify(parts, 2, op)
	if err != nil {
		return nil, err
	}
	db, err := x.database(full[0], op)
	if err != nil {
		return nil, err
	}
	sc := db.children[full[1]]
	if sc == nil {
		return nil, errNotExist("Schema", joinName(full...))
	}
	return sc, nil
}

// inSchema qualifies a three-part name and resolves its schema, which must exist; full is the
// qualified name.
func (x *execCtx) inSchema(parts []string, op string) (sc *object, full []string, err error) {
	if full, err = x.qualify(parts, 3, op); err != nil {
		return nil, nil, err
	}
	sc, err = x.schemaObj(full[:2], op)
	return sc, full, err
}

// tableObj resolves a table or view name; want is kTable, kView, or "" for either.
func (x *execCtx) tableObj(parts []string, want kind, op string) (*object, error) {
	sc, full, err := x.inSchema(parts, op)
	if err != nil {
		return nil, err
	}
	obj := sc.children[full[2]]
	// The TABLE keyword also names a view (Snowflake treats views as tables in GRANT and SHOW
	// GRANTS ON; granted_on still reports VIEW, see bcr-2371); VIEW names only views.
	if obj == nil || want == kView && obj.kind != kView {
		title := "Object"
		if want != "" {
			title = want.title()
		}
		return nil, errNotExist(title, joinName(full...))
	}
	return obj, nil
}

// object resolves a name of the given kind.
func (x *execCtx) object(k kind, parts []string, op string) (*object, error) {
	switch k {
	case kAccount:
		return x.a.root, nil
	case kDatabase:
		return x.database(parts[0], op)
	case kSchema:
		return x.schemaObj(parts, op)
	case kMaskingPolicy, kRowAccessPolicy:
		return x.policyObj(k, parts, op)
	default:
		return x.tableObj(parts, k, op)
	}
}

func (x *execCtx) role(name string) (*role, error) {
	r := x.a.roles[name]
	if r == nil {
		return nil, errNotExist("Role", quoteName(name))
	}
	return r, nil
}

func (x *execCtx) user(name string) (*user, error) {
	u := x.a.users[name]
	if u == nil {
		return nil, errNotExist("User", quoteName(name))
	}
	return u, nil
}

// --- statements ---

func (noopStmt) run(*execCtx) (*result, error) {
	return status("Statement executed successfully."), nil
}

func (s *createStmt) run(x *execCtx) (*result, error) {
	switch s.kind {
	case kRole:
		return s.createRole(x)
	case kUser:
		return s.createUser(x)
	}
	set := x.roles()
	var parent *object
	var need string
	switch s.kind {
	case kDatabase:
		parent, need = x.a.root, "CREATE DATABASE"
	case kSchema:
		full, err := x.qualify(s.name, 2, "CREATE SCHEMA")
		if err != nil {
			return nil, err
		}
		if parent, err = x.database(full[0], "CREATE SCHEMA"); err != nil {
			return nil, err
		}
		s.name, need = full, "CREATE SCHEMA"
		if full[1] == "INFORMATION_SCHEMA" {
			return nil, errExists(joinName(full...))
		}
	default:
		need = "CREATE " + string(s.kind)
		var err error
		if parent, s.name, err = x.inSchema(s.name, need); err != nil {
			return nil, err
		}
	}
	name := s.name[len(s.name)-1]
	if !set.holds(parent, need, false) {
		return nil, errPrivileges(parent.kind.label(), parent.fqn())
	}
	old := parent.children[name]
	if old != nil {
		switch {
		case s.ifNotExists:
			return statusf("%s already exists, statement succeeded.", quoteName(name)), nil
		case !s.orReplace || old.kind != s.kind:
			return nil, errExists(joinName(s.name...))
		case !set.owns(old):
			return nil, errPrivileges(old.kind.label(), old.fqn())
		}
	}
	var kept []*grant
	if old != nil {
		if s.copyGrants {
			kept = objectGrants(old)
		}
		x.a.removeObject(old)
	}
	obj := x.a.createObject(parent, s.kind, name, x.currentRole())
	obj.comment, obj.transient, obj.secure = s.comment, s.transient, s.secure
	obj.columns, obj.viewText = s.columns, s.viewText
	for _, g := range kept { // CREATE OR REPLACE ... COPY GRANTS
		if g.priv == privOwnership {
			x.a.setOwner(obj, g.role)
		} else if privilegeAllowed(obj.kind, g.priv) {
			x.a.addGrant(obj, g.priv, g.role, g.grantOption, g.grantedBy)
		}
	}
	switch s.kind {
	case kDatabase:
		x.st.database, x.st.schema = name, "PUBLIC"
	case kSchema:
		x.st.database, x.st.schema = parent.name, name
	}
	return statusf("%s %s successfully created.", s.kind.title(), quoteName(name)), nil
}

func (s *createStmt) createRole(x *execCtx) (*result, error) {
	name := s.name[0]
	if !x.roles().holds(x.a.root, "CREATE ROLE", false) {
		return nil, errPrivileges("account", accountName)
	}
	if old := x.a.roles[name]; old != nil {
		switch {
		case s.ifNotExists:
			return statusf("%s already exists, statement succeeded.", quoteName(name)), nil
		case !s.orReplace:
			return nil, errExists(quoteName(name))
		case isSystemRole(name) || !x.roles()[old.owner]:
			return nil, errPrivileges("role", quoteName(name))
		}
		x.a.dropRole(old, x.currentRole())
	}
	r := x.a.createRole(name, x.currentRole())
	r.comment = s.comment
	return statusf("Role %s successfully created.", quoteName(name)), nil
}

func isSystemRole(name string) bool {
	switch name {
	case roleAccountAdmin, roleSecurityAdmin, roleUserAdmin, roleSysAdmin, rolePublic:
		return true
	}
	return false
}

func (s *createStmt) createUser(x *execCtx) (*result, error) {
	name := s.name[0]
	if !x.roles().holds(x.a.root, "CREATE USER", false) {
		return nil, errPrivileges("account", accountName)
	}
	if old := x.a.users[name]; old != nil {
		switch {
		case s.ifNotExists:
			return statusf("%s already exists, statement succeeded.", quoteName(name)), nil
		case !s.orReplace:
			return nil, errExists(quoteName(name))
		}
		x.a.dropUser(old)
	}
	u := x.a.createUser(name, x.currentRole())
	u.comment = s.comment
	if err := setUserProps(u, s.props); err != nil {
		x.a.dropUser(u)
		return nil, err
	}
	return statusf("User %s successfully created.", quoteName(name)), nil
}

// setUserProps applies CREATE/ALTER USER properties; unknown ones are accepted and ignored.
func setUserProps(u *user, props map[string]string) error {
	for k, v := range props {
		switch k {
		case "PASSWORD":
			u.password = v
		case "LOGIN_NAME":
			u.loginName = strings.ToUpper(v)
		case "DISPLAY_NAME":
			u.displayName = v
		case "EMAIL":
			u.email = v
		case "COMMENT":
			u.comment = v
		case "DEFAULT_ROLE":
			u.defaultRole = v
		case "DEFAULT_WAREHOUSE":
			u.defaultWarehouse = v
		case "DEFAULT_NAMESPACE":
			u.defaultNS = v
		case "DISABLED":
			u.disabled = strings.EqualFold(v, "TRUE")
		case "DEFAULT_SECONDARY_ROLES": // ('ALL') or (): https://docs.snowflake.com/en/sql-reference/sql/create-user
			u.noSecondaryRoles = v == ""
		case "RSA_PUBLIC_KEY", "RSA_PUBLIC_KEY_2":
			key, err := parsePublicKey(v)
			if err != nil {
				return err
			}
			if k == "RSA_PUBLIC_KEY" {
				u.rsaKey, u.pubKeys[0] = v, key
			} else {
				u.rsaKey2, u.pubKeys[1] = v, key
			}
		}
	}
	return nil
}

// parsePublicKey reads an RSA public key as ALTER USER takes it: the base64 body of a PEM
// "PUBLIC KEY" block (headers and line breaks allowed).
func parsePublicKey(v string) (*rsa.PublicKey, error) {
	der := []byte(nil)
	if b, _ := pem.Decode([]byte(v)); b != nil {
		der = b.Bytes
	} else {
		clean := strings.Map(func(r rune) rune {
			if r == ' ' || r == '\n' || r == '\r' || r == '\t' {
				return -1
			}
			return r
		}, v)
		var err error
		if der, err = base64.StdEncoding.DecodeString(clean); err != nil {
			return nil, errSyntaxMsg("Invalid public key: %v", err)
		}
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, errSyntaxMsg("Invalid public key: %v", err)
	}
	rk, ok := k.(*rsa.PublicKey)
	if !ok {
		return nil, errSyntaxMsg("Invalid public key: not an RSA key")
	}
	return rk, nil
}

func (s *dropStmt) run(x *execCtx) (*result, error) {
	name := s.name[len(s.name)-1]
	dropped := func() (*result, error) {
		return statusf("%s successfully dropped.", quoteName(name)), nil
	}
	gone := func(err error) (*result, error) {
		var e *Error
		if s.ifExists && errors.As(err, &e) && e.Number == ErrDoesNotExist {
			return statusf("Drop statement executed successfully (%s already dropped).", quoteName(name)), nil
		}
		return nil, err
	}
	switch s.kind {
	case kRole:
		r, err := x.role(name)
		if err != nil {
			return gone(err)
		}
		if isSystemRole(name) || !x.roles()[r.owner] {
			return nil, errPrivileges("role", quoteName(name))
		}
		x.a.dropRole(r, x.currentRole())
		return dropped()
	case kUser:
		u, err := x.user(name)
		if err != nil {
			return gone(err)
		}
		if !x.roles()[x.a.roles[u.owner]] {
			return nil, errPrivileges("user", quoteName(name))
		}
		x.a.dropUser(u)
		return dropped()
	}
	obj, err := x.object(s.kind, s.name, "DROP "+string(s.kind))
	if err != nil {
		return gone(err)
	}
	if !x.roles().owns(obj) {
		return nil, errPrivileges(obj.kind.label(), obj.fqn())
	}
	x.a.removeObject(obj)
	return dropped()
}

func (s *useStmt) run(x *execCtx) (*result, error) {
	what := s.what
	if what == "" {
		what = map[int]string{1: "DATABASE", 2: "SCHEMA"}[len(s.name)]
	}
	ok := status("Statement executed successfully.")
	ok.stmtType = stmtTypeSCL
	switch what {
	case "ROLE":
		r, err := x.role(s.name[0])
		if err != nil {
			return nil, err
		}
		u := x.a.users[x.st.user]
		if u == nil || !x.a.userRoles(u)[r] {
			return nil, newError(ErrRoleNotAssigned, "42501", "SQL access control error:\nRequested role '%s' is not assigned to the executing user.  Specify another role to activate.", r.name)
		}
		x.st.role, x.set = r.name, nil
	case "WAREHOUSE":
		x.st.warehouse = s.name[0]
	case "SECONDARY ROLES":
		x.st.noSecondary = s.name[0] == "NONE"
	case "DATABASE":
		db := x.a.root.children[s.name[0]]
		if db == nil {
			return nil, errCannotPerform()
		}
		if !x.roles().sees(db) {
			return nil, errPrivileges("database", db.fqn())
		}
		x.st.database, x.st.schema = db.name, ""
		if db.children["PUBLIC"] != nil {
			x.st.schema = "PUBLIC"
		}
	case "SCHEMA":
		full, err := x.qualify(s.name, 2, "USE SCHEMA")
		if err != nil {
			return nil, err
		}
		db := x.a.root.children[full[0]]
		if db == nil {
			return nil, errCannotPerform()
		}
		if full[1] != "INFORMATION_SCHEMA" {
			sc := db.children[full[1]]
			if sc == nil {
				return nil, errCannotPerform()
			}
			if !x.roles().sees(sc) {
				return nil, errPrivileges("schema", sc.fqn())
			}
		}
		x.st.database, x.st.schema = full[0], full[1]
	}
	return ok, nil
}

func errCannotPerform() *Error {
	return newError(ErrCannotPerform, "02000", "SQL compilation error:\nObject does not exist, or operation cannot be performed.")
}

func (s *alterStmt) run(x *execCtx) (*result, error) {
	if s.session {
		if x.st.params == nil {
			x.st.params = map[string]string{}
		}
		for k, v := range s.set {
			x.st.params[k] = v
		}
		for _, k := range s.unset {
			delete(x.st.params, k)
		}
		return status("Statement executed successfully."), nil
	}
	u, err := x.user(s.user)
	if err != nil {
		return nil, err
	}
	if u.name != x.st.user && !x.roles()[x.a.roles[u.owner]] && !x.a.manageGrants(x.roles()) {
		return nil, errPrivileges("user", quoteName(u.name))
	}
	if err := setUserProps(u, s.set); err != nil {
		return nil, err
	}
	for _, k := range s.unset {
		switch k {
		case "RSA_PUBLIC_KEY":
			u.rsaKey, u.pubKeys[0] = "", nil
		case "RSA_PUBLIC_KEY_2":
			u.rsaKey2, u.pubKeys[1] = "", nil
		case "DEFAULT_ROLE":
			u.defaultRole = ""
		case "DEFAULT_SECONDARY_ROLES":
			u.noSecondaryRoles = false
		case "PASSWORD":
			u.password = ""
		}
	}
	return status("Statement executed successfully."), nil
}

// grantor is the role recorded as granted_by: the object's owner when the session acts as
// (or above) the owner or through MANAGE GRANTS, the session's role when it uses a grant
// option.
func (x *execCtx) grantor(obj *object) string {
	if obj.owner != nil && (x.roles().owns(obj) || x.a.manageGrants(x.roles())) {
		return obj.owner.name
	}
	return x.st.role
}

func (s *grantStmt) run(x *execCtx) (*result, error) {
	r, err := x.role(s.role)
	if err != nil {
		return nil, err
	}
	privs := s.privs
	if s.all {
		privs = privileges[s.target.kind]
	}
	for _, p := range privs {
		if p == privOwnership {
			if len(privs) > 1 || s.target.kind == kAccount || s.revoke {
				return nil, errSyntaxMsg("OWNERSHIP must be granted alone, on an object, and cannot be revoked; transfer it with GRANT OWNERSHIP.")
			}
			continue
		}
		if !privilegeAllowed(s.target.kind, p) {
			return nil, errSyntaxMsg("Invalid privilege %s for %s.", p, s.target.kind)
		}
	}
	manage := x.a.manageGrants(x.roles())
	if s.target.future {
		in, err := x.object(s.target.in, s.target.name, "GRANT")
		if err != nil {
			return nil, err
		}
		if !manage { // future grants need MANAGE GRANTS outside managed-access schemas
			return nil, errPrivileges(in.kind.label(), in.fqn())
		}
		for _, p := range privs {
			if s.revoke {
				x.a.revokeFuture(in, s.target.kind, p, r)
			} else {
				x.a.addFuture(in, s.target.kind, p, r, s.grantOption, x.grantor(in))
			}
		}
		return status("Statement executed successfully."), nil
	}
	objs, err := x.targets(s.target)
	if err != nil {
		return nil, err
	}
	set := x.roles()
	for _, obj := range objs {
		for _, p := range s.privsOn(obj, privs) {
			if p != privOwnership && !privilegeAllowed(obj.kind, p) { // TABLE can name a view
				return nil, errSyntaxMsg("Invalid privilege %s for %s.", p, obj.kind)
			}
			allowed := manage || set.owns(obj)
			if !allowed && p != privOwnership {
				if s.revoke {
					g := obj.grants[grantKey{p, r.name}]
					allowed = g == nil || set[x.a.roles[g.grantedBy]]
				} else {
					allowed = set.holds(obj, p, true)
				}
			}
			if !allowed {
				return nil, errPrivileges(obj.kind.label(), obj.fqn())
			}
		}
	}
	for _, obj := range objs {
		for _, p := range s.privsOn(obj, privs) {
			if err := s.precondition(x, obj, p, r); err != nil {
				return nil, err
			}
		}
	}
	for _, obj := range objs {
		for _, p := range s.privsOn(obj, privs) {
			switch {
			case p == privOwnership:
				for _, g := range obj.grants {
					switch {
					case s.revokeCurrent:
						x.a.revokeGrant(obj, g.priv, g.role, false)
					case s.copyCurrent: // the new owner becomes the grantor of every grant
						g.grantedBy = r.name
					}
				}
				x.a.setOwner(obj, r)
			case s.revoke:
				x.a.revokeDependents(obj, p, r)
				x.a.revokeGrant(obj, p, r, s.grantOption)
			default:
				x.a.addGrant(obj, p, r, s.grantOption, x.grantor(obj))
			}
		}
	}
	return status("Statement executed successfully."), nil
}

// privsOn is the statement's privileges for obj: ALL means those of obj's own type, which
// differs from the keyword's when TABLE names a view.
func (s *grantStmt) privsOn(obj *object, privs []string) []string {
	if s.all {
		return privileges[obj.kind]
	}
	return privs
}

// precondition checks what must hold before privilege p on obj changes hands: GRANT
// OWNERSHIP without REVOKE or COPY CURRENT GRANTS fails while grants exist on the object
// (unless it goes to its owner), and REVOKE without CASCADE fails while the role's grant has
// been re-granted (dependent grants: same privilege, granted by that role).
func (s *grantStmt) precondition(x *execCtx, obj *object, p string, r *role) error {
	switch {
	case p == privOwnership && !s.revoke:
		if s.revokeCurrent || s.copyCurrent || obj.owner == r {
			return nil
		}
		if gs := sortedGrants(obj); len(gs) > 0 {
			return errDependentGrant(gs[0], "while transferring object ownership, use convenience command 'GRANT OWNERSHIP ON <target_objects> TO <target_role> REVOKE CURRENT GRANTS'")
		}
	case s.revoke && !s.cascade:
		if obj.grants[grantKey{p, r.name}] == nil {
			return nil
		}
		if deps := x.a.dependents(obj, p, r); len(deps) > 0 {
			return errDependentGrant(deps[0], "while revoking, use 'REVOKE ... CASCADE'")
		}
	}
	return nil
}

// targets resolves ON <object> or ON ALL <kind>s IN <container> to objects.
func (x *execCtx) targets(t grantTarget) ([]*object, error) {
	if !t.all {
		obj, err := x.object(t.kind, t.name, "GRANT")
		if err != nil {
			return nil, err
		}
		return []*object{obj}, nil
	}
	in, err := x.object(t.in, t.name, "GRANT")
	if err != nil {
		return nil, err
	}
	if t.kind == kSchema || t.in == kSchema {
		return in.sortedChildren(t.kind), nil
	}
	var out []*object
	for _, sc := range in.sortedChildren(kSchema) {
		out = append(out, sc.sortedChildren(t.kind)...)
	}
	return out, nil
}

func (s *grantRoleStmt) run(x *execCtx) (*result, error) {
	r, err := x.role(s.role)
	if err != nil {
		return nil, err
	}
	set := x.roles()
	if !x.a.manageGrants(set) && !set[r.owner] {
		return nil, errPrivileges("role", quoteName(r.name))
	}
	by := x.st.role
	if r.owner != nil && set[r.owner] {
		by = r.owner.name
	}
	if s.toUser {
		u, err := x.user(s.to)
		if err != nil {
			return nil, err
		}
		if s.revoke {
			x.a.revokeRoleFromUser(r, u)
		} else {
			x.a.grantRoleToUser(r, u, by)
		}
		return status("Statement executed successfully."), nil
	}
	to, err := x.role(s.to)
	if err != nil {
		return nil, err
	}
	if s.revoke {
		x.a.revokeRoleFromRole(r, to)
		return status("Statement executed successfully."), nil
	}
	if x.a.inherits(r, to) {
		return nil, newError(ErrCycle, "42601", "SQL compilation error:\nGranting role '%s' to role '%s' would create a cycle.", r.name, to.name)
	}
	x.a.grantRoleToRole(r, to, by)
	return status("Statement executed successfully."), nil
}
