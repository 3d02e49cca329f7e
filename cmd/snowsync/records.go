package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"

	"github.com/snowsync/snowsync/functions"
	"github.com/snowsync/snowsync/internal/app"
	"github.com/snowsync/snowsync/internal/audit"
	"github.com/snowsync/snowsync/internal/config"
	"github.com/snowsync/snowsync/internal/task/outcome"
)

// The commands that read the audit table (tasks, drift) share how they reach it and how they print
// its records.

// readRecords opens the audit table the settings name (config.LoadAudit) and returns what read
// finds in it. A missing table is an error that says the handler creates it.
func readRecords(ctx context.Context, d *deps, read func(context.Context, *audit.Store) ([]outcome.Task, error)) ([]outcome.Task, error) {
	settings, err := loadSettings(d.getenv, config.LoadAudit)
	if err != nil {
		return nil, err
	}
	store, err := app.NewStore(settings)
	if err != nil {
		return nil, err
	}
	recs, err := read(ctx, store)
	var re *azcore.ResponseError
	if errors.As(err, &re) && re.ErrorCode == string(aztables.TableNotFound) {
		return nil, fmt.Errorf("audit table %q does not exist (setting CONNECTOR_ON_DEMAND_V2_AUDIT_TABLE_NAME; the handler creates it on its first task): %w",
			settings.Table, err)
	}
	if err != nil {
		return nil, fmt.Errorf("read audit table %q (setting %s): %w", settings.Table, settings.Setting, err)
	}
	return recs, nil
}

// column is one column of a table of records: its heading and how a record fills it.
type column struct {
	name string
	cell func(outcome.Task) string
}

// writeRecords writes recs as JSON lines, each record as GET /api/tasks answers it, or as an aligned
// table of columns, one line per record under a line of headings.
func writeRecords(w io.Writer, recs []outcome.Task, asJSON bool, columns []column) error {
	if asJSON {
		return writeJSONLines(w, functions.TaskResponses(recs))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	cells := make([]string, len(columns))
	for i, c := range columns {
		cells[i] = c.name
	}
	fmt.Fprintln(tw, strings.Join(cells, "\t"))
	for _, r := range recs {
		for i, c := range columns {
			cells[i] = c.cell(r)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	return nil
}

// Cells shared by the tables of records. An absent value shows as "-"; text is folded onto one line
// and cut to reasonWidth.
var (
	statusColumn   = column{"STATUS", func(r outcome.Task) string { return string(r.Status) }}
	durationColumn = column{"DURATION", func(r outcome.Task) string {
		return (time.Duration(r.DurationMs) * time.Millisecond).String()
	}}
	grantsColumn  = column{"GRANTS", func(r outcome.Task) string { return strconv.Itoa(r.Grants) }}
	revokesColumn = column{"REVOKES", func(r outcome.Task) string { return strconv.Itoa(r.Revokes) }}
)

// reasonColumn shows the record's reason under heading name.
func reasonColumn(name string) column {
	return column{name, func(r outcome.Task) string { return textCell(r.Reason) }}
}

// textCell is s on one line, cut to reasonWidth; "-" when empty.
func textCell(s string) string {
	if s == "" {
		return "-"
	}
	return oneLine(s, reasonWidth)
}

// timeCell is t in RFC 3339, UTC; "-" when zero.
func timeCell(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
