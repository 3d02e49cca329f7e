package datapolicy_test

import (
	"fmt"

	"github.com/snowsync/snowsync/internal/datapolicy"
	"github.com/snowsync/snowsync/internal/policy"
)

func Example() {
	o := datapolicy.Options{Database: "SNOWSYNC", Schema: "POLICIES"}
	mask := policy.Mask{Cases: []policy.MaskCase{
		{Role: "PRIV_ADMINS", Type: policy.MaskNone, Policy: `"ssn" (id 7)`},
		{Role: "PRIV_ANALYSTS", Type: policy.MaskShowLast4, Policy: `"ssn" (id 7)`},
	}}
	p, err := datapolicy.ForColumn(datapolicy.Column{Name: "SSN", Type: "VARCHAR(11)"}, mask, o)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Body)

	filter := policy.RowFilter{Cases: []policy.FilterCase{{Role: "PRIV_EU", Expr: "region = 'EU'", Policy: `"regions" (id 8)`}}}
	cols := []datapolicy.Column{{Name: "ID", Type: "NUMBER(38,0)"}, {Name: "REGION", Type: "VARCHAR(16777216)"}}
	r, on, err := datapolicy.ForTable(cols, filter, o)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Body, on)
	// Output:
	// CASE WHEN IS_ROLE_IN_SESSION('PRIV_ADMINS') THEN "VAL" WHEN IS_ROLE_IN_SESSION('PRIV_ANALYSTS') THEN REGEXP_REPLACE(LEFT("VAL", GREATEST(LENGTH("VAL") - 4, 0)), '[A-Za-z0-9]', 'x') || RIGHT("VAL", 4) ELSE "VAL" END
	// CASE WHEN IS_ROLE_IN_SESSION('PRIV_EU') THEN ("REGION" = 'EU') ELSE TRUE END [REGION]
}
