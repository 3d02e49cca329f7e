package snowflake_test

import (
	"fmt"

	"github.com/snowsync/snowsync/internal/snowflake"
)

func ExampleRender() {
	orders := snowflake.ObjectID{Database: "SALES", Schema: "PUBLIC", Name: "ORDERS"}
	stmts := []snowflake.Statement{
		snowflake.CreateRole{Name: "PRIV_ANALYSTS", IfNotExists: true},
		snowflake.Grant{Privileges: []snowflake.Privilege{"SELECT", "INSERT"}, On: snowflake.ObjectTable, Object: orders, Role: "PRIV_ANALYSTS"},
		snowflake.Revoke{Privileges: []snowflake.Privilege{"SELECT"}, On: snowflake.ObjectView,
			Object: snowflake.ObjectID{Database: "SALES", Schema: "my.schema", Name: `say "hi"`}, Role: "PRIV_OLD"},
	}
	for _, s := range stmts {
		fmt.Println(snowflake.Render(s))
	}
	// Output:
	// CREATE ROLE IF NOT EXISTS "PRIV_ANALYSTS"
	// GRANT SELECT, INSERT ON TABLE "SALES"."PUBLIC"."ORDERS" TO ROLE "PRIV_ANALYSTS"
	// REVOKE SELECT ON VIEW "SALES"."my.schema"."say ""hi""" FROM ROLE "PRIV_OLD"
}
