package stack

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	_ "github.com/snowflakedb/gosnowflake"

	"github.com/snowsync/snowsync/internal/audit"
	"github.com/snowsync/snowsync/internal/failure"
	"github.com/snowsync/snowsync/internal/task/outcome"
	"github.com/snowsync/snowsync/internal/testing/emulator"
	"github.com/snowsync/snowsync/internal/testing/emulator/emulatortest"
	"github.com/snowsync/snowsync/internal/testing/functionhost"
	"github.com/snowsync/snowsync/internal/testing/module"
)

func TestMain(m *testing.M) { emulatortest.Main(m) }

const seed = `
CREATE DATABASE SALES;
CREATE SCHEMA SALES.STAGING;
CREATE TABLE SALES.PUBLIC.ORDERS (ID INT, AMOUNT NUMBER);
CREATE TABLE SALES.PUBLIC.CUSTOMERS (ID INT, EMAIL VARCHAR);
CREATE VIEW SALES.PUBLIC.V_ORDERS AS SELECT ID FROM SALES.PUBLIC.ORDERS;
CREATE TABLE SALES.STAGING.RAW_ORDERS (PAYLOAD VARCHAR);
CREATE ROLE PRIV_ANALYSTS;
CREATE ROLE PRIV_ETL;
CREATE ROLE REPORTING;
GRANT SELECT ON TABLE SALES.PUBLIC.CUSTOMERS TO ROLE PRIV_ETL;
GRANT SELECT ON TABLE SALES.PUBLIC.ORDERS TO ROLE REPORTING`

// policies: analysts read SALES.PUBLIC; etl writes ORDERS; user alice reads CUSTOMERS.
const policies = `{
  "serviceName": "snowflake", "policyVersion": 3,
  "policies": [
    {"id": 1, "name": "analysts read public", "isEnabled": true,
     "resources": {"database": {"values": ["sales"]}, "schema": {"values": ["public"]}, "table": {"values": ["*"]}},
     "policyItems": [{"accesses": [{"type": "select", "isAllowed": true}], "groups": ["analysts"]}]},
    {"id": 2, "name": "etl writes orders", "isEnabled": true,
     "resources": {"database": {"values": ["SALES"]}, "schema": {"values": ["PUBLIC"]}, "table": {"values": ["ORDERS"]}},
     "policyItems": [{"accesses": [{"type": "insert", "isAllowed": true}, {"type": "update", "isAllowed": true}], "groups": ["etl"]}]},
    {"id": 3, "name": "alice reads customers", "isEnabled": true,
     "resources": {"database": {"values": ["SALES"]}, "schema": {"values": ["PUBLIC"]}, "table": {"values": ["CUSTOMERS"]}},
     "policyItems": [{"accesses": [{"type": "select", "isAllowed": true}], "users": ["alice"]}]}
  ]
}`

func start(t *testing.T, settings map[string]string) *Stack {
	t.Helper()
	s, err := Start(context.Background(), Options{SeedSQL: seed, Policies: []byte(policies), Settings: settings})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// hostWithRetries is a host stand-in for s whose function retries a failed invocation maxRetries times.
func hostWithRetries(t *testing.T, s *Stack, maxRetries int) *functionhost.Host {
	t.Helper()
	fn, err := functionhost.LoadFunction(filepath.Join(mustRoot(t), "functions", "OnDemandSync"))
	if err != nil {
		t.Fatal(err)
	}
	fn.Retry.MaxRetryCount = maxRetries
	return functionhost.New(s.URL, fn, &functionhost.Options{EventHub: EventHub, ConsumerGroup: ConsumerGroup})
}

func syncRequest(id string, resources ...string) []byte {
	return []byte(fmt.Sprintf(`{"id":%q,"type":"RESOURCE_SYNC","appType":"PS_CONNECTOR","appSubType":"SNOWFLAKE","source":"KAFKA",`+
		`"createTime":"2026-11-24T10:15:00Z","requestInfo":{"resources":[%s]}}`, id, strings.Join(resources, ",")))
}

func table(db, schema, name string) string {
	return fmt.Sprintf(`{"type":"table","values":{"database":%q,"schema":%q,"table":%q}}`, db, schema, name)
}

// grantsOn reads SHOW GRANTS ON through the real driver as "role:PRIVILEGE" strings, sorted.
func grantsOn(t *testing.T, s *Stack, object string) []string {
	t.Helper()
	db, err := sql.Open("snowflake", s.Snowflake.DSN("SALES"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cols, rows := emulatortest.Query(t, db, "SHOW GRANTS ON "+object)
	var out []string
	for _, row := range rows {
		out = append(out, row[slices.Index(cols, "grantee_name")]+":"+row[slices.Index(cols, "privilege")])
	}
	slices.Sort(out)
	return out
}

func records(t *testing.T, s *Stack) []outcome.Task {
	t.Helper()
	recs, err := s.App.Store.List(context.Background(), audit.Filter{})
	if audit.IsNoTable(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func changes(s *Stack) []string {
	var out []string
	for _, q := range s.Snowflake.Log() {
		if q.Class == emulator.StatementClass("GRANT") || q.Class == emulator.StatementClass("REVOKE") || q.Class == emulator.StatementClass("CREATE") {
			out = append(out, q.SQL)
		}
	}
	return out
}

func TestSingleTableEndToEnd(t *testing.T) {
	s := start(t, nil)
	ctx := context.Background()
	batch := s.Batch("0", syncRequest("task-orders", table("SALES", "PUBLIC", "ORDERS")))
	res := s.Host.Deliver(ctx, batch)
	if res.Err != nil || res.Status != http.StatusOK || len(res.Failures) != 0 {
		t.Fatalf("delivery: status %d err %v failures %v", res.Status, res.Err, res.Failures)
	}
	wantTable := []string{"ACCOUNTADMIN:OWNERSHIP", "PRIV_ANALYSTS:SELECT", "PRIV_ETL:INSERT", "PRIV_ETL:UPDATE", "REPORTING:SELECT"}
	if got := grantsOn(t, s, "TABLE SALES.PUBLIC.ORDERS"); !slices.Equal(got, wantTable) {
		t.Errorf("grants on ORDERS = %v, want %v", got, wantTable)
	}
	for _, parent := range []string{"DATABASE SALES", "SCHEMA SALES.PUBLIC"} {
		got := grantsOn(t, s, parent)
		for _, want := range []string{"PRIV_ANALYSTS:USAGE", "PRIV_ETL:USAGE"} {
			if !slices.Contains(got, want) {
				t.Errorf("grants on %s = %v, want %s (implied USAGE)", parent, got, want)
			}
		}
	}
	recs := records(t, s)
	if len(recs) != 1 {
		t.Fatalf("%d audit records, want 1", len(recs))
	}
	r := recs[0]
	if r.Status != outcome.Success || *r.TaskID != "task-orders" || r.Grants != 7 || r.Revokes != 0 || r.Synced != 1 ||
		r.EventHub != EventHub || r.Partition != "0" || *r.SequenceNumber != 0 || r.Connector != "snowflake" || r.InvocationID == "" {
		t.Errorf("audit record = %+v", r)
	}
	if len(r.Resources) != 1 || len(r.Resources[0].Statements) != 6 ||
		!slices.Contains(r.Resources[0].Statements, `GRANT INSERT, UPDATE ON TABLE "SALES"."PUBLIC"."ORDERS" TO ROLE "PRIV_ETL"`) {
		t.Errorf("audit resources = %+v", r.Resources)
	}

	// The same batch again (at-least-once delivery): the same record, no statement sent.
	s.Snowflake.ResetLog()
	if res := s.Host.Deliver(ctx, batch); res.Err != nil {
		t.Fatal(res.Err)
	}
	// A new event for the same table: converged, so nothing to change.
	if res := s.Host.Deliver(ctx, s.Batch("0", syncRequest("task-orders-2", table("sales", "public", "orders")))); res.Err != nil {
		t.Fatal(res.Err)
	}
	if c := changes(s); len(c) != 0 {
		t.Errorf("re-delivery and converged sync sent %v; want no GRANT/REVOKE/CREATE", c)
	}
	recs = records(t, s)
	if len(recs) != 2 || recs[0].Grants != 7 || recs[1].Grants != 0 || recs[1].Status != outcome.Success {
		t.Errorf("records after re-delivery: %d, grants %v", len(recs), recs)
	}
}

func TestMixedBatchEndToEnd(t *testing.T) {
	for _, mode := range []string{"load", "load_multi_thread", "load_bulk"} {
		t.Run(mode, func(t *testing.T) { testMixedBatch(t, mode) })
	}
}

func testMixedBatch(t *testing.T, mode string) {
	s := start(t, map[string]string{"CONNECTOR_SNOWFLAKE_LOAD_RESOURCES_KEY": mode})
	ctx := context.Background()
	bodies := [][]byte{
		syncRequest("t-db", `{"type":"database","values":{"database":"SALES"}}`),
		syncRequest("t-dup", table("SALES", "PUBLIC", "CUSTOMERS")),
		syncRequest("t-view", `{"type":"view","values":{"database":"SALES","schema":"PUBLIC","view":"V_ORDERS"}}`),
		[]byte(`{"id":"t-bad", "type": "RESOURCE_SYNC", `),
		[]byte(`{"id":"t-user","type":"USER_SYNC","source":"KAFKA","requestInfo":{"resources":[]}}`),
		syncRequest("t-missing", table("SALES", "PUBLIC", "NO_SUCH_TABLE")),
		syncRequest("t-staging", table("sales", "staging", "raw_orders")),
	}
	res := s.Host.Deliver(ctx, s.Batch("1", bodies...))
	if res.Err != nil || res.Status != http.StatusOK {
		t.Fatalf("delivery: status %d err %v", res.Status, res.Err)
	}
	// Events are keyed by sequence number: the invalid one has no task id.
	ids := []string{"t-db", "t-dup", "t-view", "t-bad", "t-user", "t-missing", "t-staging"}
	byID := map[string]outcome.Task{}
	for _, r := range records(t, s) {
		byID[ids[*r.SequenceNumber]] = r
	}
	want := map[string]outcome.Status{"t-db": "SUCCESS", "t-dup": "SUCCESS", "t-view": "SUCCESS", "t-bad": "FAILED", "t-user": "SKIPPED",
		"t-missing": "SKIPPED", "t-staging": "SUCCESS"}
	if len(byID) != len(want) {
		t.Errorf("%d records, want %d: %v", len(byID), len(want), byID)
	}
	for id, st := range want {
		if byID[id].Status != st {
			t.Errorf("task %s = %s (%s), want %s", id, byID[id].Status, byID[id].Reason, st)
		}
	}
	if byID["t-bad"].TaskID != nil || byID["t-bad"].ErrorType != "INVALID_JSON" {
		t.Errorf("invalid JSON record: %+v", byID["t-bad"])
	}
	if !strings.Contains(byID["t-missing"].Reason, "does not exist") || byID["t-missing"].Resources[0].ErrorCode != "002003" {
		t.Errorf("missing table: %+v", byID["t-missing"])
	}
	// The database request covers the table and view requests: each task still lists its own statements.
	if got := byID["t-dup"].Resources[0].Statements; !slices.Contains(got, `REVOKE SELECT ON TABLE "SALES"."PUBLIC"."CUSTOMERS" FROM ROLE "PRIV_ETL"`) ||
		!slices.Contains(got, `GRANT SELECT ON TABLE "SALES"."PUBLIC"."CUSTOMERS" TO ROLE "PRIV_USER_ALICE"`) {
		t.Errorf("CUSTOMERS statements = %v", got)
	}
	if got := grantsOn(t, s, "TABLE SALES.PUBLIC.CUSTOMERS"); !slices.Equal(got, []string{"ACCOUNTADMIN:OWNERSHIP", "PRIV_ANALYSTS:SELECT", "PRIV_USER_ALICE:SELECT"}) {
		t.Errorf("grants on CUSTOMERS = %v (drift to PRIV_ETL must be revoked, alice's role created)", got)
	}
	if got := grantsOn(t, s, "VIEW SALES.PUBLIC.V_ORDERS"); !slices.Contains(got, "PRIV_ANALYSTS:SELECT") {
		t.Errorf("grants on V_ORDERS = %v", got)
	}
	if got := grantsOn(t, s, "TABLE SALES.STAGING.RAW_ORDERS"); !slices.Equal(got, []string{"ACCOUNTADMIN:OWNERSHIP"}) {
		t.Errorf("grants on RAW_ORDERS = %v, want untouched", got)
	}
	if len(res.Failures) != 1 {
		t.Fatalf("failure events = %v, want one (the invalid JSON)", res.Failures)
	}
	var fe failure.Event
	if err := json.Unmarshal([]byte(res.Failures[0]), &fe); err != nil {
		t.Fatal(err)
	}
	if fe.OriginalMessage != string(bodies[3]) || fe.ErrorType != "INVALID_JSON" || fe.Partition != "1" || *fe.SequenceNumber != 3 || fe.Topic != EventHub {
		t.Errorf("failure event = %+v", fe)
	}
}

func TestAuditStoreOutageIsRetriedWholesale(t *testing.T) {
	s := start(t, nil)
	ctx := context.Background()
	batch := s.Batch("2", syncRequest("t-a", table("SALES", "PUBLIC", "ORDERS")), []byte("not json"))
	if err := s.Azurite.Stop(); err != nil {
		t.Fatal(err)
	}
	// One host retry is enough to show the policy applies; each attempt waits out the SDK's own retries.
	host := hostWithRetries(t, s, 1)
	res := host.Deliver(ctx, batch)
	// The first attempt answered 500 (nothing half-done), so the host retried; on its last attempt the
	// host checkpoints whatever happens, so the handler answers 2xx and loses nothing: every event goes
	// to the failure hub, to be replayed once Table Storage is back.
	if res.Attempts != 2 || res.Status != http.StatusOK || len(res.Failures) != 2 {
		t.Fatalf("with Azurite down: %d attempts, last status %d, failures %v; want 2 attempts, then 200 with 2 failure events",
			res.Attempts, res.Status, res.Failures)
	}
	for i, want := range []string{"AUDIT_ERROR", "INVALID_JSON"} {
		var e failure.Event
		if err := json.Unmarshal([]byte(res.Failures[i]), &e); err != nil || e.ErrorType != want || *e.SequenceNumber != int64(i) {
			t.Errorf("failure event %d = %+v (%v), want %s", i, e, err, want)
		}
	}
	if err := s.Azurite.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the host re-delivers; a second re-delivery must not add records
		res = s.Host.Deliver(ctx, batch)
		if res.Err != nil || len(res.Failures) != 1 {
			t.Fatalf("after restart: status %d err %v failures %d", res.Status, res.Err, len(res.Failures))
		}
	}
	recs := records(t, s)
	if len(recs) != 2 {
		t.Fatalf("%d records after re-delivery, want 2 (one per event, exactly once)", len(recs))
	}
}

func TestDryRunChangesNothing(t *testing.T) {
	s := start(t, map[string]string{"CONNECTOR_SNOWFLAKE_GRANT_UPDATES": "false"})
	res := s.Host.Deliver(context.Background(), s.Batch("0", syncRequest("plan", table("SALES", "PUBLIC", "CUSTOMERS"))))
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if c := changes(s); len(c) != 0 {
		t.Errorf("dry run sent %v", c)
	}
	recs := records(t, s)
	if len(recs) != 1 || !recs[0].DryRun || recs[0].Revokes != 1 || len(recs[0].Resources[0].Statements) == 0 {
		t.Errorf("dry-run record = %+v", recs)
	}
}

func TestRefusedGrantFailsOnlyItsTask(t *testing.T) {
	s := start(t, nil)
	ctx := context.Background()
	// Snowflake refuses every GRANT on CUSTOMERS (as when the connector's role lacks MANAGE GRANTS there).
	s.Snowflake.AddFault(emulator.Fault{Kind: emulator.FaultError, Match: regexp.MustCompile(`^GRANT .*"CUSTOMERS"`), Number: 3001})
	res := s.Host.Deliver(ctx, s.Batch("4",
		syncRequest("t-ok", table("SALES", "PUBLIC", "ORDERS")),
		syncRequest("t-refused", table("SALES", "PUBLIC", "CUSTOMERS"))))
	if res.Err != nil || len(res.Failures) != 1 {
		t.Fatalf("delivery: err %v, failures %v; want one failure event", res.Err, res.Failures)
	}
	recs := records(t, s)
	if len(recs) != 2 || recs[0].Status != outcome.Success || recs[1].Status != outcome.Failed ||
		recs[1].ErrorType != "SYNC_ERROR" || recs[1].Resources[0].ErrorCode != "003001" || !strings.Contains(recs[1].ErrorMessage, "003001") {
		t.Fatalf("records = %+v", recs)
	}
	// The REVOKE of the drift on CUSTOMERS was not refused: only the failing statement is lost.
	if got := grantsOn(t, s, "TABLE SALES.PUBLIC.CUSTOMERS"); slices.Contains(got, "PRIV_ETL:SELECT") {
		t.Errorf("grants on CUSTOMERS = %v; the REVOKE must have been applied", got)
	}
	var fe failure.Event
	if err := json.Unmarshal([]byte(res.Failures[0]), &fe); err != nil {
		t.Fatal(err)
	}
	if fe.ErrorType != "SYNC_ERROR" || *fe.TaskID != "t-refused" || !strings.Contains(fe.StackTrace, "003001") {
		t.Errorf("failure event = %+v", fe)
	}
}

func TestSnowflakeLoginRefusedIsSystemic(t *testing.T) {
	s := start(t, map[string]string{"CONNECTOR_SNOWFLAKE_JDBC_PASSWORD": "wrong-password"})
	host := hostWithRetries(t, s, 1)
	res := host.Deliver(context.Background(), s.Batch("5", syncRequest("t-1", table("SALES", "PUBLIC", "ORDERS")), []byte("x")))
	// The first attempt answers 500 (not N failed tasks), so the host retries; the last attempt, after
	// which the host checkpoints anyway, records the tasks as FAILED and sends them to the failure hub.
	if res.Attempts != 2 || res.Status != http.StatusOK || len(res.Failures) != 2 {
		t.Fatalf("login refused: %d attempts, last status %d, failures %v; want 2 attempts, then 200 with 2 failure events",
			res.Attempts, res.Status, res.Failures)
	}
	var e failure.Event
	if err := json.Unmarshal([]byte(res.Failures[0]), &e); err != nil || e.ErrorType != "SYNC_ERROR" || !strings.Contains(e.ErrorMessage, "390100") {
		t.Errorf("failure event = %+v (%v); want SYNC_ERROR naming Snowflake's 390100", e, err)
	}
	if strings.Contains(res.Failures[0], "wrong-password") {
		t.Error("the failure event shows the password")
	}
	if recs := records(t, s); len(recs) != 2 || recs[0].Status != outcome.Failed {
		t.Errorf("records = %+v; want both events recorded once, FAILED", recs)
	}
}

func TestFailureHubDisabled(t *testing.T) {
	s := start(t, map[string]string{"CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_ENABLED": "false"})
	res := s.Host.Deliver(context.Background(), s.Batch("6", []byte("not json")))
	if res.Err != nil || len(res.Failures) != 0 {
		t.Fatalf("err %v, failures %v; want none", res.Err, res.Failures)
	}
	if recs := records(t, s); len(recs) != 1 || recs[0].Status != outcome.Failed {
		t.Errorf("records = %+v; the FAILED record must still be written", recs)
	}
}

func mustRoot(t *testing.T) string {
	t.Helper()
	root, err := module.Root()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// A body too long for an Event Hubs event, here 2 MiB of control characters that JSON-escape to 12 MiB,
// goes to the failure hub cut to fit, and whole to the body table, where a replay finds it.
func TestLongFailedEventFitsTheFailureHub(t *testing.T) {
	s := start(t, nil)
	ctx := t.Context()
	long := bytes.Repeat([]byte("\x01\x02{"), 700<<10)
	res := s.Host.Deliver(ctx, s.Batch("4", long, syncRequest("t-ok", table("SALES", "PUBLIC", "ORDERS"))))
	if res.Err != nil || res.Attempts != 1 || len(res.Failures) != 1 {
		t.Fatalf("delivery: %d attempts, err %v, %d failure events; want one attempt and one failure event", res.Attempts, res.Err, len(res.Failures))
	}
	if len(res.Failures[0]) > functionhost.MaxOutputEvent {
		t.Fatalf("failure event of %d bytes", len(res.Failures[0]))
	}
	var e failure.Event
	if err := json.Unmarshal([]byte(res.Failures[0]), &e); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(long)
	if e.ErrorType != "INVALID_JSON" || !e.OriginalMessageTruncated || e.OriginalMessageLength != len(long) ||
		e.OriginalMessageSHA256 != hex.EncodeToString(sum[:]) || e.OriginalMessageStore != "table:OnDemandSyncBodies" {
		t.Errorf("failure event: %s, truncated %v, length %d, sha256 %s, store %q", e.ErrorType, e.OriginalMessageTruncated,
			e.OriginalMessageLength, e.OriginalMessageSHA256, e.OriginalMessageStore)
	}
	kept, err := s.App.Bodies.Get(ctx, audit.Key{PartitionKey: e.AuditPartitionKey, RowKey: e.AuditRowKey})
	if err != nil || !bytes.Equal(kept, long) {
		t.Errorf("body table: %d bytes, %v; want the whole body", len(kept), err)
	}
	if recs := records(t, s); len(recs) != 2 {
		t.Errorf("%d records, want one per event", len(recs))
	}
}

// With Table Storage down the body cannot be kept: the batch is retried, and on the last attempt the
// failure event goes out cut, with the body's length and SHA-256 and why the rest was not kept.
func TestLongFailedEventWithStorageDown(t *testing.T) {
	s := start(t, nil)
	long := bytes.Repeat([]byte("\x01\x02{"), 700<<10)
	batch := s.Batch("5", long)
	if err := s.Azurite.Stop(); err != nil {
		t.Fatal(err)
	}
	res := hostWithRetries(t, s, 1).Deliver(t.Context(), batch)
	if res.Attempts != 2 || res.Status != http.StatusOK || len(res.Failures) != 1 || len(res.Failures[0]) > functionhost.MaxOutputEvent {
		t.Fatalf("%d attempts, last status %d, %d failure events, err %v; want 2 attempts, then 200 with 1 failure event within 1 MiB",
			res.Attempts, res.Status, len(res.Failures), res.Err)
	}
	var e failure.Event
	if err := json.Unmarshal([]byte(res.Failures[0]), &e); err != nil {
		t.Fatal(err)
	}
	if !e.OriginalMessageTruncated || e.OriginalMessageLength != len(long) || e.OriginalMessageSHA256 == "" ||
		e.OriginalMessageStore != "" || e.OriginalMessageStoreError == "" {
		t.Errorf("failure event: truncated %v, length %d, store %q, store error %q", e.OriginalMessageTruncated,
			e.OriginalMessageLength, e.OriginalMessageStore, e.OriginalMessageStoreError)
	}
}

// A cold start while Ranger Admin is down is systemic: the batch is retried, and only the host's last
// attempt records the tasks FAILED and sends them to the failure hub. Once Ranger answers, batches sync.
func TestColdStartWithoutPoliciesIsSystemic(t *testing.T) {
	var up atomic.Bool
	var fetches atomic.Int32
	ranger := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fetches.Add(1)
		if !up.Load() {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, policies)
	}))
	defer ranger.Close()
	s := start(t, map[string]string{"CONNECTOR_POLICY_FILE": "", "CONNECTOR_RANGER_ADMIN_URL": ranger.URL,
		"CONNECTOR_RANGER_SERVICE_NAME": "snowflake", "CONNECTOR_RANGER_USERNAME": "admin", "CONNECTOR_RANGER_PASSWORD": "ranger-pa55"})
	host := hostWithRetries(t, s, 2)
	res := host.Deliver(t.Context(), s.Batch("6", syncRequest("t-cold", table("SALES", "PUBLIC", "ORDERS"))))
	if res.Attempts != 3 || res.Status != http.StatusOK || len(res.Failures) != 1 {
		t.Fatalf("%d attempts, last status %d, %d failure events (%v); want 500 twice, then 200 with the task FAILED",
			res.Attempts, res.Status, len(res.Failures), res.Err)
	}
	var e failure.Event
	if err := json.Unmarshal([]byte(res.Failures[0]), &e); err != nil || e.ErrorType != "SYNC_ERROR" || !strings.Contains(e.ErrorMessage, "no policies loaded") {
		t.Errorf("failure event %+v (%v); want SYNC_ERROR saying no policies were loaded", e, err)
	}
	if strings.Contains(res.Failures[0], "ranger-pa55") {
		t.Errorf("failure event shows the Ranger password")
	}
	if n := fetches.Load(); n != 3 {
		t.Errorf("Ranger Admin asked %d times, want once per attempt (3)", n)
	}
	if recs := records(t, s); len(recs) != 1 || recs[0].Status != outcome.Failed {
		t.Fatalf("records %+v; want one FAILED", recs)
	}
	up.Store(true)
	res = s.Host.Deliver(t.Context(), s.Batch("6", syncRequest("t-warm", table("SALES", "PUBLIC", "ORDERS"))))
	if res.Err != nil || res.Attempts != 1 || len(res.Failures) != 0 {
		t.Fatalf("with Ranger up: %d attempts, err %v, failures %v", res.Attempts, res.Err, res.Failures)
	}
}
