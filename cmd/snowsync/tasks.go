package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/snowsync/snowsync/internal/audit"
	"github.com/snowsync/snowsync/internal/task/outcome"
)

const tasksUsage = `Usage: snowsync tasks [--status S] [--source S[,S2...]] [--since T] [--until T] [--limit N] [--json]
       snowsync tasks --id ID [--json]

Lists the audit records of sync tasks, one per event, from the audit table in key order (oldest
day first): as an aligned table, or with --json as JSON lines, each record as GET /api/tasks
returns it. Times are RFC 3339 or a duration back from now (24h). Sources are upper-cased and
matched as stored: KAFKA, API, ... as clients send them, and POLICY_CHANGE and DRIFT for the
records of the Reconcile function (see also 'snowsync drift').

Settings: CONNECTOR_ON_DEMAND_V2_AUDIT_STORAGE_CONNECTION (or its __tableServiceUri form, or
AzureWebJobsStorage) and CONNECTOR_ON_DEMAND_V2_AUDIT_TABLE_NAME.

Examples:
  snowsync tasks --status FAILED --since 24h
  snowsync tasks --source POLICY_CHANGE,DRIFT --since 24h
  snowsync tasks --since 2026-11-24T00:00:00Z --until 2026-11-25T00:00:00Z --json
  snowsync tasks --id 4b1f6c1e-task-42
`

// reasonWidth is how many characters of a reason the table shows.
const reasonWidth = 60

// taskColumns are the columns of the tasks table.
var taskColumns = []column{
	{"ROWKEY", func(r outcome.Task) string { return r.RowKey }},
	{"TASKID", func(r outcome.Task) string {
		if r.TaskID == nil {
			return "-"
		}
		return oneLine(*r.TaskID, reasonWidth)
	}},
	statusColumn,
	{"STARTEDAT", func(r outcome.Task) string { return timeCell(r.StartedAt) }},
	durationColumn, grantsColumn, revokesColumn,
	reasonColumn("REASON"),
}

func runTasks(ctx context.Context, args []string, stdout, stderr io.Writer, d *deps) error {
	fs := flag.NewFlagSet("tasks", flag.ContinueOnError)
	status := fs.String("status", "", "only tasks with `STATUS` SUCCESS, FAILED or SKIPPED")
	source := fs.String("source", "", "only tasks whose source is one of `SOURCES`, a comma list matched upper-case (KAFKA,API; POLICY_CHANGE,DRIFT)")
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
	if f.Sources, err = audit.ParseSources(*source); err != nil {
		return usageErrorf("--source %v", err)
	}
	now := d.now()
	if f.Since, err = parseTime("since", *since, now); err != nil {
		return err
	}
	if f.Until, err = parseTime("until", *until, now); err != nil {
		return err
	}
	if *id != "" && (f.Status != "" || f.Sources != nil || *since != "" || *until != "") {
		return usageErrorf("--id selects records by id alone: drop --status, --source, --since and --until")
	}

	recs, err := readRecords(ctx, d, func(ctx context.Context, store *audit.Store) ([]outcome.Task, error) {
		if *id != "" {
			return store.Get(ctx, *id)
		}
		return store.List(ctx, f)
	})
	if err != nil {
		return err
	}
	if *limit > 0 && len(recs) > *limit {
		recs = recs[:*limit]
	}
	if len(recs) == 0 {
		fmt.Fprintln(stderr, "no tasks match")
	}
	return writeRecords(stdout, recs, *asJSON, taskColumns)
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
