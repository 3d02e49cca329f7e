package engine

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/snowsync/snowsync/internal/guard"
	"github.com/snowsync/snowsync/internal/policy"
	"github.com/snowsync/snowsync/internal/request"
	"github.com/snowsync/snowsync/internal/snowflake"
)

// Affected returns the resources to sync so that every object whose desired state may differ between
// the two policy sets of c is synced (policy.Change's contract: conservative, exact at the level of
// policies), within the managed scope (Options.Scope, which leaves out Snowflake's own databases unless
// a manage list names them; snowsync's policy schemas never), sorted by database, schema and table:
//   - a database that c affects but whose objects it does not reach: the database ObjectOnly;
//   - a schema likewise: the schema ObjectOnly (a deeper policy's implied USAGE makes it affected);
//   - every table and view (as SHOW OBJECTS reports its kind; other kinds are not synced) that c
//     affects: the table or view;
//   - coarsened where the engine reads more cheaply in full: a schema whose every in-scope table and
//     view c affects, as one schema resource in full (not ObjectOnly) instead of its tables, whether c
//     affects the schema itself or not (an empty one that c affects stays ObjectOnly: its own grants
//     cost one read, its listing more); a database that c affects and whose every in-scope schema c
//     affects with every in-scope table and view of it (empty or not), as one database resource in full;
//   - c.All: every in-scope database in full; c.Empty: nothing, and no query.
//
// Listing costs, through the engine's read pool (LoadThreads, retried as every read): one SHOW DATABASES;
// one SHOW SCHEMAS per database that c reaches; for the schemas c reaches, one SHOW OBJECTS IN DATABASE
// when more than one schema of the database needs its objects and they fit one page (else one SHOW
// OBJECTS IN SCHEMA each). Databases are listed concurrently; those c names literally are listed beside
// SHOW DATABASES (prefetchListings), so that the usual change costs one wave of reads. Literal names
// that c gives (Databases, Schemas) narrow which listed objects are tested, matched ignoring case as
// Ranger matches them; Tables' literal names are not used to skip the listing: whether a named table exists, and whether it
// is a table or a view, is known only from a listing, which costs at most one query per schema, never
// more than a read per named table would.
//
// A database or schema dropped between two listings is left out. One whose listing fails otherwise
// (privileges) is returned in full, so that the sync reports the failure on it rather than dropping the
// change. The error is an outage (snowflake.Outage), or ctx's.
func (e *Engine) Affected(ctx context.Context, c *policy.Change) ([]request.Resource, error) {
	if c.Empty() {
		return nil, nil
	}
	p, stop := e.lister(ctx)
	defer stop(nil)
	prefetch := new(errgroup.Group)
	defer prefetch.Wait() // before stop: a listing no one used still ends on its own
	if names, ok := c.Databases(); ok && !c.All() {
		p.prefetchListings(prefetch, c, names)
	}
	dbs, err := p.scopedDatabases()
	if err != nil {
		return nil, p.listErr(err)
	}
	if names, ok := c.Databases(); ok {
		dbs = filter(dbs, func(db string) bool { return slices.ContainsFunc(names, equalFold(db)) })
	}
	if c.All() {
		out := make([]request.Resource, len(dbs))
		for i, db := range dbs {
			out[i] = request.Resource{Kind: request.KindDatabase, Database: db}
		}
		return sortResources(out), nil
	}
	found := make([][]request.Resource, len(dbs))
	g := new(errgroup.Group) // reads are bounded by the pass's pool; a failed database does not stop the others
	for i, db := range dbs {
		guard.Go(g, func() (err error) {
			found[i], err = p.affectedIn(c, db)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, p.listErr(err)
	}
	if err := p.listErr(nil); err != nil {
		return nil, err
	}
	return sortResources(slices.Concat(found...)), nil
}

// Schemas returns every in-scope schema of every in-scope database (snowsync's policy schemas left
// out), sorted by database then schema name: one SHOW DATABASES, then one SHOW SCHEMAS per database,
// concurrently through the read pool. A database dropped meanwhile is left out; another failure to list
// one is returned, naming it.
func (e *Engine) Schemas(ctx context.Context) ([]snowflake.SchemaID, error) {
	p, stop := e.lister(ctx)
	defer stop(nil)
	dbs, err := p.scopedDatabases()
	if err != nil {
		return nil, p.listErr(err)
	}
	lists := make([][]snowflake.SchemaID, len(dbs))
	g := new(errgroup.Group)
	for i, db := range dbs {
		guard.Go(g, func() error {
			schemas, err := p.scopedSchemas(db)
			if err != nil && !snowflake.IsNotExist(err) {
				return fmt.Errorf("list the schemas of %s: %w", snowflake.DatabaseID{Name: db}.FullyQualifiedName(), err)
			}
			lists[i] = schemas
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, p.listErr(err)
	}
	out := slices.Concat(lists...)
	slices.SortFunc(out, func(a, b snowflake.SchemaID) int {
		return cmp.Or(cmp.Compare(a.Database, b.Database), cmp.Compare(a.Name, b.Name))
	})
	return out, p.listErr(nil)
}

// lister returns a pass that only lists, reading under ctx; stop ends it.
func (e *Engine) lister(ctx context.Context) (*pass, context.CancelCauseFunc) {
	p := newPass(e, nil)
	p.ctx, p.stop = context.WithCancelCause(ctx)
	return p, p.stop
}

// listErr returns the error a listing pass ends with: the outage that stopped it (a read that hit one
// cancels the others, which then see only the cancel), else the caller's cancellation, else err.
func (p *pass) listErr(err error) error {
	if cause := context.Cause(p.ctx); snowflake.Outage(cause) {
		return fmt.Errorf("%w: %w", errSystemic, cause)
	}
	if snowflake.Outage(err) {
		return fmt.Errorf("%w: %w", errSystemic, err)
	}
	if cerr := p.ctx.Err(); cerr != nil {
		return cerr
	}
	return err
}

// prefetchListings starts, beside SHOW DATABASES, the listings that affectedIn will ask for the
// databases c names literally: their schemas and, when more than one schema may be reached, their
// objects, so that listing takes one wave instead of three. Names are tried upper-cased, as Snowflake
// stores unquoted names; a database named otherwise is listed later under its exact name, and a listing
// no one asks for costs one read in that first wave.
func (p *pass) prefetchListings(g *errgroup.Group, c *policy.Change, names []string) {
	for _, n := range names {
		db := strings.ToUpper(n)
		if !p.e.opts.Scope.Database(db) || !c.Reaches(name{Database: db}.policyObject(snowflake.ObjectDatabase)) {
			continue
		}
		guard.Go(g, func() error { _, _ = p.schemasOf(p.ctx, db); return nil })
		if schemas, ok := c.Schemas(db); !ok || len(schemas) > 1 {
			guard.Go(g, func() error { _, _ = p.objectsIn(p.ctx, name{Database: db}); return nil })
		}
	}
}

// scopedDatabases lists the databases in the managed scope.
func (p *pass) scopedDatabases() ([]string, error) {
	dbs, err := p.databaseNames(p.ctx)
	return filter(dbs, p.e.opts.Scope.Database), err
}

// scopedSchemas lists the schemas of db in the managed scope, snowsync's policy schemas left out.
func (p *pass) scopedSchemas(db string) ([]snowflake.SchemaID, error) {
	schemas, err := p.schemasOf(p.ctx, db)
	return filter(schemas, func(s snowflake.SchemaID) bool {
		return p.e.opts.Scope.Schema(s.Database, s.Name) && !p.e.opts.DataPolicy.holds(s)
	}), err
}

// affectedIn returns the resources of database db that c affects (see Affected). Only an outage is
// returned as an error.
func (p *pass) affectedIn(c *policy.Change, db string) ([]request.Resource, error) {
	dbName := name{Database: db}
	obj := dbName.policyObject(snowflake.ObjectDatabase)
	affects, reaches := c.Affects(obj), c.Reaches(obj)
	full := []request.Resource{{Kind: request.KindDatabase, Database: db}}
	if !reaches {
		if affects {
			return []request.Resource{{Kind: request.KindDatabase, Database: db, ObjectOnly: true}}, nil
		}
		return nil, nil
	}
	schemas, err := p.scopedSchemas(db)
	switch {
	case snowflake.IsNotExist(err): // dropped since SHOW DATABASES
		return nil, nil
	case snowflake.Outage(err):
		return nil, err
	case err != nil:
		return full, nil
	}
	tested := schemas
	if names, ok := c.Schemas(db); ok {
		tested = filter(schemas, func(s snowflake.SchemaID) bool { return slices.ContainsFunc(names, equalFold(s.Name)) })
	}
	var deep []name // schemas whose objects c may affect
	for _, s := range tested {
		if n := nameOfID(s); c.Reaches(n.policyObject(snowflake.ObjectSchema)) {
			deep = append(deep, n)
		}
	}
	objects, err := p.objectsOf(dbName, deep)
	if err != nil {
		return nil, err
	}
	var out []request.Resource
	inFull := 0
	for _, s := range tested {
		res, whole := p.affectedSchema(c, nameOfID(s), objects)
		out = append(out, res...)
		if whole {
			inFull++
		}
	}
	if affects && len(schemas) > 0 && inFull == len(schemas) {
		return full, nil
	}
	if affects {
		out = append(out, request.Resource{Kind: request.KindDatabase, Database: db, ObjectOnly: true})
	}
	return out, nil
}

// affectedSchema returns the resources of schema s that c affects, given the listings of the schemas c
// reaches, and whether c affects s and every in-scope table and view of it (an empty schema that c
// reaches included): then a database request in full syncs nothing more than needed there.
func (p *pass) affectedSchema(c *policy.Change, s name, objects map[name]schemaObjects) ([]request.Resource, bool) {
	schema := request.Resource{Kind: request.KindSchema, Database: s.Database, Schema: s.Schema}
	affects := c.Affects(s.policyObject(snowflake.ObjectSchema))
	listed, reached := objects[s]
	switch {
	case reached && listed.gone: // dropped since SHOW SCHEMAS
		return nil, false
	case reached && listed.err != nil:
		return []request.Resource{schema}, true
	}
	var out []request.Resource
	syncable := 0
	for _, o := range listed.objects {
		kind, ok := requestKinds[o.Kind]
		if !ok || !p.e.opts.Scope.Object(o.ID.Database, o.ID.Schema, o.ID.Name) {
			continue
		}
		syncable++
		if c.Affects(nameOfID(o.ID).policyObject(o.Kind)) {
			out = append(out, request.Resource{Kind: kind, Database: o.ID.Database, Schema: o.ID.Schema, Table: o.ID.Name})
		}
	}
	every := reached && len(out) == syncable
	if every && syncable > 0 { // one schema read beats its every table's, even with its own grants unchanged
		return []request.Resource{schema}, affects
	}
	if affects { // an empty schema too: nothing under it to sync, its own grants cost one read
		schema.ObjectOnly = true
		out = append(out, schema)
	}
	return out, affects && every
}

// requestKinds are the kinds of listed objects that a request can name.
var requestKinds = map[snowflake.ObjectType]request.Kind{snowflake.ObjectTable: request.KindTable, snowflake.ObjectView: request.KindView}

// schemaObjects is the listing of one schema's objects: gone when the schema was dropped meanwhile,
// err when it could not be listed otherwise.
type schemaObjects struct {
	objects []snowflake.Object
	gone    bool
	err     error
}

// objectsOf lists the objects of the schemas of db: with one SHOW OBJECTS IN DATABASE when there are
// several and they fit one page, else one SHOW OBJECTS IN SCHEMA each, concurrently. Only an outage
// is returned as an error.
func (p *pass) objectsOf(db name, schemas []name) (map[name]schemaObjects, error) {
	out := make(map[name]schemaObjects, len(schemas))
	if len(schemas) > 1 {
		all, err := p.objectsIn(p.ctx, db)
		switch {
		case err == nil:
			for _, s := range schemas {
				out[s] = schemaObjects{}
			}
			for _, o := range all {
				if l, ok := out[nameOfID(o.ID).prefix(2)]; ok {
					l.objects = append(l.objects, o)
					out[nameOfID(o.ID).prefix(2)] = l
				}
			}
			return out, nil
		case snowflake.Outage(err):
			return nil, err
		case snowflake.IsNotExist(err): // the database was dropped: each schema is gone
			for _, s := range schemas {
				out[s] = schemaObjects{gone: true}
			}
			return out, nil
		}
		// too many rows for one page (or another failure): schema by schema
	}
	lists := make([]schemaObjects, len(schemas))
	g := new(errgroup.Group)
	for i, s := range schemas {
		guard.Go(g, func() error {
			objs, err := p.objectsIn(p.ctx, s)
			if snowflake.Outage(err) {
				return err
			}
			lists[i] = schemaObjects{objects: objs, gone: snowflake.IsNotExist(err), err: err}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for i, s := range schemas {
		out[s] = lists[i]
	}
	return out, nil
}

// equalFold returns a test of a name against s ignoring case, as Ranger matches names.
func equalFold(s string) func(string) bool {
	return func(n string) bool { return strings.EqualFold(n, s) }
}

// sortResources sorts resources by database, schema and table (a container before what it holds).
func sortResources(rs []request.Resource) []request.Resource {
	slices.SortFunc(rs, func(a, b request.Resource) int {
		return compareNames(nameOf(a), nameOf(b))
	})
	return rs
}
