package request_test

import (
	"reflect"
	"testing"

	"github.com/snowsync/snowsync/internal/request"
)

func TestMarshalParsesBack(t *testing.T) {
	id := `task "7" \ ünïcode`
	for _, req := range []request.Request{
		{ID: &id, Type: request.TypeResourceSync, AppType: "PS_CONNECTOR", AppSubType: request.AppSubTypeSnowflake, Source: "POLICY_CHANGE",
			CreateTime: "2026-12-01T06:00:00Z", Resources: []request.Resource{
				{Kind: request.KindDatabase, Database: "SALES"},
				{Kind: request.KindSchema, Database: "SALES", Schema: "my schema"},
				{Kind: request.KindTable, Database: "SALES", Schema: "PUBLIC", Table: `Odd"Name`},
				{Kind: request.KindView, Database: "SALES", Schema: "PUBLIC", Table: "V_ORDERS"},
			}},
		{Type: request.TypeResourceSync, Source: "DRIFT", Resources: []request.Resource{{Kind: request.KindSchema, Database: "A", Schema: "B"}}},
	} {
		data, err := req.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		got, rej := request.Parse(data)
		if rej != nil {
			t.Fatalf("Parse(%s): %v", data, rej)
		}
		if !reflect.DeepEqual(got.Request, req) || len(got.Invalid) != 0 {
			t.Errorf("Parse(Marshal(r)) = %+v, want %+v", got, req)
		}
	}
}
func TestMarshalWritesObjectOnlyAsTheWholeObject(t *testing.T) {
	req := request.Request{Type: request.TypeResourceSync, Source: "POLICY_CHANGE",
		Resources: []request.Resource{{Kind: request.KindDatabase, Database: "SALES", ObjectOnly: true}}}
	data, err := req.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, rej := request.Parse(data)
	if rej != nil || len(got.Resources) != 1 || got.Resources[0].ObjectOnly || got.Resources[0].Database != "SALES" {
		t.Fatalf("Parse(%s) = %+v, %v; want the whole database SALES", data, got, rej)
	}
}
