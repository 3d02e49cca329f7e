package stack

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/snowsync/snowsync/internal/failure"
	"github.com/snowsync/snowsync/internal/task/outcome"
)

// rangerAdmin is a Ranger Admin stand-in serving the plugin download API
// (GET /service/plugins/policies/download/{service}?lastKnownVersion=N; 304 when N is current). It
// records the lastKnownVersion of each call; while down it answers 503.
type rangerAdmin struct {
	*httptest.Server
	mu      sync.Mutex
	doc     string
	version int64
	down    bool
	calls   []string
}

func newRangerAdmin(t *testing.T, doc string, version int64) *rangerAdmin {
	ra := &rangerAdmin{doc: doc, version: version}
	ra.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ra.mu.Lock()
		defer ra.mu.Unlock()
		last := r.URL.Query().Get("lastKnownVersion")
		ra.calls = append(ra.calls, last)
		switch {
		case ra.down:
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
		case r.URL.Path != "/service/plugins/policies/download/snowflake":
			http.NotFound(w, r)
		case last == strconv.FormatInt(ra.version, 10):
			w.WriteHeader(http.StatusNotModified)
		default:
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(ra.doc))
		}
	}))
	t.Cleanup(ra.Close)
	return ra
}

func (ra *rangerAdmin) set(doc string, version int64, down bool) {
	ra.mu.Lock()
	defer ra.mu.Unlock()
	ra.doc, ra.version, ra.down = doc, version, down
}

func (ra *rangerAdmin) lastKnownVersions() []string {
	ra.mu.Lock()
	defer ra.mu.Unlock()
	return slices.Clone(ra.calls)
}

// startWithRanger starts a stack reading its policies from ra, refreshed every second.
func startWithRanger(t *testing.T, ra *rangerAdmin) *Stack {
	return start(t, map[string]string{"CONNECTOR_POLICY_FILE": "", "CONNECTOR_RANGER_ADMIN_URL": ra.URL,
		"CONNECTOR_RANGER_SERVICE_NAME": "snowflake", "CONNECTOR_RANGER_USERNAME": "snowsync", "CONNECTOR_RANGER_PASSWORD": "ranger-pa55",
		"CONNECTOR_POLICY_REFRESH_INTERVAL_SEC": "1"})
}

// policiesV4 is policies (version 3) with auditors reading ORDERS too.
var policiesV4 = strings.Replace(strings.Replace(policies, `"policyVersion": 3`, `"policyVersion": 4`, 1), `"policies": [`, `"policies": [
    {"id": 4, "name": "auditors read orders", "isEnabled": true,
     "resources": {"database": {"values": ["SALES"]}, "schema": {"values": ["PUBLIC"]}, "table": {"values": ["ORDERS"]}},
     "policyItems": [{"accesses": [{"type": "select", "isAllowed": true}], "groups": ["auditors"]}]},`, 1)

// revokes returns the REVOKE statements the emulator received.
func revokes(s *Stack) []string {
	var out []string
	for _, c := range changes(s) {
		if strings.HasPrefix(c, "REVOKE") {
			out = append(out, c)
		}
	}
	return out
}

// An instance whose policies are older than the refresh interval asks Ranger Admin for the version
// (lastKnownVersion) before it syncs: it finds version 4, which another instance has applied already, and
// does not revoke what version 4 granted. Every record carries the version it was synced with.
func TestStalePoliciesRefreshBeforeRevoke(t *testing.T) {
	ra := newRangerAdmin(t, policies, 3)
	s := startWithRanger(t, ra)
	if res := s.Host.Deliver(t.Context(), s.Batch("7", syncRequest("t-v3", table("SALES", "PUBLIC", "CUSTOMERS")))); res.Err != nil {
		t.Fatal(res.Err)
	}
	// Version 4 arrives and another instance applies it.
	ra.set(policiesV4, 4, false)
	if err := s.Snowflake.Exec(`CREATE ROLE PRIV_AUDITORS; GRANT SELECT ON TABLE SALES.PUBLIC.ORDERS TO ROLE PRIV_AUDITORS`); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // this instance's set is now older than the refresh interval
	s.Snowflake.ResetLog()
	res := s.Host.Deliver(t.Context(), s.Batch("7", []byte("{malformed"), syncRequest("t-v4", table("SALES", "PUBLIC", "ORDERS"))))
	if res.Err != nil || len(res.Failures) != 1 {
		t.Fatalf("delivery: err %v, %d failure events; want the malformed one", res.Err, len(res.Failures))
	}
	if r := revokes(s); len(r) != 0 {
		t.Errorf("REVOKEs sent: %v; want none (version 4 grants SELECT to PRIV_AUDITORS)", r)
	}
	if got := grantsOn(t, s, "TABLE SALES.PUBLIC.ORDERS"); !slices.Contains(got, "PRIV_AUDITORS:SELECT") {
		t.Errorf("grants on ORDERS = %v; want PRIV_AUDITORS:SELECT kept", got)
	}
	if calls := ra.lastKnownVersions(); !slices.Contains(calls, "3") {
		t.Errorf("lastKnownVersion sent = %v; want a check of version 3", calls)
	}
	want := map[string]int64{"t-v3": 3, "t-v4": 4, "": 4} // "": the malformed event, processed with version 4
	for _, r := range records(t, s) {
		id := ""
		if r.TaskID != nil {
			id = *r.TaskID
		}
		if r.PolicyVersion == nil || *r.PolicyVersion != want[id] {
			t.Errorf("record %q (%s): PolicyVersion %s, want %d", id, r.Status, version(r.PolicyVersion), want[id])
		}
	}
	var e failure.Event
	if err := json.Unmarshal([]byte(res.Failures[0]), &e); err != nil || e.PolicyVersion == nil || *e.PolicyVersion != 4 {
		t.Errorf("failure event policyVersion = %s (%v); want 4", version(e.PolicyVersion), err)
	}
}

// When Ranger Admin cannot be reached and the cached set is older than the refresh interval, the sync
// still GRANTs by it but sends no REVOKE: the task FAILS, saying why, and its failure event lets a replay
// finish the job once Ranger answers.
func TestStalePoliciesWithRangerDownNeverRevoke(t *testing.T) {
	ra := newRangerAdmin(t, policies, 3)
	s := startWithRanger(t, ra)
	if res := s.Host.Deliver(t.Context(), s.Batch("8", syncRequest("t-warm", table("SALES", "PUBLIC", "ORDERS")))); res.Err != nil {
		t.Fatal(res.Err)
	}
	ra.set(policies, 3, true)
	time.Sleep(1100 * time.Millisecond)
	s.Snowflake.ResetLog()
	// CUSTOMERS: PRIV_ANALYSTS and PRIV_USER_ALICE lack SELECT, PRIV_ETL holds one that version 3 does not grant.
	res := s.Host.Deliver(t.Context(), s.Batch("8", syncRequest("t-stale", table("SALES", "PUBLIC", "CUSTOMERS"))))
	if res.Err != nil || res.Attempts != 1 || len(res.Failures) != 1 {
		t.Fatalf("delivery: %d attempts, err %v, %d failure events; want one attempt and one failure event", res.Attempts, res.Err, len(res.Failures))
	}
	if r := revokes(s); len(r) != 0 {
		t.Errorf("REVOKEs sent with stale policies: %v", r)
	}
	got := grantsOn(t, s, "TABLE SALES.PUBLIC.CUSTOMERS")
	for _, want := range []string{"PRIV_ANALYSTS:SELECT", "PRIV_USER_ALICE:SELECT", "PRIV_ETL:SELECT"} {
		if !slices.Contains(got, want) {
			t.Errorf("grants on CUSTOMERS = %v; want %s (grants sent, the revoke withheld)", got, want)
		}
	}
	var stale *outcome.Resource
	for _, r := range records(t, s) {
		if r.TaskID != nil && *r.TaskID == "t-stale" && len(r.Resources) == 1 {
			stale = &r.Resources[0]
			// 4 grants: SELECT to two roles, USAGE on SALES and SALES.PUBLIC to the new PRIV_USER_ALICE.
			if r.Status != outcome.Failed || r.Revokes != 0 || r.Grants != 4 || r.PolicyVersion == nil || *r.PolicyVersion != 3 {
				t.Errorf("record: %s, %d grants, %d revokes, policy version %s; want FAILED, 4, 0, 3", r.Status, r.Grants, r.Revokes, version(r.PolicyVersion))
			}
		}
	}
	if stale == nil || !strings.Contains(stale.Reason, `REVOKE SELECT ON TABLE "SALES"."PUBLIC"."CUSTOMERS" FROM ROLE "PRIV_ETL": not sent: stale policies: version 3`) ||
		!strings.Contains(stale.Reason, "HTTP 503") {
		t.Errorf("resource result %+v; want the withheld REVOKE and why", stale)
	}
	if strings.Contains(res.Failures[0], "ranger-pa55") {
		t.Errorf("failure event shows the Ranger password")
	}

	// Ranger back: the replayed task revokes.
	ra.set(policies, 3, false)
	time.Sleep(1100 * time.Millisecond)
	if res := s.Host.Deliver(t.Context(), s.Batch("8", syncRequest("t-replay", table("SALES", "PUBLIC", "CUSTOMERS")))); res.Err != nil || len(res.Failures) != 0 {
		t.Fatalf("replay: err %v, failures %v", res.Err, res.Failures)
	}
	if r := revokes(s); !slices.Equal(r, []string{`REVOKE SELECT ON TABLE "SALES"."PUBLIC"."CUSTOMERS" FROM ROLE "PRIV_ETL"`}) {
		t.Errorf("REVOKEs after Ranger is back: %v", r)
	}
}

func version(v *int64) string {
	if v == nil {
		return "absent"
	}
	return strconv.FormatInt(*v, 10)
}
