package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/snowsync/snowsync/internal/app"
	"github.com/snowsync/snowsync/internal/config"
	"github.com/snowsync/snowsync/internal/request"
	"github.com/snowsync/snowsync/internal/task/outcome"
)

const planUsage = `Usage: snowsync plan (--resource TYPE:NAME | --request FILE)... [--json]

Shows the statements (GRANT, REVOKE, CREATE ROLE) a sync of the resources would apply, computed as
the handler computes them: the same policies, managed scope and roles. It changes nothing: Snowflake
is only read (SHOW ...), and the statements go to a recording executor whatever
CONNECTOR_SNOWFLAKE_GRANT_UPDATES says.

TYPE is database, schema, table or view; NAME is DB, DB.SCHEMA or DB.SCHEMA.OBJECT, matched as the
handler matches request values (exactly, else ignoring case when one object matches). Quote a part
holding a dot, doubling a quote inside: table:SALES."my.schema"."a""b". FILE holds a sync request
("-" reads stdin). All resources are planned as one batch, as the handler plans an event batch.

Exit status 1 when a resource failed to plan (e.g. a Snowflake error while reading it).

Settings: CONNECTOR_SNOWFLAKE_JDBC_URL, CONNECTOR_SNOWFLAKE_JDBC_USERNAME, and
CONNECTOR_SNOWFLAKE_JDBC_PASSWORD or CONNECTOR_SNOWFLAKE_PRIVATE_KEY; CONNECTOR_POLICY_FILE or
CONNECTOR_RANGER_ADMIN_URL; the CONNECTOR_SNOWFLAKE_MANAGE_*/IGNORE_* lists and role settings.

Examples:
  snowsync plan --resource table:SALES.PUBLIC.ORDERS
  snowsync plan --resource schema:SALES.PUBLIC --resource database:MARKETING
  snowsync plan --request request.json --json
`

func runPlan(ctx context.Context, args []string, stdout, stderr io.Writer, d *deps) error {
	fs := flag.NewFlagSet("plan", flag.ContinueOnError)
	var resources, requests listFlag
	fs.Var(&resources, "resource", "a resource to plan, `TYPE:NAME` (repeatable)")
	fs.Var(&requests, "request", "a sync request `FILE` whose resources to plan (repeatable)")
	asJSON := fs.Bool("json", false, "print one JSON line per resource (its result as the audit record holds it)")
	if err := parseFlags(fs, planUsage, args, stdout); err != nil {
		return err
	}
	if len(resources)+len(requests) == 0 {
		return usageErrorf("name at least one --resource or --request")
	}
	var planned []request.Resource
	for _, s := range resources {
		r, err := parseResource(s)
		if err != nil {
			return usageError{err}
		}
		planned = append(planned, r)
	}
	// Resources a request names but that fail validation are reported as the handler reports them.
	var invalid []outcome.Resource
	for _, name := range requests {
		body, err := readInput(name, d.stdin)
		if err != nil {
			return err
		}
		parsed, rej := request.Parse(body)
		if rej != nil {
			return fmt.Errorf("request %s: %w", name, rej)
		}
		planned = append(planned, parsed.Resources...)
		invalid = append(invalid, outcome.Invalid(parsed.Invalid)...)
	}

	settings, err := loadSettings(d.getenv, config.LoadSync)
	if err != nil {
		return err
	}
	settings.DryRun = true // NewEngine then records statements instead of executing them
	db := settings.Snowflake.Open()
	defer db.Close()
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	eng, err := app.NewEngine(settings, db, logger)
	if err != nil {
		return err
	}
	results, err := eng.Run(ctx, planned)
	if err != nil {
		return fmt.Errorf("plan (settings CONNECTOR_SNOWFLAKE_*, CONNECTOR_POLICY_FILE / CONNECTOR_RANGER_*): %w", err)
	}
	results = append(results, invalid...)
	if *asJSON {
		err = writeJSONLines(stdout, results)
	} else {
		err = writePlan(stdout, results)
	}
	if err != nil {
		return err
	}
	failed := 0
	for _, r := range results {
		if r.Status == outcome.Failed {
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d resources failed to plan", failed, len(results))
	}
	return nil
}

// policyCounts renders the masks and row filters a plan sets, swaps and removes, or "" when none.
func policyCounts(c outcome.PolicyChanges) string {
	if c.Total() == 0 {
		return ""
	}
	return fmt.Sprintf(", masks %d set %d swapped %d removed, row filters %d set %d swapped %d removed",
		c.MasksSet, c.MasksSwapped, c.MasksRemoved, c.FiltersSet, c.FiltersSwapped, c.FiltersRemoved)
}

// writePlan writes each resource's outcome and, indented, the statements a sync would apply.
func writePlan(w io.Writer, results []outcome.Resource) error {
	statements := 0
	var errs []error
	printf := func(format string, args ...any) {
		_, err := fmt.Fprintf(w, format, args...)
		errs = append(errs, err)
	}
	for _, r := range results {
		switch {
		case r.Status != outcome.Success:
			code := ""
			if r.ErrorCode != "" {
				code = " (" + r.ErrorCode + ")"
			}
			printf("%s: %s: %s%s\n", r.Resource, r.Status, r.Reason, code)
		case len(r.Statements) == 0:
			printf("%s: up to date\n", r.Resource)
		default:
			printf("%s: %d statements (%d grants, %d revokes%s)\n", r.Resource, len(r.Statements), r.Grants, r.Revokes, policyCounts(r.PolicyChanges))
		}
		for _, s := range r.Statements {
			printf("  %s;\n", s)
		}
		for _, n := range r.Notes {
			printf("  -- note: %s\n", n)
		}
		statements += len(r.Statements)
	}
	printf("plan: %d statements for %d resources; nothing was applied\n", statements, len(results))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("write plan: %w", err)
	}
	return nil
}
