package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/snowsync/snowsync/functions"
	"github.com/snowsync/snowsync/internal/publish"
	"github.com/snowsync/snowsync/internal/request"
	"github.com/snowsync/snowsync/internal/task/outcome"
)

const testConn = "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=c2VjcmV0"

// hubEnv is a complete set of hub settings.
var hubEnv = env{
	"CONNECTOR_ON_DEMAND_V2_AZURE_EVENT_HUB_NAME":                "sync-requests",
	"CONNECTOR_ON_DEMAND_V2_AZURE_CONNECTION_STRING":             testConn,
	"CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_NAME":              "sync-failures",
	"CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_CONNECTION_STRING": testConn,
}

// syncHubLocation is where hubEnv says the sync hub is.
var syncHubLocation = publish.Hub{Name: "sync-requests", ConnectionString: testConn}

// builtRequest is the request `send --resource table:SALES.PUBLIC.ORDERS --resource
// 'schema:SALES."my.schema"'` builds, with source.
func builtRequest(source string) string {
	return `{"id":"cli-TESTID","type":"RESOURCE_SYNC","appType":"PS_CONNECTOR","appSubType":"SNOWFLAKE","source":"` + source +
		`","createTime":"2026-11-24T12:00:00Z","requestInfo":{"resources":[` +
		`{"type":"table","values":{"database":"SALES","schema":"PUBLIC","table":"ORDERS"}},` +
		`{"type":"schema","values":{"database":"SALES","schema":"my.schema"}}]}}`
}

// fileLines returns the non-blank lines of a test file.
func fileLines(t *testing.T, name string) []string {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for line := range strings.Lines(string(data)) {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out
}

func TestSendEventHub(t *testing.T) {
	dir := t.TempDir()
	// An array file, written with indentation: each element is sent as written.
	arrayFile := filepath.Join(dir, "array.json")
	elem := func(id string) string {
		return `{
    "id": "` + id + `", "type": "RESOURCE_SYNC", "source": "KAFKA",
    "requestInfo": {"resources": [{"type": "database", "values": {"database": "SALES"}}]}
  }`
	}
	if err := os.WriteFile(arrayFile, []byte("[\n  "+elem("a1")+",\n  "+elem("a2")+"\n]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A large JSON lines file, sent in chunks with progress.
	manyFile := filepath.Join(dir, "many.jsonl")
	var many []string
	for i := range 1200 {
		many = append(many, fmt.Sprintf(`{"id":"m%d","type":"RESOURCE_SYNC","source":"KAFKA","requestInfo":{"resources":[{"type":"database","values":{"database":"DB%d"}}]}}`, i, i))
	}
	if err := os.WriteFile(manyFile, []byte(strings.Join(many, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	resources := []string{"--resource", "table:SALES.PUBLIC.ORDERS", "--resource", `schema:SALES."my.schema"`}
	lines := fileLines(t, "testdata/requests.jsonl")
	invalid := fileLines(t, "testdata/invalid.jsonl")

	tests := []struct {
		name        string
		args        []string
		env         env
		stdin       string
		wantCode    int
		wantBatches [][]string
		wantHubs    []publish.Hub
		wantStdout  string
		wantStderr  []string
	}{
		{"resources make one request", append([]string{"--eventhub"}, resources...), hubEnv, "", 0,
			[][]string{{builtRequest("CLI")}}, []publish.Hub{syncHubLocation},
			"published 1 events to the sync hub\n", []string{"sent 1/1\n"}},
		{"source override", append([]string{"--eventhub", "--source", "API"}, resources...), hubEnv, "", 0,
			[][]string{{builtRequest("API")}}, []publish.Hub{syncHubLocation}, "published 1 events to the sync hub\n", nil},
		{"JSON lines, blank lines skipped", []string{"--eventhub", "--file", "testdata/requests.jsonl"}, hubEnv, "", 0,
			[][]string{lines}, []publish.Hub{syncHubLocation}, "published 3 events to the sync hub\n", []string{"sent 3/3\n"}},
		{"array elements as written, then the built request", append([]string{"--eventhub", "--file", arrayFile}, resources...), hubEnv, "", 0,
			[][]string{{elem("a1"), elem("a2"), builtRequest("CLI")}}, []publish.Hub{syncHubLocation}, "published 3 events to the sync hub\n", nil},
		{"stdin", []string{"--eventhub", "--file", "-"}, hubEnv, "\n" + lines[0] + "\n", 0,
			[][]string{{lines[0]}}, []publish.Hub{syncHubLocation}, "published 1 events to the sync hub\n", nil},
		{"chunks of 500 with progress", []string{"--eventhub", "--file", manyFile}, hubEnv, "", 0,
			[][]string{many[:500], many[500:1000], many[1000:]}, []publish.Hub{syncHubLocation}, "published 1200 events to the sync hub\n",
			[]string{"sent 500/1200\nsent 1000/1200\nsent 1200/1200\n"}},
		{"invalid bodies refused", []string{"--eventhub", "--file", "testdata/invalid.jsonl"}, hubEnv, "", 1, nil, nil, "",
			[]string{"3 of 4 bodies would not sync; fix them, or send them anyway with --force:\n",
				"  testdata/invalid.jsonl:2: FAILED: ",
				"  testdata/invalid.jsonl:3: SKIPPED: ",
				"  testdata/invalid.jsonl:4: SKIPPED table SALES: "}},
		{"invalid bodies forced", []string{"--eventhub", "--force", "--file", "testdata/invalid.jsonl"}, hubEnv, "", 0,
			[][]string{invalid}, []publish.Hub{syncHubLocation}, "published 4 events to the sync hub\n",
			[]string{"warning: 3 of 4 bodies will not sync:\n  testdata/invalid.jsonl:2: FAILED: "}},
		{"Entra ID", append([]string{"--eventhub"}, resources...), env{
			"CONNECTOR_ON_DEMAND_V2_AZURE_EVENT_HUB_NAME":                             "sync-requests",
			"CONNECTOR_ON_DEMAND_V2_AZURE_CONNECTION_STRING__fullyQualifiedNamespace": "ns.servicebus.windows.net",
		}, "", 0, [][]string{{builtRequest("CLI")}}, []publish.Hub{{Name: "sync-requests", Namespace: "ns.servicebus.windows.net"}},
			"published 1 events to the sync hub\n", nil},
		{"no hub settings", append([]string{"--eventhub"}, resources...), env{}, "", 1, nil, nil, "",
			[]string{"setting CONNECTOR_ON_DEMAND_V2_AZURE_CONNECTION_STRING is required"}},
		{"two destinations", []string{"--eventhub", "--api", "http://x", "--file", "f"}, hubEnv, "", 2, nil, nil, "",
			[]string{"choose one destination"}},
		{"no destination", []string{"--file", "f"}, hubEnv, "", 2, nil, nil, "", []string{"choose one destination"}},
		{"nothing to send", []string{"--eventhub"}, hubEnv, "", 2, nil, nil, "", []string{"give --file or --resource"}},
		{"bad resource", []string{"--eventhub", "--resource", "table:ORDERS"}, hubEnv, "", 2, nil, nil, "", []string{"got 1"}},
		{"bad API URL", []string{"--api", "ftp://host", "--file", "f"}, hubEnv, "", 2, nil, nil, "", []string{`--api is not an http(s) URL`}},
		{"key in the API URL", []string{"--api", "https://app.azurewebsites.net/api/sync?code=SECRETKEY", "--file", "f"}, hubEnv, "", 2, nil, nil, "",
			[]string{"pass the function key with --function-key"}},
		{"missing file", []string{"--eventhub", "--file", "testdata/nope.jsonl"}, hubEnv, "", 1, nil, nil, "",
			[]string{"open testdata/nope.jsonl: no such file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, hubs := newDeps(tt.env)
			d.stdin = strings.NewReader(tt.stdin)
			got := runCommand(t, d, append([]string{"send"}, tt.args...)...)
			if got.code != tt.wantCode {
				t.Fatalf("exit status %d, want %d; stderr:\n%s", got.code, tt.wantCode, got.stderr)
			}
			batches := batchBodies(hubs.sync.Batches())
			if !reflect.DeepEqual(batches, tt.wantBatches) {
				t.Errorf("batches:\n%q\nwant:\n%q", batches, tt.wantBatches)
			}
			if !reflect.DeepEqual(hubs.published, tt.wantHubs) {
				t.Errorf("opened hubs %+v, want %+v", hubs.published, tt.wantHubs)
			}
			if got.stdout != tt.wantStdout {
				t.Errorf("stdout %q, want %q", got.stdout, tt.wantStdout)
			}
			for _, s := range tt.wantStderr {
				if !strings.Contains(got.stderr, s) {
					t.Errorf("stderr:\n%s\nwant it to contain %q", got.stderr, s)
				}
			}
		})
	}
}

// TestBuiltRequestIsValid checks that the request --resource builds is one the handler syncs.
func TestBuiltRequestIsValid(t *testing.T) {
	b, err := buildRequest([]string{"view:SALES.PUBLIC.V_ORDERS", "database:SALES"}, "CLI", "cli-1", testNow)
	if err != nil {
		t.Fatal(err)
	}
	parsed, rej := request.Parse(b.data)
	if rej != nil || len(parsed.Invalid) > 0 {
		t.Fatalf("Parse(%s) = %v, %+v", b.data, rej, parsed.Invalid)
	}
	want := []request.Resource{{Kind: request.KindView, Database: "SALES", Schema: "PUBLIC", Table: "V_ORDERS"}, {Kind: request.KindDatabase, Database: "SALES"}}
	if *parsed.ID != "cli-1" || parsed.Source != "CLI" || parsed.CreateTime != "2026-11-24T12:00:00Z" || !reflect.DeepEqual(parsed.Resources, want) {
		t.Errorf("Parse(%s) = %+v", b.data, parsed.Request)
	}
}

// apiServer stands in for the function app's POST /api/sync: it checks the function key and answers
// a task record whose status depends on the request's id.
type apiServer struct {
	mu       sync.Mutex
	requests []string // "METHOD PATH content-type key body"
}

func (s *apiServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.requests = append(s.requests, strings.Join([]string{r.Method, r.URL.Path, r.Header.Get("Content-Type"), r.Header.Get("x-functions-key"), string(body)}, " "))
	s.mu.Unlock()
	if r.Header.Get("x-functions-key") != "the-key" {
		http.Error(w, "Unauthorized", http.StatusUnauthorized)
		return
	}
	var req struct{ ID *string }
	json.Unmarshal(body, &req)
	rec := functions.TaskResponse{RowKey: "api-1", TaskID: req.ID, Status: outcome.Success, Grants: 2}
	status := http.StatusOK
	switch {
	case req.ID == nil:
		rec.Status, rec.Reason = outcome.Skipped, "table SALES.PUBLIC.V_ORDERS: does not exist in Snowflake"
	case *req.ID == "r2":
		rec.Status, rec.Reason, rec.ErrorType, rec.Grants = outcome.Failed, "1 of 1 statements failed: 003001 insufficient privileges", "SYNC_ERROR", 0
		status = http.StatusBadGateway
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(rec)
}

func TestSendAPI(t *testing.T) {
	lines := fileLines(t, "testdata/requests.jsonl")
	tests := []struct {
		name         string
		args         []string
		env          env
		wantCode     int
		wantStdout   string
		wantRequests func(url string) []string
		wantStderr   string
	}{
		{"file, key flag", []string{"--file", "testdata/requests.jsonl", "--function-key", "the-key"}, nil, 1,
			"1/3 testdata/requests.jsonl:1: 200 SUCCESS task r1 row api-1: 2 grants, 0 revokes\n" +
				"2/3 testdata/requests.jsonl:3: error: 502 FAILED task r2 row api-1: 0 grants, 0 revokes: 1 of 1 statements failed: 003001 insufficient privileges\n" +
				"3/3 testdata/requests.jsonl:4: 200 SKIPPED task - row api-1: 2 grants, 0 revokes: table SALES.PUBLIC.V_ORDERS: does not exist in Snowflake\n",
			func(string) []string {
				var want []string
				for _, l := range lines {
					want = append(want, "POST /api/sync application/json the-key "+l)
				}
				return want
			}, "1 of 3 requests failed"},
		{"built request, key from the environment", []string{"--resource", "table:SALES.PUBLIC.ORDERS"}, env{functionKeyEnv: "the-key"}, 0,
			"1/1 --resource: 200 SUCCESS task cli-TESTID row api-1: 2 grants, 0 revokes\n",
			func(string) []string {
				return []string{"POST /api/sync application/json the-key " + `{"id":"cli-TESTID","type":"RESOURCE_SYNC","appType":"PS_CONNECTOR",` +
					`"appSubType":"SNOWFLAKE","source":"API","createTime":"2026-11-24T12:00:00Z","requestInfo":{"resources":[` +
					`{"type":"table","values":{"database":"SALES","schema":"PUBLIC","table":"ORDERS"}}]}}`}
			}, ""},
		{"wrong key", []string{"--resource", "database:SALES", "--function-key", "nope"}, nil, 1,
			"1/1 --resource: error: 401 Unauthorized: Unauthorized (check --function-key or $SNOWSYNC_FUNCTION_KEY)\n",
			func(string) []string {
				return []string{"POST /api/sync application/json nope " + `{"id":"cli-TESTID","type":"RESOURCE_SYNC","appType":"PS_CONNECTOR",` +
					`"appSubType":"SNOWFLAKE","source":"API","createTime":"2026-11-24T12:00:00Z","requestInfo":{"resources":[` +
					`{"type":"database","values":{"database":"SALES"}}]}}`}
			}, "1 of 1 requests failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &apiServer{}
			srv := httptest.NewServer(api)
			defer srv.Close()
			d, hubs := newDeps(tt.env)
			d.http = srv.Client()
			got := runCommand(t, d, append([]string{"send", "--api", srv.URL + "/"}, tt.args...)...)
			if got.code != tt.wantCode {
				t.Fatalf("exit status %d, want %d; stderr:\n%s", got.code, tt.wantCode, got.stderr)
			}
			if got.stdout != tt.wantStdout {
				t.Errorf("stdout:\n%s\nwant:\n%s", got.stdout, tt.wantStdout)
			}
			if !strings.Contains(got.stderr, tt.wantStderr) {
				t.Errorf("stderr:\n%s\nwant it to contain %q", got.stderr, tt.wantStderr)
			}
			if want := tt.wantRequests(srv.URL); !reflect.DeepEqual(api.requests, want) {
				t.Errorf("the API got:\n%q\nwant:\n%q", api.requests, want)
			}
			if len(hubs.published) > 0 {
				t.Errorf("--api opened the event hub")
			}
		})
	}
}

func TestSplitBodies(t *testing.T) {
	tests := []struct {
		name, content string
		want          []body
	}{
		{"one object, trimmed", "\n{\"a\": 1}\n\n", []body{{"f", []byte(`{"a": 1}`)}}},
		{"pretty object", "{\n  \"a\": 1\n}\n", []body{{"f", []byte("{\n  \"a\": 1\n}")}}},
		{"array", `[{"a":1}, "x"]`, []body{{"f[0]", []byte(`{"a":1}`)}, {"f[1]", []byte(`"x"`)}}},
		{"JSON lines, invalid line kept", "{\"a\":1}\r\n\n{\"a\":\n", []body{{"f:1", []byte(`{"a":1}`)}, {"f:3", []byte(`{"a":`)}}},
		{"broken pretty object is one body", "{\n  \"a\": 1,\n}\n", []body{{"f", []byte("{\n  \"a\": 1,\n}")}}},
		{"not JSON", "hello", []body{{"f", []byte("hello")}}},
		{"empty", "", []body{{"f", nil}}},
		{"empty array", "[]", []body{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := splitBodies("f", []byte(tt.content)); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("splitBodies(%q) = %q, want %q", tt.content, got, tt.want)
			}
		})
	}
}

// failingHub accepts calls up to failAt (counting from 1), then fails every call after accepting
// the first partial bodies of it.
type failingHub struct {
	calls, failAt, partial int
	accepted               int
}

func (h *failingHub) Publish(_ context.Context, bodies [][]byte) (int, error) {
	if h.calls++; h.calls >= h.failAt {
		h.accepted += h.partial
		return h.partial, errors.New("link detached")
	}
	h.accepted += len(bodies)
	return len(bodies), nil
}

func TestPublishAllFailure(t *testing.T) {
	bodies := make([]body, 1100)
	for i := range bodies {
		bodies[i] = body{fmt.Sprintf("f:%d", i+1), []byte("{}")}
	}
	tests := []struct {
		name            string
		failAt, partial int
		wantErr         string
		wantProgress    string
		wantAccepted    int
	}{
		{"first chunk, nothing sent", 1, 0, "0 of 1100 events sent; f:1 and those after it were not: link detached", "", 0},
		{"third chunk, part sent", 3, 37, "1037 of 1100 events sent; f:1038 and those after it were not: link detached",
			"sent 500/1100\nsent 1000/1100\n", 1037},
		{"a sent count beyond the chunk is not trusted", 2, 900, "999 of 1100 events sent; f:1000 and those after it were not: link detached",
			"sent 500/1100\n", 1400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hub := &failingHub{failAt: tt.failAt, partial: tt.partial}
			var stderr strings.Builder
			err := publishAll(context.Background(), hub, bodies, &stderr)
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("error = %v, want %q", err, tt.wantErr)
			}
			if stderr.String() != tt.wantProgress || hub.accepted != tt.wantAccepted {
				t.Errorf("progress %q with %d accepted, want %q with %d", stderr.String(), hub.accepted, tt.wantProgress, tt.wantAccepted)
			}
		})
	}
}
