package snowflake

import (
	"context"
	"slices"
	"testing"

	"github.com/snowsync/snowsync/internal/testing/emulator"
	"github.com/snowsync/snowsync/internal/testing/emulator/emulatortest"
)

// TestPrivilegesAgreeWithEmulator checks that the privilege table here and the emulator's, kept apart
// on purpose (the emulator is a second reading of Snowflake's documentation), agree on the object types
// both know: GRANT ALL on the emulator grants exactly the privileges that ObjectType.Allows accepts.
func TestPrivilegesAgreeWithEmulator(t *testing.T) {
	srv := emulatortest.Start(t, emulator.Options{})
	if err := srv.Exec(`
CREATE DATABASE D;
CREATE SCHEMA D.S;
CREATE TABLE D.S.T (ID INT);
CREATE VIEW D.S.V AS SELECT * FROM D.S.T;
CREATE ROLE R;`); err != nil {
		t.Fatal(err)
	}
	db, err := Open(ConnConfig{JDBCURL: "jdbc:snowflake://" + srv.Addr() + "/?account=emulator&ssl=off&role=ACCOUNTADMIN",
		Username: "admin", Password: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	for typ, id := range map[ObjectType]Identifier{
		ObjectDatabase: DatabaseID{"D"},
		ObjectSchema:   SchemaID{"D", "S"},
		ObjectTable:    ObjectID{"D", "S", "T"},
		ObjectView:     ObjectID{"D", "S", "V"},
	} {
		if _, err := db.ExecContext(ctx, "GRANT ALL ON "+string(typ)+" "+id.FullyQualifiedName()+" TO ROLE "+QuoteIdent("R")); err != nil {
			t.Fatalf("GRANT ALL ON %s: %v", typ, err)
		}
		grants, err := ShowGrantsOn(ctx, db, typ, id)
		if err != nil {
			t.Fatal(err)
		}
		var emulated []Privilege
		for _, g := range grants.Roles {
			if g.Role == "R" {
				emulated = append(emulated, g.Privilege)
			}
		}
		ours := slices.Clone(privileges[typ])
		slices.Sort(emulated)
		slices.Sort(ours)
		if !slices.Equal(emulated, ours) {
			t.Errorf("%s: the emulator grants %q for ALL; ObjectType.Allows accepts %q", typ, emulated, ours)
		}
	}
}
