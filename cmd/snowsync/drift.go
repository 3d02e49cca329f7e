package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/snowsync/snowsync/internal/audit"
	"github.com/snowsync/snowsync/internal/task/outcome"
)

const driftUsage = `Usage: snowsync drift [--since T] [--changed] [--limit N] [--json]

Lists what the Reconcile function recorded in the audit table, newest first: the reconciliations of
policy changes (source POLICY_CHANGE, one per policy version applied) and the drift sweeps (source
DRIFT, one per timer run, over its slice of the managed schemas). As an aligned table, or with --json
as JSON lines, each record as GET /api/tasks returns it. Times are RFC 3339 or a duration back from
now (24h).

VERSION is "from→to" for a policy change ("?" for a version not recorded) and the policy version in
force for a sweep. GRANTS and REVOKES count the statements applied (planned, in a dry run); for a
sweep they are the drift it corrected, listed with --json in the record's Resources. A sweep with no
grant, revoke or failure found no drift: it is listed, so that the sweeps are seen to run, unless
--changed is given. DETAIL is the record's reason, cut to fit.

Settings: CONNECTOR_ON_DEMAND_V2_AUDIT_STORAGE_CONNECTION (or its __tableServiceUri form, or
AzureWebJobsStorage) and CONNECTOR_ON_DEMAND_V2_AUDIT_TABLE_NAME.

Examples:
  snowsync drift
  snowsync drift --changed --since 720h
  snowsync drift --since 2026-11-24T00:00:00Z --json
`

// driftColumns are the columns of the drift table.
var driftColumns = []column{
	{"COMPLETED", func(r outcome.Task) string { return timeCell(r.CompletedAt) }},
	{"SOURCE", func(r outcome.Task) string { return oneLine(r.Source, reasonWidth) }},
	statusColumn,
	{"VERSION", versionCell},
	{"RESOURCES", func(r outcome.Task) string { return strconv.Itoa(r.ResourceCount) }},
	grantsColumn, revokesColumn,
	{"FAILED", func(r outcome.Task) string { return strconv.Itoa(r.Failed) }},
	durationColumn,
	reasonColumn("DETAIL"),
}

// versionCell is "from→to" for a policy change, "?" standing for a version not recorded, and the
// policy version ("-" when none) for any other record.
func versionCell(r outcome.Task) string {
	v := func(p *int64, absent string) string {
		if p == nil {
			return absent
		}
		return strconv.FormatInt(*p, 10)
	}
	if r.Source == outcome.SourcePolicyChange {
		return v(r.PolicyVersionFrom, "?") + "→" + v(r.PolicyVersion, "?")
	}
	return v(r.PolicyVersion, "-")
}

func runDrift(ctx context.Context, args []string, stdout, stderr io.Writer, d *deps) error {
	fs := flag.NewFlagSet("drift", flag.ContinueOnError)
	since := fs.String("since", "168h", "only records started at or after `TIME` (168h: 7 days back; \"\": all)")
	changed := fs.Bool("changed", false, "only records with grants, revokes or failures")
	limit := fs.Int("limit", 50, "at most `N` records, the newest; 0 means all")
	asJSON := fs.Bool("json", false, "print JSON lines instead of a table")
	if err := parseFlags(fs, driftUsage, args, stdout); err != nil {
		return err
	}
	if *limit < 0 {
		return usageErrorf("--limit %d is negative", *limit)
	}
	f := audit.Filter{Sources: []string{outcome.SourcePolicyChange, outcome.SourceDrift}}
	var err error
	if f.Since, err = parseTime("since", *since, d.now()); err != nil {
		return err
	}

	// Table Storage returns records oldest day first and cannot sort otherwise, so the newest come
	// from reading all since --since: a few thousand at most over a week of timer runs.
	recs, err := readRecords(ctx, d, func(ctx context.Context, store *audit.Store) ([]outcome.Task, error) {
		return store.List(ctx, f)
	})
	if err != nil {
		return err
	}
	if *changed {
		recs = slices.DeleteFunc(recs, func(r outcome.Task) bool { return r.Grants+r.Revokes+r.Failed == 0 })
	}
	slices.SortStableFunc(recs, newestFirst)
	if *limit > 0 && len(recs) > *limit {
		recs = recs[:*limit]
	}
	if len(recs) == 0 {
		what := "reconciliation or drift records"
		if *changed {
			what += " with changes"
		}
		if !f.Since.IsZero() {
			what += " since " + f.Since.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(stderr, "no %s\n", what)
		return nil
	}
	return writeRecords(stdout, recs, *asJSON, driftColumns)
}

// newestFirst orders records by completion time, latest first, then by key, last first.
func newestFirst(a, b outcome.Task) int {
	return cmp.Or(b.CompletedAt.Compare(a.CompletedAt),
		strings.Compare(b.PartitionKey, a.PartitionKey), strings.Compare(b.RowKey, a.RowKey))
}
