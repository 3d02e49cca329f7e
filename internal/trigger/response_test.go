package trigger

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestResponseMarshal(t *testing.T) {
	withFailures := NewResponse()
	withFailures.SetFailures("failures", []string{`{"errorType":"INVALID_JSON"}`})
	withFailures.Logs = append(withFailures.Logs, "2 events, 1 failed")
	emptyFailures := NewResponse()
	emptyFailures.SetFailures("failures", nil)
	zeroWithFailures := &Response{}
	zeroWithFailures.SetFailures("failures", []string{})

	tests := []struct {
		name string
		resp any
		want string
	}{
		{"new", NewResponse(), `{"Outputs":{},"Logs":[],"ReturnValue":null}`},
		{"zero value", Response{}, `{"Outputs":{},"Logs":[],"ReturnValue":null}`},
		{"zero pointer", &Response{}, `{"Outputs":{},"Logs":[],"ReturnValue":null}`},
		{"failures", withFailures, `{"Outputs":{"failures":["{\"errorType\":\"INVALID_JSON\"}"]},"Logs":["2 events, 1 failed"],"ReturnValue":null}`},
		{"nil failures are an empty array", emptyFailures, `{"Outputs":{"failures":[]},"Logs":[],"ReturnValue":null}`},
		{"SetFailures on a zero Response", zeroWithFailures, `{"Outputs":{"failures":[]},"Logs":[],"ReturnValue":null}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(tt.resp)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("Marshal = %s\nwant      %s", got, tt.want)
			}
		})
	}
}

func TestSetFailuresCopies(t *testing.T) {
	msgs := []string{"a"}
	r := NewResponse()
	r.SetFailures("failures", msgs)
	msgs[0] = "changed"
	if got, _ := r.Failures("failures"); !reflect.DeepEqual(got, []string{"a"}) {
		t.Errorf("Failures = %q after the caller changed its slice", got)
	}
}

func TestResponseFailures(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    []string
		wantErr string
	}{
		{"array of strings", `{"Outputs":{"failures":["a","{\"b\":1}"]}}`, []string{"a", `{"b":1}`}, ""},
		{"empty array", `{"Outputs":{"failures":[]}}`, []string{}, ""},
		{"no output", `{"Outputs":{}}`, nil, ""},
		{"no Outputs", `{}`, nil, ""},
		{"lone string", `{"Outputs":{"failures":"a"}}`, nil, "got string, want an array of strings"},
		{"array with an object", `{"Outputs":{"failures":["a",{"b":1}]}}`, nil, "element 1 is map[string]interface {}, want a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r Response
			if err := json.Unmarshal([]byte(tt.body), &r); err != nil {
				t.Fatal(err)
			}
			got, err := r.Failures("failures")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Failures = %#v, want %#v", got, tt.want)
			}
		})
	}
}
