package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"

	"github.com/snowsync/snowsync/internal/guard"
	"github.com/snowsync/snowsync/internal/policy"
	"github.com/snowsync/snowsync/internal/request"
	"github.com/snowsync/snowsync/internal/snowflake"
)

// node is one loaded Snowflake object with its current grants to roles.
type node struct {
	typ    snowflake.ObjectType
	path   []string // exact catalog names, database first
	grants []snowflake.GrantInfo
	// full nodes are synced (grant and revoke); the others are parents of synced objects, which only
	// receive the USAGE their children's grantees need.
	full bool
	// roles are the roles the policies grant something on a full node (set by Plan).
	roles map[string]bool
}

func (n *node) id() snowflake.Identifier {
	switch len(n.path) {
	case 1:
		return snowflake.DatabaseID{Name: n.path[0]}
	case 2:
		return snowflake.SchemaID{Database: n.path[0], Name: n.path[1]}
	}
	return snowflake.ObjectID{Database: n.path[0], Schema: n.path[1], Name: n.path[2]}
}

// unit is one coalesced resource to load: a database, a schema or an object.
type unit struct {
	res  request.Resource
	path []string // as requested
	// after load: the exact path, or why it was skipped / failed
	resolved []string
	skip     string
	code     string
	err      error
}

// ref is one requested resource, served by a unit (its own, or a database or schema unit covering it).
type ref struct {
	res      request.Resource
	path     []string
	unit     *unit
	outScope bool
}

// pass is the state of one Run.
type pass struct {
	// ctx is the load's context. Memoized queries run under it, not under the context of whichever
	// caller came first, so that one caller's cancellation cannot poison a result others share; it ends
	// only when the whole load is abandoned.
	ctx   context.Context
	stop  context.CancelCauseFunc // cancels ctx
	e     *Engine
	set   *policy.Set
	sem   *semaphore.Weighted
	units map[string]*unit // by key of the requested path (exact names: "sales" and "SALES" may both exist)

	mu    sync.Mutex
	nodes map[string]*node // by key of the exact path
	memo  map[string]*call // memoized queries
	roles map[string]bool  // existing roles, loaded with the first read
}

// call is one memoized query.
type call struct {
	done chan struct{}
	val  any
	err  error
}

func newPass(ctx context.Context, e *Engine, set *policy.Set) *pass {
	return &pass{ctx: ctx, e: e, set: set, sem: semaphore.NewWeighted(int64(e.opts.LoadThreads)),
		units: map[string]*unit{}, nodes: map[string]*node{}, memo: map[string]*call{}}
}

// add registers a requested resource. Coalescing happens in load, once every resource is known.
func (p *pass) add(res request.Resource) *ref {
	r := &ref{res: res, path: pathOf(res)}
	switch len(r.path) {
	case 1:
		r.outScope = !p.e.opts.Scope.Database(r.path[0])
	case 2:
		r.outScope = !p.e.opts.Scope.Schema(r.path[0], r.path[1])
	default:
		r.outScope = !p.e.opts.Scope.Object(r.path[0], r.path[1], r.path[2])
	}
	if r.outScope {
		return r
	}
	k := key(r.path...)
	if u, ok := p.units[k]; ok {
		r.unit = u
		return r
	}
	r.unit = &unit{res: res, path: r.path}
	p.units[k] = r.unit
	return r
}

// covering returns the unit of a database or schema that covers path, if any was requested.
func (p *pass) covering(path []string) *unit {
	for n := 1; n < len(path); n++ {
		if u, ok := p.units[key(path[:n]...)]; ok {
			return u
		}
	}
	return nil
}

// load reads every unit not covered by another. Units covered by a database or schema unit are
// dropped: their refs are served from the covering unit's nodes.
func (p *pass) load(ctx context.Context) error {
	// Memoized reads run under the load's context, which the first outage cancels: every read still
	// queued then stops instead of trying Snowflake again.
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	p.ctx, p.stop = ctx, stop
	g, ctx := errgroup.WithContext(ctx)
	guard.Go(g, func() error { return p.loadRoles(ctx) })
	bulk := map[string][]*unit{} // object units by requested database, in load_bulk mode
	for k, u := range p.units {
		if c := p.covering(u.path); c != nil {
			delete(p.units, k)
			u.err = errCovered{c}
			continue
		}
		if len(u.path) == 3 && p.e.opts.LoadMode == "load_bulk" {
			bulk[u.path[0]] = append(bulk[u.path[0]], u)
			continue
		}
		guard.Go(g, func() error { return p.finish(u, p.loadUnit(ctx, u)) })
	}
	for db, units := range bulk {
		guard.Go(g, func() error { return p.loadObjects(ctx, db, units) })
	}
	err := g.Wait()
	if cause := context.Cause(p.ctx); err == nil && outage(cause) { // a read hit the outage; others saw only the cancel
		err = fmt.Errorf("%w: %w", errSystemic, cause)
	}
	return err
}

// outage reports whether err, after this package's retries, means Snowflake as a whole is unavailable.
func outage(err error) bool { return snowflake.IsSystemic(err) || snowflake.IsUnreachable(err) }

// finish records the outcome of loading u. Only a systemic error is returned: it stops the batch.
func (p *pass) finish(u *unit, err error) error {
	switch {
	case err == nil:
	case outage(err):
		return fmt.Errorf("%w: %w", errSystemic, err)
	case snowflake.IsNotExist(err) || errors.As(err, new(notExist)):
		u.skip, u.code = "does not exist in Snowflake", "002003"
	default:
		u.err = err
	}
	return nil
}

// loadObjects reads the tables and views of one database named by units, with their schemas' and the
// database's grants, in one INFORMATION_SCHEMA pass (load_bulk). Units not found under their exact
// names (a name in another case, a missing object) take the one-object path, which resolves names.
func (p *pass) loadObjects(ctx context.Context, db string, units []*unit) error {
	var scope snowflake.CatalogScope
	for _, u := range units {
		if !slices.Contains(scope.Schemas, u.path[1]) {
			scope.Schemas = append(scope.Schemas, u.path[1])
		}
		if !slices.Contains(scope.Names, u.path[2]) {
			scope.Names = append(scope.Names, u.path[2])
		}
	}
	var cat snowflake.Catalog
	err := p.query(ctx, func(ctx context.Context) (err error) {
		cat, err = snowflake.LoadCatalog(ctx, p.e.q, snowflake.DatabaseID{Name: db}, scope)
		return err
	})
	if outage(err) {
		return fmt.Errorf("%w: %w", errSystemic, err)
	}
	kinds := map[string]snowflake.ObjectType{}
	for _, o := range cat.Objects {
		kinds[o.ID.FullyQualifiedName()] = o.Kind
	}
	grants := grantsByObject(cat.Grants)
	dbID := snowflake.DatabaseID{Name: db}
	rest := new(errgroup.Group)
	for _, u := range units {
		id := snowflake.ObjectID{Database: db, Schema: u.path[1], Name: u.path[2]}
		kind, found := kinds[id.FullyQualifiedName()]
		if err != nil || !found {
			guard.Go(rest, func() error { return p.finish(u, p.loadObject(ctx, u)) })
			continue
		}
		u.resolved = u.path
		p.addNode(snowflake.ObjectDatabase, dbID.Parts(), grants[dbID.FullyQualifiedName()], false)
		p.addNode(snowflake.ObjectSchema, id.SchemaID().Parts(), grants[id.SchemaID().FullyQualifiedName()], false)
		p.addNode(kind, id.Parts(), grants[id.FullyQualifiedName()], true)
	}
	return rest.Wait()
}

// grantsByObject groups grants by the fully qualified name of their object.
func grantsByObject(grants []snowflake.GrantInfo) map[string][]snowflake.GrantInfo {
	out := map[string][]snowflake.GrantInfo{}
	for _, g := range grants {
		out[g.Object] = append(out[g.Object], g)
	}
	return out
}

// errCovered marks a unit served by a covering unit.
type errCovered struct{ by *unit }

func (e errCovered) Error() string { return "covered by " + e.by.res.String() }

func (p *pass) loadUnit(ctx context.Context, u *unit) error {
	switch len(u.path) {
	case 1:
		return p.loadContainer(ctx, u, snowflake.DatabaseID{Name: u.path[0]})
	case 2:
		return p.loadContainer(ctx, u, snowflake.SchemaID{Database: u.path[0], Name: u.path[1]})
	}
	return p.loadObject(ctx, u)
}

// loadObject reads a table or view and its parents' grants in one parallel step with the names as
// given; only when the object is not found so does it list the catalog to match names ignoring case.
func (p *pass) loadObject(ctx context.Context, u *unit) error {
	kind := snowflake.ObjectTable
	if u.res.Kind == request.KindView {
		kind = snowflake.ObjectView
	}
	path := u.path
	grants, err := p.readObject(ctx, kind, path)
	if snowflake.IsNotExist(err) {
		obj, found, rerr := p.resolveObject(ctx, path)
		if rerr != nil || !found {
			if rerr == nil {
				rerr = err
			}
			return rerr
		}
		kind, path = obj.Kind, obj.ID.Parts()
		grants, err = p.readObject(ctx, kind, path)
	}
	if err != nil {
		return err
	}
	// SHOW GRANTS ON TABLE also answers for a view; granted_on tells what the object is.
	if on := grants[2].On; on == snowflake.ObjectTable || on == snowflake.ObjectView {
		kind = on
	}
	u.resolved = path
	p.addNode(snowflake.ObjectDatabase, path[:1], grants[0].Roles, false)
	p.addNode(snowflake.ObjectSchema, path[:2], grants[1].Roles, false)
	p.addNode(kind, path, grants[2].Roles, true)
	return nil
}

// readObject reads the grants on the database, the schema and the object of path at once.
func (p *pass) readObject(ctx context.Context, kind snowflake.ObjectType, path []string) ([3]snowflake.GrantsOn, error) {
	var out [3]snowflake.GrantsOn
	g := new(errgroup.Group) // no shared cancellation: every read completes and is memoized
	targets := []struct {
		typ snowflake.ObjectType
		id  snowflake.Identifier
	}{
		{snowflake.ObjectDatabase, snowflake.DatabaseID{Name: path[0]}},
		{snowflake.ObjectSchema, snowflake.SchemaID{Database: path[0], Name: path[1]}},
		{kind, snowflake.ObjectID{Database: path[0], Schema: path[1], Name: path[2]}},
	}
	for i, t := range targets {
		guard.Go(g, func() error {
			var err error
			out[i], err = p.grantsOn(ctx, t.typ, t.id)
			return err
		})
	}
	return out, g.Wait()
}

// loadContainer reads a database or a schema with everything under it.
func (p *pass) loadContainer(ctx context.Context, u *unit, id snowflake.Identifier) error {
	c, err := p.readContainer(ctx, id)
	if snowflake.IsNotExist(err) || errors.As(err, new(notExist)) {
		var found bool
		if id, found, err = p.resolveContainer(ctx, id); err != nil {
			return err
		}
		if !found {
			return notExist{}
		}
		c, err = p.readContainer(ctx, id)
	}
	if err != nil {
		return err
	}
	u.resolved = id.Parts()
	db := snowflake.DatabaseID{Name: u.resolved[0]}
	scope := p.e.opts.Scope
	schemas := filter(c.schemas, func(s snowflake.SchemaID) bool { return scope.Schema(s.Database, s.Name) })
	objects := filter(c.objects, func(o snowflake.Object) bool { return scope.Object(o.ID.Database, o.ID.Schema, o.ID.Name) })
	_, isDB := id.(snowflake.DatabaseID)
	if c.grants != nil { // read in bulk with the catalog
		p.addNode(snowflake.ObjectDatabase, db.Parts(), c.grants[db.FullyQualifiedName()], isDB)
		for _, s := range schemas {
			p.addNode(snowflake.ObjectSchema, s.Parts(), c.grants[s.FullyQualifiedName()], true)
		}
		for _, o := range objects {
			p.addNode(o.Kind, o.ID.Parts(), c.grants[o.ID.FullyQualifiedName()], true)
		}
		return nil
	}
	// Nodes are added only once every read succeeded: a container that fails to load changes nothing.
	type read struct {
		typ    snowflake.ObjectType
		id     snowflake.Identifier
		full   bool
		grants snowflake.GrantsOn
		gone   bool // dropped while we read: nothing to sync
	}
	reads := []read{{typ: snowflake.ObjectDatabase, id: db, full: isDB}}
	for _, s := range schemas {
		reads = append(reads, read{typ: snowflake.ObjectSchema, id: s, full: true})
	}
	for _, o := range objects {
		reads = append(reads, read{typ: o.Kind, id: o.ID, full: true})
	}
	g, gctx := errgroup.WithContext(ctx)
	for i := range reads {
		r := &reads[i]
		guard.Go(g, func() error {
			var err error
			r.grants, err = p.grantsOn(gctx, r.typ, r.id)
			if snowflake.IsNotExist(err) && r.typ != snowflake.ObjectDatabase {
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
			p.addNode(r.typ, r.id.Parts(), r.grants.Roles, r.full)
		}
	}
	return nil
}

// container is what a database or schema holds; grants are set (by object) only when read in bulk.
type container struct {
	schemas []snowflake.SchemaID
	objects []snowflake.Object
	grants  map[string][]snowflake.GrantInfo
}

// readContainer lists a database's or schema's schemas and objects under its exact name: with SHOW
// (grants are then read per object), or in load_bulk mode from INFORMATION_SCHEMA with every grant.
func (p *pass) readContainer(ctx context.Context, id snowflake.Identifier) (container, error) {
	db := snowflake.DatabaseID{Name: id.Parts()[0]}
	schema, isSchema := id.(snowflake.SchemaID)
	if p.e.opts.LoadMode != "load_bulk" {
		objects, err := p.objectsIn(ctx, id)
		if err != nil {
			return container{}, err
		}
		if isSchema {
			return container{schemas: []snowflake.SchemaID{schema}, objects: objects}, nil
		}
		schemas, err := p.memoSchemas(ctx, db)
		return container{schemas: schemas, objects: objects}, err
	}
	var scope snowflake.CatalogScope
	if isSchema {
		scope.Schemas = []string{schema.Name}
	}
	var cat snowflake.Catalog
	err := p.query(ctx, func(ctx context.Context) (err error) {
		cat, err = snowflake.LoadCatalog(ctx, p.e.q, db, scope)
		return err
	})
	if err != nil {
		return container{}, err
	}
	if isSchema && len(cat.Schemas) == 0 {
		return container{}, notExist{}
	}
	return container{schemas: cat.Schemas, objects: cat.Objects, grants: grantsByObject(cat.Grants)}, nil
}

// notExist is the error of a container that does not exist under any case of its name.
type notExist struct{}

func (notExist) Error() string { return "does not exist" }

// objectsIn lists the tables and views of a database or schema (memoized).
func (p *pass) objectsIn(ctx context.Context, id snowflake.Identifier) ([]snowflake.Object, error) {
	v, err := p.memoized(ctx, "objects\x00"+id.FullyQualifiedName(), func(ctx context.Context) (any, error) {
		return snowflake.ShowTables(ctx, p.e.q, id)
	})
	objs, _ := v.([]snowflake.Object)
	return objs, err
}

func (p *pass) memoSchemas(ctx context.Context, db snowflake.DatabaseID) ([]snowflake.SchemaID, error) {
	v, err := p.memoized(ctx, "schemas\x00"+db.FullyQualifiedName(), func(ctx context.Context) (any, error) {
		return snowflake.ShowSchemas(ctx, p.e.q, db)
	})
	s, _ := v.([]snowflake.SchemaID)
	return s, err
}

// grantsOn reads SHOW GRANTS ON an object (memoized).
func (p *pass) grantsOn(ctx context.Context, typ snowflake.ObjectType, id snowflake.Identifier) (snowflake.GrantsOn, error) {
	v, err := p.memoized(ctx, "grants\x00"+string(typ)+"\x00"+id.FullyQualifiedName(), func(ctx context.Context) (any, error) {
		return snowflake.ShowGrantsOn(ctx, p.e.q, typ, id)
	})
	g, _ := v.(snowflake.GrantsOn)
	return g, err
}

// loadRoles reads the existing roles, so that missing ones can be created or reported. When SHOW ROLES
// fails for another reason than an outage, the roles stay unknown and every role is assumed to exist:
// a GRANT to a missing one then fails on its own and is reported.
func (p *pass) loadRoles(ctx context.Context) error {
	var names []string
	err := p.query(ctx, func(ctx context.Context) (err error) {
		names, err = snowflake.ShowRoles(ctx, p.e.q, "")
		return err
	})
	switch {
	case outage(err):
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

// resolveObject finds the object path names, matching each level exactly, else ignoring case when
// exactly one name matches (DESIGN §2).
func (p *pass) resolveObject(ctx context.Context, path []string) (snowflake.Object, bool, error) {
	sid, found, err := p.resolveContainer(ctx, snowflake.SchemaID{Database: path[0], Name: path[1]})
	if err != nil || !found {
		return snowflake.Object{}, false, err
	}
	objs, err := p.objectsIn(ctx, sid)
	if err != nil {
		return snowflake.Object{}, false, err
	}
	names := make([]string, len(objs))
	for i, o := range objs {
		names[i] = o.ID.Name
	}
	name, ok := snowflake.ResolveName(names, path[2])
	if !ok {
		return snowflake.Object{}, false, nil
	}
	for _, o := range objs {
		if o.ID.Name == name {
			return o, true, nil
		}
	}
	return snowflake.Object{}, false, nil
}

// resolveContainer matches a database or schema identifier to the catalog's names.
func (p *pass) resolveContainer(ctx context.Context, id snowflake.Identifier) (snowflake.Identifier, bool, error) {
	dbs, err := p.memoized(ctx, "databases", func(ctx context.Context) (any, error) {
		return snowflake.ShowDatabases(ctx, p.e.q)
	})
	if err != nil {
		return nil, false, err
	}
	parts := id.Parts()
	db, ok := snowflake.ResolveName(dbs.([]string), parts[0])
	if !ok {
		return nil, false, nil
	}
	if len(parts) == 1 {
		return snowflake.DatabaseID{Name: db}, true, nil
	}
	schemas, err := p.memoSchemas(ctx, snowflake.DatabaseID{Name: db})
	if err != nil {
		return nil, false, err
	}
	names := make([]string, len(schemas))
	for i, s := range schemas {
		names[i] = s.Name
	}
	schema, ok := snowflake.ResolveName(names, parts[1])
	if !ok {
		return nil, false, nil
	}
	return snowflake.SchemaID{Database: db, Name: schema}, true, nil
}

// memoized runs fn once per key for the pass; concurrent callers wait for the first.
func (p *pass) memoized(ctx context.Context, key string, fn func(context.Context) (any, error)) (any, error) {
	p.mu.Lock()
	c, ok := p.memo[key]
	if !ok {
		c = &call{done: make(chan struct{})}
		p.memo[key] = c
	}
	p.mu.Unlock()
	if ok {
		select {
		case <-c.done:
			return c.val, c.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	defer close(c.done)
	c.err = p.query(p.ctx, func(ctx context.Context) (err error) {
		c.val, err = fn(ctx)
		return err
	})
	return c.val, c.err
}

// query runs one read in the pool, retrying transient errors with a short backoff inside ctx.
func (p *pass) query(ctx context.Context, fn func(context.Context) error) error {
	if err := p.sem.Acquire(ctx, 1); err != nil {
		return err
	}
	defer p.sem.Release(1)
	delay := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := fn(ctx)
		if err == nil || !snowflake.IsTransient(err) || attempt == 4 || ctx.Err() != nil {
			if outage(err) && p.stop != nil { // given up: stop the reads still queued
				p.stop(err)
			}
			return err
		}
		select {
		case <-time.After(delay):
			delay *= 2
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		}
	}
}

// addNode records a loaded object; a node loaded as full stays full.
func (p *pass) addNode(typ snowflake.ObjectType, path []string, grants []snowflake.GrantInfo, full bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := key(path...)
	if n, ok := p.nodes[k]; ok {
		n.full = n.full || full
		return
	}
	p.nodes[k] = &node{typ: typ, path: append([]string(nil), path...), grants: grants, full: full}
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
