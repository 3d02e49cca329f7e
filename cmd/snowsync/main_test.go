package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/snowsync/snowsync/internal/publish"
	"github.com/snowsync/snowsync/internal/testing/emulator/emulatortest"
)

// testEditorEnv, when set, makes the test binary act as an editor (see fakeEditor), so that tests
// can run replay --edit-cmd without depending on a system editor.
const testEditorEnv = "SNOWSYNC_TEST_EDITOR"

func TestMain(m *testing.M) {
	if spec, ok := os.LookupEnv(testEditorEnv); ok {
		if err := fakeEditor(spec, os.Args[len(os.Args)-1]); err != nil {
			os.Stderr.WriteString("fake editor: " + err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	emulatortest.Main(m)
}

// fakeEditor edits file as spec says: a JSON object mapping old text to new text, every occurrence
// replaced; the key "" replaces the whole content. A spec that is not such an object fails the edit.
func fakeEditor(spec, file string) error {
	var edits map[string]string
	if err := json.Unmarshal([]byte(spec), &edits); err != nil {
		return err
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	text := string(data)
	for old, repl := range edits {
		if old == "" {
			text = repl
			continue
		}
		text = strings.ReplaceAll(text, old, repl)
	}
	return os.WriteFile(file, []byte(text+"\n"), 0o600) // editors end files with a newline
}

// testNow is the fixed "now" of the tests.
var testNow = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

// env is a fixed environment.
type env map[string]string

func (e env) getenv(name string) (string, bool) {
	v, ok := e[name]
	return v, ok
}

// fakeHubs are the in-memory hubs a test's deps open, and the hub locations they were opened with.
type fakeHubs struct {
	sync, failures   publish.Memory
	published, reads []publish.Hub
	groups           []string
}

// newDeps returns deps over e and in-memory hubs, with a fixed clock and task id.
func newDeps(e env) (*deps, *fakeHubs) {
	h := &fakeHubs{}
	return &deps{
		getenv: e.getenv,
		now:    func() time.Time { return testNow },
		newID:  func() string { return "cli-TESTID" },
		stdin:  strings.NewReader(""),
		http:   nil, // set by tests of --api
		openPublisher: func(hub publish.Hub) (publish.Publisher, func(), error) {
			h.published = append(h.published, hub)
			return &h.sync, func() {}, nil
		},
		openReader: func(hub publish.Hub, group string) (publish.FailureReader, func(), error) {
			h.reads = append(h.reads, hub)
			h.groups = append(h.groups, group)
			return &h.failures, func() {}, nil
		},
	}, h
}

// result is what a command run printed and returned.
type result struct {
	code           int
	stdout, stderr string
}

func runCommand(t *testing.T, d *deps, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr, d)
	return result{code, stdout.String(), stderr.String()}
}

func TestHelpAndUsage(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string // a substring; "" means stdout must be empty
		wantStderr string
	}{
		{"no command", nil, 2, "", "Usage: snowsync COMMAND"},
		{"--help", []string{"--help"}, 0, "replay  re-publish failed events", ""},
		{"unknown command", []string{"grant"}, 2, "", `unknown command "grant"`},
		{"help plan", []string{"help", "plan"}, 0, "snowsync plan --resource table:SALES.PUBLIC.ORDERS", ""},
		{"tasks --help", []string{"tasks", "--help"}, 0, "Examples:\n  snowsync tasks --status FAILED", ""},
		{"plan -h", []string{"plan", "-h"}, 0, "-resource TYPE:NAME", ""},
		{"--help lists drift", []string{"--help"}, 0, "drift   list recent policy-change reconciliations and drift sweeps", ""},
		{"drift --help", []string{"drift", "--help"}, 0, "Examples:\n  snowsync drift\n  snowsync drift --changed", ""},
		{"send --help", []string{"send", "--help"}, 0, "snowsync send --eventhub --file requests.jsonl", ""},
		{"replay --help", []string{"replay", "--help"}, 0, "snowsync replay --since 24h --dry-run", ""},
		{"unknown flag", []string{"tasks", "--stat", "FAILED"}, 2, "", "Run 'snowsync tasks --help' for usage."},
		{"positional argument", []string{"plan", "table:A.B.C"}, 2, "", `unexpected argument "table:A.B.C"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, _ := newDeps(env{})
			got := runCommand(t, d, tt.args...)
			if got.code != tt.wantCode {
				t.Errorf("exit status %d, want %d; stderr:\n%s", got.code, tt.wantCode, got.stderr)
			}
			if tt.wantStdout == "" && got.stdout != "" || !strings.Contains(got.stdout, tt.wantStdout) {
				t.Errorf("stdout:\n%s\nwant it to contain %q", got.stdout, tt.wantStdout)
			}
			if !strings.Contains(got.stderr, tt.wantStderr) {
				t.Errorf("stderr:\n%s\nwant it to contain %q", got.stderr, tt.wantStderr)
			}
		})
	}
}

func TestParseTime(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Time
		wantErr bool
	}{
		{"", time.Time{}, false},
		{"24h", testNow.Add(-24 * time.Hour), false},
		{"90m", testNow.Add(-90 * time.Minute), false},
		{"2026-11-24T10:00:00+01:00", time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC), false},
		{"-1h", time.Time{}, true},
		{"yesterday", time.Time{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseTime("since", tt.in, testNow)
			var usage usageError
			if tt.wantErr != (err != nil) || err != nil && !errors.As(err, &usage) {
				t.Fatalf("parseTime(%q) error = %v, want a usage error: %v", tt.in, err, tt.wantErr)
			}
			if !got.Equal(tt.want) {
				t.Errorf("parseTime(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

// batchBodies renders published batches as strings, for comparing with a want list.
func batchBodies(batches [][][]byte) [][]string {
	var out [][]string
	for _, b := range batches {
		var bodies []string
		for _, body := range b {
			bodies = append(bodies, string(body))
		}
		out = append(out, bodies)
	}
	return out
}

// check fails the test unless the command exited with code and printed wantStderr on stderr.
// checkStdout compares stdout with wantStdout; when wantJSON is not nil it reads stdout as JSON lines,
// one value of T a line, and compares those with wantJSON instead.
func checkStdout[T any](t *testing.T, stdout, wantStdout string, wantJSON []T) {
	t.Helper()
	if wantJSON == nil {
		if stdout != wantStdout {
			t.Errorf("stdout:\n%s\nwant:\n%s", stdout, wantStdout)
		}
		return
	}
	var got []T
	for line := range strings.Lines(stdout) {
		var v T
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("stdout is not JSON lines: %v\n%s", err, stdout)
		}
		got = append(got, v)
	}
	if !reflect.DeepEqual(got, wantJSON) {
		t.Errorf("stdout as JSON lines:\n%+v\nwant:\n%+v", got, wantJSON)
	}
}

func (r result) check(t *testing.T, code int, wantStderr string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit status %d, want %d; stdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, wantStderr) {
		t.Errorf("stderr:\n%s\nwant it to contain %q", r.stderr, wantStderr)
	}
}
