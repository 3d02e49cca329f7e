package snowflake_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"database/sql"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/snowsync/snowsync/internal/secret"
	"github.com/snowsync/snowsync/internal/snowflake"
	"github.com/snowsync/snowsync/internal/testing/emulator"
	"github.com/snowsync/snowsync/internal/testing/emulator/emulatortest"
)

// These tests run the package through the real gosnowflake driver against the emulator
// (CGO_ENABLED=0 and SNOWFLAKE_DISABLE_PLATFORM_DETECTION=true, as for every driver test here).

const seed = `
CREATE DATABASE SALES;
CREATE SCHEMA SALES."my.schema";
CREATE TABLE SALES.PUBLIC.ORDERS (ID INT);
CREATE TABLE SALES."my.schema"."Or""ders" (ID INT);
CREATE VIEW SALES.PUBLIC.V_ORDERS AS SELECT * FROM SALES.PUBLIC.ORDERS;
CREATE ROLE PRIV_ANALYSTS;
CREATE ROLE "priv_lower";
GRANT USAGE ON DATABASE SALES TO ROLE PRIV_ANALYSTS;
GRANT SELECT ON TABLE SALES.PUBLIC.ORDERS TO ROLE PRIV_ANALYSTS;
GRANT SELECT ON VIEW SALES.PUBLIC.V_ORDERS TO ROLE "priv_lower";
`

// start starts an emulator with the seed catalog and returns it with a pool opened by Open from
// the seed-style settings.
func start(t *testing.T, c snowflake.ConnConfig) (*emulator.Server, snowflake.ConnConfig) {
	t.Helper()
	srv := emulatortest.Start(t, emulator.Options{})
	if err := srv.Exec(seed); err != nil {
		t.Fatal(err)
	}
	c.JDBCURL = "jdbc:snowflake://" + srv.Addr() + "/?account=emulator&ssl=off&role=ACCOUNTADMIN"
	if c.Username == "" {
		c.Username = "admin"
	}
	return srv, c
}

func open(t *testing.T, c snowflake.ConnConfig) *sql.DB {
	t.Helper()
	db, err := snowflake.Open(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestIntegrationLoad(t *testing.T) {
	_, c := start(t, snowflake.ConnConfig{Password: "admin"})
	db := open(t, c)
	ctx := context.Background()

	dbs, err := snowflake.ShowDatabases(ctx, db)
	if err != nil || !slices.Contains(dbs, "SALES") {
		t.Fatalf("ShowDatabases = %v, %v", dbs, err)
	}
	schemas, err := snowflake.ShowSchemas(ctx, db, snowflake.DatabaseID{Name: "SALES"})
	if err != nil || !slices.Contains(schemas, snowflake.SchemaID{Database: "SALES", Name: "my.schema"}) ||
		slices.Contains(schemas, snowflake.SchemaID{Database: "SALES", Name: "INFORMATION_SCHEMA"}) {
		t.Errorf("ShowSchemas = %v, %v", schemas, err)
	}
	objs, err := snowflake.ShowTables(ctx, db, snowflake.DatabaseID{Name: "SALES"})
	wantObjs := []snowflake.Object{
		{ID: snowflake.ObjectID{Database: "SALES", Schema: "PUBLIC", Name: "ORDERS"}, Kind: snowflake.ObjectTable},
		{ID: snowflake.ObjectID{Database: "SALES", Schema: "PUBLIC", Name: "V_ORDERS"}, Kind: snowflake.ObjectView},
		{ID: snowflake.ObjectID{Database: "SALES", Schema: "my.schema", Name: `Or"ders`}, Kind: snowflake.ObjectTable},
	}
	sortObjects(objs)
	sortObjects(wantObjs)
	if err != nil || !reflect.DeepEqual(objs, wantObjs) {
		t.Errorf("ShowTables =\n%v, %v\nwant\n%v", objs, err, wantObjs)
	}

	view := snowflake.ObjectID{Database: "SALES", Schema: "PUBLIC", Name: "V_ORDERS"}
	grants, err := snowflake.ShowGrantsOn(ctx, db, snowflake.ObjectView, view)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(grants.Roles, func(g snowflake.GrantInfo) bool {
		return g.Role == "priv_lower" && g.Privilege == "SELECT" && g.On == snowflake.ObjectView && g.Object == view.FullyQualifiedName()
	}) {
		t.Errorf("ShowGrantsOn(view) = %+v; want SELECT to priv_lower", grants)
	}
	odd := snowflake.ObjectID{Database: "SALES", Schema: "my.schema", Name: `Or"ders`}
	grants, err = snowflake.ShowGrantsOn(ctx, db, snowflake.ObjectTable, odd)
	if err != nil || len(grants.Roles) == 0 || grants.Roles[0].Object != odd.FullyQualifiedName() {
		t.Errorf("ShowGrantsOn(%s) = %+v, %v", odd, grants, err)
	}
	_, err = snowflake.ShowGrantsOn(ctx, db, snowflake.ObjectTable, snowflake.ObjectID{Database: "SALES", Schema: "PUBLIC", Name: "GONE"})
	if !snowflake.IsNotExist(err) || snowflake.Code(err) != "002003" {
		t.Errorf("missing table: %v (code %q); want 002003", err, snowflake.Code(err))
	}

	roles, err := snowflake.ShowRoles(ctx, db, "PRIV%")
	if err != nil || !slices.Contains(roles, "PRIV_ANALYSTS") || !slices.Contains(roles, "priv_lower") {
		t.Errorf("ShowRoles = %v, %v", roles, err)
	}

	cat, err := snowflake.LoadCatalog(ctx, db, snowflake.DatabaseID{Name: "SALES"}, snowflake.CatalogScope{})
	if err != nil {
		t.Fatal(err)
	}
	sortObjects(cat.Objects)
	if !reflect.DeepEqual(cat.Objects, wantObjs) {
		t.Errorf("LoadCatalog objects =\n%v\nwant\n%v", cat.Objects, wantObjs)
	}
	for _, want := range []snowflake.GrantInfo{
		{Privilege: "USAGE", On: snowflake.ObjectDatabase, Object: `"SALES"`, Role: "PRIV_ANALYSTS"},
		{Privilege: "SELECT", On: snowflake.ObjectTable, Object: `"SALES"."PUBLIC"."ORDERS"`, Role: "PRIV_ANALYSTS"},
		{Privilege: "SELECT", On: snowflake.ObjectView, Object: view.FullyQualifiedName(), Role: "priv_lower"},
	} {
		if !slices.Contains(cat.Grants, want) {
			t.Errorf("LoadCatalog grants lack %+v: %+v", want, cat.Grants)
		}
	}
}

func sortObjects(objs []snowflake.Object) {
	slices.SortFunc(objs, func(a, b snowflake.Object) int {
		return strings.Compare(a.ID.FullyQualifiedName(), b.ID.FullyQualifiedName())
	})
}

func TestIntegrationExecIsolatesFailure(t *testing.T) {
	srv, c := start(t, snowflake.ConnConfig{Password: "admin"})
	db := open(t, c)
	ctx := context.Background()
	orders := snowflake.ObjectID{Database: "SALES", Schema: "PUBLIC", Name: "ORDERS"}
	odd := snowflake.ObjectID{Database: "SALES", Schema: "my.schema", Name: `Or"ders`}
	stmts := []snowflake.Statement{
		snowflake.Grant{Privileges: []snowflake.Privilege{"SELECT", "INSERT"}, On: snowflake.ObjectTable, Object: orders, Role: "PRIV_NEW"},
		snowflake.Grant{Privileges: []snowflake.Privilege{"SELECT"}, On: snowflake.ObjectTable, Object: snowflake.ObjectID{Database: "SALES", Schema: "PUBLIC", Name: "GONE"}, Role: "PRIV_NEW"},
		snowflake.Grant{Privileges: []snowflake.Privilege{"SELECT"}, On: snowflake.ObjectTable, Object: odd, Role: "PRIV_NEW"},
		snowflake.Revoke{Privileges: []snowflake.Privilege{"SELECT"}, On: snowflake.ObjectTable, Object: orders, Role: "PRIV_ANALYSTS"},
		snowflake.CreateRole{Name: "PRIV_NEW", IfNotExists: true},
	}
	srv.ResetLog()
	errs := snowflake.NewSQLExecutor(db, &snowflake.ExecOptions{Concurrency: 1}).Exec(ctx, stmts)
	for i, err := range errs {
		if (i == 1) != (err != nil) {
			t.Errorf("statement %d (%s): %v", i, snowflake.Render(stmts[i]), err)
		}
	}
	if !snowflake.IsNotExist(errs[1]) {
		t.Errorf("grant on a missing table: %v; want 002003", errs[1])
	}

	has := func(id snowflake.ObjectID, role string, priv snowflake.Privilege) bool {
		g, err := snowflake.ShowGrantsOn(ctx, db, snowflake.ObjectTable, id)
		if err != nil {
			t.Fatal(err)
		}
		return slices.ContainsFunc(g.Roles, func(g snowflake.GrantInfo) bool { return g.Role == role && g.Privilege == priv })
	}
	if !has(orders, "PRIV_NEW", "SELECT") || !has(orders, "PRIV_NEW", "INSERT") || !has(odd, "PRIV_NEW", "SELECT") {
		t.Error("grants around the failing statement were not applied")
	}
	if has(orders, "PRIV_ANALYSTS", "SELECT") {
		t.Error("the revoke was not applied")
	}
	// One request per statement, the create first: 3 GRANTs, 1 REVOKE.
	counts := srv.Counts()
	if counts[emulator.ClassCreate] != 1 || counts[emulator.ClassGrant] != 3 || counts[emulator.ClassRevoke] != 1 {
		t.Errorf("counts = %v", counts)
	}
}

func TestIntegrationRetryTransient(t *testing.T) {
	srv, c := start(t, snowflake.ConnConfig{Password: "admin"})
	db := open(t, c)
	orders := snowflake.ObjectID{Database: "SALES", Schema: "PUBLIC", Name: "ORDERS"}
	// Statement timeout once, then the grant goes through.
	srv.AddFault(emulator.Fault{Kind: emulator.FaultError, Number: 630, Times: 1})
	errs := snowflake.NewSQLExecutor(db, &snowflake.ExecOptions{Retry: snowflake.Retry{Backoff: 1, MaxBackoff: 1}}).Exec(context.Background(), []snowflake.Statement{
		snowflake.Grant{Privileges: []snowflake.Privilege{"DELETE"}, On: snowflake.ObjectTable, Object: orders, Role: "PRIV_ANALYSTS"},
	})
	if errs[0] != nil {
		t.Fatalf("transient error not retried: %v", errs[0])
	}
	srv.AddFault(emulator.Fault{Kind: emulator.FaultError, Number: 3001})
	errs = snowflake.NewSQLExecutor(db, &snowflake.ExecOptions{Retry: snowflake.Retry{Backoff: 1, MaxBackoff: 1}}).Exec(context.Background(), []snowflake.Statement{
		snowflake.Grant{Privileges: []snowflake.Privilege{"UPDATE"}, On: snowflake.ObjectTable, Object: orders, Role: "PRIV_ANALYSTS"},
	})
	if snowflake.Code(errs[0]) != "003001" || snowflake.IsTransient(errs[0]) {
		t.Errorf("permanent error: %v", errs[0])
	}
	grants := 0
	for _, q := range srv.Log() {
		if q.Class == emulator.ClassGrant {
			grants++
		}
	}
	if grants != 3 {
		t.Errorf("%d GRANT statements logged; want 3 (one retry, no retry of the permanent error)", grants)
	}
}

func TestIntegrationLoginRefusedIsSystemic(t *testing.T) {
	srv, c := start(t, snowflake.ConnConfig{Password: "wrong"})
	srv.ResetLog()
	db, err := snowflake.Open(c)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = snowflake.ShowDatabases(context.Background(), db)
	if !snowflake.IsSystemic(err) || snowflake.Code(err) != "390100" || strings.Contains(err.Error(), "wrong") {
		t.Errorf("bad password: %v (code %q); want systemic 390100 without the password", err, snowflake.Code(err))
	}
	errs := snowflake.NewSQLExecutor(db, nil).Exec(context.Background(), []snowflake.Statement{
		snowflake.CreateRole{Name: "A", IfNotExists: true}, snowflake.CreateRole{Name: "B", IfNotExists: true},
	})
	for _, err := range errs {
		if !snowflake.IsSystemic(err) {
			t.Errorf("Exec after a refused login: %v; want systemic", err)
		}
	}
	if n := len(srv.Log()); n != 0 {
		t.Errorf("%d statements ran without a session", n)
	}
}

func TestIntegrationKeyPair(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	pemText := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	srv, c := start(t, snowflake.ConnConfig{PrivateKey: secret.String(base64.StdEncoding.EncodeToString([]byte(pemText)))})
	if err := srv.Exec("ALTER USER admin SET RSA_PUBLIC_KEY = " + snowflake.QuoteString(base64.StdEncoding.EncodeToString(pub))); err != nil {
		t.Fatal(err)
	}
	t.Run("registered key", func(t *testing.T) {
		if _, err := snowflake.ShowDatabases(context.Background(), open(t, c)); err != nil {
			t.Errorf("key-pair login: %v", err)
		}
	})

	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	c.PrivateKey = secret.String(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(other)}))
	_, err = snowflake.ShowDatabases(context.Background(), open(t, c))
	if !snowflake.IsSystemic(err) || snowflake.Code(err) != "390144" {
		t.Errorf("wrong key: %v; want systemic 390144", err)
	}
	if errors.Is(err, snowflake.ErrEncryptedKey) {
		t.Error("wrong key reported as an encrypted key")
	}
}
