package main

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/snowsync/snowsync/internal/policy"
	"github.com/snowsync/snowsync/internal/snowflake"
	"github.com/snowsync/snowsync/internal/testing/emulator"
)

// check compares the grants that managed roles hold in srv's database with those the policy demands
// on the scenario's objects, and the masked columns with those it masks (checkMasks), and checks that a
// run over a converged account changed nothing.
func check(ctx context.Context, srv *emulator.Server, sc scenario, set *policy.Set, changes int) []string {
	var problems []string
	if sc.converged() && changes != 0 {
		problems = append(problems, fmt.Sprintf("converged account, yet %d GRANT/REVOKE/CREATE/ALTER/DROP statements", changes))
	}
	want := map[string]bool{}
	for _, o := range sc.objects() {
		schema, name := o.Schema, o.Name // as OBJECT_PRIVILEGES names it
		switch o.Type {
		case snowflake.ObjectDatabase:
			schema, name = "", o.Database
		case snowflake.ObjectSchema:
			schema, name = "", o.Schema
		}
		for _, g := range set.Desired(o) {
			want[grantOf(string(o.Type), schema, name, g.Role, string(g.Privilege))] = true
		}
	}
	for _, c := range []emulator.StatementClass{emulator.ClassSelect, emulator.ClassShow} {
		srv.SetLatency(c, emulator.Latency{}) // the measured run is over
	}
	db, err := sql.Open("snowflake", srv.DSN("")+"&warehouse=BENCH_CHECK") // POLICY_REFERENCES needs one
	if err != nil {
		return append(problems, err.Error())
	}
	defer db.Close()
	problems = append(problems, checkMasks(ctx, db, sc)...)
	rows, err := queryColumns(ctx, db, "SELECT * FROM "+snowflake.QuoteIdent(benchDB)+".INFORMATION_SCHEMA.OBJECT_PRIVILEGES",
		"GRANTEE", "OBJECT_TYPE", "OBJECT_SCHEMA", "OBJECT_NAME", "PRIVILEGE_TYPE")
	if err != nil {
		return append(problems, err.Error())
	}
	var extra []string
	for _, row := range rows {
		if !(policy.Mapping{}).Manages(row[0]) {
			continue
		}
		g := grantOf(row[1], row[2], row[3], row[0], row[4])
		if !want[g] {
			extra = append(extra, g)
		}
		delete(want, g)
	}
	if len(extra) > 0 {
		problems = append(problems, fmt.Sprintf("%d grants the policy does not demand, e.g. %v", len(extra), extra[:min(3, len(extra))]))
	}
	if len(want) > 0 {
		var missing []string
		for g := range want {
			missing = append(missing, g)
		}
		slices.Sort(missing)
		problems = append(problems, fmt.Sprintf("%d grants missing, e.g. %v", len(missing), missing[:min(3, len(missing))]))
	}
	return problems
}

// grantOf names a grant as OBJECT_PRIVILEGES lists it: a table by schema and name, a schema or a
// database by name alone.
func grantOf(objectType, schema, name, role, privilege string) string {
	return fmt.Sprintf("%s %s.%s to %s: %s", objectType, schema, name, role, privilege)
}

// queryColumns runs a query and returns the named columns of every row ("" for NULL).
func queryColumns(ctx context.Context, db *sql.DB, query string, names ...string) ([][]string, error) {
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", query, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	idx := make([]int, len(names))
	for i, n := range names {
		if idx[i] = slices.Index(cols, n); idx[i] < 0 {
			return nil, fmt.Errorf("%s: no column %s in %v", query, n, cols)
		}
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var out [][]string
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]string, len(names))
		for i, j := range idx {
			row[i] = vals[j].String
		}
		out = append(out, row)
	}
	return out, rows.Err()
}
