package policy

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://acct.blob.core.windows.net/policies/sp.json?sv=2024-11-04&sig=abc%2Bdef", "https://acct.blob.core.windows.net/policies/sp.json?REDACTED"},
		{"https://acct.blob.core.windows.net/policies/sp.json", "https://acct.blob.core.windows.net/policies/sp.json"},
		{"https://admin:s3cret@ranger:6182/x?y#frag", "https://admin:xxxxx@ranger:6182/x?REDACTED"},
		{"https://host/p?", "https://host/p?REDACTED"},
		{"https://host/%zz?sig=secret", "(unparseable URL)"},
	}
	for _, tt := range tests {
		if got := RedactURL(tt.in); got != tt.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNewSource(t *testing.T) {
	tests := []struct {
		location string
		want     string // type name, or "error"
	}{
		{"/etc/snowsync/policies.json", "FileSource"},
		{"policies.json", "FileSource"},
		{"https://acct.blob.core.windows.net/c/p.json?sig=x", "*URLSource"},
		{"http://127.0.0.1:10000/devstoreaccount1/c/p.json", "*URLSource"},
		{"https:///no-host?sig=secret", "error"},
		{"", "error"},
	}
	for _, tt := range tests {
		src, err := NewSource(tt.location, nil)
		got := "error"
		switch src.(type) {
		case FileSource:
			got = "FileSource"
		case *URLSource:
			got = "*URLSource"
		}
		if got != tt.want {
			t.Errorf("NewSource(%q) = %T, %v; want %s", tt.location, src, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("NewSource(%q) error %q shows the query string", tt.location, err)
		}
	}
}

func TestFileSource(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sp.json")
	if err := os.WriteFile(path, []byte(`{"policies":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	data, changed, err := FileSource{Path: path}.Fetch(context.Background(), 3)
	if err != nil || !changed || string(data) != `{"policies":[]}` {
		t.Errorf("Fetch = %q, %v, %v", data, changed, err)
	}
	_, _, err = FileSource{Path: path + ".missing"}.Fetch(context.Background(), 3)
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Fetch(missing) error = %v, want ErrNotExist", err)
	}
}

func TestURLSource(t *testing.T) {
	const body = `{"policyVersion":1,"policies":[]}`
	var fail bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("sig") != "s3cret" || fail {
			w.Header().Set("x-ms-error-code", "AuthenticationFailed")
			http.Error(w, "Signature did not match", http.StatusForbidden)
			return
		}
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		_, _ = w.Write([]byte(body))
	}))
	defer srv.Close()
	ctx := context.Background()
	src, err := NewURLSource(srv.URL+"/c/sp.json?sv=2024&sig=s3cret", srv.Client())
	if err != nil {
		t.Fatal(err)
	}

	data, changed, err := src.Fetch(ctx, -1)
	if err != nil || !changed || string(data) != body {
		t.Fatalf("first Fetch = %q, %v, %v", data, changed, err)
	}
	if data, changed, err = src.Fetch(ctx, 1); err != nil || changed || data != nil {
		t.Errorf("Fetch with ETag = %q, %v, %v; want unchanged", data, changed, err)
	}
	if _, changed, err = src.Fetch(ctx, -1); err != nil || !changed {
		t.Errorf("Fetch with nothing loaded = %v, %v; want a download despite the ETag", changed, err)
	}

	fail = true
	_, _, err = src.Fetch(ctx, 1)
	if err == nil || !strings.Contains(err.Error(), "HTTP 403 (AuthenticationFailed)") || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("Fetch refused = %v; want HTTP 403 named, no SAS token", err)
	}

	srv.Close() // a transport error: *url.Error would repeat the URL
	_, _, err = src.Fetch(ctx, 1)
	if err == nil || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "?REDACTED") {
		t.Errorf("Fetch from a closed server = %v; want an error with the URL redacted", err)
	}
}

// rangerAdmin is an httptest server speaking Ranger Admin's plugin download API for one service.
type rangerAdmin struct {
	*httptest.Server
	version  int64
	doc      string
	noChange int // status for "unchanged": 304 or 204
	mu       sync.Mutex
	calls    []string // lastKnownVersion of each authenticated call
}

func newRangerAdmin(t *testing.T, doc string, version int64, noChange int) *rangerAdmin {
	ra := &rangerAdmin{doc: doc, version: version, noChange: noChange}
	ra.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ra.mu.Lock()
		defer ra.mu.Unlock()
		user, pass, ok := r.BasicAuth()
		if !ok || user != "snowsync" || pass != "pa55" {
			http.Error(w, `{"statusCode":401,"msgDesc":"Authentication Failed"}`, http.StatusUnauthorized)
			return
		}
		service, found := strings.CutPrefix(r.URL.Path, "/service/plugins/policies/download/")
		if r.Method != http.MethodGet || !found {
			http.NotFound(w, r)
			return
		}
		if service != "snowflake prod" {
			http.Error(w, `{"statusCode":1,"msgDesc":"RANGER_ERROR_SERVICE_NOT_FOUND: ServiceName=`+service+`"}`, http.StatusNotFound)
			return
		}
		last := r.URL.Query().Get("lastKnownVersion")
		ra.calls = append(ra.calls, last)
		if last == strconv.FormatInt(ra.version, 10) {
			w.WriteHeader(ra.noChange)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(ra.doc))
	}))
	t.Cleanup(ra.Close)
	return ra
}

func TestRangerAdminSource(t *testing.T) {
	const doc = `{"serviceName":"snowflake prod","policyVersion":42,"policies":[]}`
	for _, noChange := range []int{http.StatusNotModified, http.StatusNoContent} {
		t.Run(http.StatusText(noChange), func(t *testing.T) {
			ra := newRangerAdmin(t, doc, 42, noChange)
			ctx := context.Background()
			src := &RangerAdminSource{BaseURL: ra.URL + "/", Service: "snowflake prod", Username: "snowsync", Password: "pa55", Client: ra.Client()}

			data, changed, err := src.Fetch(ctx, -1)
			if err != nil || !changed || string(data) != doc {
				t.Fatalf("Fetch(-1) = %q, %v, %v", data, changed, err)
			}
			if data, changed, err = src.Fetch(ctx, 42); err != nil || changed || data != nil {
				t.Errorf("Fetch(42) = %q, %v, %v; want unchanged", data, changed, err)
			}
			if _, changed, err = src.Fetch(ctx, 41); err != nil || !changed {
				t.Errorf("Fetch(41) = %v, %v; want the document", changed, err)
			}
			if want := []string{"-1", "42", "41"}; !slices.Equal(ra.calls, want) {
				t.Errorf("lastKnownVersion sent = %q, want %q", ra.calls, want)
			}
		})
	}
}

func TestRangerAdminSourceErrors(t *testing.T) {
	ra := newRangerAdmin(t, `{"policies":[]}`, 1, http.StatusNotModified)
	tests := []struct {
		name string
		src  RangerAdminSource
		want string
	}{
		{"bad password", RangerAdminSource{BaseURL: ra.URL, Service: "snowflake prod", Username: "snowsync", Password: "wrong"},
			`user "snowsync" refused (HTTP 401)`},
		{"unknown service", RangerAdminSource{BaseURL: ra.URL, Service: "hive", Username: "snowsync", Password: "pa55"},
			`service "hive" not found (HTTP 404)`},
		{"unreachable", RangerAdminSource{BaseURL: "http://127.0.0.1:1", Service: "s", Username: "snowsync", Password: "pa55"},
			"fetch policies from http://127.0.0.1:1/service/plugins/policies/download/s?REDACTED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := tt.src.Fetch(context.Background(), 1)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Fetch error = %v, want one containing %q", err, tt.want)
			}
			if strings.Contains(err.Error(), tt.src.Password) {
				t.Errorf("Fetch error %q shows the password", err)
			}
		})
	}
}
