package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
)

// kind is what an event of the soak asks for, and so which statuses it may end with.
type kind string

const (
	kindTable       kind = "table"       // an existing table: SUCCESS, or FAILED when faults win
	kindSchema      kind = "schema"      // a whole schema: SUCCESS or FAILED
	kindMissing     kind = "missing"     // a table that does not exist: SKIPPED, or FAILED when faults win
	kindUnsupported kind = "unsupported" // type USER_SYNC: SKIPPED, always
	kindMalformed   kind = "malformed"   // not a valid request: FAILED, always
)

// event is one event of the soak and where it was delivered.
type event struct {
	kind      kind
	id        string // the request's id; "" for malformed events
	body      []byte
	partition string
	seq       int64
}

// Soak account: schemas S0..S(soakSchemas-1) of database SOAK, each with soakTables tables.
const (
	soakSchemas = 4
	soakTables  = 25
)

// seedSQL builds the soak account: the tables, the policy roles, and grants the policies do not
// demand (revoked by the first sync of each table).
func seedSQL() string {
	var b strings.Builder
	b.WriteString("CREATE DATABASE SOAK; CREATE ROLE PRIV_ANALYSTS; CREATE ROLE PRIV_ETL; CREATE ROLE REPORTING;")
	for s := range soakSchemas {
		fmt.Fprintf(&b, "CREATE SCHEMA SOAK.S%d;", s)
		for t := range soakTables {
			fmt.Fprintf(&b, "CREATE TABLE SOAK.S%d.T%03d (ID INT);", s, t)
			if t%5 == 0 {
				fmt.Fprintf(&b, "GRANT DELETE ON TABLE SOAK.S%d.T%03d TO ROLE PRIV_ANALYSTS;", s, t)
			}
		}
	}
	return b.String()
}

// soakPolicies: analysts read every table of SOAK; etl writes the tables of S1.
const soakPolicies = `{"serviceName": "snowflake", "policyVersion": 11, "policies": [
 {"id": 1, "name": "analysts read", "isEnabled": true,
  "resources": {"database": {"values": ["SOAK"]}, "schema": {"values": ["*"]}, "table": {"values": ["*"]}},
  "policyItems": [{"accesses": [{"type": "select", "isAllowed": true}], "groups": ["analysts"]}]},
 {"id": 2, "name": "etl writes S1", "isEnabled": true,
  "resources": {"database": {"values": ["SOAK"]}, "schema": {"values": ["S1"]}, "table": {"values": ["*"]}},
  "policyItems": [{"accesses": [{"type": "insert", "isAllowed": true}, {"type": "update", "isAllowed": true}], "groups": ["etl"]}]}]}`

// generate returns n events, a share malformed of them malformed, drawn from rng.
func generate(rng *rand.Rand, n int, malformed float64) []*event {
	out := make([]*event, n)
	for i := range out {
		e := &event{id: fmt.Sprintf("soak-%06d", i)}
		switch r := rng.Float64(); {
		case r < malformed:
			e.kind, e.id, e.body = kindMalformed, "", malformedBody(rng, i)
		case r < malformed+0.06:
			e.kind = kindUnsupported
			e.body = fmt.Appendf(nil, `{"id":%q,"type":"USER_SYNC","source":"KAFKA","requestInfo":{"resources":[]}}`, e.id)
		case r < malformed+0.14:
			e.kind = kindMissing
			e.body = syncRequest(e.id, tableResource(rng.IntN(soakSchemas), fmt.Sprintf("GONE_%d", i)))
		case r < malformed+0.18:
			e.kind = kindSchema
			e.body = syncRequest(e.id, fmt.Sprintf(`{"type":"schema","values":{"database":"SOAK","schema":"S%d"}}`, rng.IntN(soakSchemas)))
		default:
			e.kind = kindTable
			var rs []string
			for range 1 + rng.IntN(3) {
				rs = append(rs, tableResource(rng.IntN(soakSchemas), fmt.Sprintf("T%03d", rng.IntN(soakTables))))
			}
			e.body = syncRequest(e.id, rs...)
		}
		out[i] = e
	}
	return out
}

func syncRequest(id string, resources ...string) []byte {
	return fmt.Appendf(nil, `{"id":%q,"type":"RESOURCE_SYNC","appType":"PS_CONNECTOR","appSubType":"SNOWFLAKE","source":"KAFKA",`+
		`"createTime":"2026-11-24T10:15:00Z","requestInfo":{"resources":[%s]}}`, id, strings.Join(resources, ","))
}

func tableResource(schema int, table string) string {
	return fmt.Sprintf(`{"type":"table","values":{"database":"SOAK","schema":"S%d","table":%q}}`, schema, table)
}

// malformedBody returns one of the bodies a hostile or broken producer sends; one in fifty is longer
// than a failure event may carry (cut, and kept whole in the body table).
func malformedBody(rng *rand.Rand, i int) []byte {
	switch rng.IntN(6) {
	case 0:
		return fmt.Appendf(nil, `{"id":"broken-%d","type":"RESOURCE_SYNC",`, i) // cut short
	case 1:
		return []byte(`{"type":7,"source":"KAFKA","requestInfo":{"resources":[]}}`) // wrong JSON type
	case 2:
		return []byte("\xff\xfe{\"id\":\"not utf-8\"}") // invalid UTF-8
	case 3:
		return []byte(`["an","array"]`)
	case 4:
		if rng.IntN(50) == 0 {
			return bytes.Repeat([]byte("\x01\x02{"), 400<<10) // 1.2 MiB, 7 MiB once JSON-escaped
		}
		return []byte(`{"id":"x"} trailing`)
	}
	return []byte(`{"type":"RESOURCE_SYNC","source":"KAFKA","requestInfo":{"resources":"SOAK.S0.T000"}}`)
}
