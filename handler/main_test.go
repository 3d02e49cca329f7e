package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// build compiles the handler binary once per test run.
func build(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "handler")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// settings is a complete configuration whose services are unreachable: start-up must not need them.
func settings(t *testing.T, port string) []string {
	t.Helper()
	policies := filepath.Join(t.TempDir(), "policies.json")
	if err := os.WriteFile(policies, []byte(`{"serviceName":"snowflake","policies":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"FUNCTIONS_CUSTOMHANDLER_PORT=" + port,
		"CONNECTOR_ON_DEMAND_V2_AZURE_CONNECTION_STRING__fullyQualifiedNamespace=example.servicebus.windows.net",
		"CONNECTOR_ON_DEMAND_V2_AZURE_EVENT_HUB_NAME=sync-requests",
		"CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_CONNECTION_STRING__fullyQualifiedNamespace=example.servicebus.windows.net",
		"CONNECTOR_ON_DEMAND_V2_AZURE_FAILURE_HUB_NAME=sync-failures",
		"CONNECTOR_ON_DEMAND_V2_AUDIT_STORAGE_CONNECTION=UseDevelopmentStorage=true",
		"CONNECTOR_SNOWFLAKE_JDBC_URL=jdbc:snowflake://127.0.0.1:1/?account=unreachable&ssl=off",
		"CONNECTOR_SNOWFLAKE_JDBC_USERNAME=SNOWSYNC",
		"CONNECTOR_SNOWFLAKE_JDBC_PASSWORD=never-printed-7f3a",
		"CONNECTOR_POLICY_FILE=" + policies,
		"SNOWFLAKE_DISABLE_PLATFORM_DETECTION=true",
	}
}

func TestBadSettingsStopStartUp(t *testing.T) {
	bin := build(t)
	tests := []struct {
		port, extra, want string
	}{
		{"", "", "setting FUNCTIONS_CUSTOMHANDLER_PORT: is required"},
		{"eighty", "", `setting FUNCTIONS_CUSTOMHANDLER_PORT: "eighty" is not a whole number`},
		{"7071", "CONNECTOR_POLICY_FILE=/nonexistent/policies.json", "setting CONNECTOR_POLICY_FILE:"},
		{"7071", "CONNECTOR_SNOWFLAKE_JDBC_URL=jdbc:snowflake://", "setting CONNECTOR_SNOWFLAKE_JDBC_URL:"},
		{"7071", "CONNECTOR_SNOWFLAKE_JDBC_URL=jdbc:snowflake://acme.snowflakecomputing.com/never-printed-7f3a?role=R", "setting CONNECTOR_SNOWFLAKE_JDBC_URL:"},
		{"7071", "CONNECTOR_ON_DEMAND_V2_AUDIT_STORAGE_CONNECTION=AccountName=acct;AccountKey=bmV2ZXI=;TableEndpoint=htp:/never-printed-7f3a",
			"setting CONNECTOR_ON_DEMAND_V2_AUDIT_STORAGE_CONNECTION: audit: new store: connection string: TableEndpoint is not an http(s) URL"},
	}
	for _, tt := range tests {
		env := settings(t, tt.port)
		if tt.port == "" { // unset, not blank
			env = append(env[:1:1], env[2:]...)
		}
		if tt.extra != "" { // the last value of a name wins
			env = append(env, tt.extra)
		}
		cmd := exec.Command(bin)
		cmd.Env = env
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(stderr.String(), tt.want) {
			t.Errorf("port %q: err %v, stderr %q; want exit 1 naming the setting", tt.port, err, stderr.String())
		}
		if strings.Contains(stderr.String(), "never-printed-7f3a") {
			t.Errorf("stderr shows the password: %s", stderr.String())
		}
	}
}

func TestServesAndDrainsOnSIGTERM(t *testing.T) {
	bin := build(t)
	port := freePort(t)
	cmd := exec.Command(bin)
	cmd.Env = settings(t, strconv.Itoa(port))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	deadline := time.Now().Add(20 * time.Second)
	var resp *http.Response
	for {
		var err error
		if resp, err = http.Get(url); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET / never answered: %v\nstderr: %s", err, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET / = %d", resp.StatusCode)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\nstderr: %s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	for _, l := range lines {
		var entry map[string]any
		if err := json.Unmarshal([]byte(l), &entry); err != nil {
			t.Errorf("log line is not JSON: %q", l)
		}
	}
	if !strings.Contains(stdout.String(), "draining") || strings.Contains(stdout.String(), "never-printed-7f3a") {
		t.Errorf("logs = %s", stdout.String())
	}
}

// Everything under internal/testing (the emulator, the host stand-in, the local stack, the Azurite
// runner, golden files) is for tests, the demo and benchmarks: the handler must not link any of it.
func TestHandlerLinksNoTestInfrastructure(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "github.com/snowsync/snowsync/internal/engine\n") {
		t.Fatalf("go list -deps does not list the engine:\n%s", out)
	}
	for line := range strings.Lines(string(out)) {
		if strings.Contains(line, "/internal/testing/") {
			t.Errorf("the handler links %s", strings.TrimSpace(line))
		}
	}
}
