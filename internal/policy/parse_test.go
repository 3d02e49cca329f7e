package policy

import (
	"slices"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		data string
		want string // in the error
	}{
		{"empty", "", "not a JSON object"},
		{"array", `[{"policies":[]}]`, "not a JSON object"},
		{"not JSON", `{"policies": [`, "unexpected end of JSON input"},
		{"trailing garbage", `{"policies": []} x`, "invalid character 'x'"},
		{"wrong type", `{"policies": [{"id": "seven"}]}`, "policies.id"},
		{"wrong resource type", `{"policies": [{"id": 1, "resources": {"database": {"values": "SALES"}}}]}`, "policies.resources.values"},
		{"no policies", `{"serviceName": "svc", "policyVersion": 3}`, `no "policies" array`},
		{"policy deltas only", `{"serviceName": "svc", "policies": null, "policyDeltas": []}`, `no "policies" array`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, problems, err := Parse([]byte(tt.data), Mapping{})
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "parse service policies: ") {
				t.Fatalf("Parse error = %v, want one containing %q", err, tt.want)
			}
			if set != nil || problems != nil {
				t.Errorf("Parse = %v, %v with an error, want nil", set, problems)
			}
		})
	}
}

func TestParseProblems(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		want    []string
		applied int
	}{
		{"access not at the level",
			`{"policies":[{"id":7,"name":"sales read","resources":{"database":{"values":["SALES"]}},"policyItems":[{"accesses":[{"type":"usage"},{"type":"insert"},{"type":"select"}],"groups":["g"]}]}]}`,
			[]string{`policy "sales read" (id 7): access "insert" does not apply to database`,
				`policy "sales read" (id 7): access "select" does not apply to database`}, 1},
		{"same problem twice is reported once",
			`{"policies":[{"id":7,"name":"p","resources":{"database":{"values":["SALES"]}},"policyItems":[{"accesses":[{"type":"bogus"}],"groups":["g"]},{"accesses":[{"type":"bogus"}],"users":["u"]}]}]}`,
			[]string{`policy "p" (id 7): access "bogus" does not apply to database`}, 1},
		{"all without a serviceDef",
			`{"policies":[{"id":1,"name":"p","resources":{"database":{"values":["SALES"]}},"policyItems":[{"accesses":[{"type":"all"}],"groups":["g"]}]}]}`,
			[]string{`policy "p" (id 1): access "all" does not apply to database`}, 1},
		{"ownership is never granted",
			`{"policies":[{"id":1,"name":"p","resources":{"database":{"values":["SALES"]}},"policyItems":[{"accesses":[{"type":"ownership"}],"groups":["g"]}]}]}`,
			[]string{`policy "p" (id 1): access "ownership" does not apply to database`}, 1},
		{"column policy",
			`{"policies":[{"id":2,"name":"c","resources":{"database":{"values":["S"]},"schema":{"values":["P"]},"table":{"values":["T"]},"column":{"values":["*"]}},"policyItems":[{"accesses":[{"type":"select"}],"groups":["g"]}]}]}`,
			[]string{`policy "c" (id 2): column-level access policies are not supported yet; policy ignored`}, 0},
		{"unknown resource",
			`{"policies":[{"id":3,"name":"w","resources":{"warehouse":{"values":["WH"]}},"policyItems":[]}]}`,
			[]string{`policy "w" (id 3): resource "warehouse" is not supported; policy ignored`}, 0},
		{"table without schema",
			`{"policies":[{"id":4,"name":"t","resources":{"database":{"values":["S"]},"table":{"values":["T"]}}}]}`,
			[]string{`policy "t" (id 4): resource "table" needs database and schema; policy ignored`}, 0},
		{"schema without database",
			`{"policies":[{"id":4,"name":"s","resources":{"schema":{"values":["P"]}}}]}`,
			[]string{`policy "s" (id 4): resource "schema" needs database; policy ignored`}, 0},
		{"no resources",
			`{"policies":[{"id":5,"name":"n","resources":{}}]}`,
			[]string{`policy "n" (id 5): no "database" resource; policy ignored`}, 0},
		{"no values",
			`{"policies":[{"id":6,"name":"v","resources":{"database":{"values":["", " "]}}}]}`,
			[]string{`policy "v" (id 6): resource "database" has no values; policy ignored`}, 0},
		{"validity schedule",
			`{"policies":[{"id":8,"name":"tmp","resources":{"database":{"values":["S"]}},"validitySchedules":[{"startTime":"2026/01/01 00:00:00"}]}]}`,
			[]string{`policy "tmp" (id 8): validity schedules cannot be enforced by Snowflake grants; policy ignored`}, 0},
		{"unknown policy type",
			`{"policies":[{"id":9,"name":"x","policyType":5,"resources":{"database":{"values":["S"]}}}]}`,
			[]string{`policy "x" (id 9): unknown policyType 5; ignored`}, 0},
		{"row filter",
			`{"policies":[{"id":10,"name":"rf","policyType":2,"resources":{"database":{"values":["S"]},"schema":{"values":["P"]},"table":{"values":["T"]}},"rowFilterPolicyItems":[{"rowFilterInfo":{"filterExpr":"region = 'EU'"},"groups":["g"]}]}]}`,
			[]string{`policy "rf" (id 10): item 1 does not allow select; it never applies`}, 0},
		{"user macro",
			`{"policies":[{"id":11,"name":"own","resources":{"database":{"values":["S"]}},"policyItems":[{"accesses":[{"type":"usage"}],"users":["{OWNER}","bob"]}]}]}`,
			[]string{`policy "own" (id 11): user macro "{OWNER}" is not supported; principal ignored`}, 1},
		{"conditions",
			`{"policies":[{"id":12,"name":"ip","resources":{"database":{"values":["S"]}},"policyItems":[{"accesses":[{"type":"usage"}],"groups":["g"],"conditions":[{"type":"ip-range","values":["10.0.0.0/8"]}]}]}]}`,
			[]string{`policy "ip" (id 12): an allow item with conditions cannot be enforced by a Snowflake grant; item ignored`}, 1},
		{"tag policies and security zones",
			`{"policies":[],"tagPolicies":{"serviceName":"tags","policies":[{"id":1}]},"securityZones":{"finance":{"zoneName":"finance","policies":[]}}}`,
			[]string{`1 tag-based policies are not supported; ignored`, `security zone "finance" is not supported; its policies are ignored`}, 0},
		{"valid policy, no problem",
			`{"policies":[{"id":1,"name":"ok","isEnabled":true,"policyType":0,"resources":{"database":{"values":["S"],"isExcludes":false,"isRecursive":true}},"policyItems":[{"accesses":[{"type":"usage","isAllowed":true}],"users":[],"groups":["g"],"roles":[],"conditions":[],"delegateAdmin":false}]}]}`,
			nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, problems, err := Parse([]byte(tt.doc), Mapping{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range problems {
				got = append(got, p.String())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("problems =\n  %q\nwant\n  %q", got, tt.want)
			}
			if set.Stats().Applied != tt.applied {
				t.Errorf("Stats().Applied = %d, want %d", set.Stats().Applied, tt.applied)
			}
		})
	}
}

func TestParseIgnoredPolicyGrantsNothing(t *testing.T) {
	// A policy dropped for a problem must not contribute a role or a grant, even partly.
	set, problems, err := Parse(doc(
		`{"id":1,"name":"c","resources":{"database":{"values":["*"]},"schema":{"values":["*"]},"table":{"values":["*"]},"column":{"values":["SSN"]}},
		  "policyItems":[{"accesses":[{"type":"select"}],"groups":["g"]}]}`), Mapping{})
	if err != nil || len(problems) != 1 {
		t.Fatalf("Parse = %v, %v; want one problem", problems, err)
	}
	if len(set.Roles()) != 0 || set.Stats().Ignored != 1 {
		t.Errorf("Roles() = %q, Stats() = %+v; want no roles and one ignored policy", set.Roles(), set.Stats())
	}
}

func TestSetKeepsItsDocument(t *testing.T) {
	data := []byte(`{"serviceName":"snow","policyVersion":7,"policies":[]}`)
	set, _, err := Parse(data, Mapping{})
	if err != nil {
		t.Fatal(err)
	}
	again, _, err := Parse(set.Document(), Mapping{})
	if err != nil || string(set.Document()) != string(data) || again.Version() != 7 {
		t.Fatalf("Document() = %q (err %v, version %d), want the parsed bytes", set.Document(), err, again.Version())
	}
}
