package policy

import (
	"os"
	"testing"
)

// FuzzParse checks that a Ranger ServicePolicies document, whatever it holds, either parses or fails
// with an error, never panics, and that a parsed set answers for any object.
func FuzzParse(f *testing.F) {
	doc, err := os.ReadFile("testdata/service_policies.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(doc)
	f.Add([]byte(`{"serviceName":"s","policyVersion":1,"policies":[{"id":1,"isEnabled":true,"resources":{"database":{"values":["*"],"isExcludes":true}},` +
		`"policyItems":[{"accesses":[{"type":"usage","isAllowed":true}],"groups":["g"],"roles":["r"],"users":["u"]}],"denyPolicyItems":[{"accesses":[{"type":"usage"}],"groups":["x"]}]}]}`))
	f.Add([]byte(`{"policies":null}`))
	f.Add([]byte(`{"policies":[{"resources":{"table":{"values":["?"]}}}]}`))
	m := Mapping{EntityPrefix: "PRIV_", UserPrefix: "PRIV_USER_"}
	f.Fuzz(func(t *testing.T, data []byte) {
		set, _, err := Parse(data, m)
		if err != nil {
			return
		}
		if set == nil {
			t.Fatal("nil set without an error")
		}
		_ = set.Version()
	})
}
