package main

import (
	"strings"
	"testing"

	"github.com/snowsync/snowsync/internal/request"
)

func TestParseResource(t *testing.T) {
	tests := []struct {
		in      string
		want    request.Resource
		wantErr string
	}{
		{"database:SALES", request.Resource{Kind: request.KindDatabase, Database: "SALES"}, ""},
		{"Schema:sales.public", request.Resource{Kind: request.KindSchema, Database: "sales", Schema: "public"}, ""},
		{"table:SALES.PUBLIC.ORDERS", request.Resource{Kind: request.KindTable, Database: "SALES", Schema: "PUBLIC", Table: "ORDERS"}, ""},
		{"VIEW:SALES.PUBLIC.V_ORDERS", request.Resource{Kind: request.KindView, Database: "SALES", Schema: "PUBLIC", Table: "V_ORDERS"}, ""},
		{`table:SALES."my.schema"."a""b"`, request.Resource{Kind: request.KindTable, Database: "SALES", Schema: "my.schema", Table: `a"b`}, ""},
		{`table:"DB:1".S."T T"`, request.Resource{Kind: request.KindTable, Database: "DB:1", Schema: "S", Table: "T T"}, ""},
		{"SALES.PUBLIC", request.Resource{}, "not TYPE:NAME"},
		{"stage:SALES.PUBLIC.S", request.Resource{}, `type "stage" is not`},
		{"table:SALES.PUBLIC", request.Resource{}, "3 dot-separated parts, got 2"},
		{"database:my.db", request.Resource{}, `quote a part holding a dot`},
		{"schema:SALES.", request.Resource{}, "an empty name part"},
		{`schema:SALES.""`, request.Resource{}, "an empty name part"},
		{`schema:SALES."PUB`, request.Resource{}, "unterminated quote"},
		{`schema:SALES."P"X`, request.Resource{}, `'X' follows a closing quote`},
		{`schema:SALES.P"X"`, request.Resource{}, "a quote inside an unquoted part"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseResource(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseResource(%q) error = %v, want %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("parseResource(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			}
		})
	}
}
