// Command demo runs snowsync end to end on this machine and prints what it did: `make demo`.
//
// It starts Azurite (audit table), the Snowflake emulator with a sample account (two databases, five
// schemas, 210 tables and views, existing grants with some drift) and the handler, loads sample Ranger
// policies, sends a realistic mix of sync requests through the Functions host stand-in, prints a
// report, and stops everything it started. The account also holds a PII table (HR.CORE.EMPLOYEES) that
// Ranger masks and filters: after its event the demo selects it as an HR analyst (masked values, own
// region only) and as an HR admin (everything). Last, the Reconcile timer runs twice: a baseline with a
// drift sweep, then a policy edit (version 13) that it applies to exactly the objects it may change.
package main

import (
	"context"
	"database/sql"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/snowsync/snowsync/functions"
	"github.com/snowsync/snowsync/internal/audit"
	"github.com/snowsync/snowsync/internal/failure"
	"github.com/snowsync/snowsync/internal/snowflake"
	"github.com/snowsync/snowsync/internal/task/outcome"
	"github.com/snowsync/snowsync/internal/testing/emulator"
	"github.com/snowsync/snowsync/internal/testing/functionhost"
	"github.com/snowsync/snowsync/internal/testing/stack"
)

//go:embed policies.json
var policies []byte

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

// schemaSpec is one schema of the sample account.
type schemaSpec struct {
	db, schema    string
	tables, views int
}

var account = []schemaSpec{
	{"SALES", "PUBLIC", 60, 10},
	{"SALES", "REPORTING", 40, 0},
	{"SALES", "STAGING", 30, 0},
	{"MARKETING", "CAMPAIGNS", 40, 10},
	{"MARKETING", "STAGING", 20, 0},
}

// seed builds the sample account: objects, roles, and grants as a previous (partial, drifted) sync left them.
func seed() string {
	var b strings.Builder
	// Every name goes through snowflake's quoting function, as in the connector itself.
	line := func(format string, ids ...snowflake.Identifier) {
		names := make([]any, len(ids))
		for i, id := range ids {
			names[i] = id.FullyQualifiedName()
		}
		fmt.Fprintf(&b, format+";\n", names...)
	}
	role := func(name string) snowflake.Identifier { return snowflake.DatabaseID{Name: name} } // a one-part name, quoted the same way
	sales := snowflake.SchemaID{Database: "SALES", Name: "PUBLIC"}
	line("CREATE DATABASE %s", role("SALES"))
	line("CREATE DATABASE %s", role("MARKETING"))
	for _, s := range account {
		schema := snowflake.SchemaID{Database: s.db, Name: s.schema}
		if s.schema != "PUBLIC" {
			line("CREATE SCHEMA %s", schema)
		}
		for i := range s.tables {
			line("CREATE TABLE %s (ID NUMBER, PAYLOAD VARCHAR)", snowflake.ObjectID{Database: s.db, Schema: s.schema, Name: tableName(s, i)})
		}
		for i := range s.views {
			base := snowflake.ObjectID{Database: s.db, Schema: s.schema, Name: tableName(s, i)}
			line("CREATE VIEW %s AS SELECT ID FROM %s", snowflake.ObjectID{Database: s.db, Schema: s.schema, Name: "V_" + base.Name}, base)
		}
	}
	for _, r := range []string{"PRIV_ANALYSTS", "PRIV_ETL", "PRIV_CONTRACTORS", "PRIV_EXPORTERS", "REPORTING_TOOL"} {
		line("CREATE ROLE %s", role(r))
	}
	line("GRANT USAGE ON DATABASE %s TO ROLE %s", role("SALES"), role("PRIV_ANALYSTS"))
	line("GRANT USAGE ON SCHEMA %s TO ROLE %s", sales, role("PRIV_ANALYSTS"))
	for i := range 30 { // half of SALES.PUBLIC was synced by the last scheduled run
		line("GRANT SELECT ON TABLE %s TO ROLE %s", snowflake.ObjectID{Database: "SALES", Schema: "PUBLIC", Name: tableName(account[0], i)}, role("PRIV_ANALYSTS"))
	}
	// Drift: a disabled policy's grants, a contractor on PII, and an unmanaged tool's grant (kept).
	orders1 := snowflake.ObjectID{Database: "SALES", Schema: "PUBLIC", Name: "ORDERS_001"}
	line("GRANT SELECT ON TABLE %s TO ROLE %s", orders1, role("PRIV_EXPORTERS"))
	line("GRANT SELECT ON TABLE %s TO ROLE %s", snowflake.ObjectID{Database: "SALES", Schema: "REPORTING", Name: "CUSTOMERS_PII"}, role("PRIV_CONTRACTORS"))
	line("GRANT SELECT ON TABLE %s TO ROLE %s", orders1, role("REPORTING_TOOL"))
	b.WriteString(hrSeed)
	return b.String()
}

// hrSeed is a table with PII, and two users: an HR analyst (EU) and an HR admin.
const hrSeed = `CREATE DATABASE HR;
CREATE SCHEMA HR.CORE;
CREATE TABLE HR.CORE.EMPLOYEES (ID NUMBER(38,0), NAME VARCHAR, SSN VARCHAR, EMAIL VARCHAR, REGION VARCHAR);
INSERT INTO HR.CORE.EMPLOYEES VALUES (1, 'Ada', '123-45-6789', 'ada@example.com', 'EU'),
  (2, 'Bob', '987-65-4321', 'bob@example.com', 'US'), (3, 'Cy', '555-11-2222', 'cy@example.com', 'EU');
CREATE ROLE PRIV_HR_ANALYSTS;
CREATE ROLE PRIV_HR_ADMINS;
CREATE USER ANNA PASSWORD = 'anna-demo';
CREATE USER HELGA PASSWORD = 'helga-demo';
GRANT ROLE PRIV_HR_ANALYSTS TO USER ANNA;
GRANT ROLE PRIV_HR_ADMINS TO USER HELGA;
`

// showEmployees prints HR.CORE.EMPLOYEES as user sees it with role, through the real driver.
func showEmployees(out io.Writer, s *stack.Stack, user, password, role string) error {
	db, err := sql.Open("snowflake", fmt.Sprintf("%s:%s@%s/HR?account=emulator&protocol=http&disableTelemetry=true&validateDefaultParameters=false&role=%s",
		user, password, s.Snowflake.Addr(), role))
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.Query("SELECT ID, NAME, SSN, EMAIL, REGION FROM HR.CORE.EMPLOYEES ORDER BY ID")
	if err != nil {
		return fmt.Errorf("select as %s: %w", user, err)
	}
	defer rows.Close()
	fmt.Fprintf(out, "  as %s (%s):\n", user, role)
	for rows.Next() {
		var id, name, ssn, email, region sql.NullString
		if err := rows.Scan(&id, &name, &ssn, &email, &region); err != nil {
			return err
		}
		fmt.Fprintf(out, "    %s  %-5s %-12s %-66s %s\n", id.String, name.String, ssn.String, email.String, region.String)
	}
	return rows.Err()
}

func tableName(s schemaSpec, i int) string {
	switch {
	case s.schema == "REPORTING" && i == 0:
		return "CUSTOMERS_PII"
	case s.schema == "PUBLIC" && s.db == "SALES":
		return fmt.Sprintf("ORDERS_%03d", i)
	}
	return fmt.Sprintf("%s_%03d", s.schema, i)
}

func request(id, resources string) []byte {
	return []byte(fmt.Sprintf(`{"id":%q,"type":"RESOURCE_SYNC","appType":"PS_CONNECTOR","appSubType":"SNOWFLAKE",`+
		`"source":"KAFKA","createTime":%q,"requestInfo":{"resources":[%s]}}`, id, time.Now().UTC().Format(time.RFC3339), resources))
}

func table(kind, db, schema, name string) string {
	return fmt.Sprintf(`{"type":%q,"values":{"database":%q,"schema":%q,"table":%q}}`, kind, db, schema, name)
}

// event is one demo event with what it shows.
type event struct {
	what string
	body []byte
}

var events = []event{
	{"new table", request("dbt-run-881", table("table", "SALES", "PUBLIC", "ORDERS_045"))},
	{"table named in lower case", request("dbt-run-882", table("table", "sales", "public", "orders_046"))},
	{"drifted table", request("catalog-17", table("table", "SALES", "PUBLIC", "ORDERS_001"))},
	{"view (\"view\" key)", request("dbt-run-883", `{"type":"view","values":{"database":"SALES","schema":"PUBLIC","view":"V_ORDERS_003"}}`)},
	{"whole schema", request("pipeline-schema", `{"type":"schema","values":{"database":"SALES","schema":"REPORTING"}}`)},
	{"whole database", request("pipeline-db", `{"type":"database","values":{"database":"MARKETING"}}`)},
	{"duplicate of a covered table", request("dbt-run-884", table("table", "MARKETING", "CAMPAIGNS", "CAMPAIGNS_007"))},
	{"invalid JSON", []byte(`{"id":"broken-1","type":"RESOURCE_SYNC","requestInfo":{"resources":[`)},
	{"unsupported type", []byte(`{"id":"user-sync-3","type":"USER_SYNC","source":"API","requestInfo":{"resources":[]}}`)},
	{"missing table", request("dbt-run-885", table("table", "SALES", "PUBLIC", "ORDERS_999"))},
	{"PII table: masks, row filter", request("hr-onboarding", table("table", "HR", "CORE", "EMPLOYEES"))},
}

func run(ctx context.Context, out io.Writer) error {
	started := time.Now()
	fmt.Fprintln(out, "snowsync demo: starting Azurite, the Snowflake emulator (210 tables and views) and the handler...")
	s, err := stack.Start(ctx, stack.Options{SeedSQL: seed(), Policies: policies,
		Settings: map[string]string{"CONNECTOR_POLICY_REFRESH_INTERVAL_SEC": "1", "CONNECTOR_ON_DEMAND_V2_DRIFT_SCHEMAS_PER_RUN": "2"},
		Emulator: emulator.Options{Latency: map[emulator.StatementClass]emulator.Latency{
			emulator.ClassShow: {Fixed: 2 * time.Millisecond}, emulator.ClassGrant: {Fixed: 2 * time.Millisecond},
			emulator.ClassRevoke: {Fixed: 2 * time.Millisecond}, emulator.ClassSelect: {Fixed: 2 * time.Millisecond}}}})
	if err != nil {
		return err
	}
	defer s.Close()
	fmt.Fprintf(out, "ready in %s: handler %s, audit table %q\n\n", time.Since(started).Round(time.Millisecond), s.URL, s.Config.Audit.Table)

	bodies := make([][]byte, len(events))
	for i, e := range events {
		bodies[i] = e.body
	}
	batch := s.Batch("0", bodies...)
	t0 := time.Now()
	res := s.Host.Deliver(ctx, batch)
	took := time.Since(t0)
	if res.Err != nil {
		return fmt.Errorf("deliver the batch: %w", res.Err)
	}
	log := s.Snowflake.Log()
	s.Snowflake.ResetLog()
	again := s.Host.Deliver(ctx, batch) // at-least-once: the host delivers the same batch again
	if again.Err != nil {
		return fmt.Errorf("re-deliver the batch: %w", again.Err)
	}
	redeliveryQueries := len(s.Snowflake.Log())

	recs, err := s.App.Store.List(ctx, audit.Filter{})
	if err != nil {
		return err
	}
	report(out, recs, res.Failures)
	counts := map[emulator.StatementClass]int{}
	for _, q := range log {
		counts[q.Class]++
	}
	fmt.Fprintf(out, "\nSnowflake round trips for the batch of %d events: %d queries (%d SHOW, %d SELECT, %d GRANT, %d REVOKE, %d CREATE and ALTER) in %s.\n",
		len(events), len(log), counts[emulator.ClassShow], counts[emulator.ClassSelect], counts[emulator.ClassGrant],
		counts[emulator.ClassRevoke], counts[emulator.ClassCreate]+counts[emulator.ClassAlter], took.Round(time.Millisecond))
	fmt.Fprintf(out, "The host delivered the same batch again: %d Snowflake queries, %d audit records in all (one per event).\n",
		redeliveryQueries, len(recs))

	fmt.Fprintln(out, "\nHR.CORE.EMPLOYEES after one event (SSN and EMAIL masked and rows filtered for analysts, by Snowflake itself):")
	if err := showEmployees(out, s, "ANNA", "anna-demo", "PRIV_HR_ANALYSTS"); err != nil {
		return err
	}
	if err := showEmployees(out, s, "HELGA", "helga-demo", "PRIV_HR_ADMINS"); err != nil {
		return err
	}

	if err := reconcileDemo(ctx, out, s); err != nil {
		return err
	}

	resp, err := http.Get(s.URL + "/api/tasks?status=FAILED&since=1h")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var failed []functions.TaskResponse
	if err := json.NewDecoder(resp.Body).Decode(&failed); err != nil {
		return fmt.Errorf("GET /api/tasks: %w", err)
	}
	fmt.Fprintf(out, "\nQuery the audit table:\n  GET /api/tasks?status=FAILED&since=1h  -> %d record(s)\n", len(failed))
	fmt.Fprintln(out, "  go run ./cmd/snowsync tasks --status FAILED --since 24h   (with the app's settings in the environment)")
	fmt.Fprintf(out, "\ndemo finished in %s; everything it started is stopped.\n", time.Since(started).Round(time.Millisecond))
	return nil
}

// reconcileDemo runs the Reconcile timer twice: the first run records the baseline and sweeps two
// schemas for drift; then policy 1 loses SALES.REPORTING (version 13), and the second run syncs exactly
// that schema (the analysts lose SELECT there; the contractors, no longer denied, gain what policy 2
// allows them) and sweeps the next two schemas.
func reconcileDemo(ctx context.Context, out io.Writer, s *stack.Stack) error {
	fmt.Fprintln(out, "\nThe Reconcile timer (policy changes and drift; 2 schemas swept per run in this demo):")
	if err := tickOnce(ctx, out, s, "run 1"); err != nil {
		return err
	}
	var doc map[string]any
	if err := json.Unmarshal(policies, &doc); err != nil {
		return err
	}
	doc["policyVersion"] = 13
	for _, p := range doc["policies"].([]any) {
		if p := p.(map[string]any); p["id"] == float64(1) {
			p["resources"].(map[string]any)["schema"].(map[string]any)["values"] = []string{"PUBLIC"}
		}
	}
	edited, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	if err := os.WriteFile(s.PolicyFile, edited, 0o600); err != nil {
		return err
	}
	fmt.Fprintln(out, "  policy file edited: version 13, \"analysts read sales\" (and its deny of contractors) no longer covers SALES.REPORTING")
	time.Sleep(1100 * time.Millisecond) // the demo refreshes policies every second
	return tickOnce(ctx, out, s, "run 2")
}

// tickOnce invokes the Reconcile timer and prints its log line and the records it wrote.
func tickOnce(ctx context.Context, out io.Writer, s *stack.Stack, name string) error {
	t0 := time.Now()
	res := s.Timer.Tick(ctx, functionhost.Tick{})
	if res.Err != nil {
		return fmt.Errorf("reconcile %s: %w", name, res.Err)
	}
	fmt.Fprintf(out, "  %s: %s\n", name, strings.Join(res.Logs, "; "))
	recs, err := s.App.Store.List(ctx, audit.Filter{Sources: []string{outcome.SourcePolicyChange, outcome.SourceDrift}, Since: t0})
	if err != nil {
		return err
	}
	for _, r := range recs {
		fmt.Fprintf(out, "    %-13s %d resources, %d grants, %d revokes\n", r.Source, r.ResourceCount, r.Grants, r.Revokes)
		for _, res := range r.Resources {
			for _, st := range res.Statements[:min(2, len(res.Statements))] {
				fmt.Fprintf(out, "      %s\n", st)
			}
		}
	}
	return nil
}

// report prints one line per task, the statements applied, and the failure events.
func report(out io.Writer, recs []outcome.Task, failures []string) {
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "#\tEVENT\tTASK ID\tSTATUS\tGRANTS\tREVOKES\tMASKS\tFILTERS\tREASON")
	for _, r := range recs {
		seq := int(*r.SequenceNumber)
		id := "(none)"
		if r.TaskID != nil {
			id = *r.TaskID
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\n", seq, events[seq].what, id, r.Status, r.Grants, r.Revokes,
			r.MasksSet+r.MasksSwapped, r.FiltersSet+r.FiltersSwapped, clip(r.Reason, 70))
	}
	w.Flush()
	fmt.Fprintln(out, "\nSQL applied (first 3 statements per resource):")
	for _, r := range recs {
		for _, res := range r.Resources {
			if len(res.Statements) == 0 {
				continue
			}
			fmt.Fprintf(out, "  %s (%d statements)\n", res.Resource, len(res.Statements))
			for _, st := range res.Statements[:min(3, len(res.Statements))] {
				fmt.Fprintf(out, "    %s\n", st)
			}
		}
	}
	fmt.Fprintf(out, "\nFailure events sent to the failure hub: %d\n", len(failures))
	for _, f := range failures {
		var e failure.Event
		if err := json.Unmarshal([]byte(f), &e); err != nil {
			fmt.Fprintf(out, "  (unreadable failure event: %v)\n", err)
			continue
		}
		fmt.Fprintf(out, "  %s partition %s seq %d: %s\n    originalMessage: %s\n", e.ErrorType, e.Partition, *e.SequenceNumber, e.ErrorMessage, e.OriginalMessage)
	}
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}
