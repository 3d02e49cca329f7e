package azurite_test

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"

	"github.com/snowsync/snowsync/internal/testing/azurite"
)

// tableExists reports whether the server at connStr has the table, failing the test when the
// server cannot be asked.
func tableExists(t *testing.T, connStr, table string) bool {
	t.Helper()
	svc, err := aztables.NewServiceClientFromConnectionString(connStr, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.NewClient(table).NewListEntitiesPager(nil).NextPage(t.Context())
	var re *azcore.ResponseError
	if errors.As(err, &re) && re.ErrorCode == string(aztables.TableNotFound) {
		return false
	}
	if err != nil {
		t.Fatalf("list entities of %s: %v", table, err)
	}
	return true
}

func answers(port int) bool {
	conn, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

func TestServer(t *testing.T) {
	s := azurite.StartT(t)
	connStr := s.ConnectionString()
	if want := "TableEndpoint=http://127.0.0.1:" + strconv.Itoa(s.Port()) + "/devstoreaccount1;"; !strings.Contains(connStr, want) {
		t.Errorf("connection string %q lacks %q", connStr, want)
	}
	svc, err := aztables.NewServiceClientFromConnectionString(connStr, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateTable(t.Context(), "probe", nil); err != nil {
		t.Fatalf("create a table through the connection string: %v", err)
	}
	if !tableExists(t, connStr, "probe") {
		t.Fatal("table probe not found after creating it")
	}

	port := s.Port()
	if err := s.Restart(t.Context()); err != nil {
		t.Fatal(err)
	}
	if s.Port() != port || s.ConnectionString() != connStr {
		t.Errorf("restart moved the server from port %d to %d", port, s.Port())
	}
	if tableExists(t, connStr, "probe") {
		t.Error("table probe survived a restart of an in-memory server")
	}

	for range 2 {
		if err := s.Stop(); err != nil {
			t.Fatalf("Stop: %v", err)
		}
	}
	if answers(port) {
		t.Errorf("port %d still answers after Stop", port)
	}
}

func TestStartOnPort(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	s, err := azurite.Start(t.Context(), azurite.Options{Port: port})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Error(err)
		}
	})
	if s.Port() != port || s.TableEndpoint() != "http://127.0.0.1:"+strconv.Itoa(port)+"/devstoreaccount1" {
		t.Errorf("Port, TableEndpoint = %d, %s; want port %d", s.Port(), s.TableEndpoint(), port)
	}
	if !answers(port) {
		t.Errorf("port %d does not answer", port)
	}
}

func TestMissingBinary(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "azurite-table")
	tests := []struct {
		name string
		opts azurite.Options
		env  string
	}{
		{"explicit", azurite.Options{Binary: missing}, ""},
		{"environment", azurite.Options{}, missing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(azurite.BinaryEnv, tt.env)
			_, err := azurite.Start(context.Background(), tt.opts)
			if err == nil || !strings.Contains(err.Error(), "npm ci --prefix tools/azurite") {
				t.Errorf("Start = %v, want an error saying how to install Azurite", err)
			}
		})
	}
}

// A Persistent server keeps its tables and entities across Restart; Stop removes them.
func TestPersistentRestartKeepsData(t *testing.T) {
	s, err := azurite.Start(t.Context(), azurite.Options{Persistent: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	svc, err := aztables.NewServiceClientFromConnectionString(s.ConnectionString(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateTable(t.Context(), "kept", nil); err != nil {
		t.Fatal(err)
	}
	entity := []byte(`{"PartitionKey":"p","RowKey":"r","Value":"written before the restart"}`)
	if _, err := svc.NewClient("kept").AddEntity(t.Context(), entity, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Restart(t.Context()); err != nil {
		t.Fatal(err)
	}
	got, err := svc.NewClient("kept").GetEntity(t.Context(), "p", "r", nil)
	if err != nil || !strings.Contains(string(got.Value), "written before the restart") {
		t.Fatalf("entity after restart: %s, %v", got.Value, err)
	}
}
