package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"

	"github.com/snowsync/snowsync/internal/guard"
	"github.com/snowsync/snowsync/internal/policy"
	"github.com/snowsync/snowsync/internal/request"
	"github.com/snowsync/snowsync/internal/snowflake"
)

// node is one loaded Snowflake object with its current grants.
type node struct {
	kind snowflake.ObjectType
	name name // exact catalog names
	// held are the grants to roles (OWNERSHIP included). Read by role (see loadContainer), they hold
	// only the managed roles' grants, which is all that Plan looks at.
	held []held
	// full nodes are synced (grant and revoke); the others are parents of synced objects, which only
	// receive the USAGE their children's grantees need.
	full bool
}

// held is a privilege a role holds on a node.
type held struct {
	role string
	priv snowflake.Privilege
}

// heldOf converts SHOW GRANTS rows.
func heldOf(grants []snowflake.GrantInfo) []held {
	out := make([]held, len(grants))
	for i, g := range grants {
		out[i] = held{g.Role, g.Privilege}
	}
	return out
}

// unit is one coalesced resource to load: a database, a schema or an object.
type unit struct {
	res  request.Resource
	name name // as requested
	// after load: the exact name, or why it was skipped / failed
	resolved name
	skip     string
	code     string
	err      error
}

// ref is one requested resource, served by a unit (its own, or a database or schema unit covering it).
type ref struct {
	res      request.Resource
	name     name
	unit     *unit
	outScope bool
}

// grantsKey keys a memoized SHOW GRANTS ON.
type grantsKey struct {
	kind snowflake.ObjectType
	name name
}

// roleGrant is a privilege a role holds, read by SHOW GRANTS TO ROLE.
type roleGrant struct {
	on   name
	priv snowflake.Privilege
}

// pass is the state of one Run.
type pass struct {
	// ctx is the load's context. Memoized reads run under it, not under the context of whichever caller
	// came first, so that one caller's cancellation cannot poison a result others share; the first
	// outage cancels it, so that reads still queued stop instead of trying Snowflake again.
	ctx   context.Context
	stop  context.CancelCauseFunc
	e     *Engine
	set   *policy.Set
	sem   *semaphore.Weighted // bounds the reads in flight (LoadThreads)
	units map[name]*unit      // by requested name (exact: "sales" and "SALES" may both exist)
	// containerDBs are the requested databases of database and schema units, upper-cased: grants read
	// by role are kept only for them.
	containerDBs map[string]bool

	mu       sync.Mutex
	nodes    map[name]*node
	complete map[name]bool   // schemas whose every object is a full node: ON ALL reaches nothing else
	roles    map[string]bool // existing roles; nil while unknown

	grantsOn  memo[grantsKey, snowflake.GrantsOn]
	objects   memo[name, []snowflake.Object]
	schemas   memo[string, []snowflake.SchemaID]
	databases memo[struct{}, []string]
	roleList  memo[struct{}, []string]
	toRole    memo[string, []roleGrant]

	// Masks and row filters (policyread.go). bg runs the policy reads started while loading.
	bg          *errgroup.Group
	described   memo[name, []snowflake.ColumnInfo]
	refsOn      memo[grantsKey, []snowflake.PolicyRef]
	ourPolicies memo[policySchema, existing]
	refsOf      memo[string, []snowflake.PolicyRef] // references to our policies, by table database
	bulkRead    []name                              // containers whose tables' policy state is read in bulk
	bulk        map[name]tableState                 // what bulkStates read (under p.mu)
	bulkErrs    map[name]error
	states      map[name]tableState // after load: the policy state of the nodes that needed one
	stateErrs   map[name]error
}

func newPass(e *Engine, set *policy.Set) *pass {
	return &pass{e: e, set: set, sem: semaphore.NewWeighted(int64(e.opts.LoadThreads)),
		units: map[name]*unit{}, containerDBs: map[string]bool{}, nodes: map[name]*node{}, complete: map[name]bool{},
		bg: new(errgroup.Group), bulk: map[name]tableState{}, bulkErrs: map[name]error{}}
}

// add registers a requested resource. Coalescing happens in load, once every resource is known.
func (p *pass) add(res request.Resource) *ref {
	r := &ref{res: res, name: nameOf(res)}
	n := r.name
	switch n.level() {
	case 1:
		r.outScope = !p.e.opts.Scope.Database(n.Database)
	case 2:
		r.outScope = !p.e.opts.Scope.Schema(n.Database, n.Schema)
	default:
		r.outScope = !p.e.opts.Scope.Object(n.Database, n.Schema, n.Object)
	}
	if r.outScope {
		return r
	}
	u, ok := p.units[n]
	switch {
	case !ok:
		u = &unit{res: res, name: n}
		p.units[n] = u
	case u.objectOnly() && !objectOnly(res): // the same object in full serves both
		u.res = res
	}
	r.unit = u
	if n.level() < 3 && !u.objectOnly() {
		p.containerDBs[strings.ToUpper(n.Database)] = true
	}
	return r
}

// objectOnly reports whether res is a database or schema to sync without what it holds
// (request.Resource.ObjectOnly).
func objectOnly(res request.Resource) bool {
	return res.ObjectOnly && (res.Kind == request.KindDatabase || res.Kind == request.KindSchema)
}

// objectOnly reports whether u loads only its database's or schema's own grants.
func (u *unit) objectOnly() bool { return objectOnly(u.res) }

// covering returns the unit of a database or schema requested in full that covers n, if any. An
// ObjectOnly unit covers nothing under it.
func (p *pass) covering(n name) *unit {
	for l := 1; l < n.level(); l++ {
		if u, ok := p.units[n.prefix(l)]; ok && !u.objectOnly() {
			return u
		}
	}
	return nil
}

// load reads every unit not covered by another, and the existing roles, in as few parallel waves as
// the data allows. Units covered by a database or schema unit are dropped: their refs are served from
// the covering unit's nodes. With no unit to load (every resource outside the scope), nothing is read.
//
// Object units are read one of two ways, chosen for the batch by round trips:
//   - by object (loadObject): SHOW GRANTS ON the object and its two parents, all at once, costing one
//     query per object, schema and database: one wave while that fits the read pool (LoadThreads);
//   - by schema (loadSchemaObjects): one paged SHOW OBJECTS per schema for names and kinds, and the
//     managed roles' grants read by role (one SHOW GRANTS TO ROLE each, shared with containers), when
//     that costs fewer queries and the per-object reads would need more than one wave.
//
// Reads by role that the policies make likely (their roles and CONNECTOR_SNOWFLAKE_MANAGE_ROLE_LIST) start
// in the first wave, beside SHOW ROLES and the listings; only managed roles no policy names wait for
// SHOW ROLES.
//
// ObjectOnly units are read in the first wave too, by object (loadOwn: SHOW GRANTS ON, memoized with
// the parent reads of object units) or by role (loadOwnByRole, see ownbyrole.go). The schemas of one
// database read by schema, when more than the pool lists at once, share one listing of the database if
// it fits a page (objectsOfSchema). Our policy schemas' listings, which every requested table or view
// needs, start in the first wave as well (startOurPolicies).
func (p *pass) load(ctx context.Context) error {
	if len(p.units) == 0 {
		return nil
	}
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	p.ctx, p.stop = ctx, stop
	g, ctx := errgroup.WithContext(ctx)
	guard.Go(g, func() error { return p.loadRoles(ctx) })
	var objects, containers, own []*unit
	for k, u := range p.units {
		switch c := p.covering(u.name); {
		case c != nil:
			delete(p.units, k)
			u.err = errCovered{c}
		case u.objectOnly():
			own = append(own, u)
		case u.name.level() == 3:
			objects = append(objects, u)
		default:
			containers = append(containers, u)
		}
	}
	bySchema := map[name][]*unit{} // object units by requested schema
	for _, u := range objects {
		bySchema[u.name.prefix(2)] = append(bySchema[u.name.prefix(2)], u)
	}
	readBySchema := p.e.opts.LoadMode != LoadBulk && p.objectsBySchema(objects, bySchema)
	byRole := readBySchema || len(containers) > 0 && p.e.opts.LoadMode != LoadBulk
	ownByRole := p.e.opts.LoadMode != LoadBulk && (byRole || p.ownByRole(own))
	loadOwn := p.loadOwn
	if ownByRole {
		loadOwn = p.loadOwnByRole
		for _, u := range own { // before any read by role starts: those keep only the container databases' grants
			p.containerDBs[strings.ToUpper(u.name.Database)] = true
		}
	}
	if readBySchema {
		for schema := range bySchema {
			p.containerDBs[strings.ToUpper(schema.Database)] = true
		}
	}
	p.startOurPolicies(objects)
	for _, u := range own {
		guard.Go(g, func() error { return p.finish(u, loadOwn(ctx, u)) })
	}
	if byRole || ownByRole {
		for _, role := range p.likelyRoles() {
			guard.Go(g, func() error {
				_, err := p.roleGrants(ctx, role)
				if snowflake.Outage(err) {
					return fmt.Errorf("%w: %w", errSystemic, err)
				}
				return nil // the reader that needs it sees the error
			})
		}
	}
	for _, u := range containers {
		guard.Go(g, func() error { return p.finish(u, p.loadContainer(ctx, u)) })
	}
	switch {
	case p.e.opts.LoadMode == LoadBulk:
		byDB := map[string][]*unit{}
		for _, u := range objects {
			byDB[u.name.Database] = append(byDB[u.name.Database], u)
		}
		for db, units := range byDB {
			guard.Go(g, func() error { return p.loadObjects(ctx, db, units) })
		}
	case readBySchema:
		perDB := map[string]int{}
		for schema := range bySchema {
			perDB[schema.Database]++
		}
		for schema, units := range bySchema {
			shared := perDB[schema.Database] > p.e.opts.LoadThreads
			guard.Go(g, func() error { return p.loadSchemaObjects(ctx, schema, shared, units) })
		}
	default:
		for _, u := range objects {
			guard.Go(g, func() error { return p.finish(u, p.loadObject(ctx, u)) })
		}
	}
	err := g.Wait()
	if err == nil {
		err = p.loadPolicies()
	}
	if cause := context.Cause(p.ctx); err == nil && snowflake.Outage(cause) { // a read hit the outage; others saw only the cancel
		err = fmt.Errorf("%w: %w", errSystemic, cause)
	}
	return err
}

// objectsBySchema decides whether the object units are read by schema: when reading them by object
// would take more than one wave of the read pool and more queries than by schema.
func (p *pass) objectsBySchema(objects []*unit, bySchema map[name][]*unit) bool {
	dbs := map[string]bool{}
	for schema := range bySchema {
		dbs[schema.Database] = true
	}
	perObject := len(objects) + len(bySchema) + len(dbs)
	perSchema := len(bySchema) + len(p.likelyRoles())
	return perObject > p.e.opts.LoadThreads && perSchema < perObject
}

// likelyRoles are the roles whose grants a read by role needs before SHOW ROLES tells which managed
// roles exist: those the policies grant to, and the manage role list.
func (p *pass) likelyRoles() []string {
	roles := slices.Clone(p.set.Roles())
	for _, r := range p.e.opts.ManagedRoles {
		if !slices.Contains(roles, r) {
			roles = append(roles, r)
		}
	}
	return roles
}

// loadSchemaObjects reads the object units of one schema by schema: the schema's listing gives their
// exact names and kinds (a name in another case matches when exactly one does), the managed roles'
// grants give their state and their parents'. When the roles cannot be listed, each unit is read by
// object instead. shared: more schemas of the database are read by schema in the pass than the read
// pool lists at once, so that one listing of the database serves them all (objectsOfSchema). Below that
// the schemas are listed one by one, in one wave: a database listing could cost a page of 10,000 rows
// only to find the database too big for one.
func (p *pass) loadSchemaObjects(ctx context.Context, schema name, shared bool, units []*unit) error {
	objs, err := p.objectsOfSchema(ctx, schema, shared)
	if snowflake.IsNotExist(err) {
		var found bool
		if schema, found, err = p.resolveContainer(ctx, schema); err == nil && !found {
			err = notExist{}
		}
		if err == nil {
			objs, err = p.objectsIn(ctx, schema)
		}
	}
	if err != nil {
		for _, u := range units {
			if err := p.finish(u, err); err != nil {
				return err
			}
		}
		return nil
	}
	listed := len(objs)
	objs, names := syncable(objs)
	for _, o := range objs {
		if u, ok := p.units[nameOfID(o.ID)]; ok && u.name.level() == 3 { // beside the grant reads: the same wave
			p.prefetchPolicies(o.Kind, nameOfID(o.ID), true)
		}
	}
	roles, err := p.managedRoles(ctx)
	var byName map[name][]held
	if err == nil {
		byName, err = p.grantsByRole(ctx, schema, roles)
	}
	if snowflake.Outage(err) {
		return fmt.Errorf("%w: %w", errSystemic, err)
	}
	if err != nil || ctx.Err() != nil {
		g := new(errgroup.Group)
		for _, u := range units {
			guard.Go(g, func() error { return p.finish(u, p.loadObject(ctx, u)) })
		}
		return g.Wait()
	}
	requested := map[string]bool{}
	for _, u := range units {
		exact, ok, err := resolve("table or view", names, u.name.Object)
		if !ok {
			u.skip, u.code = "does not exist in Snowflake", "002003"
			if err != nil {
				u.skip, u.code = err.Error(), ""
			}
			continue
		}
		requested[exact] = true
		o := objs[slices.Index(names, exact)]
		n := nameOfID(o.ID)
		u.resolved = n
		p.addNode(snowflake.ObjectDatabase, n.prefix(1), byName[n.prefix(1)], false)
		p.addNode(snowflake.ObjectSchema, n.prefix(2), byName[n.prefix(2)], false)
		p.addNode(o.Kind, n, byName[n], true)
	}
	if listed == len(objs) && len(requested) == len(objs) { // the batch names every object of the schema
		p.mu.Lock()
		p.complete[schema] = true
		p.mu.Unlock()
	}
	return nil
}

// objectsOfSchema lists the objects of schema. When shared, it takes them from one SHOW OBJECTS IN
// DATABASE (memoized: one read for every schema of the database in the pass) if the database fits one
// page and lists objects of the schema under its exact name; otherwise (too many rows, the database
// under another case, a schema that is empty, missing or named in another case) it lists the schema
// itself, which tells those apart.
func (p *pass) objectsOfSchema(ctx context.Context, schema name, shared bool) ([]snowflake.Object, error) {
	if shared {
		all, err := p.objectsIn(ctx, schema.prefix(1))
		if snowflake.Outage(err) {
			return nil, err
		}
		objs := filter(all, func(o snowflake.Object) bool { return o.ID.Schema == schema.Schema })
		if err == nil && len(objs) > 0 {
			return objs, nil
		}
	}
	return p.objectsIn(ctx, schema)
}

// syncable keeps the tables and views of a listing, and returns their names.
func syncable(objs []snowflake.Object) ([]snowflake.Object, []string) {
	objs = filter(objs, func(o snowflake.Object) bool {
		return o.Kind == snowflake.ObjectTable || o.Kind == snowflake.ObjectView
	})
	names := make([]string, len(objs))
	for i, o := range objs {
		names[i] = o.ID.Name
	}
	return objs, names
}

// finish records the outcome of loading u. Only a systemic error is returned: it stops the batch.
func (p *pass) finish(u *unit, err error) error {
	switch {
	case err == nil:
	case snowflake.Outage(err):
		return fmt.Errorf("%w: %w", errSystemic, err)
	case errors.As(err, new(ambiguous)):
		u.skip = err.Error()
	case snowflake.Classify(err) == snowflake.NotFound || errors.As(err, new(notExist)):
		u.skip, u.code = "does not exist in Snowflake", "002003"
	default:
		u.err = err
	}
	return nil
}

// errCovered marks a unit served by a covering unit.
type errCovered struct{ by *unit }

func (e errCovered) Error() string { return "covered by " + e.by.res.String() }

// notExist is the error of a container that does not exist under any case of its name.
type notExist struct{}

func (notExist) Error() string { return "does not exist" }

// loadObject reads a table or view and its parents' grants in one parallel step with the names as
// given; only when the object is not found does it list the catalog to match names ignoring case.
func (p *pass) loadObject(ctx context.Context, u *unit) error {
	kind := snowflake.ObjectTable
	if u.res.Kind == request.KindView {
		kind = snowflake.ObjectView
	}
	n := u.name
	p.prefetchPolicies(kind, n, true) // beside the grant reads: the same wave
	grants, err := p.readObject(ctx, kind, n)
	if snowflake.IsNotExist(err) {
		obj, found, rerr := p.resolveObject(ctx, n)
		if rerr != nil || !found {
			if rerr == nil {
				rerr = err
			}
			return rerr
		}
		kind, n = obj.Kind, nameOfID(obj.ID)
		grants, err = p.readObject(ctx, kind, n)
	}
	if err != nil {
		return err
	}
	// SHOW GRANTS ON TABLE also answers for a view; granted_on tells what the object is.
	if on := grants[2].On; on == snowflake.ObjectTable || on == snowflake.ObjectView {
		kind = on
	}
	u.resolved = n
	p.addChain(kind, n, grants)
	return nil
}

// loadOwn reads an ObjectOnly database or schema: SHOW GRANTS ON it (and, for a schema, on its
// database, at once) with the names as given, matching them ignoring case only when it is not found.
// Nothing under it is listed or read: no mask or row filter either, which only tables and views carry.
// SHOW GRANTS ON DATABASE | SCHEMA lists the privileges granted on that object alone, not on what it
// holds (https://docs.snowflake.com/en/sql-reference/sql/show-grants).
func (p *pass) loadOwn(ctx context.Context, u *unit) error {
	kind := snowflake.ObjectDatabase
	if u.name.level() == 2 {
		kind = snowflake.ObjectSchema
	}
	n := u.name
	grants, err := p.readObject(ctx, kind, n)
	if snowflake.IsNotExist(err) {
		var found bool
		if n, found, err = p.resolveContainer(ctx, n); err != nil {
			return err
		}
		if !found {
			return notExist{}
		}
		grants, err = p.readObject(ctx, kind, n)
	}
	if err != nil {
		return err
	}
	if p.skipPolicySchema(u, n) {
		return nil
	}
	u.resolved = n
	p.addChain(kind, n, grants)
	return nil
}

// skipPolicySchema marks ObjectOnly unit u skipped when n, its exact name, is one of snowsync's policy
// schemas, which are never synced, and reports whether it did.
func (p *pass) skipPolicySchema(u *unit, n name) bool {
	if n.level() == 2 && p.e.opts.DataPolicy.holds(snowflake.SchemaID{Database: n.Database, Name: n.Schema}) {
		u.skip = "holds snowsync's masking and row access policies: never synced"
		return true
	}
	return false
}

// readObject reads the grants on n and on each of its parents at once: the database, the schema
// and the object for a table or view, fewer for a schema or database.
func (p *pass) readObject(ctx context.Context, kind snowflake.ObjectType, n name) ([]snowflake.GrantsOn, error) {
	out := make([]snowflake.GrantsOn, n.level())
	g := new(errgroup.Group) // no shared cancellation: every read completes and is memoized
	for i := range out {
		guard.Go(g, func() error {
			var err error
			out[i], err = p.grantsOnName(ctx, kindAt(kind, n, i+1), n.prefix(i+1))
			return err
		})
	}
	return out, g.Wait()
}

// addChain adds the node n of kind (full) and its parents (not full) with the grants readObject read.
func (p *pass) addChain(kind snowflake.ObjectType, n name, grants []snowflake.GrantsOn) {
	for i, g := range grants {
		p.addNode(kindAt(kind, n, i+1), n.prefix(i+1), heldOf(g.Roles), i+1 == n.level())
	}
}

// kindAt is the object type of n's prefix at level l: kind for n itself, else a database or schema.
func kindAt(kind snowflake.ObjectType, n name, l int) snowflake.ObjectType {
	switch {
	case l == n.level():
		return kind
	case l == 1:
		return snowflake.ObjectDatabase
	}
	return snowflake.ObjectSchema
}

// loadObjects reads the tables and views of one database named by units, with their schemas' and the
// database's grants, in one INFORMATION_SCHEMA pass (load_bulk). Units not found under their exact
// names (a name in another case, a missing object) take the one-object path, which resolves names.
func (p *pass) loadObjects(ctx context.Context, db string, units []*unit) error {
	var scope snowflake.CatalogScope
	for _, u := range units {
		if !slices.Contains(scope.Schemas, u.name.Schema) {
			scope.Schemas = append(scope.Schemas, u.name.Schema)
		}
		if !slices.Contains(scope.Names, u.name.Object) {
			scope.Names = append(scope.Names, u.name.Object)
		}
	}
	var cat snowflake.Catalog
	err := p.read(ctx, func(ctx context.Context) (err error) {
		cat, err = snowflake.LoadCatalog(ctx, p.e.q, snowflake.DatabaseID{Name: db}, scope)
		return err
	})
	if snowflake.Outage(err) {
		return fmt.Errorf("%w: %w", errSystemic, err)
	}
	kinds := map[name]snowflake.ObjectType{}
	for _, o := range cat.Objects {
		kinds[nameOfID(o.ID)] = o.Kind
	}
	grants := grantsByName(cat.Grants)
	rest := new(errgroup.Group)
	for _, u := range units {
		kind, found := kinds[u.name]
		if err != nil || !found {
			guard.Go(rest, func() error { return p.finish(u, p.loadObject(ctx, u)) })
			continue
		}
		u.resolved = u.name
		p.addNode(snowflake.ObjectDatabase, u.name.prefix(1), grants[u.name.prefix(1)], false)
		p.addNode(snowflake.ObjectSchema, u.name.prefix(2), grants[u.name.prefix(2)], false)
		p.addNode(kind, u.name, grants[u.name], true)
	}
	return rest.Wait()
}

// grantsByName groups grants read from INFORMATION_SCHEMA by their object.
func grantsByName(grants []snowflake.GrantInfo) map[name][]held {
	ids := map[string]name{}
	out := map[name][]held{}
	for _, g := range grants {
		n, ok := ids[g.Object]
		if !ok {
			parts, err := snowflake.ParseQualifiedName(g.Object)
			if err != nil {
				continue // rendered by LoadCatalog through QuoteIdent: cannot happen
			}
			for l, part := range parts {
				n = n.child(l+1, part)
			}
			ids[g.Object] = n
		}
		out[n] = append(out[n], held{g.Role, g.Privilege})
	}
	return out
}

// listing is what a database or schema holds, read from the catalog.
type listing struct {
	schemas []snowflake.SchemaID
	objects []snowflake.Object
	// grants are set only when read in bulk with the catalog (load_bulk).
	grants map[name][]held
}

// loadContainer reads a database or a schema with everything under it: first its listing (and, in
// parallel, the roles), then the grants, whichever way costs fewer round trips (see readGrants).
func (p *pass) loadContainer(ctx context.Context, u *unit) error {
	n := u.name
	p.startOurRefs(n) // beside the listing: the first wave
	c, err := p.list(ctx, n)
	if snowflake.IsNotExist(err) || errors.As(err, new(notExist)) {
		var found bool
		if n, found, err = p.resolveContainer(ctx, n); err != nil {
			return err
		}
		if !found {
			return notExist{}
		}
		c, err = p.list(ctx, n)
	}
	if err != nil {
		return err
	}
	u.resolved = n
	scope := p.e.opts.Scope
	schemas := filter(c.schemas, func(s snowflake.SchemaID) bool {
		return scope.Schema(s.Database, s.Name) && !p.e.opts.DataPolicy.holds(s)
	})
	var objects []snowflake.Object
	incomplete := map[name]bool{} // schemas with an object that is not synced: ON ALL would reach it
	for _, o := range c.objects {
		s := name{o.ID.Database, o.ID.Schema, ""}
		if (o.Kind == snowflake.ObjectTable || o.Kind == snowflake.ObjectView) && scope.Object(o.ID.Database, o.ID.Schema, o.ID.Name) &&
			!p.e.opts.DataPolicy.holds(snowflake.SchemaID{Database: o.ID.Database, Name: o.ID.Schema}) {
			objects = append(objects, o)
		} else {
			incomplete[s] = true
		}
	}
	if c.grants == nil {
		p.mu.Lock()
		for _, s := range schemas {
			if sn := nameOfID(s); !incomplete[sn] {
				p.complete[sn] = true
			}
		}
		p.mu.Unlock()
	}
	p.prefetchContainer(n, objects) // beside the grant reads: the same wave
	if c.grants != nil {            // read in bulk: INFORMATION_SCHEMA.TABLES says nothing of other kinds, so no ON ALL
		p.addContainer(n, schemas, objects, func(k name) []held { return c.grants[k] })
		return nil
	}
	return p.readGrants(ctx, n, schemas, objects)
}

// addContainer adds the nodes of a container: the database (full when it is the container), its
// schemas and objects (full).
func (p *pass) addContainer(n name, schemas []snowflake.SchemaID, objects []snowflake.Object, grants func(name) []held) {
	db := n.prefix(1)
	p.addNode(snowflake.ObjectDatabase, db, grants(db), n.level() == 1)
	for _, s := range schemas {
		p.addNode(snowflake.ObjectSchema, nameOfID(s), grants(nameOfID(s)), true)
	}
	for _, o := range objects {
		p.addNode(o.Kind, nameOfID(o.ID), grants(nameOfID(o.ID)), true)
	}
}

// list reads what database or schema n holds under its exact name: with SHOW (the database's objects in
// one SHOW OBJECTS when they fit one page, else one paged SHOW OBJECTS per schema), or in load_bulk mode
// from INFORMATION_SCHEMA with every grant.
func (p *pass) list(ctx context.Context, n name) (listing, error) {
	db := snowflake.DatabaseID{Name: n.Database}
	if p.e.opts.LoadMode == LoadBulk {
		var scope snowflake.CatalogScope
		if n.level() == 2 {
			scope.Schemas = []string{n.Schema}
		}
		var cat snowflake.Catalog
		err := p.read(ctx, func(ctx context.Context) (err error) {
			cat, err = snowflake.LoadCatalog(ctx, p.e.q, db, scope)
			return err
		})
		if err != nil {
			return listing{}, err
		}
		if n.level() == 2 && len(cat.Schemas) == 0 {
			return listing{}, notExist{}
		}
		return listing{schemas: cat.Schemas, objects: cat.Objects, grants: grantsByName(cat.Grants)}, nil
	}
	if n.level() == 2 {
		objects, err := p.objectsIn(ctx, n)
		return listing{schemas: []snowflake.SchemaID{{Database: n.Database, Name: n.Schema}}, objects: objects}, err
	}
	var c listing
	g := new(errgroup.Group)
	guard.Go(g, func() (err error) { c.schemas, err = p.schemasOf(ctx, n.Database); return err })
	var tooMany bool
	guard.Go(g, func() (err error) {
		c.objects, err = p.objectsIn(ctx, n)
		if tooMany = errors.Is(err, snowflake.ErrTooManyRows); tooMany {
			err = nil
		}
		return err
	})
	if err := g.Wait(); err != nil || !tooMany {
		return c, err
	}
	// More objects than one page: list each schema (names are unique there, so FROM can page).
	perSchema := make([][]snowflake.Object, len(c.schemas))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(p.e.opts.LoadThreads)
	for i, s := range c.schemas {
		guard.Go(g, func() (err error) {
			perSchema[i], err = p.objectsIn(gctx, nameOfID(s))
			if snowflake.IsNotExist(err) { // dropped while we read: nothing to sync
				err = nil
			}
			return err
		})
	}
	err := g.Wait()
	c.objects = slices.Concat(perSchema...)
	return c, err
}

// readGrants reads the current grants of a container's database, schemas and objects and adds their
// nodes, choosing by round trips:
//   - by role: one SHOW GRANTS TO ROLE per existing managed role (only managed roles are ever granted to
//     or revoked from, so their grants are all the plan needs), shared by every container of the pass;
//   - by object: one SHOW GRANTS ON per database, schema and object.
//
// By role is used when the roles are known and there are fewer managed roles than objects to read; a
// failed read by role (other than an outage) falls back to reading by object. Nodes are added only once
// every read succeeded: a container that fails to load changes nothing.
func (p *pass) readGrants(ctx context.Context, n name, schemas []snowflake.SchemaID, objects []snowflake.Object) error {
	managed, err := p.managedRoles(ctx)
	if snowflake.Outage(err) {
		return err
	}
	if err == nil && len(managed) < 1+len(schemas)+len(objects) {
		byName, err := p.grantsByRole(ctx, n, managed)
		if err == nil {
			p.addContainer(n, schemas, objects, func(k name) []held { return byName[k] })
			return nil
		}
		if snowflake.Outage(err) || ctx.Err() != nil {
			return err
		}
	}
	return p.grantsByObject(ctx, n, schemas, objects)
}

// managedRoles returns the existing roles the connector manages.
func (p *pass) managedRoles(ctx context.Context) ([]string, error) {
	roles, err := p.roleNames(ctx)
	if err != nil {
		return nil, err
	}
	return filter(roles, p.e.Manages), nil
}

// grantsByRole returns the managed roles' grants on the objects under n and on n's database, by object.
func (p *pass) grantsByRole(ctx context.Context, n name, roles []string) (map[name][]held, error) {
	lists := make([][]roleGrant, len(roles))
	g, gctx := errgroup.WithContext(ctx)
	for i, role := range roles {
		guard.Go(g, func() (err error) {
			lists[i], err = p.roleGrants(gctx, role)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	out := map[name][]held{}
	for i, list := range lists {
		for _, rg := range list {
			if rg.on.under(n) || rg.on == n.prefix(1) {
				out[rg.on] = append(out[rg.on], held{roles[i], rg.priv})
			}
		}
	}
	return out, nil
}

// grantsByObject reads SHOW GRANTS ON the container's database, schemas and objects through a pool of
// LoadThreads workers (goroutines are bounded too, not one per object).
func (p *pass) grantsByObject(ctx context.Context, n name, schemas []snowflake.SchemaID, objects []snowflake.Object) error {
	type read struct {
		kind   snowflake.ObjectType
		name   name
		full   bool
		grants snowflake.GrantsOn
		gone   bool // dropped while we read: nothing to sync
	}
	reads := make([]read, 0, 1+len(schemas)+len(objects))
	reads = append(reads, read{kind: snowflake.ObjectDatabase, name: n.prefix(1), full: n.level() == 1})
	for _, s := range schemas {
		reads = append(reads, read{kind: snowflake.ObjectSchema, name: nameOfID(s), full: true})
	}
	for _, o := range objects {
		reads = append(reads, read{kind: o.Kind, name: nameOfID(o.ID), full: true})
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(p.e.opts.LoadThreads)
	for i := range reads {
		r := &reads[i]
		guard.Go(g, func() error {
			var err error
			r.grants, err = p.grantsOnName(gctx, r.kind, r.name)
			if snowflake.IsNotExist(err) && r.kind != snowflake.ObjectDatabase {
				r.gone, err = true, nil
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	for _, r := range reads {
		if !r.gone {
			p.addNode(r.kind, r.name, heldOf(r.grants.Roles), r.full)
		}
	}
	return nil
}

// objectsIn lists the tables and views of a database or schema (memoized).
func (p *pass) objectsIn(ctx context.Context, n name) ([]snowflake.Object, error) {
	return memoRead(p, ctx, &p.objects, n, func(ctx context.Context) ([]snowflake.Object, error) {
		return snowflake.ShowTables(ctx, p.e.q, n.id())
	})
}

// schemasOf lists the schemas of a database (memoized).
func (p *pass) schemasOf(ctx context.Context, db string) ([]snowflake.SchemaID, error) {
	return memoRead(p, ctx, &p.schemas, db, func(ctx context.Context) ([]snowflake.SchemaID, error) {
		return snowflake.ShowSchemas(ctx, p.e.q, snowflake.DatabaseID{Name: db})
	})
}

// databaseNames lists the databases (memoized).
func (p *pass) databaseNames(ctx context.Context) ([]string, error) {
	return memoRead(p, ctx, &p.databases, struct{}{}, func(ctx context.Context) ([]string, error) {
		return snowflake.ShowDatabases(ctx, p.e.q)
	})
}

// grantsOnName reads SHOW GRANTS ON an object (memoized).
func (p *pass) grantsOnName(ctx context.Context, kind snowflake.ObjectType, n name) (snowflake.GrantsOn, error) {
	return memoRead(p, ctx, &p.grantsOn, grantsKey{kind, n}, func(ctx context.Context) (snowflake.GrantsOn, error) {
		return snowflake.ShowGrantsOn(ctx, p.e.q, kind, n.id())
	})
}

// roleNames lists the existing roles (memoized).
func (p *pass) roleNames(ctx context.Context) ([]string, error) {
	return memoRead(p, ctx, &p.roleList, struct{}{}, func(ctx context.Context) ([]string, error) {
		return snowflake.ShowRoles(ctx, p.e.q, "")
	})
}

// roleGrants reads SHOW GRANTS TO ROLE role (memoized), keeping the grants in the pass's container
// databases. A role dropped since SHOW ROLES holds nothing.
func (p *pass) roleGrants(ctx context.Context, role string) ([]roleGrant, error) {
	return memoRead(p, ctx, &p.toRole, role, func(ctx context.Context) ([]roleGrant, error) {
		var out []roleGrant
		err := snowflake.ShowGrantsToRole(ctx, p.e.q, role, func(g snowflake.GrantInfo, parts []string) error {
			if len(parts) == 0 || len(parts) > 3 || !p.containerDBs[strings.ToUpper(parts[0])] {
				return nil
			}
			var on name
			for l, part := range parts {
				on = on.child(l+1, part)
			}
			out = append(out, roleGrant{on, g.Privilege})
			return nil
		})
		if snowflake.IsNotExist(err) {
			return nil, nil
		}
		return out, err
	})
}

// loadRoles reads the existing roles, so that missing ones can be created or reported. When SHOW ROLES
// fails for another reason than an outage, the roles stay unknown and every role is assumed to exist:
// a GRANT to a missing one then fails on its own and is reported.
func (p *pass) loadRoles(ctx context.Context) error {
	names, err := p.roleNames(ctx)
	switch {
	case snowflake.Outage(err):
		return fmt.Errorf("%w: %w", errSystemic, err)
	case err != nil:
		return nil
	}
	roles := make(map[string]bool, len(names))
	for _, n := range names {
		roles[n] = true
	}
	p.mu.Lock()
	p.roles = roles
	p.mu.Unlock()
	return nil
}

// resolveObject finds the object n names, matching each level exactly, else ignoring case when
// exactly one name matches (DESIGN §2); the error is an ambiguous when several do.
func (p *pass) resolveObject(ctx context.Context, n name) (snowflake.Object, bool, error) {
	schema, found, err := p.resolveContainer(ctx, n.prefix(2))
	if err != nil || !found {
		return snowflake.Object{}, false, err
	}
	objs, err := p.objectsIn(ctx, schema)
	if err != nil {
		return snowflake.Object{}, false, err
	}
	objs, names := syncable(objs)
	exact, ok, err := resolve("table or view", names, n.Object)
	if !ok {
		return snowflake.Object{}, false, err
	}
	i := slices.IndexFunc(objs, func(o snowflake.Object) bool { return o.ID.Name == exact })
	return objs[i], true, nil
}

// resolveContainer matches a database or schema name to the catalog's names; the error is an ambiguous
// when several match it only ignoring case.
func (p *pass) resolveContainer(ctx context.Context, n name) (name, bool, error) {
	dbs, err := p.databaseNames(ctx)
	if err != nil {
		return name{}, false, err
	}
	db, ok, err := resolve("database", dbs, n.Database)
	if !ok {
		return name{}, false, err
	}
	if n.level() == 1 {
		return name{Database: db}, true, nil
	}
	schemas, err := p.schemasOf(ctx, db)
	if err != nil {
		return name{}, false, err
	}
	names := make([]string, len(schemas))
	for i, s := range schemas {
		names[i] = s.Name
	}
	schema, ok, err := resolve("schema", names, n.Schema)
	if !ok {
		return name{}, false, err
	}
	return name{db, schema, ""}, true, nil
}

// memoRead runs fn once per key of m for the pass, as a read (see pass.read).
func memoRead[K comparable, V any](p *pass, ctx context.Context, m *memo[K, V], k K, fn func(context.Context) (V, error)) (V, error) {
	return m.do(ctx, k, func() (v V, err error) {
		err = p.read(p.ctx, func(ctx context.Context) (err error) {
			v, err = fn(ctx)
			return err
		})
		return v, err
	})
}

// read runs one read in the pool under the engine's retry policy. A read that fails with an outage
// cancels the pass's context, so that every read still queued stops.
func (p *pass) read(ctx context.Context, fn func(context.Context) error) error {
	if err := p.sem.Acquire(ctx, 1); err != nil {
		return err
	}
	defer p.sem.Release(1)
	err := p.e.opts.Retry.Do(ctx, fn)
	if snowflake.Outage(err) && p.stop != nil {
		p.stop(err)
	}
	return err
}

// addNode records a loaded object; a node loaded as full stays full.
func (p *pass) addNode(kind snowflake.ObjectType, n name, grants []held, full bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if old, ok := p.nodes[n]; ok {
		old.full = old.full || full
		return
	}
	p.nodes[n] = &node{kind: kind, name: n, held: grants, full: full}
}

func filter[T any](in []T, keep func(T) bool) []T {
	out := in[:0:0]
	for _, v := range in {
		if keep(v) {
			out = append(out, v)
		}
	}
	return out
}
