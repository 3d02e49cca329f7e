package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"

	"github.com/snowsync/snowsync/functions"
	"github.com/snowsync/snowsync/internal/app"
	"github.com/snowsync/snowsync/internal/audit"
	"github.com/snowsync/snowsync/internal/config"
	"github.com/snowsync/snowsync/internal/task/outcome"
)

const tasksUsage = `Usage: snowsync tasks [--status S] [--since T] [--until T] [--limit N] [--json]
       snowsync tasks --id ID [--json]

Lists the audit records of sync tasks, one per event, from the audit table in key order (oldest
day first): as an aligned table, or with --json as JSON lines, each record as GET /api/tasks
returns it. Times are RFC 3339 or a duration back from now (24h).

Settings: CONNECTOR_ON_DEMAND_V2_AUDIT_STORAGE_CONNECTION (or its __tableServiceUri form, or
AzureWebJobsStorage) and CONNECTOR_ON_DEMAND_V2_AUDIT_TABLE_NAME.

Examples:
  snowsync tasks --status FAILED --since 24h
  snowsync tasks --since 2026-11-24T00:00:00Z --until 2026-11-25T00:00:00Z --json
  snowsync tasks --id 4b1f6c1e-task-42
`

// reasonWidth is how many characters of a reason the table shows.
const reasonWidth = 60

func runTasks(ctx context.Context, args []string, stdout, stderr io.Writer, d *deps) error {
	fs := flag.NewFlagSet("tasks", flag.ContinueOnError)
	status := fs.String("status", "", "only tasks with `STATUS` SUCCESS, FAILED or SKIPPED")
	since := fs.String("since", "", "only tasks started at or after `TIME`")
	until := fs.String("until", "", "only tasks started before `TIME`")
	id := fs.String("id", "", "the records whose task id or row key is `ID` (a client may reuse a task id); only --limit applies with it")
	limit := fs.Int("limit", 100, "at most `N` records; 0 means all")
	asJSON := fs.Bool("json", false, "print JSON lines instead of a table")
	if err := parseFlags(fs, tasksUsage, args, stdout); err != nil {
		return err
	}
	f := audit.Filter{Limit: *limit}
	if *limit < 0 {
		return usageErrorf("--limit %d is negative", *limit)
	}
	var err error
	if f.Status, err = outcome.ParseStatus(*status); err != nil {
		return usageErrorf("--status %v", err)
	}
	now := d.now()
	if f.Since, err = parseTime("since", *since, now); err != nil {
		return err
	}
	if f.Until, err = parseTime("until", *until, now); err != nil {
		return err
	}
	if *id != "" && (f.Status != "" || *since != "" || *until != "") {
		return usageErrorf("--id selects records by id alone: drop --status, --since and --until")
	}

	settings, err := loadSettings(d.getenv, config.LoadAudit)
	if err != nil {
		return err
	}
	store, err := app.NewStore(settings)
	if err != nil {
		return err
	}
	var recs []outcome.Task
	if *id != "" {
		recs, err = store.Get(ctx, *id)
	} else {
		recs, err = store.List(ctx, f)
	}
	var re *azcore.ResponseError
	if errors.As(err, &re) && re.ErrorCode == string(aztables.TableNotFound) {
		return fmt.Errorf("audit table %q does not exist (setting CONNECTOR_ON_DEMAND_V2_AUDIT_TABLE_NAME; the handler creates it on its first task): %w",
			settings.Table, err)
	}
	if err != nil {
		return fmt.Errorf("read audit table %q (setting %s): %w", settings.Table, settings.Setting, err)
	}
	if *limit > 0 && len(recs) > *limit {
		recs = recs[:*limit]
	}
	if len(recs) == 0 {
		fmt.Fprintln(stderr, "no tasks match")
	}
	if *asJSON {
		return writeJSONLines(stdout, functions.TaskResponses(recs))
	}
	return writeTaskTable(stdout, recs)
}

// writeJSONLines writes each value as one line of JSON.
func writeJSONLines[T any](w io.Writer, values []T) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, v := range values {
		if err := enc.Encode(v); err != nil {
			return fmt.Errorf("write JSON: %w", err)
		}
	}
	return nil
}

// writeTaskTable writes recs as an aligned table, one line per record.
func writeTaskTable(w io.Writer, recs []outcome.Task) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ROWKEY\tTASKID\tSTATUS\tSTARTEDAT\tDURATION\tGRANTS\tREVOKES\tREASON")
	for _, r := range recs {
		taskID := "-"
		if r.TaskID != nil {
			taskID = oneLine(*r.TaskID, reasonWidth)
		}
		started := "-"
		if !r.StartedAt.IsZero() {
			started = r.StartedAt.UTC().Format(time.RFC3339)
		}
		reason := "-"
		if r.Reason != "" {
			reason = oneLine(r.Reason, reasonWidth)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\n", r.RowKey, taskID, r.Status, started,
			time.Duration(r.DurationMs)*time.Millisecond, r.Grants, r.Revokes, reason)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	return nil
}

// oneLine folds s onto one line (so that it cannot break a table) and shortens it to width
// characters, ending in "…" when shortened. Other control characters, which could drive the
// terminal, become U+FFFD.
func oneLine(s string, width int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return unicode.ReplacementChar
		}
		return r
	}, strings.Join(strings.Fields(s), " "))
	if r := []rune(s); len(r) > width {
		return string(r[:width-1]) + "…"
	}
	return s
}
