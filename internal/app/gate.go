package app

import (
	"context"
	"fmt"

	"github.com/snowsync/snowsync/internal/engine"
	"github.com/snowsync/snowsync/internal/policy"
	"github.com/snowsync/snowsync/internal/request"
	"github.com/snowsync/snowsync/internal/task"
	"github.com/snowsync/snowsync/internal/task/outcome"
)

// PolicyGate is a task.Syncer that makes "no policy set was ever loaded" (a cold start while the
// policy source is down) systemic, as engine.Policies documents it: the batch is retried (HTTP 500)
// and, on the host's last attempt, its tasks FAIL (SYNC_ERROR) and go to the failure hub, as for a
// Snowflake outage. Without it the engine fails every resource at once, on the first attempt. Once a
// set is loaded, Current serves it even while refreshes fail, so the gate costs nothing.
//
// The gate also pins one policy set per batch (task.PolicyPinner): the engine is built with the gate as
// its engine.Policies, so that it syncs the batch with exactly the set whose version the batch's audit
// records carry, even when a refresh lands in between; and a set the cache marked Stale stays so for
// the whole batch (the engine sends no REVOKE by it).
type PolicyGate struct {
	Policies engine.Policies
	Syncer   task.Syncer
}

// pinKey is the context key of what Pin found: a set, or why there is none.
type pinKey struct{}

type pinned struct {
	set *policy.Set
	err error
}

// Pin implements task.PolicyPinner. Without a set, ctx carries the error, so that the batch's Sync
// reports it without asking the source again (a cold start while Ranger Admin times out waits once).
func (g *PolicyGate) Pin(ctx context.Context) (context.Context, int64, error) {
	set, err := g.Current(ctx)
	ctx = context.WithValue(ctx, pinKey{}, pinned{set, err})
	if err != nil {
		return ctx, 0, err
	}
	return ctx, set.Version(), nil
}

// With returns ctx pinned to set, as Pin pins the current one: a reconciliation syncs by exactly the
// set it compared.
func (g *PolicyGate) With(ctx context.Context, set *policy.Set) context.Context {
	return context.WithValue(ctx, pinKey{}, pinned{set: set})
}

// Current implements engine.Policies: what Pin pinned in ctx, else the source's current set.
func (g *PolicyGate) Current(ctx context.Context) (*policy.Set, error) {
	if p, ok := ctx.Value(pinKey{}).(pinned); ok {
		return p.set, p.err
	}
	return g.Policies.Current(ctx)
}

// Sync implements task.Syncer.
func (g *PolicyGate) Sync(ctx context.Context, reqs []request.Request) ([][]outcome.Resource, error) {
	if _, err := g.Current(ctx); err != nil {
		return nil, fmt.Errorf("no policies loaded yet: %w", err)
	}
	return g.Syncer.Sync(ctx, reqs)
}
