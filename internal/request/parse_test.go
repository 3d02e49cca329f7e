package request

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// seed is the payload of DESIGN §2, accepted exactly.
const seed = `{
  "id": "4b1f6c1e-task-42",
  "type": "RESOURCE_SYNC",
  "appType": "PS_CONNECTOR",
  "appSubType": "SNOWFLAKE",
  "source": "KAFKA",
  "createTime": "2026-11-24T10:15:00Z",
  "requestInfo": {
    "resources": [
      {"type": "database", "values": {"database": "SALES"}},
      {"type": "schema",   "values": {"database": "SALES", "schema": "PUBLIC"}},
      {"type": "table",    "values": {"database": "SALES", "schema": "PUBLIC", "table": "ORDERS"}},
      {"type": "view",     "values": {"database": "SALES", "schema": "PUBLIC", "table": "V_ORDERS"}}
    ]
  }
}`

// withResources builds a valid request around a resources array literal.
func withResources(resources string) string {
	return `{"id":"t1","type":"RESOURCE_SYNC","appSubType":"snowflake","source":"API","requestInfo":{"resources":` + resources + `}}`
}

func TestParseSeed(t *testing.T) {
	p, rej := Parse([]byte(seed))
	if rej != nil {
		t.Fatalf("rejected: %v", rej)
	}
	want := Request{
		ID: ptr("4b1f6c1e-task-42"), Type: "RESOURCE_SYNC", AppType: "PS_CONNECTOR", AppSubType: "SNOWFLAKE",
		Source: "KAFKA", CreateTime: "2026-11-24T10:15:00Z",
		Resources: []Resource{
			{Kind: KindDatabase, Database: "SALES"},
			{Kind: KindSchema, Database: "SALES", Schema: "PUBLIC"},
			{Kind: KindTable, Database: "SALES", Schema: "PUBLIC", Table: "ORDERS"},
			{Kind: KindView, Database: "SALES", Schema: "PUBLIC", Table: "V_ORDERS"},
		},
	}
	if !reflect.DeepEqual(p.Request, want) || len(p.Invalid) != 0 {
		t.Errorf("Parse(seed) =\n%+v\nwant\n%+v", p, want)
	}
}

func TestParseOutcomes(t *testing.T) {
	big := make([]string, 0, 13000)
	for i := range cap(big) {
		big = append(big, fmt.Sprintf(`{"type":"table","values":{"database":"SALES","schema":"PUBLIC","table":"T%05d"}}`, i))
	}
	bigBody := withResources("[" + strings.Join(big, ",") + "]")
	if len(bigBody) < 1<<20 {
		t.Fatalf("big body is %d bytes, want at least 1 MiB", len(bigBody))
	}
	tests := []struct {
		name       string
		body       string
		rejected   bool
		fault      Fault
		reason     string // substring of the reason
		valid      int    // accepted resources
		invalid    int    // resources skipped by validation
		wantID     *string
		firstValid Resource
	}{
		{name: "invalid JSON", body: `{"type": "RESOURCE_SYNC",`, rejected: true, fault: BadJSON, reason: "unexpected end of JSON input"},
		{name: "not JSON at all", body: `not json`, rejected: true, fault: BadJSON, reason: "invalid character 'o'"},
		{name: "empty body", body: ``, rejected: true, fault: BadJSON, reason: "body is empty"},
		{name: "JSON array", body: `[{"type":"RESOURCE_SYNC"}]`, rejected: true, fault: BadSchema, reason: "must be a JSON object, got array"},
		{name: "JSON string", body: `"RESOURCE_SYNC"`, rejected: true, fault: BadSchema, reason: "got string"},
		{name: "JSON null", body: `null`, rejected: true, fault: BadSchema, reason: "got null"},
		{name: "resources as a string", body: withResources(`"SALES.PUBLIC.ORDERS"`), rejected: true, fault: BadSchema,
			reason: `field "requestInfo.resources" must be an array, got string`},
		{name: "id as a number", body: `{"id":42,"type":"RESOURCE_SYNC","source":"API","requestInfo":{"resources":[]}}`, rejected: true, fault: BadSchema,
			reason: `field "id" must be a string, got number`},
		{name: "identifier as a number", body: withResources(`[{"type":"database","values":{"database":7}}]`), rejected: true, fault: BadSchema,
			reason: `field "requestInfo.resources.values" must be a string, got number`},
		{name: "invalid UTF-8", body: "{\"id\":\"\xff\xfe\",\"type\":\"RESOURCE_SYNC\"}", rejected: true, fault: BadEncoding, reason: "not valid UTF-8"},
		{name: "empty resources", body: withResources(`[]`), rejected: true, fault: Unsupported, reason: "requestInfo.resources is empty"},
		{name: "no requestInfo", body: `{"type":"RESOURCE_SYNC","source":"API"}`, rejected: true, fault: Unsupported, reason: `"requestInfo.resources" is missing`},
		{name: "no type", body: `{"source":"API","requestInfo":{"resources":[]}}`, rejected: true, fault: Unsupported, reason: `"type" is missing`},
		{name: "no source", body: `{"type":"RESOURCE_SYNC","requestInfo":{"resources":[{"type":"database","values":{"database":"A"}}]}}`,
			rejected: true, fault: Unsupported, reason: `"source" is missing`},
		{name: "type not RESOURCE_SYNC", body: `{"type":"USER_SYNC","source":"API","requestInfo":{"resources":[]}}`, rejected: true, fault: Unsupported,
			reason: `type "USER_SYNC" is not supported`},
		{name: "appSubType BIGQUERY", body: `{"type":"RESOURCE_SYNC","appSubType":"BIGQUERY","source":"API","requestInfo":{"resources":[{"type":"database","values":{"database":"A"}}]}}`,
			rejected: true, fault: Unsupported, reason: `appSubType "BIGQUERY" is not for this connector`},
		{name: "unknown resource type", body: withResources(`[{"type":"stage","values":{"database":"A","schema":"B","stage":"S"}}]`),
			rejected: true, fault: Unsupported, reason: `resource type "stage" is not supported`},
		{name: "table without schema", body: withResources(`[{"type":"table","values":{"database":"A","table":"T"}}]`),
			rejected: true, fault: Unsupported, reason: `table is missing its "schema" identifier`},
		{name: "schema with blank database", body: withResources(`[{"type":"schema","values":{"database":"  ","schema":"B"}}]`),
			rejected: true, fault: Unsupported, reason: `schema is missing its "database" identifier`},
		{name: "no id", body: `{"type":"RESOURCE_SYNC","source":"API","requestInfo":{"resources":[{"type":"database","values":{"database":"A"}}]}}`,
			valid: 1, wantID: nil, firstValid: Resource{Kind: KindDatabase, Database: "A"}},
		{name: "id null", body: `{"id":null,"type":"RESOURCE_SYNC","source":"API","requestInfo":{"resources":[{"type":"DATABASE","values":{"database":"A"}}]}}`,
			valid: 1, wantID: nil, firstValid: Resource{Kind: KindDatabase, Database: "A"}},
		{name: "mixed valid and invalid resources", body: withResources(`[{"type":"table","values":{"database":"A","schema":"B","table":"T"}},
			{"type":"table","values":{"database":"A"}},{"type":"function","values":{"database":"A"}}]`),
			valid: 1, invalid: 2, wantID: ptr("t1"), firstValid: Resource{Kind: KindTable, Database: "A", Schema: "B", Table: "T"}},
		{name: "view given with table key", body: withResources(`[{"type":"View","values":{"database":"A","schema":"B","table":"V"}}]`),
			valid: 1, wantID: ptr("t1"), firstValid: Resource{Kind: KindView, Database: "A", Schema: "B", Table: "V"}},
		{name: "view given with view key", body: withResources(`[{"type":"view","values":{"database":"A","schema":"B","view":"V"}}]`),
			valid: 1, wantID: ptr("t1"), firstValid: Resource{Kind: KindView, Database: "A", Schema: "B", Table: "V"}},
		{name: "view named twice", body: withResources(`[{"type":"view","values":{"database":"A","schema":"B","table":"V","view":"W"}}]`),
			rejected: true, fault: Unsupported, reason: `view named twice`},
		{name: "quoted-style names kept verbatim", body: withResources(`[{"type":"table","values":{"database":"my db","schema":"\"x\"","table":"t.1"}}]`),
			valid: 1, wantID: ptr("t1"), firstValid: Resource{Kind: KindTable, Database: "my db", Schema: `"x"`, Table: "t.1"}},
		{name: "1 MiB body", body: bigBody, valid: len(big), wantID: ptr("t1"),
			firstValid: Resource{Kind: KindTable, Database: "SALES", Schema: "PUBLIC", Table: "T00000"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, rej := Parse([]byte(tt.body))
			if tt.rejected {
				if rej == nil {
					t.Fatalf("accepted %+v; want fault %d", p, tt.fault)
				}
				if rej.Fault != tt.fault || !strings.Contains(rej.Reason, tt.reason) {
					t.Fatalf("rejection = %+v; want fault %d, reason containing %q", rej, tt.fault, tt.reason)
				}
				return
			}
			if rej != nil {
				t.Fatalf("rejected: %v", rej)
			}
			if len(p.Resources) != tt.valid || len(p.Invalid) != tt.invalid {
				t.Fatalf("got %d valid, %d invalid; want %d, %d (%+v)", len(p.Resources), len(p.Invalid), tt.valid, tt.invalid, p.Invalid)
			}
			if !reflect.DeepEqual(p.ID, tt.wantID) {
				t.Errorf("ID = %v, want %v", p.ID, tt.wantID)
			}
			if p.Resources[0] != tt.firstValid {
				t.Errorf("first resource = %+v, want %+v", p.Resources[0], tt.firstValid)
			}
			for _, inv := range p.Invalid {
				if inv.Reason == "" {
					t.Errorf("invalid resource without a reason: %+v", inv)
				}
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(seed))
	f.Add([]byte(`[]`))
	f.Add([]byte(withResources(`[{"type":"view","values":{"view":"V"}}]`)))
	f.Fuzz(func(t *testing.T, body []byte) {
		p, rej := Parse(body)
		if rej == nil && len(p.Resources) == 0 {
			t.Fatalf("accepted a request without resources: %q", body)
		}
		if rej != nil && rej.Reason == "" {
			t.Fatalf("bad rejection %+v for %q", rej, body)
		}
		for _, r := range p.Resources {
			if r.ObjectOnly {
				t.Fatalf("an event set ObjectOnly: %q", body)
			}
		}
	})
}

// ObjectOnly is the reconciler's: no spelling of it in a client's JSON reaches a parsed resource, which
// syncs the whole database or schema as the event asks.
func TestParseNeverSetsObjectOnly(t *testing.T) {
	for _, resource := range []string{
		`{"type":"database","objectOnly":true,"values":{"database":"SALES"}}`,
		`{"type":"database","ObjectOnly":true,"values":{"database":"SALES"}}`,
		`{"type":"database","OBJECTONLY":true,"values":{"database":"SALES"}}`,
		`{"type":"database","values":{"database":"SALES","objectOnly":"true"}}`,
		`{"type":"database","objectOnly":"yes","values":{"database":"SALES"}}`,
	} {
		p, rej := Parse([]byte(withResources("[" + resource + "]")))
		if rej != nil {
			t.Errorf("%s: rejected: %v", resource, rej)
			continue
		}
		want := Resource{Kind: KindDatabase, Database: "SALES"}
		if len(p.Resources) != 1 || p.Resources[0] != want {
			t.Errorf("%s: resources = %+v, want [%+v]", resource, p.Resources, want)
		}
	}
}

func TestResourceString(t *testing.T) {
	tests := []struct {
		res  Resource
		want string
	}{
		{Resource{Kind: KindDatabase, Database: "SALES"}, "database SALES"},
		{Resource{Kind: KindDatabase, Database: "SALES", ObjectOnly: true}, "database SALES (own grants)"},
		{Resource{Kind: KindSchema, Database: "SALES", Schema: "PUBLIC", ObjectOnly: true}, "schema SALES.PUBLIC (own grants)"},
		{Resource{Kind: KindTable, Database: "SALES", Schema: "PUBLIC", Table: "ORDERS"}, "table SALES.PUBLIC.ORDERS"},
	}
	for _, tt := range tests {
		if got := tt.res.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.res, got, tt.want)
		}
	}
}

func ptr(s string) *string { return &s }
