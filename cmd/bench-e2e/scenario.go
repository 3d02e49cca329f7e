package main

import (
	"fmt"
	"strings"

	"github.com/snowsync/snowsync/internal/policy"
	"github.com/snowsync/snowsync/internal/snowflake"
	"github.com/snowsync/snowsync/internal/testing/emulator"
)

// benchAccess is the access policy of every scenario: Ranger group analysts reads every table of BENCH.
// With one role and one privilege per level, "a grant" is unambiguous: one (object, role, privilege)
// triple, which is one GRANT statement for snowsync and for the naive peer alike. The role also needs
// USAGE on the database and on every schema (implied grants), so a table batch over n tables in k
// schemas of a database nobody was granted on needs n + k + 1 grants.
const benchAccess = `{"id": 1, "name": "analysts read bench", "isEnabled": true,
  "resources": {"database": {"values": ["BENCH"]}, "schema": {"values": ["*"]}, "table": {"values": ["*"]}},
  "policyItems": [{"accesses": [{"type": "select", "isAllowed": true}], "groups": ["analysts"]}]}`

// policies is the scenario's Ranger document: benchAccess and, for a masked scenario, its mask.
func (sc scenario) policies() []byte {
	list := benchAccess
	if sc.masked > 0 {
		list += ",\n" + maskPolicy(sc.masked)
	}
	return document(1, list)
}

// document is a Ranger ServicePolicies document of version holding the policies (a JSON list's items).
func document(version int, policies string) []byte {
	return []byte(fmt.Sprintf(`{"serviceName": "snowflake", "policyVersion": %d, "policies": [%s]}`, version, policies))
}

// benchDB is the database every scenario builds.
const benchDB = "BENCH"

// schemaShape is one schema of a scenario's database.
type schemaShape struct {
	name   string
	tables int
}

// scenario is one row of the benchmark: an account, what is already granted in it, and the batch.
type scenario struct {
	name    string
	schemas []schemaShape
	// granted reports whether the seed already holds the grants the policy demands on an object.
	granted func(o policy.Object) bool
	// database: the batch is one database request; otherwise one table request per table.
	database bool
	// modes are the CONNECTOR_SNOWFLAKE_LOAD_RESOURCES_KEY values snowsync runs in.
	modes []string
	// naive runs the per-object peer too.
	naive bool
	// large marks the scenario behind -large.
	large bool
	// masked is how many tables of every schema (the first ones) have a column SSN that a Ranger
	// data-mask policy masks for analysts (masks.go); 0 for a grants-only scenario.
	masked int
	// masksInPlace: a first, unmeasured delivery through snowsync sets the masks before the measured one.
	masksInPlace bool
	// baseline names the scenario this one is compared with (same request without masks); its runs in
	// the same load mode must come first.
	baseline string
	// events, when not 0, makes the batch that many events, each a table request naming every table
	// (issue 11's largest valid batch); pad lengthens every table name by that many characters.
	events, pad int
	// policyChange is how many tables version 2 of the policies (changedPolicies) changes the desired
	// grants of, when not 0: the scenario then measures that change applied to the account converged
	// under version 1, once by one Reconcile run and once by a full sync of the database (policychange.go).
	policyChange int
}

// table is the name of a schema's i-th table in this scenario; names sort in index order.
func (sc scenario) table(i int) string { return tableName(i) + strings.Repeat("X", sc.pad) }

// Issue 11's largest valid batch: host.json's maxEventBatchSize events, each as large as Event Hubs
// takes (1 MB on Standard, https://learn.microsoft.com/en-us/azure/event-hubs/event-hubs-quotas), naming
// as many tables as CONNECTOR_ON_DEMAND_V2_MAX_RESOURCES_PER_EVENT allows by default.
const (
	largestEvents    = 50
	largestResources = 5000
	largestBytes     = 1_040_000 // an event's body, below 1 MB with room for the envelope
)

// largestPad is the table-name padding that makes an event of n table requests close to bytes long.
func largestPad(n, bytes int) int {
	base := len(tableResource(policy.Object{Database: benchDB, Schema: grid(1, 0)[0].name, Name: tableName(0)})) + 1 // and a comma
	return max(0, (bytes-400)/n-base)
}

// converged reports whether the account already holds every grant and mask the policy demands when
// the measured delivery starts.
func (sc scenario) converged() bool {
	if sc.masked > 0 && !sc.masksInPlace || sc.policyChange > 0 {
		return false
	}
	for _, o := range sc.objects() {
		if !sc.granted(o) {
			return false
		}
	}
	return true
}

func all(policy.Object) bool  { return true }
func none(policy.Object) bool { return false }

// allButTables grants everything except the first n tables of every schema.
func allButTables(n int) func(policy.Object) bool {
	return func(o policy.Object) bool { return o.Type != snowflake.ObjectTable || o.Name >= tableName(n) }
}

// parentsOnly grants the database and schemas, no table.
func parentsOnly(o policy.Object) bool { return o.Type != snowflake.ObjectTable }

// tableName is the name of a schema's i-th table; names sort in index order.
func tableName(i int) string { return fmt.Sprintf("T%05d", i) }

// grid is schemas schemas of tables tables each, named S001.. and T00000...
func grid(schemas, tables int) []schemaShape {
	out := make([]schemaShape, schemas)
	for i := range out {
		out[i] = schemaShape{fmt.Sprintf("S%03d", i+1), tables}
	}
	return out
}

const (
	modeDefault = "load_multi_thread"
	modeBulk    = "load_bulk"
)

// scenarios are the rows of issue 9's table, then issue 10's masked rows; small shrinks every size, for the test.
func scenarios(small bool) []scenario {
	tables, schemas, missing := 10, 5, 2 // per schema: the 50-table batch and the missing tables of row 4
	bigSchemas, bigTables := 50, 100     // 5,000 tables
	hugeSchema, hugeRest := 20000, 80    // one schema of 20,000 tables, then 80 of 1,000: 100,000
	hugeRestTables := 1000
	masked := 10 // masked tables per schema of the 5,000-table database
	changeSchemas, changeTables := bigSchemas, bigTables
	events, resources, eventBytes := largestEvents, largestResources, largestBytes
	if small {
		events, resources, eventBytes = 3, 5, 2000
		tables, schemas, missing = 3, 2, 1
		bigSchemas, bigTables = 3, 4
		hugeSchema, hugeRest, hugeRestTables = 30, 2, 5
		masked = 2
		changeSchemas, changeTables = 3, 12 // T0001* matches T00010 and T00011 in each
	}
	changed := changeSchemas * changedPerSchema(changeTables)
	plain := fmt.Sprintf("database request, %d tables, converged", bigSchemas*bigTables)
	huge := append([]schemaShape{{"S000", hugeSchema}}, grid(hugeRest, hugeRestTables)...)
	both := []string{modeDefault, modeBulk}
	return []scenario{
		{name: "one table, parents granted", schemas: grid(1, 1), granted: parentsOnly, modes: []string{modeDefault}, naive: true},
		{name: fmt.Sprintf("%d tables over %d schemas, %d grants needed", tables*schemas, schemas, tables*schemas+schemas+1),
			schemas: grid(schemas, tables), granted: none, modes: both, naive: true},
		{name: fmt.Sprintf("same %d-table batch, converged", tables*schemas), schemas: grid(schemas, tables), granted: all, modes: both, naive: true},
		{name: fmt.Sprintf("database request, %d tables, %d grants missing", bigSchemas*bigTables, bigSchemas*missing),
			schemas: grid(bigSchemas, bigTables), granted: allButTables(missing), database: true, modes: both, naive: true},
		{name: fmt.Sprintf("brand-new database, %d tables, every grant missing", bigSchemas*bigTables),
			schemas: grid(bigSchemas, bigTables), granted: none, database: true, modes: []string{modeDefault}, naive: true},
		{name: fmt.Sprintf("database request, %d tables (one schema of %d), converged", hugeSchema+hugeRest*hugeRestTables, hugeSchema),
			schemas: huge, granted: all, database: true, modes: both, large: true},
		// Issue 10: the same converged request with masks, first while they are missing, then converged.
		{name: plain, schemas: grid(bigSchemas, bigTables), granted: all, database: true, modes: both},
		{name: fmt.Sprintf("same, %d masked columns per schema, masks missing", masked), schemas: grid(bigSchemas, bigTables),
			granted: all, database: true, modes: both, masked: masked, baseline: plain},
		{name: fmt.Sprintf("same, %d masked columns per schema, converged", masked), schemas: grid(bigSchemas, bigTables),
			granted: all, database: true, modes: both, masked: masked, masksInPlace: true, baseline: plain},
		// Issue 11: the largest valid batch, converged, for the handler's peak RSS.
		{name: fmt.Sprintf("largest valid batch: %d events of %d table requests (%d KB each), converged", events, resources, eventBytes/1000),
			schemas: grid(1, resources), granted: all, modes: []string{modeDefault}, events: events, pad: largestPad(resources, eventBytes)},
		// Issue 14: one policy change, reconciled, against a full sync of the database.
		{name: fmt.Sprintf("policy change: %d of %d tables", changed, changeSchemas*changeTables), schemas: grid(changeSchemas, changeTables),
			granted: all, database: true, policyChange: changed},
	}
}

// publicSchema is the schema Snowflake creates with every database.
const publicSchema = "PUBLIC"

// objects lists the objects the scenario's batch covers: the database, its schemas and its tables, in
// that order; a database request covers the empty PUBLIC schema too.
func (sc scenario) objects() []policy.Object {
	out := []policy.Object{{Type: snowflake.ObjectDatabase, Database: benchDB}}
	if sc.database {
		out = append(out, policy.Object{Type: snowflake.ObjectSchema, Database: benchDB, Schema: publicSchema})
	}
	for _, s := range sc.schemas {
		out = append(out, policy.Object{Type: snowflake.ObjectSchema, Database: benchDB, Schema: s.name})
	}
	for _, s := range sc.schemas {
		for i := range s.tables {
			out = append(out, policy.Object{Type: snowflake.ObjectTable, Database: benchDB, Schema: s.name, Name: sc.table(i)})
		}
	}
	return out
}

// seedChunk is how many statements one Exec call runs, to bound the parsed SQL held at once.
const seedChunk = 2000

// seed builds the scenario's account in srv: the database, schemas and tables, the policy's roles,
// and the grants sc.granted says a previous sync left. Every name goes through snowflake's quoting.
func seed(srv *emulator.Server, sc scenario, set *policy.Set) error {
	var b strings.Builder
	n := 0
	stmt := func(sql string) error {
		b.WriteString(sql)
		b.WriteString(";\n")
		if n++; n%seedChunk != 0 {
			return nil
		}
		err := srv.Exec(b.String())
		b.Reset()
		return err
	}
	for _, r := range set.Roles() {
		if err := stmt("CREATE ROLE " + snowflake.QuoteIdent(r)); err != nil {
			return err
		}
	}
	objects := sc.objects()
	for _, o := range objects {
		if o.Schema == publicSchema && o.Type == snowflake.ObjectSchema {
			continue // created with the database
		}
		if err := stmt("CREATE " + string(o.Type) + " " + fqn(o) + sc.tableColumns(o)); err != nil {
			return err
		}
	}
	for _, o := range objects {
		if !sc.granted(o) {
			continue
		}
		for _, g := range set.Desired(o) {
			if err := stmt(grantSQL(o, g.Role, []snowflake.Privilege{g.Privilege})); err != nil {
				return err
			}
		}
	}
	return srv.Exec(b.String())
}

// tableColumns is the column list a table is created with: a masked table has the masked column too.
func (sc scenario) tableColumns(o policy.Object) string {
	switch {
	case o.Type != snowflake.ObjectTable:
		return ""
	case sc.masks(o):
		return " (ID NUMBER, " + snowflake.QuoteIdent(maskedColumn) + " VARCHAR)"
	}
	return " (ID NUMBER)"
}

// fqn is the object's quoted, fully qualified name.
func fqn(o policy.Object) string {
	switch o.Type {
	case snowflake.ObjectDatabase:
		return snowflake.DatabaseID{Name: o.Database}.FullyQualifiedName()
	case snowflake.ObjectSchema:
		return snowflake.SchemaID{Database: o.Database, Name: o.Schema}.FullyQualifiedName()
	}
	return snowflake.ObjectID{Database: o.Database, Schema: o.Schema, Name: o.Name}.FullyQualifiedName()
}

// grantSQL is one GRANT statement of privileges on o to role.
func grantSQL(o policy.Object, role string, privs []snowflake.Privilege) string {
	names := make([]string, len(privs))
	for i, p := range privs {
		names[i] = string(p)
	}
	return "GRANT " + strings.Join(names, ", ") + " ON " + string(o.Type) + " " + fqn(o) + " TO ROLE " + snowflake.QuoteIdent(role)
}

// batch is the scenario's sync requests: one database request, or one table request per table. Event
// ids start with prefix.
func (sc scenario) batch(prefix string) [][]byte {
	if sc.database {
		return [][]byte{syncRequest(prefix+"-db", fmt.Sprintf(`{"type":"database","values":{"database":%q}}`, benchDB))}
	}
	var ids, resources []string
	for _, o := range sc.objects() {
		if o.Type == snowflake.ObjectTable {
			ids = append(ids, prefix+"-"+o.Schema+"-"+o.Name)
			resources = append(resources, tableResource(o))
		}
	}
	var out [][]byte
	if sc.events > 0 {
		all := strings.Join(resources, ",")
		for i := range sc.events {
			out = append(out, syncRequest(fmt.Sprintf("%s-e%02d", prefix, i), all))
		}
		return out
	}
	for i, r := range resources {
		out = append(out, syncRequest(ids[i], r))
	}
	return out
}

// tableResource is the sync request's resource for table o.
func tableResource(o policy.Object) string {
	return fmt.Sprintf(`{"type":"table","values":{"database":%q,"schema":%q,"table":%q}}`, o.Database, o.Schema, o.Name)
}

func syncRequest(id, resource string) []byte {
	return []byte(fmt.Sprintf(`{"id":%q,"type":"RESOURCE_SYNC","appType":"PS_CONNECTOR","appSubType":"SNOWFLAKE",`+
		`"source":"KAFKA","createTime":"2026-11-30T12:00:00Z","requestInfo":{"resources":[%s]}}`, id, resource))
}
