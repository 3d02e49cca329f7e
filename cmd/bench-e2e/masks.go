package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/snowsync/snowsync/internal/policy"
	"github.com/snowsync/snowsync/internal/snowflake"
)

// maskedColumn is the column a masked scenario masks.
const maskedColumn = "SSN"

// policySchema is where snowsync creates its masking policies by default (the table's own database,
// schema SNOWSYNC_POLICIES; CONNECTOR_SNOWFLAKE_MASKING_POLICY_*): the check expects them there.
const policySchema = "SNOWSYNC_POLICIES"

// maskPolicy is a Ranger data-mask policy (policyType 1) masking column SSN of the first n tables of
// every schema of BENCH for analysts, showing its last 4 characters. Identical masks share one
// Snowflake masking policy, so a masked scenario's first sync creates one and sets it on n columns
// per schema.
func maskPolicy(n int) string {
	tables := make([]string, n)
	for i := range tables {
		tables[i] = tableName(i)
	}
	names, _ := json.Marshal(tables) // strings marshal without error
	return `{"id": 2, "name": "analysts see the last 4 of SSN", "policyType": 1, "isEnabled": true,
  "resources": {"database": {"values": ["BENCH"]}, "schema": {"values": ["*"]}, "table": {"values": ` + string(names) + `},
   "column": {"values": ["` + maskedColumn + `"]}},
  "dataMaskPolicyItems": [{"accesses": [{"type": "select", "isAllowed": true}], "groups": ["analysts"],
   "dataMaskInfo": {"dataMaskType": "MASK_SHOW_LAST_4"}}]}`
}

// masks reports whether the scenario's policy masks a column of object o.
func (sc scenario) masks(o policy.Object) bool {
	return o.Type == snowflake.ObjectTable && o.Name < tableName(sc.masked)
}

// checkMasks compares the columns that masking policies are set on in BENCH, as POLICY_REFERENCES of
// every masking policy in the database lists them, with those the scenario masks: SSN of each masked
// table, by a policy in BENCH.SNOWSYNC_POLICIES. db's session needs a warehouse (POLICY_REFERENCES).
func checkMasks(ctx context.Context, db *sql.DB, sc scenario) []string {
	want := map[string]bool{}
	for _, o := range sc.objects() {
		if sc.masks(o) {
			want[o.Schema+"."+o.Name+"."+maskedColumn] = true
		}
	}
	policies, err := queryColumns(ctx, db, "SHOW MASKING POLICIES IN DATABASE "+snowflake.QuoteIdent(benchDB),
		"database_name", "schema_name", "name")
	if err != nil {
		return []string{err.Error()}
	}
	var problems, extra []string
	for _, p := range policies {
		if p[1] != policySchema {
			problems = append(problems, fmt.Sprintf("masking policy %s.%s.%s outside %s", p[0], p[1], p[2], policySchema))
		}
		id := snowflake.ObjectID{Database: p[0], Schema: p[1], Name: p[2]}
		refs, err := queryColumns(ctx, db, "SELECT * FROM TABLE("+snowflake.QuoteIdent(benchDB)+".INFORMATION_SCHEMA.POLICY_REFERENCES(POLICY_NAME => "+
			snowflake.QuoteString(id.FullyQualifiedName())+"))", "REF_SCHEMA_NAME", "REF_ENTITY_NAME", "REF_COLUMN_NAME")
		if err != nil {
			return append(problems, err.Error())
		}
		for _, r := range refs {
			col := strings.Join(r, ".")
			if !want[col] {
				extra = append(extra, col+" by "+p[2])
			}
			delete(want, col)
		}
	}
	if len(extra) > 0 {
		problems = append(problems, fmt.Sprintf("%d columns masked that Ranger does not mask, e.g. %v", len(extra), extra[:min(3, len(extra))]))
	}
	if len(want) > 0 {
		missing := make([]string, 0, len(want))
		for c := range want {
			missing = append(missing, c)
		}
		slices.Sort(missing)
		problems = append(problems, fmt.Sprintf("%d masks missing, e.g. %v", len(missing), missing[:min(3, len(missing))]))
	}
	return problems
}
