// Package engine is the sync engine (DESIGN §6): for the resources of a batch of requests it loads
// the objects and their current grants, masking and row access policies from Snowflake, computes what
// the Ranger policies demand, applies the difference, and reports per requested resource. Masks and
// row filters (policyread.go, policybulk.go, policyplan.go) are read beside the grants, and applied
// before them: schema, policies, attachments, then grants (see phase).
//
// A batch is synced as a whole: a resource named by several requests is loaded and planned once, and a
// database or schema request covers the requests for objects under it; each request still gets its own
// per-resource results. A database or schema marked ObjectOnly (request.Resource.ObjectOnly, set by the
// policy-change reconciler, never by an event) syncs only its own grants: it is read with SHOW GRANTS ON
// it beside the other reads, covers nothing under it, and is served by a database or schema requested
// in full when there is one.
//
// Affected (affected.go) turns a policy.Change between two policy versions into the resources to sync,
// listing Snowflake's inventory as little as it can; Schemas lists the managed schemas for the drift
// sweep.
//
// The engine is built for round trips, not statements:
//   - a table or view is read with SHOW GRANTS ON it and its two parents, at once, beside SHOW ROLES:
//     one wave of reads, then one of writes;
//   - a database or schema is listed (SHOW SCHEMAS and SHOW OBJECTS, paged where Snowflake's 10,000-row
//     limit demands it), then its grants are read with one SHOW GRANTS TO ROLE per managed role when
//     that is fewer queries than one SHOW GRANTS ON per object (see pass.readGrants);
//   - every read goes through one bounded pool (CONNECTOR_SNOWFLAKE_LOAD_THREADS; one at a time in
//     "load" mode), is memoized for the batch, and is retried under one policy (snowflake.Retry);
//   - the plan is a pure function (planner.plan) computed one schema at a time; where every table (view)
//     of a schema needs the same privilege and most lack it, one GRANT … ON ALL replaces the per-object
//     statements;
//   - statements are applied concurrently as single statements by the snowflake.Executor.
//
// Memory grows with the objects of the batch (one node each, with its managed roles' grants), not with
// goroutines: reads of many objects go through a fixed pool of workers.
package engine

import (
	"cmp"
	"context"
	"errors"
	"strings"

	"github.com/snowsync/snowsync/internal/datapolicy"
	"github.com/snowsync/snowsync/internal/policy"
	"github.com/snowsync/snowsync/internal/request"
	"github.com/snowsync/snowsync/internal/snowflake"
	"github.com/snowsync/snowsync/internal/task/outcome"
)

// Policies gives the current policy set; an error means none could ever be loaded (systemic).
type Policies interface {
	Current(ctx context.Context) (*policy.Set, error)
}

// LoadMode is how the engine reads Snowflake (CONNECTOR_SNOWFLAKE_LOAD_RESOURCES_KEY, the seed product's
// values).
type LoadMode string

// The load modes.
const (
	LoadSequential LoadMode = "load"              // one SHOW at a time
	LoadConcurrent LoadMode = "load_multi_thread" // the same SHOWs, LoadThreads at a time
	LoadBulk       LoadMode = "load_bulk"         // INFORMATION_SCHEMA, one query per database
)

// LoadModes lists the load modes, in the order the settings documentation gives them.
var LoadModes = []LoadMode{LoadSequential, LoadConcurrent, LoadBulk}

// Defaults of Options (and of the settings CONNECTOR_SNOWFLAKE_LOAD_RESOURCES_KEY,
// CONNECTOR_SNOWFLAKE_LOAD_THREADS and the policy schema settings, which config reads with them).
const (
	DefaultLoadMode    = LoadConcurrent
	DefaultLoadThreads = 8
	// DefaultPolicySchema is the schema of snowsync's masking and row access policies.
	DefaultPolicySchema = "SNOWSYNC_POLICIES"
)

// Options configure an Engine. Zero values: DefaultLoadMode with DefaultLoadThreads, the default
// retry policy, nothing managed beyond the prefixes of Mapping, missing roles reported rather than
// created.
type Options struct {
	Scope Scope
	// Mapping decides which roles carry the managed prefixes.
	Mapping policy.Mapping
	// ManagedRoles are extra roles that may be revoked from (CONNECTOR_SNOWFLAKE_MANAGE_ROLE_LIST).
	ManagedRoles []string
	// CreateMissingRoles adds CREATE ROLE IF NOT EXISTS for a role that a GRANT needs and that does not
	// exist; when false such grants are not sent and the resource FAILS, naming the role.
	CreateMissingRoles bool
	// LoadMode is LoadSequential (one query at a time), LoadConcurrent (LoadThreads at a time) or
	// LoadBulk (database and schema requests read INFORMATION_SCHEMA, one query per view).
	LoadMode    LoadMode
	LoadThreads int
	// Retry is the retry policy of every read (the executor has its own for writes; app gives both the
	// same query timeout).
	Retry snowflake.Retry
	// DataPolicy places the masking and row access policies snowsync creates.
	DataPolicy DataPolicy
}

// DataPolicy places the masking and row access policies that snowsync creates and says what can be
// read. An empty database means the database of the table a policy protects; an empty schema means
// DefaultPolicySchema.
type DataPolicy struct {
	MaskDatabase, MaskSchema     string
	FilterDatabase, FilterSchema string
	NullFallthrough              bool
	// References is true when the session has a warehouse, so that POLICY_REFERENCES can be read: it
	// alone tells a table's row access policy (see policyread.go).
	References bool
}

// schemaFor returns the schema holding snowsync's policies of kind for tables of database db.
func (d DataPolicy) schemaFor(kind snowflake.PolicyKind, db string) snowflake.SchemaID {
	o := d.options(kind, db)
	return snowflake.SchemaID{Database: o.Database, Name: o.Schema}
}

// holds reports whether schema s is where snowsync keeps its policies (for tables of s's database). A
// database request never syncs it: it holds snowsync's policies, which no role needs to reach, and a
// wildcard Ranger policy over the database would otherwise grant on it once snowsync created it.
func (d DataPolicy) holds(s snowflake.SchemaID) bool {
	return d.schemaFor(snowflake.MaskingPolicy, s.Database) == s || d.schemaFor(snowflake.RowAccessPolicy, s.Database) == s
}

// ours reports whether policy id of kind is one snowsync created for tables of database db.
func (d DataPolicy) ours(kind snowflake.PolicyKind, db string, id snowflake.ObjectID) bool {
	return datapolicy.Ours(id.Database, id.Schema, id.Name, d.options(kind, db))
}

// options returns the rendering options of snowsync's policies of kind for tables of database db.
func (d DataPolicy) options(kind snowflake.PolicyKind, db string) datapolicy.Options {
	pdb, schema := d.MaskDatabase, d.MaskSchema
	if kind == snowflake.RowAccessPolicy {
		pdb, schema = d.FilterDatabase, d.FilterSchema
	}
	return datapolicy.Options{Database: cmp.Or(pdb, db), Schema: cmp.Or(schema, DefaultPolicySchema), NullFallthrough: d.NullFallthrough}
}

// Engine syncs batches. It is safe for concurrent use.
type Engine struct {
	q        snowflake.Querier
	exec     snowflake.Executor
	policies Policies
	opts     Options
	managed  map[string]bool
}

// New returns an Engine reading through q and applying through exec (snowflake.DryRun or a snowflake.Recorder for a dry run).
func New(q snowflake.Querier, exec snowflake.Executor, policies Policies, opts Options) *Engine {
	opts.LoadMode = cmp.Or(opts.LoadMode, DefaultLoadMode)
	if opts.LoadThreads <= 0 {
		opts.LoadThreads = DefaultLoadThreads
	}
	if opts.LoadMode == LoadSequential {
		opts.LoadThreads = 1
	}
	e := &Engine{q: q, exec: exec, policies: policies, opts: opts, managed: map[string]bool{}}
	for _, r := range opts.ManagedRoles {
		e.managed[strings.ToUpper(r)] = true
	}
	return e
}

// Manages reports whether the connector may revoke from role: it carries a managed prefix or is in
// the manage role list (compared ignoring case, as the list is written unquoted).
func (e *Engine) Manages(role string) bool {
	return e.opts.Mapping.Manages(role) || e.managed[strings.ToUpper(role)]
}

// Sync implements task.Syncer. A statement that serves several resources of one request (a parent's
// USAGE, a table covered by a database request) is listed under each, but counted once per request: a
// resource's Grants and Revokes count only the statements that no earlier resource of its request counted.
func (e *Engine) Sync(ctx context.Context, reqs []request.Request) ([][]outcome.Resource, error) {
	var refs []request.Resource
	for _, r := range reqs {
		refs = append(refs, r.Resources...)
	}
	flat, listed, err := e.run(ctx, refs)
	if err != nil {
		return nil, err
	}
	out := make([][]outcome.Resource, len(reqs))
	for i, r := range reqs {
		n := len(r.Resources)
		out[i] = flat[:n]
		// A statement counts once per request, under the first resource that lists it, with the largest
		// share any of the request's resources has of it (a table has its own share of an ON ALL).
		most := map[*change]share{}
		for _, l := range listed[:n] {
			for _, sh := range l {
				m := most[sh.c]
				most[sh.c] = share{c: sh.c, grants: max(m.grants, sh.grants), revokes: max(m.revokes, sh.revokes), pc: sh.pc}
			}
		}
		counted := map[*change]bool{}
		for j := range out[i] {
			res := &out[i][j]
			res.Grants, res.Revokes, res.PolicyChanges = 0, 0, outcome.PolicyChanges{}
			for _, sh := range listed[j] {
				if sh.c.err == nil && !counted[sh.c] {
					res.Grants += most[sh.c].grants
					res.Revokes += most[sh.c].revokes
					res.PolicyChanges.Add(most[sh.c].pc)
				}
				counted[sh.c] = true
			}
		}
		flat, listed = flat[n:], listed[n:]
	}
	return out, nil
}

// Run syncs resources as one batch and returns one result per resource, in order. The error is
// systemic: Snowflake unreachable or refusing the login.
func (e *Engine) Run(ctx context.Context, resources []request.Resource) ([]outcome.Resource, error) {
	out, _, err := e.run(ctx, resources)
	return out, err
}

// run is Run, also returning the changes each result lists.
func (e *Engine) run(ctx context.Context, resources []request.Resource) ([]outcome.Resource, [][]share, error) {
	out := make([]outcome.Resource, len(resources))
	listed := make([][]share, len(resources))
	set, err := e.policies.Current(ctx)
	if err != nil { // DESIGN §3: a policy source error fails the resources, to be replayed once fixed
		for i, res := range resources {
			out[i] = outcome.Resource{Resource: res, Status: outcome.Failed, Reason: "policies unavailable: " + err.Error()}
		}
		return out, listed, nil
	}
	p := newPass(e, set)
	refs := make([]*ref, len(resources))
	for i, res := range resources {
		refs[i] = p.add(res)
	}
	if err := p.load(ctx); err != nil {
		return nil, nil, err
	}
	pl := p.plan()
	if err := p.apply(ctx, pl); err != nil {
		return nil, nil, err
	}
	for i, r := range refs {
		out[i], listed[i] = p.result(r, pl)
	}
	return out, listed, nil
}

// errSystemic is returned by the pass when a query failed systemically; it wraps the driver error.
var errSystemic = errors.New("snowflake unavailable")
