// Package engine is the sync engine (DESIGN §6): for the resources of a batch of requests it loads
// the objects and their current grants from Snowflake, computes the grants the Ranger policies demand,
// applies the difference, and reports per requested resource.
//
// A batch is synced as a whole: a resource named by several requests is loaded and planned once, and a
// database or schema request covers the requests for objects under it; each request still gets its own
// per-resource results. Reads run through one bounded pool (CONNECTOR_SNOWFLAKE_LOAD_THREADS; one at a
// time in "load" mode) and every SHOW is memoized for the batch, so shared parents are read once.
package engine

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/snowsync/snowsync/internal/policy"
	"github.com/snowsync/snowsync/internal/request"
	"github.com/snowsync/snowsync/internal/snowflake"
)

// Policies gives the current policy set; an error means none could ever be loaded (systemic).
type Policies interface {
	Current(ctx context.Context) (*policy.Set, error)
}

// Options configure an Engine. Zero values: LoadMode "load_multi_thread" with 8 threads, nothing
// managed beyond the prefixes of Mapping, missing roles reported rather than created.
type Options struct {
	Scope Scope
	// Mapping decides which roles carry the managed prefixes.
	Mapping policy.Mapping
	// ManagedRoles are extra roles that may be revoked from (CONNECTOR_SNOWFLAKE_MANAGE_ROLE_LIST).
	ManagedRoles []string
	// CreateMissingRoles adds CREATE ROLE IF NOT EXISTS for a role that a GRANT needs and that does not
	// exist; when false such grants are not sent and the resource FAILS, naming the role.
	CreateMissingRoles bool
	// LoadMode is "load" (one query at a time), "load_multi_thread" (LoadThreads at a time) or
	// "load_bulk" (database and schema requests read INFORMATION_SCHEMA, one query per view).
	LoadMode    string
	LoadThreads int
}

// Engine syncs batches. It is safe for concurrent use.
type Engine struct {
	q        snowflake.Querier
	exec     snowflake.Executor
	policies Policies
	opts     Options
	managed  map[string]bool
}

// New returns an Engine reading through q and applying through exec (a snowflake.Recorder for a dry run).
func New(q snowflake.Querier, exec snowflake.Executor, policies Policies, opts Options) *Engine {
	if opts.LoadMode == "" {
		opts.LoadMode = "load_multi_thread"
	}
	if opts.LoadThreads <= 0 {
		opts.LoadThreads = 8
	}
	if opts.LoadMode == "load" {
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
func (e *Engine) Sync(ctx context.Context, reqs []request.Request) ([][]request.ResourceResult, error) {
	var refs []request.Resource
	for _, r := range reqs {
		refs = append(refs, r.Resources...)
	}
	flat, listed, err := e.run(ctx, refs)
	if err != nil {
		return nil, err
	}
	out := make([][]request.ResourceResult, len(reqs))
	for i, r := range reqs {
		n := len(r.Resources)
		out[i] = flat[:n]
		counted := map[*change]bool{}
		for j := range out[i] {
			res := &out[i][j]
			res.Grants, res.Revokes = 0, 0
			for _, c := range listed[j] {
				if c.err == nil && !counted[c] {
					res.Grants += c.grants
					res.Revokes += c.revokes
				}
				counted[c] = true
			}
		}
		flat, listed = flat[n:], listed[n:]
	}
	return out, nil
}

// Run syncs resources as one batch and returns one result per resource, in order. The error is
// systemic: Snowflake unreachable or refusing the login.
func (e *Engine) Run(ctx context.Context, resources []request.Resource) ([]request.ResourceResult, error) {
	out, _, err := e.run(ctx, resources)
	return out, err
}

// run is Run, also returning the changes each result lists.
func (e *Engine) run(ctx context.Context, resources []request.Resource) ([]request.ResourceResult, [][]*change, error) {
	out := make([]request.ResourceResult, len(resources))
	listed := make([][]*change, len(resources))
	set, err := e.policies.Current(ctx)
	if err != nil { // DESIGN §3: a policy source error fails the resources, to be replayed once fixed
		for i, res := range resources {
			out[i] = request.ResourceResult{Resource: res, Status: request.StatusFailed, Reason: "policies unavailable: " + err.Error()}
		}
		return out, listed, nil
	}
	p := newPass(ctx, e, set)
	refs := make([]*ref, len(resources))
	for i, res := range resources {
		refs[i] = p.add(res)
	}
	if err := p.load(ctx); err != nil {
		return nil, nil, err
	}
	changes := p.plan()
	if err := p.apply(ctx, changes); err != nil {
		return nil, nil, err
	}
	for i, r := range refs {
		out[i], listed[i] = p.result(r, changes)
	}
	return out, listed, nil
}

// errSystemic is returned by the pass when a query failed systemically; it wraps the driver error.
var errSystemic = errors.New("snowflake unavailable")

// key identifies a path of exact names: nodes, and requested resources for coalescing.
func key(parts ...string) string { return strings.Join(parts, "\x00") }

// pathOf returns a resource's requested names, database first.
func pathOf(r request.Resource) []string {
	switch r.Kind {
	case request.KindDatabase:
		return []string{r.Database}
	case request.KindSchema:
		return []string{r.Database, r.Schema}
	}
	return []string{r.Database, r.Schema, r.Table}
}

// isUnder reports whether path lies in (or is) the subtree of root.
func isUnder(path, root []string) bool {
	return len(path) >= len(root) && slices.Equal(path[:len(root)], root)
}
