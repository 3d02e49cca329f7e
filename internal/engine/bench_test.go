package engine

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/snowsync/snowsync/internal/request"
	"github.com/snowsync/snowsync/internal/snowflake"
	"github.com/snowsync/snowsync/internal/task/outcome"
	"github.com/snowsync/snowsync/internal/testing/emulator"
	"github.com/snowsync/snowsync/internal/testing/emulator/emulatortest"
)

// seedTables creates SALES with schemas S0..S(n-1), each holding perSchema tables T0000...
func seedTables(b *testing.B, srv *emulator.Server, schemas, perSchema int) {
	var sql strings.Builder
	sql.WriteString("CREATE DATABASE SALES;")
	for s := range schemas {
		schema := snowflake.SchemaID{Database: "SALES", Name: fmt.Sprintf("S%d", s)}
		sql.WriteString("CREATE SCHEMA " + schema.FullyQualifiedName() + ";")
		for t := range perSchema {
			table := snowflake.ObjectID{Database: "SALES", Schema: schema.Name, Name: fmt.Sprintf("T%04d", t)}
			sql.WriteString("CREATE TABLE " + table.FullyQualifiedName() + " (ID INT);")
		}
	}
	if err := srv.Exec(sql.String()); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkBatch50Tables syncs a batch of 50 table requests over 5 schemas (first run grants, later
// runs are converged) and reports the Snowflake queries per batch.
func BenchmarkBatch50Tables(b *testing.B) {
	for _, mode := range []LoadMode{"load", "load_multi_thread", "load_bulk"} {
		b.Run(string(mode), func(b *testing.B) {
			srv := emulatortest.Start(b, emulator.Options{})
			seedTables(b, srv, 5, 10)
			e := newEngine(b, srv, Options{LoadMode: mode, CreateMissingRoles: true})
			var res []request.Resource
			for s := range 5 {
				for t := range 10 {
					res = append(res, request.Resource{Kind: request.KindTable, Database: "SALES", Schema: fmt.Sprintf("S%d", s), Table: fmt.Sprintf("T%04d", t)})
				}
			}
			run(b, srv, e, res)
		})
	}
}

// BenchmarkDatabase5000Tables syncs one database request covering 5,000 tables in 50 schemas.
func BenchmarkDatabase5000Tables(b *testing.B) {
	for _, mode := range []LoadMode{"load_multi_thread", "load_bulk"} {
		b.Run(string(mode), func(b *testing.B) {
			srv := emulatortest.Start(b, emulator.Options{})
			seedTables(b, srv, 50, 100)
			e := newEngine(b, srv, Options{LoadMode: mode, CreateMissingRoles: true})
			run(b, srv, e, []request.Resource{{Kind: request.KindDatabase, Database: "SALES"}})
		})
	}
}

func run(b *testing.B, srv *emulator.Server, e *Engine, res []request.Resource) {
	ctx := context.Background()
	if _, err := e.Run(ctx, res); err != nil { // first run applies the grants; measured runs are converged
		b.Fatal(err)
	}
	srv.ResetLog()
	for b.Loop() {
		out, err := e.Run(ctx, res)
		if err != nil || out[0].Status != outcome.Success {
			b.Fatalf("%v %+v", err, out[0])
		}
	}
	b.ReportMetric(float64(len(srv.Log()))/float64(b.N), "queries/op")
}
