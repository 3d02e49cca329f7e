package emulator

import (
	"cmp"
	"crypto/rsa"
	"regexp"
	"slices"
	"strings"
	"time"
)

// kind is the type of a securable object, spelled as Snowflake spells it in granted_on.
type kind string

const (
	kAccount  kind = "ACCOUNT"
	kDatabase kind = "DATABASE"
	kSchema   kind = "SCHEMA"
	kTable    kind = "TABLE"
	kView     kind = "VIEW"
	kRole     kind = "ROLE"
	kUser     kind = "USER"
	// Policies, spelled as SHOW GRANTS' granted_on spells them.
	kMaskingPolicy   kind = "MASKING_POLICY"
	kRowAccessPolicy kind = "ROW_ACCESS_POLICY"
)

// label is the lower-case word Snowflake uses for a kind in messages ("table 'T'").
func (k kind) label() string { return strings.ToLower(string(k)) }

// title is the capitalised word Snowflake uses in "does not exist" messages ("Table 'T'").
func (k kind) title() string { s := string(k); return s[:1] + strings.ToLower(s[1:]) }

// privileges lists, per object kind, what GRANT accepts (OWNERSHIP handled apart), following
// https://docs.snowflake.com/en/user-guide/security-access-control-privileges. ALL expands to
// the whole list.
var privileges = map[kind][]string{
	kAccount: {"APPLY MASKING POLICY", "APPLY ROW ACCESS POLICY", "APPLY TAG", "AUDIT", "CREATE DATABASE",
		"CREATE INTEGRATION", "CREATE ROLE", "CREATE SHARE", "CREATE USER", "CREATE WAREHOUSE", "EXECUTE TASK",
		"IMPORT SHARE", "MANAGE GRANTS", "MONITOR EXECUTION", "MONITOR USAGE"},
	kDatabase: {"USAGE", "MONITOR", "MODIFY", "CREATE SCHEMA", "CREATE DATABASE ROLE", "APPLYBUDGET"},
	kSchema: {"USAGE", "MONITOR", "MODIFY", "ADD SEARCH OPTIMIZATION", "APPLYBUDGET",
		"CREATE TABLE", "CREATE EXTERNAL TABLE", "CREATE DYNAMIC TABLE", "CREATE EVENT TABLE",
		"CREATE HYBRID TABLE", "CREATE ICEBERG TABLE", "CREATE VIEW", "CREATE MATERIALIZED VIEW",
		"CREATE STAGE", "CREATE FILE FORMAT", "CREATE SEQUENCE", "CREATE FUNCTION", "CREATE PROCEDURE",
		"CREATE STREAM", "CREATE TASK", "CREATE PIPE", "CREATE ALERT", "CREATE TAG",
		"CREATE MASKING POLICY", "CREATE ROW ACCESS POLICY", "CREATE SECRET", "CREATE NETWORK RULE"},
	kTable: {"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "EVOLVE SCHEMA", "REBUILD"},
	kView:  {"SELECT", "REFERENCES"},
	// https://docs.snowflake.com/en/user-guide/security-access-control-privileges#masking-policy-privileges
	kMaskingPolicy:   {"APPLY"},
	kRowAccessPolicy: {"APPLY"},
}

const privOwnership = "OWNERSHIP"

func privilegeAllowed(k kind, p string) bool { return slices.Contains(privileges[k], p) }

// column is a table or view column: its name, its type as declared (decl, e.g.
// VARCHAR(10)) and without its parameters (typ), and the masking policy set on it.
type column struct {
	name, typ string
	decl      string
	nullable  bool
	mask      *maskRef
}

// object is a securable object with a place in the namespace: the account, a database, a
// schema, a table or a view. Databases hang under the account, schemas under a database,
// tables and views (one namespace) under a schema.
type object struct {
	kind     kind
	name     string
	parent   *object
	children map[string]*object

	owner     *role
	created   time.Time
	comment   string
	transient bool

	columns  []column // tables and views
	viewText string   // views: the CREATE text, never evaluated
	secure   bool
	builtin  bool // INFORMATION_SCHEMA and its views: visible to every role, never granted on

	grants  map[grantKey]*grant  // privileges granted on this object
	futures map[futureKey]*grant // databases and schemas: future grants on objects created inside

	rows      [][]value          // tables: the data, one value per column
	rowPolicy *rowRef            // tables and views: the row access policy
	policies  map[string]*object // schemas: masking and row access policies, by policyKey
	policy    *policyDef         // masking and row access policies
}

type grantKey struct {
	priv string
	role string
}

type futureKey struct {
	on   kind
	priv string
	role string
}

// grant is one privilege held by a role on an object, or, when future is set, a future grant
// on objects of kind future created inside obj.
type grant struct {
	obj         *object
	priv        string
	role        *role
	grantOption bool
	grantedBy   string
	created     time.Time
	future      kind
}

// role is an account role.
type role struct {
	name      string
	owner     *role
	created   time.Time
	comment   string
	privs     map[*grant]struct{}   // privilege grants held
	futures   map[*grant]struct{}   // future grants held
	owned     map[*object]struct{}  // objects owned
	ownsRoles map[*role]struct{}    // roles owned
	children  map[string]*roleGrant // roles granted to this role (it inherits them)
	parents   map[string]*roleGrant // roles this role is granted to
	users     map[string]*roleGrant // users this role is granted to
}

// roleGrant records "GRANT ROLE granted TO ROLE toRole | USER toUser".
type roleGrant struct {
	granted   *role
	toRole    *role
	toUser    *user
	grantedBy string
	created   time.Time
}

// user is an account user.
type user struct {
	name, loginName, displayName, email, comment string
	password                                     string
	defaultRole, defaultWarehouse, defaultNS     string
	rsaKey, rsaKey2                              string // as set, PEM body
	pubKeys                                      [2]*rsa.PublicKey
	disabled                                     bool
	noSecondaryRoles                             bool // DEFAULT_SECONDARY_ROLES = ()
	owner                                        string
	created                                      time.Time
	roles                                        map[string]*roleGrant
}

// account is the in-memory Snowflake account. Callers hold Server.mu.
type account struct {
	root  *object // kind ACCOUNT; children are the databases
	roles map[string]*role
	users map[string]*user
	now   func() time.Time
}

const (
	roleAccountAdmin  = "ACCOUNTADMIN"
	roleSecurityAdmin = "SECURITYADMIN"
	roleUserAdmin     = "USERADMIN"
	roleSysAdmin      = "SYSADMIN"
	rolePublic        = "PUBLIC"
	accountName       = "EMULATOR"
)

// newAccount builds an account with Snowflake's system roles and their hierarchy
// (USERADMIN → SECURITYADMIN → ACCOUNTADMIN ← SYSADMIN), the account privileges each holds, and
// one user holding ACCOUNTADMIN.
func newAccount(now func() time.Time, adminUser, adminPassword string) *account {
	a := &account{
		root:  &object{kind: kAccount, name: accountName, children: map[string]*object{}, grants: map[grantKey]*grant{}},
		roles: map[string]*role{},
		users: map[string]*user{},
		now:   now,
	}
	a.root.created = now()
	for _, n := range []string{roleAccountAdmin, roleSecurityAdmin, roleUserAdmin, roleSysAdmin, rolePublic} {
		a.createRole(n, nil)
	}
	a.grantRoleToRole(a.roles[roleSecurityAdmin], a.roles[roleAccountAdmin], "")
	a.grantRoleToRole(a.roles[roleSysAdmin], a.roles[roleAccountAdmin], "")
	a.grantRoleToRole(a.roles[roleUserAdmin], a.roles[roleSecurityAdmin], "")
	a.addGrant(a.root, "MANAGE GRANTS", a.roles[roleSecurityAdmin], false, roleAccountAdmin)
	a.addGrant(a.root, "CREATE ROLE", a.roles[roleUserAdmin], false, roleAccountAdmin)
	a.addGrant(a.root, "CREATE USER", a.roles[roleUserAdmin], false, roleAccountAdmin)
	a.addGrant(a.root, "CREATE DATABASE", a.roles[roleSysAdmin], false, roleAccountAdmin)
	a.addGrant(a.root, "CREATE WAREHOUSE", a.roles[roleSysAdmin], false, roleAccountAdmin)
	for _, p := range privileges[kAccount] {
		a.addGrant(a.root, p, a.roles[roleAccountAdmin], true, roleAccountAdmin)
	}
	u := a.createUser(adminUser, a.roles[roleAccountAdmin])
	u.password = adminPassword
	u.defaultRole = roleAccountAdmin
	a.grantRoleToUser(a.roles[roleAccountAdmin], u, roleAccountAdmin)
	return a
}

// roleSet is the set of roles whose privileges a session uses: its role and every role
// granted to it, directly or not, plus PUBLIC.
type roleSet map[*role]bool

func (a *account) closure(r *role) roleSet {
	set := roleSet{}
	var walk func(*role)
	walk = func(x *role) {
		if x == nil || set[x] {
			return
		}
		set[x] = true
		for _, g := range x.children {
			walk(g.granted)
		}
	}
	walk(r)
	walk(a.roles[rolePublic])
	return set
}

// inherits reports whether r is target or has target in its hierarchy (PUBLIC not implied).
func (a *account) inherits(r, target *role) bool {
	seen := map[*role]bool{}
	var walk func(*role) bool
	walk = func(x *role) bool {
		if x == target {
			return true
		}
		if seen[x] {
			return false
		}
		seen[x] = true
		for _, g := range x.children {
			if walk(g.granted) {
				return true
			}
		}
		return false
	}
	return walk(r)
}

// holds reports whether the roles own obj or hold priv on it (with the grant option when
// needOption is set).
func (set roleSet) holds(obj *object, priv string, needOption bool) bool {
	if obj.owner != nil && set[obj.owner] {
		return true
	}
	for r := range set {
		if g := obj.grants[grantKey{priv, r.name}]; g != nil && (!needOption || g.grantOption) {
			return true
		}
	}
	return false
}

// owns reports whether one of the roles owns obj.
func (set roleSet) owns(obj *object) bool { return obj.owner != nil && set[obj.owner] }

// sees reports whether obj is visible to the roles: they own it or hold any privilege on it.
func (set roleSet) sees(obj *object) bool {
	if obj.builtin || set.owns(obj) {
		return true
	}
	for _, g := range obj.grants {
		if set[g.role] {
			return true
		}
	}
	// MANAGE GRANTS "implicitly allows its holder to see every object in the account" (SHOW
	// TABLES, SHOW GRANTS: usage notes).
	root := obj
	for root.parent != nil {
		root = root.parent
	}
	return root.kind == kAccount && set.holds(root, "MANAGE GRANTS", false)
}

func (a *account) manageGrants(set roleSet) bool { return set.holds(a.root, "MANAGE GRANTS", false) }

func (a *account) createRole(name string, owner *role) *role {
	r := &role{
		name: name, owner: owner, created: a.now(),
		privs: map[*grant]struct{}{}, futures: map[*grant]struct{}{}, owned: map[*object]struct{}{},
		ownsRoles: map[*role]struct{}{}, children: map[string]*roleGrant{}, parents: map[string]*roleGrant{},
		users: map[string]*roleGrant{},
	}
	a.roles[name] = r
	if owner != nil {
		owner.ownsRoles[r] = struct{}{}
	}
	return r
}

// dropRole removes r, its grants, and hands what it owned to heir, as DROP ROLE does.
func (a *account) dropRole(r, heir *role) {
	for g := range r.privs {
		delete(g.obj.grants, grantKey{g.priv, r.name})
	}
	for g := range r.futures {
		delete(g.obj.futures, futureKey{g.future, g.priv, r.name})
	}
	for obj := range r.owned {
		a.setOwner(obj, heir)
	}
	for x := range r.ownsRoles {
		x.owner = heir
		heir.ownsRoles[x] = struct{}{}
	}
	for _, g := range r.children {
		delete(g.granted.parents, r.name)
	}
	for _, g := range r.parents {
		delete(g.toRole.children, r.name)
	}
	for _, g := range r.users {
		delete(g.toUser.roles, r.name)
	}
	if r.owner != nil {
		delete(r.owner.ownsRoles, r)
	}
	delete(a.roles, r.name)
}

func (a *account) grantRoleToRole(granted, to *role, by string) {
	if _, ok := to.children[granted.name]; ok {
		return
	}
	g := &roleGrant{granted: granted, toRole: to, grantedBy: by, created: a.now()}
	to.children[granted.name] = g
	granted.parents[to.name] = g
}

func (a *account) revokeRoleFromRole(granted, from *role) {
	delete(from.children, granted.name)
	delete(granted.parents, from.name)
}

func (a *account) grantRoleToUser(granted *role, u *user, by string) {
	if _, ok := u.roles[granted.name]; ok {
		return
	}
	g := &roleGrant{granted: granted, toUser: u, grantedBy: by, created: a.now()}
	u.roles[granted.name] = g
	granted.users[u.name] = g
}

func (a *account) revokeRoleFromUser(granted *role, u *user) {
	delete(u.roles, granted.name)
	delete(granted.users, u.name)
}

// userRoles is every role a user may USE: those granted to it, what they inherit, and PUBLIC.
func (a *account) userRoles(u *user) roleSet {
	set := roleSet{}
	for _, g := range u.roles {
		for r := range a.closure(g.granted) {
			set[r] = true
		}
	}
	if pub := a.roles[rolePublic]; pub != nil {
		set[pub] = true
	}
	return set
}

func (a *account) createUser(name string, owner *role) *user {
	u := &user{name: name, loginName: name, displayName: name, created: a.now(), roles: map[string]*roleGrant{}}
	if owner != nil {
		u.owner = owner.name
	}
	a.users[name] = u
	return u
}

func (a *account) dropUser(u *user) {
	for _, g := range u.roles {
		delete(g.granted.users, u.name)
	}
	delete(a.users, u.name)
}

// addGrant grants priv on obj to r; granting again only adds a missing grant option.
func (a *account) addGrant(obj *object, priv string, r *role, option bool, by string) {
	k := grantKey{priv, r.name}
	if g := obj.grants[k]; g != nil {
		g.grantOption = g.grantOption || option
		return
	}
	g := &grant{obj: obj, priv: priv, role: r, grantOption: option, grantedBy: by, created: a.now()}
	obj.grants[k] = g
	r.privs[g] = struct{}{}
}

// revokeGrant revokes priv on obj from r, or only its grant option; it reports whether the
// role held the privilege.
func (a *account) revokeGrant(obj *object, priv string, r *role, optionOnly bool) bool {
	k := grantKey{priv, r.name}
	g := obj.grants[k]
	if g == nil {
		return false
	}
	if optionOnly {
		g.grantOption = false
		return true
	}
	delete(obj.grants, k)
	delete(r.privs, g)
	return true
}

func (a *account) addFuture(in *object, on kind, priv string, r *role, option bool, by string) {
	k := futureKey{on, priv, r.name}
	if g := in.futures[k]; g != nil {
		g.grantOption = g.grantOption || option
		return
	}
	g := &grant{obj: in, priv: priv, role: r, grantOption: option, grantedBy: by, created: a.now(), future: on}
	in.futures[k] = g
	r.futures[g] = struct{}{}
}

func (a *account) revokeFuture(in *object, on kind, priv string, r *role) bool {
	k := futureKey{on, priv, r.name}
	g := in.futures[k]
	if g == nil {
		return false
	}
	delete(in.futures, k)
	delete(r.futures, g)
	return true
}

// setOwner makes r the owner of obj (nil: none). SHOW GRANTS reports the owner as the grantor
// of its OWNERSHIP, as in the SHOW GRANTS reference's examples.
func (a *account) setOwner(obj *object, r *role) {
	if obj.owner != nil {
		delete(obj.owner.owned, obj)
	}
	obj.owner = r
	if r != nil {
		r.owned[obj] = struct{}{}
	}
}

// createObject adds a database, schema, table or view under parent, owned by owner, and
// applies the future grants that cover it: those defined on its schema for its kind, or, when
// the schema defines none for that kind, those on its database (Snowflake's precedence).
func (a *account) createObject(parent *object, k kind, name string, owner *role) *object {
	obj := &object{kind: k, name: name, parent: parent, created: a.now(), grants: map[grantKey]*grant{}}
	if k == kDatabase || k == kSchema {
		obj.children = map[string]*object{}
		obj.futures = map[futureKey]*grant{}
	}
	parent.children[name] = obj
	a.setOwner(obj, owner)
	var futures []*grant
	for _, container := range []*object{parent, parent.parent} {
		if container == nil || container.futures == nil {
			continue
		}
		for _, g := range container.futures {
			if g.future == k {
				futures = append(futures, g)
			}
		}
		if len(futures) > 0 {
			break
		}
	}
	for _, g := range futures {
		if g.priv == privOwnership {
			a.setOwner(obj, g.role)
		} else {
			a.addGrant(obj, g.priv, g.role, g.grantOption, g.grantedBy)
		}
	}
	if k == kDatabase {
		a.createObject(obj, kSchema, "PUBLIC", owner)
	}
	return obj
}

// removeObject drops obj and everything under it, with their grants.
func (a *account) removeObject(obj *object) {
	for _, c := range obj.children {
		a.removeObject(c)
	}
	for k, g := range obj.grants {
		delete(g.role.privs, g)
		delete(obj.grants, k)
	}
	for k, g := range obj.futures {
		delete(g.role.futures, g)
		delete(obj.futures, k)
	}
	for _, p := range obj.policies {
		a.removeObject(p)
	}
	a.setOwner(obj, nil)
	if obj.policy != nil {
		delete(obj.parent.policies, policyKey(obj.kind, obj.name))
		return
	}
	delete(obj.parent.children, obj.name)
}

// simpleIdent matches the names Snowflake prints without quotes.
var simpleIdent = regexp.MustCompile(`^[A-Z_][A-Z0-9_$]*$`)

// quoteName renders one name part as Snowflake prints it: bare when it is an upper-case
// identifier, double-quoted with " doubled otherwise.
func quoteName(s string) string {
	if simpleIdent.MatchString(s) {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// fqn is the object's dotted name below the account, e.g. SALES.PUBLIC.ORDERS.
func (o *object) fqn() string {
	if o.kind == kAccount {
		return o.name
	}
	if o.parent == nil || o.parent.kind == kAccount {
		return quoteName(o.name)
	}
	return o.parent.fqn() + "." + quoteName(o.name)
}

// database and schema return the object's containing database and schema names ("" above).
func (o *object) database() string {
	switch o.kind {
	case kDatabase:
		return o.name
	case kSchema:
		return o.parent.name
	case kTable, kView, kMaskingPolicy, kRowAccessPolicy:
		return o.parent.parent.name
	}
	return ""
}

func (o *object) schema() string {
	switch o.kind {
	case kSchema:
		return o.name
	case kTable, kView, kMaskingPolicy, kRowAccessPolicy:
		return o.parent.name
	}
	return ""
}

func (o *object) ownerName() string {
	if o.owner == nil {
		return ""
	}
	return o.owner.name
}

// sortedChildren returns the children of o, of kind k when k is set, ordered by name.
func (o *object) sortedChildren(k kind) []*object {
	out := make([]*object, 0, len(o.children))
	for _, c := range o.children {
		if k == "" || c.kind == k {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(x, y *object) int { return strings.Compare(x.name, y.name) })
	return out
}

// sortedGrants returns the grants on obj ordered by privilege, then grantee.
func sortedGrants(obj *object) []*grant {
	out := make([]*grant, 0, len(obj.grants))
	for _, g := range obj.grants {
		out = append(out, g)
	}
	slices.SortFunc(out, func(x, y *grant) int {
		return cmp.Or(strings.Compare(x.priv, y.priv), strings.Compare(x.role.name, y.role.name))
	})
	return out
}

// dependents returns the grants of privilege priv on obj that role r made (granted_by r) to
// other roles: what r's grant, held WITH GRANT OPTION, allowed. Ordered by grantee.
func (a *account) dependents(obj *object, priv string, r *role) []*grant {
	var out []*grant
	for _, g := range sortedGrants(obj) {
		if g.priv == priv && g.grantedBy == r.name && g.role != r {
			out = append(out, g)
		}
	}
	return out
}

// revokeDependents revokes, recursively, the grants that depend on r's grant of priv on obj
// (REVOKE ... CASCADE; without CASCADE there are none by then).
func (a *account) revokeDependents(obj *object, priv string, r *role) {
	for _, g := range a.dependents(obj, priv, r) {
		if obj.grants[grantKey{priv, g.role.name}] != g {
			continue // already revoked further down
		}
		delete(obj.grants, grantKey{priv, g.role.name})
		delete(g.role.privs, g)
		a.revokeDependents(obj, priv, g.role)
	}
}
