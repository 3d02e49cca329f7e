package policy_test

import (
	"fmt"
	"log"

	"github.com/snowsync/snowsync/internal/policy"
	"github.com/snowsync/snowsync/internal/snowflake"
)

func ExampleSet_Desired() {
	doc := []byte(`{
	  "serviceName": "snowflake_prod", "policyVersion": 7,
	  "policies": [{
	    "id": 3, "name": "sales public read", "isEnabled": true, "policyType": 0,
	    "resources": {
	      "database": {"values": ["SALES"]},
	      "schema":   {"values": ["PUBLIC"]},
	      "table":    {"values": ["*"]}
	    },
	    "policyItems": [{"accesses": [{"type": "select", "isAllowed": true}, {"type": "insert", "isAllowed": true}],
	                     "groups": ["analysts"]}],
	    "denyPolicyItems": [{"accesses": [{"type": "insert", "isAllowed": true}], "groups": ["analysts"]}]
	  }]
	}`)
	set, problems, err := policy.Parse(doc, policy.Mapping{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("problems:", len(problems))
	for _, o := range []policy.Object{
		{Type: snowflake.ObjectTable, Database: "SALES", Schema: "PUBLIC", Name: "ORDERS"},
		{Type: snowflake.ObjectSchema, Database: "SALES", Schema: "PUBLIC"},
		{Type: snowflake.ObjectDatabase, Database: "SALES"},
	} {
		for _, g := range set.Desired(o) {
			fmt.Printf("%-8s %s to %s, implied %v\n", o.Type, g.Privilege, g.Role, g.Implied)
		}
	}
	// Output:
	// problems: 0
	// TABLE    SELECT to PRIV_ANALYSTS, implied false
	// SCHEMA   USAGE to PRIV_ANALYSTS, implied true
	// DATABASE USAGE to PRIV_ANALYSTS, implied true
}
