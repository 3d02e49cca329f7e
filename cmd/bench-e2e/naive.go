package main

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"golang.org/x/sync/errgroup"

	"github.com/snowsync/snowsync/internal/policy"
	"github.com/snowsync/snowsync/internal/snowflake"
)

// naiveParallel is how many objects the naive peer syncs at a time.
const naiveParallel = 10

// runNaive is the per-object peer snowsync is measured against. Like Terraform, it knows the objects
// it manages (here: every object of the scenario, parents included), reads SHOW GRANTS ON each one,
// and GRANTs what the policy demands and the object lacks, one statement per (object, role), with
// the real driver, naiveParallel objects at a time. It never revokes: no scenario has extra grants.
func runNaive(ctx context.Context, dsn string, set *policy.Set, objects []policy.Object) error {
	db, err := sql.Open("snowflake", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(naiveParallel)
	db.SetMaxIdleConns(naiveParallel)
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(naiveParallel)
	for _, o := range objects {
		g.Go(func() error { return naiveSync(ctx, db, set, o) })
	}
	return g.Wait()
}

// naiveSync brings one object to the policy: one SHOW GRANTS, then one GRANT per role lacking privileges.
func naiveSync(ctx context.Context, db *sql.DB, set *policy.Set, o policy.Object) error {
	held, err := showGrants(ctx, db, o)
	if err != nil {
		return err
	}
	missing := map[string][]snowflake.Privilege{}
	for _, g := range set.Desired(o) {
		if !held[grantKey{g.Role, string(g.Privilege)}] {
			missing[g.Role] = append(missing[g.Role], g.Privilege)
		}
	}
	roles := make([]string, 0, len(missing))
	for r := range missing {
		roles = append(roles, r)
	}
	slices.Sort(roles)
	for _, r := range roles {
		if _, err := db.ExecContext(ctx, grantSQL(o, r, missing[r])); err != nil {
			return fmt.Errorf("naive: grant on %s: %w", fqn(o), err)
		}
	}
	return nil
}

// grantKey is a privilege held by a role.
type grantKey struct{ role, privilege string }

// showGrants reads SHOW GRANTS ON the object.
func showGrants(ctx context.Context, db *sql.DB, o policy.Object) (map[grantKey]bool, error) {
	rows, err := queryColumns(ctx, db, "SHOW GRANTS ON "+string(o.Type)+" "+fqn(o), "grantee_name", "privilege")
	if err != nil {
		return nil, fmt.Errorf("naive: %w", err)
	}
	held := map[grantKey]bool{}
	for _, row := range rows {
		held[grantKey{row[0], row[1]}] = true
	}
	return held, nil
}
