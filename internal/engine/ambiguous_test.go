package engine

import (
	"context"
	"strings"
	"testing"

	"github.com/snowsync/snowsync/internal/request"
	"github.com/snowsync/snowsync/internal/task/outcome"
	"github.com/snowsync/snowsync/internal/testing/emulator"
	"github.com/snowsync/snowsync/internal/testing/emulator/emulatortest"
)

// A name that matches several catalog names only ignoring case (quoted identifiers "lower" and
// "LOWER") is SKIPPED as ambiguous, naming the candidates, at every level and in every load mode; an
// exact match is still synced.
func TestAmbiguousNamesAreSkipped(t *testing.T) {
	srv := emulatortest.Start(t, emulator.Options{})
	if err := srv.Exec(`CREATE DATABASE SALES; CREATE TABLE SALES.PUBLIC."lower" (ID INT); CREATE TABLE SALES.PUBLIC."LOWER" (ID INT);
		CREATE SCHEMA SALES."stage"; CREATE SCHEMA SALES."STAGE"; CREATE TABLE SALES."STAGE".RAW (ID INT);
		CREATE DATABASE "hr"; CREATE DATABASE "HR"; CREATE ROLE PRIV_ANALYSTS`); err != nil {
		t.Fatal(err)
	}
	tbl := func(db, schema, table string) request.Resource {
		return request.Resource{Kind: request.KindTable, Database: db, Schema: schema, Table: table}
	}
	tests := []struct {
		name      string
		resources []request.Resource // the last one is checked
		status    outcome.Status
		reason    string
	}{
		{"table", []request.Resource{tbl("SALES", "PUBLIC", "Lower")}, outcome.Skipped,
			`ambiguous table or view name "Lower": "LOWER", "lower" match it only ignoring case`},
		{"exact table", []request.Resource{tbl("SALES", "PUBLIC", "lower")}, outcome.Success, ""},
		{"table covered by its schema", []request.Resource{{Kind: request.KindSchema, Database: "SALES", Schema: "PUBLIC"}, tbl("SALES", "PUBLIC", "Lower")},
			outcome.Skipped, `ambiguous table or view name "Lower": "LOWER", "lower"`},
		{"schema", []request.Resource{{Kind: request.KindSchema, Database: "SALES", Schema: "Stage"}}, outcome.Skipped,
			`ambiguous schema name "Stage": "STAGE", "stage"`},
		{"table in an ambiguous schema", []request.Resource{tbl("SALES", "Stage", "RAW")}, outcome.Skipped,
			`ambiguous schema name "Stage": "STAGE", "stage"`},
		{"database", []request.Resource{{Kind: request.KindDatabase, Database: "Hr"}}, outcome.Skipped,
			`ambiguous database name "Hr": "HR", "hr"`},
	}
	for _, mode := range LoadModes {
		e := newEngine(t, srv, Options{LoadMode: mode, CreateMissingRoles: true})
		for _, tt := range tests {
			t.Run(string(mode)+"/"+tt.name, func(t *testing.T) {
				res, err := e.Run(context.Background(), tt.resources)
				if err != nil {
					t.Fatal(err)
				}
				got := res[len(res)-1]
				if got.Status != tt.status || !strings.Contains(got.Reason, tt.reason) || tt.reason == "" && got.Reason != "" {
					t.Errorf("result = %s %q, want %s %q", got.Status, got.Reason, tt.status, tt.reason)
				}
			})
		}
	}
}
