package request

import "encoding/json"

// Marshal renders r as the event JSON that Parse reads (DESIGN §2), so that Parse(r.Marshal()) gives r
// back. A nil ID is written as null and an empty field as "". ObjectOnly is not part of the event
// format: such a resource is written as the whole database or schema, which syncs it and more.
func (r Request) Marshal() ([]byte, error) {
	type values struct {
		Database string `json:"database"`
		Schema   string `json:"schema,omitempty"`
		Table    string `json:"table,omitempty"`
	}
	type resource struct {
		Type   Kind   `json:"type"`
		Values values `json:"values"`
	}
	out := struct {
		ID          *string `json:"id"`
		Type        string  `json:"type"`
		AppType     string  `json:"appType"`
		AppSubType  string  `json:"appSubType"`
		Source      string  `json:"source"`
		CreateTime  string  `json:"createTime"`
		RequestInfo struct {
			Resources []resource `json:"resources"`
		} `json:"requestInfo"`
	}{ID: r.ID, Type: r.Type, AppType: r.AppType, AppSubType: r.AppSubType, Source: r.Source, CreateTime: r.CreateTime}
	out.RequestInfo.Resources = make([]resource, len(r.Resources))
	for i, res := range r.Resources {
		out.RequestInfo.Resources[i] = resource{Type: res.Kind, Values: values{Database: res.Database, Schema: res.Schema, Table: res.Table}}
	}
	return json.Marshal(out)
}
