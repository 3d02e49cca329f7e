package stack

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/snowsync/snowsync/internal/failure"
	"github.com/snowsync/snowsync/internal/task/outcome"
	"github.com/snowsync/snowsync/internal/testing/emulator/emulatortest"
)

// hrSeed is a table with PII, two users (an analyst, an admin), and a masking policy that is not
// snowsync's on column NOTE.
const hrSeed = `
CREATE DATABASE HR;
CREATE SCHEMA HR.CORE;
CREATE SCHEMA HR.SEC;
CREATE TABLE HR.CORE.EMPLOYEES (ID NUMBER(38,0), NAME VARCHAR, SSN VARCHAR, CARD VARCHAR, EMAIL VARCHAR, PHONE VARCHAR,
  TITLE VARCHAR, HIRED DATE, CITY VARCHAR, NOTE VARCHAR, REGION VARCHAR);
INSERT INTO HR.CORE.EMPLOYEES VALUES
  (1, 'Ada Lovelace', '123-45-6789', '4111-1111-1111-1111', 'ada@example.com', '+44 20 7946 0000', 'Engineer', '2019-03-14', 'London', 'n1', 'EU'),
  (2, 'Bob Smith', '987-65-4321', '5500-0000-0000-0004', 'bob@example.com', '+1 212 555 0100', 'Analyst', '2021-11-02', 'Boston', 'n2', 'US'),
  (3, 'Cy Dupont', '555-11-2222', '3400-0000-0000-009', 'cy@example.com', '+33 1 70 00 00 00', 'Manager', '2023-01-20', 'Paris', 'n3', 'EU');
CREATE ROLE PRIV_ANALYSTS;
CREATE ROLE PRIV_ADMINS;
CREATE USER ANNA PASSWORD = 'anna-pw';
CREATE USER HELGA PASSWORD = 'helga-pw';
GRANT ROLE PRIV_ANALYSTS TO USER ANNA;
GRANT ROLE PRIV_ADMINS TO USER HELGA;
CREATE MASKING POLICY HR.SEC.NOTE_MASK AS (V VARCHAR) RETURNS VARCHAR -> CASE WHEN IS_ROLE_IN_SESSION('PRIV_ADMINS') THEN V ELSE 'hidden' END;
ALTER TABLE HR.CORE.EMPLOYEES MODIFY COLUMN NOTE SET MASKING POLICY HR.SEC.NOTE_MASK`

// hrPolicies is a Ranger document: analysts and admins read HR.CORE; analysts see every PII column
// masked (one Ranger mask type per column, CUSTOM on CITY, and NOTE, whose policy is not ours) and only
// the rows of region; ssnMask is the mask type of SSN. version is the document's policyVersion.
func hrPolicies(version int, ssnMask, region string) []byte {
	mask := func(id int, column, info string) string {
		return fmt.Sprintf(`{"id":%d,"name":"mask %s","policyType":1,"isEnabled":true,
		  "resources":{"database":{"values":["hr"]},"schema":{"values":["core"]},"table":{"values":["employees"]},"column":{"values":[%q]}},
		  "dataMaskPolicyItems":[{"accesses":[{"type":"select","isAllowed":true}],"groups":["analysts"],"dataMaskInfo":%s}]}`,
			id, column, column, info)
	}
	policies := []string{`{"id":1,"name":"hr read","isEnabled":true,
	  "resources":{"database":{"values":["HR"]},"schema":{"values":["CORE"]},"table":{"values":["*"]}},
	  "policyItems":[{"accesses":[{"type":"select","isAllowed":true}],"groups":["analysts","admins"]}]}`,
		mask(10, "name", `{"dataMaskType":"MASK"}`),
		mask(11, "ssn", fmt.Sprintf(`{"dataMaskType":%q}`, ssnMask)),
		mask(12, "card", `{"dataMaskType":"MASK_SHOW_FIRST_4"}`),
		mask(13, "email", `{"dataMaskType":"MASK_HASH"}`),
		mask(14, "phone", `{"dataMaskType":"MASK_NULL"}`),
		mask(15, "title", `{"dataMaskType":"MASK_NONE"}`),
		mask(16, "hired", `{"dataMaskType":"MASK_DATE_SHOW_YEAR"}`),
		mask(17, "city", `{"dataMaskType":"CUSTOM","valueExpr":"CONCAT('city of ', {col})"}`),
		mask(18, "note", `{"dataMaskType":"MASK_NULL"}`),
		fmt.Sprintf(`{"id":20,"name":"own region","policyType":2,"isEnabled":true,
		  "resources":{"database":{"values":["HR"]},"schema":{"values":["CORE"]},"table":{"values":["EMPLOYEES"]}},
		  "rowFilterPolicyItems":[{"accesses":[{"type":"select","isAllowed":true}],"groups":["analysts"],"rowFilterInfo":{"filterExpr":"region = '%s'"}}]}`, region),
	}
	return []byte(fmt.Sprintf(`{"serviceName":"snowflake","policyVersion":%d,"policies":[%s]}`, version, strings.Join(policies, ",")))
}

// userDB logs in to the stack's emulator as user with role, through the real driver.
func userDB(t *testing.T, s *Stack, user, password, role string) *sql.DB {
	t.Helper()
	db, err := sql.Open("snowflake", fmt.Sprintf("%s:%s@%s/HR?account=emulator&protocol=http&disableTelemetry=true&validateDefaultParameters=false&role=%s&warehouse=WH",
		user, password, s.Snowflake.Addr(), role))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// selectAll returns the rows of EMPLOYEES as the user sees them, ordered by ID, each as its columns.
func selectAll(t *testing.T, db *sql.DB) [][]string {
	t.Helper()
	_, rows := emulatortest.Query(t, db, "SELECT ID, NAME, SSN, CARD, EMAIL, PHONE, TITLE, HIRED, CITY, NOTE, REGION FROM HR.CORE.EMPLOYEES ORDER BY ID")
	return rows
}

// policyWrites returns what the emulator's log holds besides reads: DDL and GRANTs.
func policyWrites(s *Stack) []string {
	var out []string
	for _, q := range s.Snowflake.Log() {
		verb, _, _ := strings.Cut(strings.TrimSpace(q.SQL), " ")
		if !slices.Contains([]string{"SHOW", "DESCRIBE", "SELECT"}, strings.ToUpper(verb)) {
			out = append(out, q.SQL)
		}
	}
	return out
}

func deliver(t *testing.T, s *Stack, body []byte) {
	t.Helper()
	res := s.Host.Deliver(context.Background(), s.Batch("0", body))
	if res.Err != nil || res.Status != http.StatusOK || len(res.Failures) != 0 {
		t.Fatalf("delivery: status %d err %v failures %v", res.Status, res.Err, res.Failures)
	}
}

// lastRecord returns the audit record of the task id.
func lastRecord(t *testing.T, s *Stack, id string) outcome.Task {
	t.Helper()
	for _, r := range records(t, s) {
		if r.TaskID != nil && *r.TaskID == id {
			return r
		}
	}
	t.Fatalf("no audit record for %s", id)
	return outcome.Task{}
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestMasksAndRowFilterEndToEnd(t *testing.T) {
	for _, mode := range []string{"load", "load_multi_thread", "load_bulk"} {
		t.Run(mode, func(t *testing.T) { testMasksAndRowFilter(t, mode) })
	}
}

func testMasksAndRowFilter(t *testing.T, mode string) {
	s, err := Start(context.Background(), Options{SeedSQL: hrSeed, Policies: hrPolicies(1, "MASK_SHOW_LAST_4", "EU"),
		Settings: map[string]string{"CONNECTOR_SNOWFLAKE_LOAD_RESOURCES_KEY": mode, "CONNECTOR_POLICY_REFRESH_INTERVAL_SEC": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	employees := table("HR", "CORE", "EMPLOYEES")
	first := syncRequest("hr-1", employees)
	deliver(t, s, first)

	r := lastRecord(t, s, "hr-1")
	if r.Status != outcome.Success || r.MasksSet != 8 || r.FiltersSet != 1 || r.MasksSwapped+r.MasksRemoved+r.FiltersSwapped+r.FiltersRemoved != 0 || r.Grants == 0 {
		t.Fatalf("audit record = %+v", r)
	}
	if len(r.Resources) != 1 || len(r.Resources[0].Notes) != 1 || !strings.Contains(r.Resources[0].Notes[0], `"HR"."SEC"."NOTE_MASK"`) {
		t.Errorf("resource = %+v; want a note on the foreign NOTE_MASK", r.Resources)
	}

	anna := userDB(t, s, "ANNA", "anna-pw", "PRIV_ANALYSTS")
	helga := userDB(t, s, "HELGA", "helga-pw", "PRIV_ADMINS")
	wantAnna := [][]string{
		{"1", "Xxx Xxxxxxxx", "xxx-xx-6789", "4111-xxxx-xxxx-xxxx", sha("ada@example.com"), "", "Engineer", "2019-01-01", "city of London", "hidden", "EU"},
		{"3", "Xx Xxxxxx", "xxx-xx-2222", "3400-xxxx-xxxx-xxx", sha("cy@example.com"), "", "Manager", "2023-01-01", "city of Paris", "hidden", "EU"},
	}
	if got := selectAll(t, anna); !slices.EqualFunc(got, wantAnna, slices.Equal) {
		t.Errorf("analyst sees\n%q\nwant\n%q", got, wantAnna)
	}
	gotHelga := selectAll(t, helga)
	if len(gotHelga) != 3 || gotHelga[0][1] != "Ada Lovelace" || gotHelga[0][2] != "123-45-6789" || gotHelga[1][10] != "US" ||
		gotHelga[0][4] != "ada@example.com" || gotHelga[0][7] != "2019-03-14" || gotHelga[0][9] != "n1" {
		t.Errorf("admin sees %q; want every row in clear", gotHelga)
	}

	// Re-delivery of the same event, and a new event for the converged table: no DDL, no GRANT.
	s.Snowflake.ResetLog()
	if res := s.Host.Deliver(context.Background(), s.Batch("0", first)); res.Err != nil {
		t.Fatal(res.Err)
	}
	deliver(t, s, syncRequest("hr-2", employees))
	if w := policyWrites(s); len(w) != 0 {
		t.Errorf("re-delivery and converged sync sent %q", w)
	}

	// Ranger changes the SSN mask and the region: exactly our two policies are swapped.
	if err := os.WriteFile(filepath.Join(s.dir, "policies.json"), hrPolicies(2, "MASK_NULL", "US"), 0o600); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // CONNECTOR_POLICY_REFRESH_INTERVAL_SEC
	s.Snowflake.ResetLog()
	deliver(t, s, syncRequest("hr-3", employees))
	r = lastRecord(t, s, "hr-3")
	if r.Status != outcome.Success || r.MasksSwapped != 1 || r.FiltersSwapped != 1 || r.MasksSet+r.MasksRemoved+r.FiltersSet+r.FiltersRemoved != 0 || r.Grants != 0 {
		t.Errorf("after the change: %+v", r)
	}
	for _, w := range policyWrites(s) {
		if strings.Contains(w, "NOTE") {
			t.Errorf("touched the foreign policy: %s", w)
		}
	}
	if got := selectAll(t, anna); len(got) != 1 || got[0][0] != "2" || got[0][2] != "" || got[0][1] != "Xxx Xxxxx" {
		t.Errorf("analyst sees %q after the change; want Bob's row, SSN NULL", got)
	}
}

// A Ranger mask that cannot be expressed on its column (MASK_SHOW_LAST_4 on a DATE) fails the task,
// naming the policy, and withholds the table's grants; the columns it does not touch are masked, and the
// failure event counts what changed, as the audit record does.
func TestUnexpressibleMaskFailsTheTaskWithCounts(t *testing.T) {
	doc := strings.Replace(string(hrPolicies(1, "MASK_SHOW_LAST_4", "EU")), `{"dataMaskType":"MASK_DATE_SHOW_YEAR"}`, `{"dataMaskType":"MASK_SHOW_LAST_4"}`, 1)
	s, err := Start(context.Background(), Options{SeedSQL: hrSeed, Policies: []byte(doc)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	res := s.Host.Deliver(context.Background(), s.Batch("0", syncRequest("hr-bad", table("HR", "CORE", "EMPLOYEES"))))
	if res.Err != nil || res.Status != http.StatusOK || len(res.Failures) != 1 {
		t.Fatalf("delivery: status %d err %v failures %v", res.Status, res.Err, res.Failures)
	}
	var fe failure.Event
	if err := json.Unmarshal([]byte(res.Failures[0]), &fe); err != nil {
		t.Fatal(err)
	}
	r := lastRecord(t, s, "hr-bad")
	if r.Status != outcome.Failed || !strings.Contains(r.ErrorMessage, "mask hired") || r.MasksSet != 7 || r.FiltersSet != 1 {
		t.Errorf("audit record = %+v", r)
	}
	if fe.ErrorType != "SYNC_ERROR" || fe.MasksSet != r.MasksSet || fe.FiltersSet != 1 || fe.Grants != r.Grants || !strings.Contains(fe.ErrorMessage, "mask hired") {
		t.Errorf("failure event = %+v", fe)
	}
	if g := grantsOn(t, s, "TABLE HR.CORE.EMPLOYEES"); slices.ContainsFunc(g, func(g string) bool { return strings.HasSuffix(g, ":SELECT") }) {
		t.Errorf("grants on EMPLOYEES = %v; want SELECT withheld", g)
	}
}

// rangerOrderPolicies is a Ranger document over HR.CORE.EMPLOYEES in which the order decides: a deny
// item takes SELECT from contractors, whom the allow policy names too; on SSN an override-priority mask
// (MASK_NULL) beats the normal one (MASK_SHOW_LAST_4); on NAME the policy's first item that names a
// group wins (MASK for analysts; admins reach the second item, MASK_HASH).
const rangerOrderPolicies = `{"serviceName":"snowflake","policyVersion":1,"policies":[
 {"id":1,"name":"hr read","isEnabled":true,
  "resources":{"database":{"values":["HR"]},"schema":{"values":["CORE"]},"table":{"values":["*"]}},
  "policyItems":[{"accesses":[{"type":"select","isAllowed":true}],"groups":["analysts","admins","contractors"]}]},
 {"id":2,"name":"no contractors on employees","isEnabled":true,
  "resources":{"database":{"values":["HR"]},"schema":{"values":["CORE"]},"table":{"values":["EMPLOYEES"]}},
  "denyPolicyItems":[{"accesses":[{"type":"select","isAllowed":true}],"groups":["contractors"]}]},
 {"id":10,"name":"ssn last 4","policyType":1,"isEnabled":true,
  "resources":{"database":{"values":["HR"]},"schema":{"values":["CORE"]},"table":{"values":["EMPLOYEES"]},"column":{"values":["SSN"]}},
  "dataMaskPolicyItems":[{"accesses":[{"type":"select","isAllowed":true}],"groups":["analysts"],"dataMaskInfo":{"dataMaskType":"MASK_SHOW_LAST_4"}}]},
 {"id":11,"name":"ssn override","policyType":1,"policyPriority":1,"isEnabled":true,
  "resources":{"database":{"values":["HR"]},"schema":{"values":["CORE"]},"table":{"values":["EMPLOYEES"]},"column":{"values":["SSN"]}},
  "dataMaskPolicyItems":[{"accesses":[{"type":"select","isAllowed":true}],"groups":["analysts"],"dataMaskInfo":{"dataMaskType":"MASK_NULL"}}]},
 {"id":12,"name":"name by item order","policyType":1,"isEnabled":true,
  "resources":{"database":{"values":["HR"]},"schema":{"values":["CORE"]},"table":{"values":["EMPLOYEES"]},"column":{"values":["NAME"]}},
  "dataMaskPolicyItems":[
   {"accesses":[{"type":"select","isAllowed":true}],"groups":["analysts"],"dataMaskInfo":{"dataMaskType":"MASK"}},
   {"accesses":[{"type":"select","isAllowed":true}],"groups":["analysts","admins"],"dataMaskInfo":{"dataMaskType":"MASK_HASH"}}]}]}`

// Deny items, policy priority and item order decide what each user meets, as Ranger orders them.
func TestRangerOrderEndToEnd(t *testing.T) {
	s, err := Start(context.Background(), Options{Policies: []byte(rangerOrderPolicies),
		Settings: map[string]string{"CONNECTOR_POLICY_REFRESH_INTERVAL_SEC": "1"}, SeedSQL: hrSeed + `;
CREATE ROLE PRIV_CONTRACTORS;
CREATE USER CARL PASSWORD = 'carl-pw';
GRANT ROLE PRIV_CONTRACTORS TO USER CARL`})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	deliver(t, s, syncRequest("order-1", table("HR", "CORE", "EMPLOYEES")))
	if r := lastRecord(t, s, "order-1"); r.Status != outcome.Success || r.MasksSet != 2 {
		t.Fatalf("audit record = %+v", r)
	}

	anna := selectAll(t, userDB(t, s, "ANNA", "anna-pw", "PRIV_ANALYSTS"))
	if len(anna) != 3 || anna[0][1] != "Xxx Xxxxxxxx" || anna[0][2] != "" {
		t.Errorf("analyst sees %q; want NAME masked by the first item (MASK), SSN NULL by the override policy", anna)
	}
	helga := selectAll(t, userDB(t, s, "HELGA", "helga-pw", "PRIV_ADMINS"))
	if len(helga) != 3 || helga[0][1] != sha("Ada Lovelace") || helga[0][2] != "123-45-6789" {
		t.Errorf("admin sees %q; want NAME hashed by the second item, SSN in clear", helga)
	}
	carl := userDB(t, s, "CARL", "carl-pw", "PRIV_CONTRACTORS")
	if _, err := carl.Query("SELECT ID FROM HR.CORE.EMPLOYEES"); err == nil || !strings.Contains(err.Error(), "Insufficient privileges") {
		t.Errorf("contractor SELECT: err = %v; want refused, the deny item wins", err)
	}
	if g := grantsOn(t, s, "TABLE HR.CORE.EMPLOYEES"); slices.Contains(g, "PRIV_CONTRACTORS:SELECT") {
		t.Errorf("grants on EMPLOYEES = %v; want none for contractors", g)
	}

	// Ranger moves the override to another group and disables the NAME policy: SSN's policy is swapped,
	// NAME's removed, nothing else is sent.
	changed := strings.Replace(strings.Replace(rangerOrderPolicies, `"groups":["analysts"],"dataMaskInfo":{"dataMaskType":"MASK_NULL"}`,
		`"groups":["admins"],"dataMaskInfo":{"dataMaskType":"MASK_NULL"}`, 1), `"name":"name by item order","policyType":1,"isEnabled":true`,
		`"name":"name by item order","policyType":1,"isEnabled":false`, 1)
	changed = strings.Replace(changed, `"policyVersion":1`, `"policyVersion":2`, 1)
	if err := os.WriteFile(filepath.Join(s.dir, "policies.json"), []byte(changed), 0o600); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // CONNECTOR_POLICY_REFRESH_INTERVAL_SEC
	s.Snowflake.ResetLog()
	deliver(t, s, syncRequest("order-2", table("HR", "CORE", "EMPLOYEES")))
	if r := lastRecord(t, s, "order-2"); r.Status != outcome.Success || r.MasksSwapped != 1 || r.MasksRemoved != 1 ||
		r.MasksSet+r.Grants+r.Revokes != 0 || len(policyWrites(s)) != 5 { // CREATE, the swap, the unset, the two DROPs of what they released
		t.Errorf("after the change: %+v, sent %q", r, policyWrites(s))
	}
	anna = selectAll(t, userDB(t, s, "ANNA", "anna-pw", "PRIV_ANALYSTS"))
	helga = selectAll(t, userDB(t, s, "HELGA", "helga-pw", "PRIV_ADMINS"))
	if anna[0][1] != "Ada Lovelace" || anna[0][2] != "xxx-xx-6789" || helga[0][1] != "Ada Lovelace" || helga[0][2] != "" {
		t.Errorf("after the change the analyst sees %q, the admin %q", anna[0], helga[0])
	}
}
