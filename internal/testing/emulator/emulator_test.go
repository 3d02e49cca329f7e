package emulator_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/snowflakedb/gosnowflake"
	"github.com/snowsync/snowsync/internal/testing/emulator"
	"github.com/snowsync/snowsync/internal/testing/emulator/emulatortest"
)

const baseSeed = `
CREATE DATABASE SALES;
CREATE TABLE SALES.PUBLIC.ORDERS (ID NUMBER NOT NULL, NOTE VARCHAR);
CREATE VIEW SALES.PUBLIC.V_ORDERS AS SELECT ID FROM ORDERS;
CREATE ROLE ANALYST;
GRANT USAGE ON DATABASE SALES TO ROLE ANALYST;
GRANT USAGE ON SCHEMA SALES.PUBLIC TO ROLE ANALYST;
GRANT SELECT ON VIEW SALES.PUBLIC.V_ORDERS TO ROLE ANALYST;
CREATE USER BOB PASSWORD = 'bobpw' DEFAULT_ROLE = ANALYST;
GRANT ROLE ANALYST TO USER BOB;
`

func TestStatementClasses(t *testing.T) {
	srv := start(t, emulator.Options{}, baseSeed)
	db := openDB(t, srv.DSN("SALES"))
	statements := []struct {
		sql   string
		class emulator.StatementClass
	}{
		{"CREATE ROLE R1", emulator.ClassCreate},
		{"GRANT SELECT ON TABLE ORDERS TO ROLE R1", emulator.ClassGrant},
		{"REVOKE SELECT ON TABLE ORDERS FROM ROLE R1", emulator.ClassRevoke},
		{"SHOW ROLES LIKE 'r%'", emulator.ClassShow},
		{"SELECT 1", emulator.ClassSelect},
		{"USE WAREHOUSE WH", emulator.ClassUse},
		{"ALTER SESSION SET QUERY_TAG = 'x'", emulator.ClassAlter},
		{"DROP ROLE R1", emulator.ClassDrop},
		{"BEGIN", emulator.ClassOther},
	}
	srv.ResetLog()
	for _, s := range statements {
		mustExec(t, db, s.sql)
	}
	log := srv.Log()
	if len(log) != len(statements) {
		t.Fatalf("log has %d entries, want %d", len(log), len(statements))
	}
	for i, s := range statements {
		if log[i].Class != s.class || log[i].SQL != s.sql || log[i].ErrorNumber != 0 {
			t.Errorf("log[%d] = %+v, want class %s for %q", i, log[i], s.class, s.sql)
		}
	}
	counts := srv.Counts()
	for _, s := range statements {
		if counts[s.class] != 1 {
			t.Errorf("Counts()[%s] = %d, want 1", s.class, counts[s.class])
		}
	}
	if got := srv.SessionCounts(log[0].SessionID); !mapsEqual(got, counts) {
		t.Errorf("SessionCounts = %v, want %v", got, counts)
	}
}

func mapsEqual(a, b map[emulator.StatementClass]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestErrors(t *testing.T) {
	srv := start(t, emulator.Options{}, baseSeed)
	tests := []struct {
		name, user, sql string
		number          int
		state           string
	}{
		{"missing table", "", "SHOW GRANTS ON TABLE SALES.PUBLIC.NOPE", 2003, "02000"},
		{"missing database", "", "GRANT USAGE ON DATABASE NOPE TO ROLE ANALYST", 2003, "02000"},
		{"missing container of SHOW", "", "SHOW SCHEMAS IN DATABASE NOPE", 2043, "02000"},
		{"missing role", "", "GRANT ROLE NOPE TO USER BOB", 2003, "02000"},
		{"syntax", "", "GRANT SELECT ORDERS TO ROLE ANALYST", 1003, "42000"},
		{"unknown statement", "", "FROBNICATE ALL THE THINGS", 1003, "42000"},
		{"already exists", "", "CREATE TABLE ORDERS (ID INT)", 2002, "42710"},
		{"role already exists", "", "CREATE ROLE ANALYST", 2002, "42710"},
		{"insufficient privileges", "bob", "GRANT SELECT ON TABLE ORDERS TO ROLE ANALYST", 3001, "42501"},
		{"drop not owned", "bob", "DROP VIEW V_ORDERS", 3001, "42501"},
		{"role not granted", "", "USE ROLE PUBLIC_NOT_MINE", 2003, "02000"},
		{"insert on a view", "", "GRANT INSERT ON VIEW V_ORDERS TO ROLE ANALYST", 1003, "42000"},
		{"use missing database", "", "USE DATABASE NOPE", 2043, "02000"},
		{"no current database", "", "CREATE TABLE T (ID INT)", 90105, "22000"},
		{"statement count", "", "SELECT 1; SELECT 2", 8, "0A000"},
		{"select without privilege", "bob", "SELECT * FROM SALES.PUBLIC.ORDERS", 3001, "42501"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dsn := srv.DSN("SALES")
			if tt.name == "no current database" {
				dsn = srv.DSN("")
			}
			if tt.user == "bob" { // BOB's default role is ANALYST, which owns nothing
				dsn = strings.Replace(dsn, "admin:admin", "bob:bobpw", 1)
			}
			db := openDB(t, dsn)
			_, err := db.Exec(tt.sql)
			if err == nil {
				t.Fatalf("%s succeeded", tt.sql)
			}
			n, state := snowflakeErrorNumber(t, err)
			if n != tt.number || state != tt.state {
				t.Errorf("%s: error %d/%s (%v), want %d/%s", tt.sql, n, state, err, tt.number, tt.state)
			}
		})
	}
	t.Run("USE ROLE not granted to the user", func(t *testing.T) {
		mustExec(t, openDB(t, srv.DSN("")), "CREATE ROLE LONELY")
		_, err := openDB(t, strings.Replace(srv.DSN(""), "admin:admin", "BOB:bobpw", 1)).Exec("USE ROLE LONELY")
		if n, state := snowflakeErrorNumber(t, err); n != emulator.ErrRoleNotAssigned || state != "42501" {
			t.Errorf("error %d/%s, want 3013/42501", n, state)
		}
	})
	t.Run("Exec returns *emulator.Error", func(t *testing.T) {
		var e *emulator.Error
		if err := srv.Exec("DROP TABLE SALES.PUBLIC.NOPE"); !errors.As(err, &e) || e.Number != emulator.ErrDoesNotExist {
			t.Errorf("Exec error = %v, want *emulator.Error 002003", err)
		}
	})
}

func TestPasswordLogin(t *testing.T) {
	srv := start(t, emulator.Options{User: "owner", Password: "s3cret"}, baseSeed)
	tests := []struct {
		name, dsn string
		number    int
		role      string
	}{
		{"first user", srv.DSN(""), 0, "ACCOUNTADMIN"},
		{"other user gets its default role", strings.Replace(srv.DSN(""), "owner:s3cret", "bob:bobpw", 1), 0, "ANALYST"},
		{"role from the DSN", srv.DSN("") + "&role=SYSADMIN", 0, "SYSADMIN"},
		{"bad password", strings.Replace(srv.DSN(""), "s3cret", "wrong", 1), emulator.ErrBadCredentials, ""},
		{"unknown user", strings.Replace(srv.DSN(""), "owner:", "nobody:", 1), emulator.ErrBadCredentials, ""},
		{"role not granted", strings.Replace(srv.DSN(""), "owner:s3cret", "bob:bobpw", 1) + "&role=SYSADMIN", emulator.ErrLoginRoleNotGranted, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openDB(t, tt.dsn)
			var role string
			err := db.QueryRow("SELECT CURRENT_ROLE()").Scan(&role)
			if tt.number != 0 {
				if n, _ := snowflakeErrorNumber(t, err); n != tt.number {
					t.Errorf("login error %d (%v), want %d", n, err, tt.number)
				}
				return
			}
			if err != nil || role != tt.role {
				t.Errorf("CURRENT_ROLE() = %q, %v; want %q", role, err, tt.role)
			}
		})
	}
}

func TestJWTLogin(t *testing.T) {
	registered, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&registered.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	srv := start(t, emulator.Options{}, baseSeed)
	if err := srv.Exec(fmt.Sprintf("CREATE USER SVC; GRANT ROLE ANALYST TO USER SVC; ALTER USER SVC SET RSA_PUBLIC_KEY = '%s' DEFAULT_ROLE = ANALYST",
		base64.StdEncoding.EncodeToString(pub))); err != nil {
		t.Fatal(err)
	}
	dsnFor := func(key *rsa.PrivateKey) string {
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("svc@%s/SALES?account=emulator&protocol=http&disableTelemetry=true&authenticator=SNOWFLAKE_JWT&privateKey=%s",
			srv.Addr(), base64.URLEncoding.EncodeToString(der))
	}
	t.Run("registered key", func(t *testing.T) {
		var user, role string
		if err := openDB(t, dsnFor(registered)).QueryRow("SELECT CURRENT_USER(), CURRENT_ROLE()").Scan(&user, &role); err != nil {
			t.Fatal(err)
		}
		if user != "SVC" || role != "ANALYST" {
			t.Errorf("logged in as %s/%s, want SVC/ANALYST", user, role)
		}
	})
	t.Run("other key", func(t *testing.T) {
		err := openDB(t, dsnFor(other)).Ping()
		if n, _ := snowflakeErrorNumber(t, err); n != emulator.ErrInvalidJWT {
			t.Errorf("login error %d (%v), want 390144", n, err)
		}
	})
	t.Run("key removed", func(t *testing.T) {
		if err := srv.Exec("ALTER USER SVC UNSET RSA_PUBLIC_KEY"); err != nil {
			t.Fatal(err)
		}
		err := openDB(t, dsnFor(registered)).Ping()
		if n, _ := snowflakeErrorNumber(t, err); n != emulator.ErrInvalidJWT {
			t.Errorf("login error %d (%v), want 390144", n, err)
		}
	})
}

func TestTokenRenewal(t *testing.T) {
	srv := start(t, emulator.Options{}, baseSeed)
	db := openDB(t, srv.DSN("SALES"))
	mustExec(t, db, "USE ROLE SYSADMIN")
	srv.ExpireTokens()
	// The driver gets 390112, renews with the master token and retries in the same session.
	var role string
	if err := db.QueryRow("SELECT CURRENT_ROLE()").Scan(&role); err != nil {
		t.Fatalf("query after expiry: %v", err)
	}
	if role != "SYSADMIN" {
		t.Errorf("CURRENT_ROLE() = %s after renewal, want the session's SYSADMIN", role)
	}
	log := srv.Log()
	if len(log) != 2 || log[0].SessionID != log[1].SessionID {
		t.Errorf("log %+v: want two statements of one session", log)
	}
}

func TestIdentifiers(t *testing.T) {
	srv := start(t, emulator.Options{}, "")
	db := openDB(t, srv.DSN(""))
	for _, q := range []string{
		`CREATE DATABASE mixed`,
		`CREATE DATABASE "Quoted db"`,
		`CREATE SCHEMA "Quoted db"."we""ird"`,
		`CREATE TABLE "Quoted db"."we""ird".t1 (c1 INT)`,
		`CREATE TABLE "Quoted db"."we""ird"."t1" (c1 INT)`,
	} {
		mustExec(t, db, q)
	}
	cols, rows := mustQuery(t, db, `SHOW DATABASES LIKE '%D%'`)
	if got := column(t, cols, rows, "name"); !slices.Equal(got, []string{"MIXED", "Quoted db"}) {
		t.Errorf("SHOW DATABASES LIKE (case-insensitive) = %v", got)
	}
	cols, rows = mustQuery(t, db, `SHOW TABLES IN SCHEMA "Quoted db"."we""ird"`)
	if got := column(t, cols, rows, "name"); !slices.Equal(got, []string{"T1", "t1"}) {
		t.Errorf("tables = %v, want T1 and t1", got)
	}
	cols, rows = mustQuery(t, db, `SHOW GRANTS ON TABLE "Quoted db"."we""ird"."t1"`)
	if got := column(t, cols, rows, "name"); !slices.Equal(got, []string{`"Quoted db"."we""ird"."t1"`}) {
		t.Errorf("SHOW GRANTS name = %v", got)
	}
	if _, err := db.Exec(`SHOW GRANTS ON TABLE "Quoted db"."we""ird"."T1 "`); err == nil {
		t.Error(`"T1 " resolved; quoted names must match exactly`)
	}
}

func TestMultiStatement(t *testing.T) {
	srv := start(t, emulator.Options{}, baseSeed)
	db := openDB(t, srv.DSN("SALES"))
	ctx, err := gosnowflake.WithMultiStatement(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "CREATE ROLE M1; CREATE ROLE M2; GRANT ROLE M1 TO ROLE M2"); err != nil {
		t.Fatalf("multi-statement exec: %v", err)
	}
	rows, err := db.QueryContext(ctx, "SELECT 'a' AS X; SHOW GRANTS OF ROLE M1")
	if err != nil {
		t.Fatalf("multi-statement query: %v", err)
	}
	defer rows.Close()
	var sets [][]string
	for {
		lines, err := emulatortest.Strings(rows, "")
		if err != nil {
			t.Fatal(err)
		}
		var set []string
		for _, line := range lines {
			set = append(set, strings.Join(line, "/"))
		}
		sets = append(sets, set)
		if !rows.NextResultSet() {
			break
		}
	}
	if len(sets) != 2 || len(sets[0]) != 1 || !strings.HasPrefix(sets[0][0], "a") || len(sets[1]) != 1 || !strings.Contains(sets[1][0], "/M1/ROLE/M2/") {
		t.Errorf("result sets = %q, want [a] and the grant of M1 to M2", sets)
	}
	ctx2, _ := gosnowflake.WithMultiStatement(context.Background(), 2)
	if _, err := db.ExecContext(ctx2, "SELECT 1; SELECT 2; SELECT 3"); err == nil {
		t.Error("3 statements with MULTI_STATEMENT_COUNT=2 succeeded")
	} else if n, _ := snowflakeErrorNumber(t, err); n != emulator.ErrStatementCount {
		t.Errorf("error %d, want 8", n)
	}
	_, err = db.ExecContext(ctx, "CREATE ROLE M3; CREATE ROLE M3; CREATE ROLE M4")
	if n, _ := snowflakeErrorNumber(t, err); n != emulator.ErrAlreadyExists {
		t.Errorf("error %d, want 2002 from the second statement", n)
	}
	_, rolesRows := mustQuery(t, db, "SHOW ROLES LIKE 'M_'")
	if len(rolesRows) != 3 {
		t.Errorf("roles M_ = %v: the statements before the failing one run, those after do not", rolesRows)
	}
}

func TestConcurrentSessions(t *testing.T) {
	srv := start(t, emulator.Options{}, baseSeed)
	db, err := sql.Open("snowflake", srv.DSN("SALES"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(32)
	var wg sync.WaitGroup
	errs := make([]error, 32)
	// Every goroutine holds its own session before any returns one to the pool, where another
	// goroutine could pick it up instead of logging in.
	var opened sync.WaitGroup
	opened.Add(32)
	for i := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := db.Conn(context.Background())
			opened.Done()
			if err != nil {
				errs[i] = err
				return
			}
			defer conn.Close()
			opened.Wait()
			ctx := context.Background()
			for _, q := range []string{
				fmt.Sprintf("CREATE ROLE C%d", i),
				fmt.Sprintf("CREATE TABLE T%d (ID INT)", i),
				fmt.Sprintf("GRANT SELECT ON TABLE T%d TO ROLE C%d", i, i),
				fmt.Sprintf("GRANT SELECT ON TABLE ORDERS TO ROLE C%d", i),
				"SHOW GRANTS ON TABLE ORDERS",
				"SELECT TABLE_NAME FROM INFORMATION_SCHEMA.TABLES",
			} {
				if _, err := conn.ExecContext(ctx, q); err != nil {
					errs[i] = fmt.Errorf("%s: %w", q, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	_, rows := mustQuery(t, db, "SHOW GRANTS ON TABLE SALES.PUBLIC.ORDERS")
	if len(rows) != 33 {
		t.Errorf("ORDERS has %d grants, want ownership + 32", len(rows))
	}
	sessions := map[int64]bool{}
	for _, q := range srv.Log() {
		sessions[q.SessionID] = true
	}
	if len(sessions) < 32 {
		t.Errorf("log shows %d sessions, want at least 32", len(sessions))
	}
}

func TestShowAndInformationSchema(t *testing.T) {
	srv := start(t, emulator.Options{}, baseSeed+"CREATE SCHEMA SALES.RAW; CREATE TABLE SALES.RAW.EVENTS (ID INT);")
	admin := openDB(t, srv.DSN("SALES"))
	tests := []struct {
		query string
		args  []any
		col   string
		want  []string
	}{
		{"SHOW DATABASES", nil, "name", []string{"SALES"}},
		{"SHOW SCHEMAS", nil, "name", []string{"INFORMATION_SCHEMA", "PUBLIC", "RAW"}},
		{"SHOW TABLES IN ACCOUNT", nil, "name", []string{"ORDERS", "EVENTS"}},
		{"SHOW TABLES IN SCHEMA SALES.RAW", nil, "database_name", []string{"SALES"}},
		{"SHOW VIEWS", nil, "text", []string{"CREATE VIEW SALES.PUBLIC.V_ORDERS AS SELECT ID FROM ORDERS"}},
		{"SHOW OBJECTS IN SCHEMA PUBLIC", nil, "kind", []string{"TABLE", "VIEW"}},
		{"SHOW COLUMNS IN TABLE ORDERS", nil, "column_name", []string{"ID", "NOTE"}},
		{"SHOW ROLES LIKE 'ana%'", nil, "name", []string{"ANALYST"}},
		{"SHOW USERS LIKE 'BOB'", nil, "default_role", []string{"ANALYST"}},
		{"SELECT TABLE_NAME, TABLE_TYPE FROM SALES.INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = 'PUBLIC'", nil, "TABLE_TYPE", []string{"BASE TABLE", "VIEW"}},
		{"SELECT TABLE_NAME FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME IN (?, 'V_ORDERS')", []any{"RAW", "EVENTS"}, "TABLE_NAME", []string{"EVENTS"}},
		{"SELECT * FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_NAME ILIKE 'ord%'", nil, "TABLE_OWNER", []string{"ACCOUNTADMIN"}},
		{"SELECT SCHEMA_NAME FROM SALES.INFORMATION_SCHEMA.SCHEMATA WHERE SCHEMA_NAME != 'PUBLIC'", nil, "SCHEMA_NAME", []string{"INFORMATION_SCHEMA", "RAW"}},
		{"SELECT GRANTEE, PRIVILEGE_TYPE FROM INFORMATION_SCHEMA.TABLE_PRIVILEGES WHERE TABLE_NAME = 'V_ORDERS'", nil, "PRIVILEGE_TYPE", []string{"OWNERSHIP", "SELECT"}},
		{"SELECT OBJECT_TYPE, PRIVILEGE_TYPE, GRANTEE FROM INFORMATION_SCHEMA.OBJECT_PRIVILEGES WHERE GRANTEE = 'ANALYST'", nil, "OBJECT_TYPE", []string{"DATABASE", "SCHEMA", "VIEW"}},
		{"SELECT CURRENT_DATABASE(), CURRENT_SCHEMA() AS S", nil, "S", []string{"PUBLIC"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			cols, rows := mustQuery(t, admin, tt.query, tt.args...)
			if got := column(t, cols, rows, tt.col); !slices.Equal(got, tt.want) {
				t.Errorf("%s = %v, want %v", tt.col, got, tt.want)
			}
		})
	}
	t.Run("SHOW GRANTS columns", func(t *testing.T) {
		cols, _ := mustQuery(t, admin, "SHOW GRANTS ON DATABASE SALES")
		want := []string{"created_on", "privilege", "granted_on", "name", "granted_to", "grantee_name", "grant_option",
			"granted_by", "granted_by_role_type"} // bcr-754: granted_by_role_type last, SHOW GRANTS ON only
		if !slices.Equal(cols, want) {
			t.Errorf("columns %v, want %v", cols, want)
		}
	})
	t.Run("a role sees only what it has privileges on", func(t *testing.T) {
		bob := openDB(t, strings.Replace(srv.DSN("SALES"), "admin:admin", "bob:bobpw", 1))
		cols, rows := mustQuery(t, bob, "SHOW OBJECTS IN DATABASE SALES")
		if got := column(t, cols, rows, "name"); !slices.Equal(got, []string{"V_ORDERS"}) {
			t.Errorf("ANALYST sees %v, want only V_ORDERS", got)
		}
	})
}

func TestFaultsAndLatency(t *testing.T) {
	srv := start(t, emulator.Options{}, baseSeed)
	db := openDB(t, srv.DSN("SALES"))
	mustExec(t, db, "SELECT 1")

	t.Run("Nth statement fails", func(t *testing.T) {
		srv.AddFault(emulator.Fault{Kind: emulator.FaultError, Nth: 2, Number: 2003})
		defer srv.ClearFaults()
		mustExec(t, db, "SELECT 1")
		_, err := db.Exec("SELECT 2")
		if n, state := snowflakeErrorNumber(t, err); n != 2003 || state != "02000" {
			t.Errorf("error %d/%s, want 2003/02000", n, state)
		}
		mustExec(t, db, "SELECT 3")
	})
	t.Run("matching statements fail", func(t *testing.T) {
		srv.AddFault(emulator.Fault{Kind: emulator.FaultError, Match: regexp.MustCompile(`(?i)^GRANT .*V_ORDERS`), Number: 3001})
		defer srv.ClearFaults()
		mustExec(t, db, "GRANT SELECT ON TABLE ORDERS TO ROLE ANALYST")
		for range 2 {
			_, err := db.Exec("GRANT REFERENCES ON VIEW V_ORDERS TO ROLE ANALYST")
			if n, _ := snowflakeErrorNumber(t, err); n != 3001 {
				t.Errorf("error %d, want 3001", n)
			}
		}
		if log := srv.Log(); log[len(log)-1].ErrorNumber != 3001 {
			t.Errorf("log entry %+v, want error 3001 recorded", log[len(log)-1])
		}
	})
	t.Run("throttled and dropped requests are retried by the driver", func(t *testing.T) {
		srv.AddFault(emulator.Fault{Kind: emulator.FaultThrottle, Nth: 1})
		srv.AddFault(emulator.Fault{Kind: emulator.FaultDrop, Nth: 2})
		defer srv.ClearFaults()
		srv.ResetLog()
		mustExec(t, db, "CREATE ROLE AFTER_RETRY")
		if c := srv.Counts()[emulator.ClassCreate]; c != 1 {
			t.Errorf("CREATE ran %d times, want once", c)
		}
	})
	t.Run("a response slower than the client's timeout cancels the statement", func(t *testing.T) {
		srv.AddFault(emulator.Fault{Kind: emulator.FaultSlow, Nth: 1, Delay: time.Minute})
		defer srv.ClearFaults()
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		if _, err := db.ExecContext(ctx, "CREATE ROLE TOO_SLOW"); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("error %v, want context.DeadlineExceeded", err)
		}
		_, rows := mustQuery(t, db, "SHOW ROLES LIKE 'TOO_SLOW'")
		if len(rows) != 0 {
			t.Error("the cancelled statement ran")
		}
	})
	t.Run("latency", func(t *testing.T) {
		srv.SetLatency(emulator.ClassShow, emulator.Latency{Fixed: 30 * time.Millisecond, Jitter: 5 * time.Millisecond})
		defer srv.SetLatency(emulator.ClassShow, emulator.Latency{})
		srv.ResetLog()
		mustExec(t, db, "SHOW ROLES")
		if log := srv.Log(); len(log) != 1 || log[0].Duration < 30*time.Millisecond {
			t.Errorf("log %+v: want one SHOW that took at least the fixed latency", log)
		}
	})
}

func TestParseFlags(t *testing.T) {
	l, err := emulator.ParseLatencies("GRANT=20ms+5ms, show=10ms")
	if err != nil {
		t.Fatal(err)
	}
	want := map[emulator.StatementClass]emulator.Latency{
		emulator.ClassGrant: {Fixed: 20 * time.Millisecond, Jitter: 5 * time.Millisecond},
		emulator.ClassShow:  {Fixed: 10 * time.Millisecond},
	}
	if len(l) != len(want) || l[emulator.ClassGrant] != want[emulator.ClassGrant] || l[emulator.ClassShow] != want[emulator.ClassShow] {
		t.Errorf("ParseLatencies = %v, want %v", l, want)
	}
	if _, err := emulator.ParseLatencies("GRANT=fast"); err == nil {
		t.Error("ParseLatencies accepted a bad duration")
	}
	f, err := emulator.ParseFaultMatch(`GRANT .*=ORDERS=3001`)
	if err != nil || f.Number != 3001 || f.Match.String() != "GRANT .*=ORDERS" {
		t.Errorf("ParseFaultMatch = %+v, %v", f, err)
	}
}

func TestLoadSeed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "seed.sql")
	seed := "-- a seed\nCREATE DATABASE D1; /* block */ CREATE ROLE R1;\nGRANT USAGE ON DATABASE D1 TO ROLE R1;\n"
	if err := os.WriteFile(path, []byte(seed), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := start(t, emulator.Options{}, "")
	if err := srv.LoadSeed(path); err != nil {
		t.Fatal(err)
	}
	got := renderGrants(mustQuery(t, openDB(t, srv.DSN("")), "SHOW GRANTS TO ROLE R1"))
	if !slices.Equal(got, []string{"USAGE DATABASE D1 R1 BY ACCOUNTADMIN"}) {
		t.Errorf("grants to R1 = %v", got)
	}
	if err := srv.LoadSeed(filepath.Join(t.TempDir(), "missing.sql")); err == nil {
		t.Error("LoadSeed of a missing file succeeded")
	}
}
