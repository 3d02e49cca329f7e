package engine

import (
	"context"
	"slices"

	"github.com/snowsync/snowsync/internal/snowflake"
)

// ObjectOnly units (a database or schema synced for its own grants: request.Resource.ObjectOnly) are
// read one of two ways, chosen for the pass:
//   - by object (loadOwn): SHOW GRANTS ON the database or schema, and on a schema's database;
//   - by role (loadOwnByRole): the managed roles' grants, and one SHOW SCHEMAS per database for the
//     units' exact names. It is used when the pass reads by role anyway (object units read by schema,
//     or a database or schema in full: then it costs only the SHOW SCHEMAS), or when reading by object
//     would take more than one wave of the read pool and more queries (ownByRole). A reconciliation
//     whose change reaches every schema's tables is the case it is made for: one ObjectOnly schema per
//     schema, each a SHOW GRANTS ON otherwise.

// ownByRole reports whether reading the ObjectOnly units own by role costs fewer queries than by object
// (one per database and schema named) when by object would not fit one wave of the read pool.
func (p *pass) ownByRole(own []*unit) bool {
	names := map[name]bool{}
	dbs := map[string]bool{}
	for _, u := range own {
		for l := 1; l <= u.name.level(); l++ {
			names[u.name.prefix(l)] = true
		}
		dbs[u.name.Database] = true
	}
	perObject := len(names)
	return perObject > p.e.opts.LoadThreads && len(p.likelyRoles())+len(dbs) < perObject
}

// loadOwnByRole reads an ObjectOnly database or schema by role: its exact name from its database's
// schema listing (SHOW SCHEMAS IN DATABASE, memoized; it fails when the database does not exist), its
// grants and its database's from the managed roles' grants, which is all Plan looks at. A name not
// found as given is matched ignoring case (resolveContainer). When the roles cannot be read (other than
// in an outage) it reads by object instead (loadOwn).
func (p *pass) loadOwnByRole(ctx context.Context, u *unit) error {
	n, err := p.ownName(ctx, u.name)
	if err != nil {
		return err
	}
	if p.skipPolicySchema(u, n) {
		return nil
	}
	roles, err := p.managedRoles(ctx)
	var byName map[name][]held
	if err == nil {
		byName, err = p.grantsByRole(ctx, n, roles)
	}
	if snowflake.Outage(err) {
		return err
	}
	if err != nil || ctx.Err() != nil {
		return p.loadOwn(ctx, u)
	}
	u.resolved = n
	p.addNode(snowflake.ObjectDatabase, n.prefix(1), byName[n.prefix(1)], n.level() == 1)
	if n.level() == 2 {
		p.addNode(snowflake.ObjectSchema, n, byName[n], true)
	}
	return nil
}

// ownName returns the exact name of database or schema n: n itself when its database's schema listing
// has it as given, else the one name that matches it ignoring case (resolveContainer); notExist when
// none does.
func (p *pass) ownName(ctx context.Context, n name) (name, error) {
	schemas, err := p.schemasOf(ctx, n.Database)
	switch {
	case err == nil && (n.level() == 1 || slices.ContainsFunc(schemas, func(s snowflake.SchemaID) bool { return s.Name == n.Schema })):
		return n, nil
	case err != nil && !snowflake.IsNotExist(err):
		return name{}, err
	}
	resolved, found, err := p.resolveContainer(ctx, n)
	if err == nil && !found {
		err = notExist{}
	}
	return resolved, err
}
