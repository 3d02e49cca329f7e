package snowflake

import (
	"errors"
	"testing"
)

func TestRender(t *testing.T) {
	orders := ObjectID{"SALES", "PUBLIC", "ORDERS"}
	for _, tc := range []struct {
		name string
		stmt Statement
		want string
	}{
		{"grant on database", Grant{[]Privilege{"USAGE", "MONITOR"}, ObjectDatabase, DatabaseID{"SALES"}, "PRIV_ANALYSTS"},
			`GRANT USAGE, MONITOR ON DATABASE "SALES" TO ROLE "PRIV_ANALYSTS"`},
		{"grant on schema", Grant{[]Privilege{"USAGE", "CREATE TABLE"}, ObjectSchema, SchemaID{"SALES", "PUBLIC"}, "PRIV_ANALYSTS"},
			`GRANT USAGE, CREATE TABLE ON SCHEMA "SALES"."PUBLIC" TO ROLE "PRIV_ANALYSTS"`},
		{"grant on table", Grant{[]Privilege{"SELECT", "INSERT"}, ObjectTable, orders, "PRIV_ANALYSTS"},
			`GRANT SELECT, INSERT ON TABLE "SALES"."PUBLIC"."ORDERS" TO ROLE "PRIV_ANALYSTS"`},
		{"grant on view", Grant{[]Privilege{"SELECT"}, ObjectView, ObjectID{"SALES", "PUBLIC", "V_ORDERS"}, "PRIV_USER_JDOE"},
			`GRANT SELECT ON VIEW "SALES"."PUBLIC"."V_ORDERS" TO ROLE "PRIV_USER_JDOE"`},
		{"names with quotes, dots, spaces, lower case, unicode",
			Grant{[]Privilege{"SELECT"}, ObjectTable, ObjectID{`we"ird`, "my.schema", "order items 表"}, `priv_"lower"`},
			`GRANT SELECT ON TABLE "we""ird"."my.schema"."order items 表" TO ROLE "priv_""lower"""`},
		{"revoke", Revoke{Privileges: []Privilege{"DELETE"}, On: ObjectTable, Object: orders, Role: "PRIV_ETL"},
			`REVOKE DELETE ON TABLE "SALES"."PUBLIC"."ORDERS" FROM ROLE "PRIV_ETL"`},
		{"revoke cascade", Revoke{[]Privilege{"SELECT"}, ObjectView, ObjectID{"S", "P", "V"}, "PRIV_X", true},
			`REVOKE SELECT ON VIEW "S"."P"."V" FROM ROLE "PRIV_X" CASCADE`},
		{"create role", CreateRole{Name: "PRIV_ANALYSTS", IfNotExists: true}, `CREATE ROLE IF NOT EXISTS "PRIV_ANALYSTS"`},
		{"create role plain", CreateRole{Name: "Priv ünïcode"}, `CREATE ROLE "Priv ünïcode"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Render(tc.stmt); got != tc.want {
				t.Errorf("Render =\n %s\nwant\n %s", got, tc.want)
			}
			if err := tc.stmt.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	orders := ObjectID{"SALES", "PUBLIC", "ORDERS"}
	for _, tc := range []struct {
		name string
		stmt Statement
	}{
		{"ownership", Grant{[]Privilege{PrivilegeOwnership}, ObjectTable, orders, "R"}},
		{"insert on a view", Grant{[]Privilege{"INSERT"}, ObjectView, orders, "R"}},
		{"select on a database", Revoke{Privileges: []Privilege{"SELECT"}, On: ObjectDatabase, Object: DatabaseID{"D"}, Role: "R"}},
		{"no privileges", Grant{nil, ObjectTable, orders, "R"}},
		{"no role", Grant{[]Privilege{"SELECT"}, ObjectTable, orders, ""}},
		{"schema id for a table", Grant{[]Privilege{"SELECT"}, ObjectTable, SchemaID{"D", "S"}, "R"}},
		{"no object", Grant{[]Privilege{"USAGE"}, ObjectDatabase, nil, "R"}},
		{"empty name part", Grant{[]Privilege{"USAGE"}, ObjectSchema, SchemaID{"D", ""}, "R"}},
		{"unknown type", Grant{[]Privilege{"USAGE"}, "WAREHOUSE", DatabaseID{"W"}, "R"}},
		{"role without name", CreateRole{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.stmt.Validate(); !errors.Is(err, ErrInvalidStatement) {
				t.Errorf("Validate() = %v; want ErrInvalidStatement", err)
			}
		})
	}
}
