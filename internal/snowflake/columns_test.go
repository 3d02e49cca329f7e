package snowflake

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// showLayout is one way Snowflake may lay out a SHOW result: the columns of today's output
// (SHOW GRANTS ON with bcr-754's granted_by_role_type last, SHOW OBJECTS with budget, ...)
// rearranged or extended as behaviour-change bundles do.
type showLayout struct {
	name   string
	layout func(cols []string) []string // the columns, by name, in the order to answer them
}

// showLayouts are the layouts every reader must read identically: Snowflake adds columns (at
// the end, or not: bcr-1803 inserted privilege, granted_on and name before role), never
// promises an order, and its drivers may report names in another case.
var showLayouts = []showLayout{
	{"today's order", slices.Clone[[]string]},
	{"reversed", func(cols []string) []string {
		out := slices.Clone(cols)
		slices.Reverse(out)
		return out
	}},
	{"new columns first, in the middle and last", func(cols []string) []string {
		out := append([]string{"new_first"}, cols[:len(cols)/2]...)
		out = append(out, "new_middle")
		out = append(out, cols[len(cols)/2:]...)
		return append(out, "new_last")
	}},
	{"upper-case names", func(cols []string) []string {
		out := make([]string, len(cols))
		for i, c := range cols {
			out[i] = strings.ToUpper(c)
		}
		return out
	}},
}

// answer lays rows (values by column name) out as layout says; a column the rows do not
// name holds a value no reader may use.
func answer(layout []string, rows []map[string]string) fakeResult {
	r := fakeResult{cols: layout}
	for _, row := range rows {
		vals := make([]any, len(layout))
		for i, c := range layout {
			v, ok := row[strings.ToLower(c)]
			if !ok {
				v = "not for readers"
			}
			vals[i] = v
		}
		r.rows = append(r.rows, vals)
	}
	return r
}

// showReader is one reader of load.go, the query it runs, the columns of Snowflake's answer
// today and the rows, and what it must return.
type showReader struct {
	name  string
	query string
	cols  []string
	rows  []map[string]string
	read  func(q Querier) (any, error)
	want  any
}

func showReaders() []showReader {
	grantCols := []string{"created_on", "privilege", "granted_on", "name", "granted_to", "grantee_name",
		"grant_option", "granted_by", "granted_by_role_type"}
	grant := func(priv, to, grantee, option string) map[string]string {
		return map[string]string{"created_on": "2026-01-01", "privilege": priv, "granted_on": "VIEW",
			"name": "SALES.PUBLIC.V_ORDERS", "granted_to": to, "grantee_name": grantee, "grant_option": option,
			"granted_by": "SYSADMIN", "granted_by_role_type": "ROLE"}
	}
	view := ObjectID{"SALES", "PUBLIC", "V_ORDERS"}
	objCols := []string{"created_on", "name", "database_name", "schema_name", "kind", "comment", "cluster_by",
		"rows", "bytes", "owner", "retention_time", "owner_role_type"}
	obj := func(schema, name, kind string) map[string]string {
		return map[string]string{"name": name, "database_name": "SALES", "schema_name": schema, "kind": kind,
			"owner": "SYSADMIN"}
	}
	names := func(ns ...string) []map[string]string {
		out := make([]map[string]string, len(ns))
		for i, n := range ns {
			out[i] = map[string]string{"name": n, "owner": "SYSADMIN", "created_on": "2026-01-01"}
		}
		return out
	}
	ctx := context.Background()
	return []showReader{
		{
			name:  "ShowGrantsOn",
			query: `SHOW GRANTS ON VIEW "SALES"."PUBLIC"."V_ORDERS"`,
			cols:  grantCols,
			rows: []map[string]string{grant("OWNERSHIP", "ROLE", "SYSADMIN", "true"),
				grant("SELECT", "ROLE", "PRIV_A", "false"), grant("SELECT", "SHARE", "S1", "false")},
			read: func(q Querier) (any, error) { return ShowGrantsOn(ctx, q, ObjectView, view) },
			want: GrantsOn{Roles: []GrantInfo{
				{PrivilegeOwnership, ObjectView, view.FullyQualifiedName(), "SYSADMIN"},
				{"SELECT", ObjectView, view.FullyQualifiedName(), "PRIV_A"},
			}, On: ObjectView},
		},
		{
			name:  "ShowGrantsToRole",
			query: `SHOW GRANTS TO ROLE "PRIV_A"`,
			cols:  grantCols,
			rows:  []map[string]string{grant("SELECT", "ROLE", "PRIV_A", "false")},
			read: func(q Querier) (any, error) {
				var out []string
				err := ShowGrantsToRole(ctx, q, "PRIV_A", func(g GrantInfo, parts []string) error {
					out = append(out, string(g.Privilege)+" "+strings.Join(parts, "."))
					return nil
				})
				return out, err
			},
			want: []string{"SELECT SALES.PUBLIC.V_ORDERS"},
		},
		{
			name:  "ShowTables",
			query: `SHOW OBJECTS IN SCHEMA "SALES"."PUBLIC" LIMIT 10000`,
			cols:  objCols,
			rows:  []map[string]string{obj("PUBLIC", "ORDERS", "TABLE"), obj("PUBLIC", "V_ORDERS", "VIEW"), obj("PUBLIC", "MV", "MATERIALIZED_VIEW")},
			read:  func(q Querier) (any, error) { return ShowTables(ctx, q, SchemaID{"SALES", "PUBLIC"}) },
			want: []Object{{ObjectID{"SALES", "PUBLIC", "ORDERS"}, ObjectTable}, {view, ObjectView},
				{ObjectID{"SALES", "PUBLIC", "MV"}, "MATERIALIZED_VIEW"}},
		},
		{
			name:  "ShowSchemas",
			query: `SHOW SCHEMAS IN DATABASE "SALES" LIMIT 10000`,
			cols: []string{"created_on", "name", "is_default", "is_current", "database_name", "owner", "comment",
				"options", "retention_time", "owner_role_type", "budget"},
			rows: names("INFORMATION_SCHEMA", "PUBLIC", "RAW"),
			read: func(q Querier) (any, error) { return ShowSchemas(ctx, q, DatabaseID{"SALES"}) },
			want: []SchemaID{{"SALES", "PUBLIC"}, {"SALES", "RAW"}},
		},
		{
			name:  "ShowDatabases",
			query: "SHOW DATABASES LIMIT 10000",
			cols: []string{"created_on", "name", "is_default", "is_current", "origin", "owner", "comment", "options",
				"retention_time", "kind", "budget", "owner_role_type"},
			rows: names("HR", "SALES"),
			read: func(q Querier) (any, error) { return ShowDatabases(ctx, q) },
			want: []string{"HR", "SALES"},
		},
		{
			name:  "ShowRoles",
			query: "SHOW ROLES LIKE 'PRIV\\\\_%' LIMIT 10000",
			cols: []string{"created_on", "name", "is_default", "is_current", "is_inherited", "assigned_to_users",
				"granted_to_roles", "granted_roles", "owner", "comment", "owner_role_type"},
			rows: names("PRIV_A", "PRIV_B"),
			read: func(q Querier) (any, error) { return ShowRoles(ctx, q, `PRIV\_%`) },
			want: []string{"PRIV_A", "PRIV_B"},
		},
	}
}

// TestShowReadersReadByName checks that every SHOW reader of load.go finds its columns by name:
// it returns the same values whatever the order and case of the columns and whatever columns
// Snowflake adds, and refuses a result that lacks one it needs instead of reading another.
func TestShowReadersReadByName(t *testing.T) {
	for _, r := range showReaders() {
		t.Run(r.name, func(t *testing.T) {
			for _, l := range showLayouts {
				f := &fakeDB{results: map[string]fakeResult{r.query: answer(l.layout(r.cols), r.rows)}}
				got, err := r.read(newFakeDB(t, f))
				if err != nil {
					t.Fatalf("%s: %v", l.name, err)
				}
				if !reflect.DeepEqual(got, r.want) {
					t.Errorf("%s:\n got %+v\nwant %+v", l.name, got, r.want)
				}
			}
			// Without a column the reader needs, the reader fails rather than read another one.
			for _, missing := range r.cols {
				cols := slices.DeleteFunc(slices.Clone(r.cols), func(c string) bool { return c == missing })
				f := &fakeDB{results: map[string]fakeResult{r.query: answer(cols, r.rows)}}
				got, err := r.read(newFakeDB(t, f))
				if err == nil && !reflect.DeepEqual(got, r.want) {
					t.Errorf("without %s: read %+v and no error; want the same result or an error", missing, got)
				}
				if err != nil && !strings.Contains(err.Error(), "no column "+missing) {
					t.Errorf("without %s: error %v does not name the column", missing, err)
				}
			}
		})
	}
}
