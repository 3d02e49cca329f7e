package audit

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/snowsync/snowsync/internal/request"
	"github.com/snowsync/snowsync/internal/task/outcome"
)

func TestClip(t *testing.T) {
	tests := []struct {
		name  string
		s     string
		limit int
		want  string
	}{
		{"fits", "abc", 3, "abc"},
		{"empty", "", 0, ""},
		{"ascii", strings.Repeat("a", 20), 15, "aaa" + truncationMark},
		{"keeps whole surrogate pairs", "a" + strings.Repeat("😀", 10), 15, "a😀" + truncationMark},
		{"never splits a surrogate pair", "a" + strings.Repeat("😀", 10), 14, "a" + truncationMark},
		{"counts UTF-16 units, not bytes", strings.Repeat("é", 10), 10, strings.Repeat("é", 10)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := clip(tt.s, tt.limit)
			if got != tt.want {
				t.Errorf("clip(%q, %d) = %q, want %q", tt.s, tt.limit, got, tt.want)
			}
			if utf16Len(got) > tt.limit {
				t.Errorf("clip returned %d UTF-16 code units, limit %d", utf16Len(got), tt.limit)
			}
		})
	}
}

func TestEncodeResources(t *testing.T) {
	rs := make([]outcome.Resource, 10)
	for i := range rs {
		rs[i] = outcome.Resource{Resource: request.Resource{Kind: request.KindDatabase, Database: fmt.Sprintf("DB%d", i)}, Status: outcome.Success}
	}
	one, _ := marshalResources(rs[:1])
	three, _ := marshalResources(rs[:3])
	tests := []struct {
		name        string
		limit       int
		wantJSON    string
		wantOmitted int
	}{
		{"everything fits", 1 << 20, "", 0},
		{"exactly three fit", utf16Len(three), three, 7},
		{"one fits", utf16Len(three) - 1 - (utf16Len(three)-utf16Len(one))/2, one, 9},
		{"none fits", 3, "[]", 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, omitted, err := encodeResources(rs, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantJSON == "" {
				tt.wantJSON, _ = marshalResources(rs)
			}
			if got != tt.wantJSON || omitted != tt.wantOmitted {
				t.Errorf("encodeResources(limit %d) = %s, %d; want %s, %d", tt.limit, got, omitted, tt.wantJSON, tt.wantOmitted)
			}
		})
	}
	if s, _ := marshalResources([]outcome.Resource{{Statements: []string{`GRANT "A&B" <x>`}}}); !strings.Contains(s, `A&B\" <x>`) {
		t.Errorf("statements are HTML-escaped: %s", s)
	}
}

func TestFilterLiterals(t *testing.T) {
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"string with quotes", compare("TaskId", "eq", "it's ' or 1 eq 1"), `TaskId eq 'it''s '' or 1 eq 1'`},
		{"time in UTC", compare("StartedAt", "ge", time.Date(2026, 11, 24, 11, 15, 0, 1200, time.FixedZone("CET", 3600))), "StartedAt ge datetime'2026-11-24T10:15:00.0000012Z'"},
		{"and", and(compare("A", "eq", "x"), compare("B", "lt", "y")), "(A eq 'x') and (B lt 'y')"},
		{"or", or(compare("A", "eq", "x"), compare("B", "eq", "y")), "(A eq 'x') or (B eq 'y')"},
		{"no clause", and(), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %s, want %s", tt.got, tt.want)
			}
		})
	}
}

// FuzzParseConnectionString checks that parseConnectionString never panics, that what it accepts
// names an http(s) endpoint and one credential, and that its errors never show a value.
func FuzzParseConnectionString(f *testing.F) {
	for _, seed := range []string{
		"UseDevelopmentStorage=true",
		DevelopmentConnectionString("http://127.0.0.1:10002/devstoreaccount1"),
		"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=" + DevelopmentAccountKey + ";EndpointSuffix=core.chinacloudapi.cn",
		"BlobEndpoint=https://a.blob.core.windows.net/;TableEndpoint=https://a.table.core.windows.net/;SharedAccessSignature=sv=2022-11-02&sig=SECRETSIG",
		"TableEndpoint=htp:/SECRETHOST;AccountName=a;AccountKey=SECRETKEY=",
		"a=b=c;;=;",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := parseConnectionString(s)
		if err == nil {
			if !strings.HasPrefix(c.endpoint, "http://") && !strings.HasPrefix(c.endpoint, "https://") || (c.key == "") == (c.sas == "") {
				t.Errorf("accepted %q as %+v", s, c)
			}
			return
		}
		for part := range strings.SplitSeq(s, ";") {
			if _, v, ok := strings.Cut(part, "="); ok && len(strings.TrimSpace(v)) >= 8 && strings.Contains(err.Error(), strings.TrimSpace(v)) {
				t.Errorf("error %q shows a value of %q", err, s)
			}
		}
	})
}
