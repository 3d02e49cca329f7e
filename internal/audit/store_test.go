package audit_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"

	"github.com/snowsync/snowsync/internal/audit"
	"github.com/snowsync/snowsync/internal/task/outcome"
	"github.com/snowsync/snowsync/internal/testing/azurite"
)

// server is the Azurite table service the tests of this package share; each test uses its own table.
var server *azurite.Server

func TestMain(m *testing.M) { azurite.Main(m, func(s *azurite.Server) { server = s }) }

// counter is an HTTP transport that counts the requests the store sends, by method and last path
// segment ("POST $batch").
type counter struct {
	mu       sync.Mutex
	requests []string
}

func (c *counter) Do(req *http.Request) (*http.Response, error) {
	c.mu.Lock()
	path := req.URL.Path
	c.requests = append(c.requests, req.Method+" "+path[strings.LastIndex(path, "/")+1:])
	c.mu.Unlock()
	return http.DefaultClient.Do(req)
}

// count returns how many requests were sent, and how many of them were transactions.
func (c *counter) count() (all, transactions int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range c.requests {
		if r == "POST $batch" {
			transactions++
		}
	}
	return len(c.requests), transactions
}

func (c *counter) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.requests = nil
}

var tables atomic.Int64

// clientOptions sends through transport and retries quickly: the tests stop Azurite on purpose.
func clientOptions(transport policy.Transporter) *aztables.ClientOptions {
	return &aztables.ClientOptions{ClientOptions: policy.ClientOptions{
		Transport: transport,
		Retry:     policy.RetryOptions{MaxRetries: 2, RetryDelay: 10 * time.Millisecond, MaxRetryDelay: 50 * time.Millisecond},
	}}
}

// newStore returns a store on a fresh table of srv, and the counter of its requests.
func newStore(t *testing.T, srv *azurite.Server) (*audit.Store, *counter, string) {
	t.Helper()
	table := fmt.Sprintf("audit%d", tables.Add(1))
	c := &counter{}
	s, err := audit.NewStore(audit.Connection{ConnectionString: srv.ConnectionString()}, &audit.Options{Table: table, ClientOptions: clientOptions(c)})
	if err != nil {
		t.Fatal(err)
	}
	return s, c, table
}

// rawTable is a plain aztables client on table, to look at entities as stored.
func rawTable(t *testing.T, table string) *aztables.Client {
	t.Helper()
	svc, err := aztables.NewServiceClientFromConnectionString(server.ConnectionString(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return svc.NewClient(table)
}

var day = time.Date(2026, 11, 24, 10, 15, 0, 123456700, time.UTC)

// event returns the record of event seq in partition "3", processed on day plus offset days.
func event(days, seq int) outcome.Task {
	started := day.AddDate(0, 0, days).Add(time.Duration(seq) * time.Second)
	n := int64(seq)
	return outcome.Task{
		PartitionKey:   audit.PartitionKeyFor(started),
		RowKey:         audit.RowKeyForEvent("sync-requests", "$Default", "3", n),
		Status:         outcome.Success,
		Type:           "RESOURCE_SYNC",
		Source:         "KAFKA",
		StartedAt:      started,
		CompletedAt:    started.Add(250 * time.Millisecond),
		DurationMs:     250,
		EventHub:       "sync-requests",
		ConsumerGroup:  "$Default",
		Partition:      "3",
		Offset:         fmt.Sprint(4096 * n),
		SequenceNumber: &n,
		Connector:      "snowflake",
	}
}

func events(days, from, n int) []outcome.Task {
	recs := make([]outcome.Task, n)
	for i := range recs {
		recs[i] = event(days, from+i)
	}
	return recs
}

func keys(recs []outcome.Task) []audit.Key {
	ks := make([]audit.Key, len(recs))
	for i, r := range recs {
		ks[i] = audit.KeyOf(r)
	}
	return ks
}

func rowKeys(recs []outcome.Task) []string {
	ks := make([]string, len(recs))
	for i, r := range recs {
		ks[i] = r.RowKey
	}
	return ks
}

func ptr[T any](v T) *T { return &v }

func TestEnsureTable(t *testing.T) {
	s, _, table := newStore(t, server)
	for range 2 {
		if err := s.EnsureTable(t.Context()); err != nil {
			t.Fatalf("EnsureTable: %v", err)
		}
	}
	if _, err := rawTable(t, table).NewListEntitiesPager(nil).NextPage(t.Context()); err != nil {
		t.Fatalf("table %s is not there: %v", table, err)
	}
}

func TestPutCreatesMissingTable(t *testing.T) {
	s, _, table := newStore(t, server)
	if err := s.Put(t.Context(), events(0, 1, 1)); err != nil {
		t.Fatalf("Put on a missing table: %v", err)
	}
	// Dropped behind the store's back (or lost by an emulator restart): the next Put recreates it.
	if _, err := rawTable(t, table).Delete(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(t.Context(), events(0, 2, 1)); err != nil {
		t.Fatalf("Put after the table was dropped: %v", err)
	}
	if got := rowKeys(all(t, s)); !slices.Equal(got, rowKeys(events(0, 2, 1))) {
		t.Errorf("records = %v", got)
	}
}

func TestPutGroupsTransactions(t *testing.T) {
	tests := []struct {
		name         string
		perPartition []int // records on consecutive days
		transactions int
	}{
		{"50 records in one partition", []int{50}, 1},
		{"100 records in one partition", []int{100}, 1},
		{"250 records in one partition", []int{250}, 3},
		{"120 and 30 records in two partitions", []int{120, 30}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, c, _ := newStore(t, server)
			if err := s.EnsureTable(t.Context()); err != nil {
				t.Fatal(err)
			}
			c.reset()
			var recs []outcome.Task
			for d, n := range tt.perPartition {
				recs = append(recs, events(d, 0, n)...)
			}
			if err := s.Put(t.Context(), recs); err != nil {
				t.Fatal(err)
			}
			if all, transactions := c.count(); all != tt.transactions || transactions != tt.transactions {
				t.Errorf("Put of %d records sent %d requests, %d of them transactions; want %d transactions and nothing else",
					len(recs), all, transactions, tt.transactions)
			}
			found, err := s.Existing(t.Context(), keys(recs))
			if err != nil {
				t.Fatal(err)
			}
			if len(found) != len(recs) {
				t.Errorf("%d of %d records stored", len(found), len(recs))
			}
		})
	}

	t.Run("first Put creates the table with one more request", func(t *testing.T) {
		s, c, _ := newStore(t, server)
		if err := s.Put(t.Context(), events(0, 0, 50)); err != nil {
			t.Fatal(err)
		}
		if all, transactions := c.count(); all > 3 || transactions != 1 {
			t.Errorf("first Put of 50 records sent %d requests (%d transactions), want at most 3 (1)", all, transactions)
		}
	})
}

// TestPutSplitsLargeTransactions writes records that together are far over the 4 MiB a transaction
// may carry, which Azurite enforces.

// TestUnavailableThenRestart is issue 2's systemic failure: Table Storage goes away, Put fails with
// an error the handler answers 500 for, and once it is back the re-delivered batch is written
// exactly once.
func TestUnavailableThenRestart(t *testing.T) {
	srv := azurite.StartT(t)
	s, _, _ := newStore(t, srv)
	if err := s.Put(t.Context(), events(0, 0, 10)); err != nil {
		t.Fatal(err)
	}
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	batch := events(0, 10, 50)
	err := s.Put(t.Context(), batch)
	if err == nil || audit.IsRejected(err) {
		t.Fatalf("Put with Azurite stopped = %v, want an error that a retry may pass", err)
	}
	if err := srv.Restart(t.Context()); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the host's re-delivery, and one more for good measure
		if err := s.Put(t.Context(), batch); err != nil {
			t.Fatalf("Put after restart: %v", err)
		}
	}
	// Azurite keeps data in memory, so the first 10 records went with the restart.
	got := all(t, s)
	if !reflect.DeepEqual(got, batch) {
		t.Errorf("after restart %d records %v, want the %d of the batch once each", len(got), rowKeys(got), len(batch))
	}
}

func TestNewStore(t *testing.T) {
	refused := errors.New("not sent")
	tests := []struct {
		name     string
		conn     audit.Connection
		wantHost string // where the store sends requests; empty means NewStore fails
	}{
		{"development storage", audit.Connection{ConnectionString: "UseDevelopmentStorage=true"}, "127.0.0.1:10002"},
		{"development storage, spaced", audit.Connection{ConnectionString: " usedevelopmentstorage = TRUE ;"}, "127.0.0.1:10002"},
		{"explicit", audit.Connection{ConnectionString: audit.DevelopmentConnectionString("http://localhost:4242/devstoreaccount1")}, "localhost:4242"},
		{"account key", audit.Connection{ConnectionString: "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=" + audit.DevelopmentAccountKey + ";EndpointSuffix=core.windows.net"}, "acct.table.core.windows.net"},
		{"service URL", audit.Connection{ServiceURL: "https://acct.table.core.windows.net/?sv=x"}, "acct.table.core.windows.net"},
		{"SAS without AccountName, as the portal writes it", audit.Connection{ConnectionString: "BlobEndpoint=https://acct.blob.core.windows.net/;" +
			"TableEndpoint=https://acct.table.core.windows.net/;SharedAccessSignature=sv=2022-11-02&ss=t&srt=sco&sp=rwlacu&sig=c2lnbmF0dXJl"}, "acct.table.core.windows.net"},
		{"SAS to a private endpoint", audit.Connection{ConnectionString: "AccountName=acct;TableEndpoint=https://audit.privatelink.example:8443;" +
			"SharedAccessSignature=?sv=2022-11-02&sig=c2lnbmF0dXJl"}, "audit.privatelink.example:8443"},
		{"SAS in a sovereign cloud", audit.Connection{ConnectionString: "AccountName=acct;EndpointSuffix=core.chinacloudapi.cn;" +
			"SharedAccessSignature=sv=2022-11-02&sig=c2lnbmF0dXJl"}, "acct.table.core.chinacloudapi.cn"},
		{"account key in a sovereign cloud", audit.Connection{ConnectionString: "AccountName=acct;AccountKey=" + audit.DevelopmentAccountKey +
			";EndpointSuffix=core.usgovcloudapi.net"}, "acct.table.core.usgovcloudapi.net"},
		{"malformed", audit.Connection{ConnectionString: "not a connection string"}, ""},
		{"garbled TableEndpoint", audit.Connection{ConnectionString: "AccountName=acct;AccountKey=" + audit.DevelopmentAccountKey + ";TableEndpoint=htps//acct.table"}, ""},
		{"TableEndpoint with a SAS in it", audit.Connection{ConnectionString: "TableEndpoint=https://acct.table.core.windows.net/?sig=c2VjcmV0;SharedAccessSignature=sig=x"}, ""},
		{"SAS without an endpoint", audit.Connection{ConnectionString: "SharedAccessSignature=sv=2022-11-02&sig=c2lnbmF0dXJl"}, ""},
		{"not a SAS", audit.Connection{ConnectionString: "TableEndpoint=https://acct.table.core.windows.net;SharedAccessSignature=c2VjcmV0"}, ""},
		{"key not base64", audit.Connection{ConnectionString: "AccountName=acct;AccountKey=c2VjcmV0!"}, ""},
		{"key without account", audit.Connection{ConnectionString: "AccountKey=" + audit.DevelopmentAccountKey + ";TableEndpoint=https://acct.table.core.windows.net"}, ""},
		{"bad suffix", audit.Connection{ConnectionString: "AccountName=acct;AccountKey=" + audit.DevelopmentAccountKey + ";EndpointSuffix=core.windows.net/c2VjcmV0"}, ""},
		{"no credential", audit.Connection{ConnectionString: "AccountName=acct;EndpointSuffix=core.windows.net"}, ""},
		{"nothing", audit.Connection{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var host, query string
			transport := transporterFunc(func(req *http.Request) (*http.Response, error) {
				host, query = req.URL.Host, req.URL.RawQuery
				return nil, refused
			})
			opts := &aztables.ClientOptions{ClientOptions: policy.ClientOptions{Transport: transport, Retry: policy.RetryOptions{MaxRetries: -1}}}
			s, err := audit.NewStore(tt.conn, &audit.Options{ClientOptions: opts})
			if tt.wantHost == "" {
				if err == nil {
					t.Fatal("NewStore succeeded")
				}
				for _, secret := range []string{"c2VjcmV0", audit.DevelopmentAccountKey, "htps//acct", "not a connection"} {
					if strings.Contains(err.Error(), secret) {
						t.Errorf("error %q shows a value of the connection string", err)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := s.EnsureTable(t.Context()); !errors.Is(err, refused) {
				t.Fatalf("EnsureTable = %v", err)
			}
			if host != tt.wantHost {
				t.Errorf("request went to %q, want %q", host, tt.wantHost)
			}
			if strings.Contains(tt.conn.ConnectionString, "SharedAccessSignature") && !strings.Contains(query, "sig=c2lnbmF0dXJl") {
				t.Errorf("request query %q lacks the SAS", query)
			}
		})
	}
}

type transporterFunc func(*http.Request) (*http.Response, error)

func (f transporterFunc) Do(req *http.Request) (*http.Response, error) { return f(req) }

// TestErrorsHideSAS: a SAS token in the service URL must not reach an error message (and so a log).
func TestErrorsHideSAS(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	s, err := audit.NewStore(audit.Connection{ServiceURL: "http://" + closed + "/devstoreaccount1?sv=2024-11-04&sig=SECRET"},
		&audit.Options{ClientOptions: clientOptions(nil)})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Put(t.Context(), events(0, 0, 1))
	if err == nil || audit.IsRejected(err) || strings.Contains(err.Error(), "SECRET") {
		t.Errorf("Put = %v, want a connection error without the SAS token", err)
	}
}

// TestSASConnectionString writes and reads records over a SAS generated for Azurite, with the connection
// strings a user writes: the portal's (no AccountName) and one with AccountName beside TableEndpoint.
func TestSASConnectionString(t *testing.T) {
	cred, err := aztables.NewSharedKeyCredential(audit.DevelopmentAccountName, audit.DevelopmentAccountKey)
	if err != nil {
		t.Fatal(err)
	}
	sas, err := aztables.AccountSASSignatureValues{
		Protocol: aztables.SASProtocolHTTPSandHTTP, Services: "t", // Azurite serves http
		Permissions:   aztables.AccountSASPermissions{Read: true, Write: true, List: true, Add: true, Create: true, Update: true}.String(),
		ResourceTypes: aztables.AccountSASResourceTypes{Service: true, Container: true, Object: true}.String(),
		StartTime:     time.Now().Add(-time.Minute).UTC(), ExpiryTime: time.Now().Add(time.Hour).UTC(),
	}.Sign(cred)
	if err != nil {
		t.Fatal(err)
	}
	query := sas.Encode()
	for i, conn := range []string{
		"TableEndpoint=" + server.TableEndpoint() + ";SharedAccessSignature=" + query,
		"AccountName=" + audit.DevelopmentAccountName + ";TableEndpoint=" + server.TableEndpoint() + "/;SharedAccessSignature=?" + query,
	} {
		table := fmt.Sprintf("sas%d", tables.Add(1))
		s, err := audit.NewStore(audit.Connection{ConnectionString: conn}, &audit.Options{Table: table, ClientOptions: clientOptions(nil)})
		if err != nil {
			t.Fatalf("connection string %d: %v", i, err)
		}
		recs := events(0, 0, 3)
		if err := s.Put(t.Context(), recs); err != nil {
			t.Fatalf("connection string %d: Put: %v", i, err)
		}
		if got := all(t, s); !reflect.DeepEqual(got, recs) {
			t.Errorf("connection string %d: read back %d records, want %d", i, len(got), len(recs))
		}
	}
}

// TestRoundTripProperties looks at the entity as Table Storage holds it (the round trip itself is
// in the contract tests).
func TestRoundTripProperties(t *testing.T) {
	full, minimal := fullRecord(), minimalRecord()
	s, _, table := newStore(t, server)
	if err := s.Put(t.Context(), []outcome.Task{full, minimal}); err != nil {
		t.Fatal(err)
	}
	t.Run("properties", func(t *testing.T) {
		resp, err := rawTable(t, table).GetEntity(t.Context(), full.PartitionKey, full.RowKey, nil)
		if err != nil {
			t.Fatal(err)
		}
		var props map[string]any
		if err := json.Unmarshal(resp.Value, &props); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"TaskId", "Status", "Reason", "ErrorType", "ErrorMessage", "Type", "Source",
			"AppType", "AppSubType", "CreateTime", "EnqueuedTime", "StartedAt", "CompletedAt", "DurationMs", "EventHub",
			"ConsumerGroup", "Partition", "Offset", "SequenceNumber", "ResourceCount", "Synced", "Skipped", "Failed",
			"Grants", "Revokes", "MasksSet", "MasksSwapped", "MasksRemoved", "FiltersSet", "FiltersSwapped", "FiltersRemoved",
			"DryRun", "InvocationId", "Connector", "Resources", "PolicyVersion", "PolicyVersionFrom"} {
			if _, ok := props[name]; !ok {
				t.Errorf("property %s missing", name)
			}
		}
		for name, edm := range map[string]string{"EnqueuedTime": "Edm.DateTime", "StartedAt": "Edm.DateTime", "CompletedAt": "Edm.DateTime",
			"SequenceNumber": "Edm.Int64", "DurationMs": "Edm.Int64", "PolicyVersion": "Edm.Int64",
			"PolicyVersionFrom": "Edm.Int64"} {
			if got := props[name+"@odata.type"]; got != edm {
				t.Errorf("%s has type %v, want %s", name, got, edm)
			}
		}
		if props["Status"] != "FAILED" || props["DryRun"] != true || props["Grants"] != 7.0 || props["FiltersRemoved"] != 5.0 {
			t.Errorf("Status, DryRun, Grants, FiltersRemoved = %v, %v, %v, %v", props["Status"], props["DryRun"], props["Grants"], props["FiltersRemoved"])
		}
		if props["PolicyVersion"] != "34359738375" { // OData writes Edm.Int64 as a string
			t.Errorf("PolicyVersion = %v, want \"34359738375\"", props["PolicyVersion"])
		}
		if props["PolicyVersionFrom"] != "34359738373" {
			t.Errorf("PolicyVersionFrom = %v, want \"34359738373\"", props["PolicyVersionFrom"])
		}
	})
	t.Run("no policy version", func(t *testing.T) {
		resp, err := rawTable(t, table).GetEntity(t.Context(), minimal.PartitionKey, minimal.RowKey, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{`"PolicyVersion"`, `"PolicyVersionFrom"`} {
			if bytes.Contains(resp.Value, []byte(name)) {
				t.Errorf("a record without policy versions stores %s: %s", name, resp.Value)
			}
		}
	})
}

func TestPutSplitsLargeTransactions(t *testing.T) {
	recs := largeRecords()
	s, c, _ := newStore(t, server)
	if err := s.Put(t.Context(), recs); err != nil {
		t.Fatalf("Put of %d records of 120 KB: %v", len(recs), err)
	}
	if _, transactions := c.count(); transactions < 2 {
		t.Errorf("7 MB went in %d transactions", transactions)
	}
}

// TestPutTruncatedProperties looks at how a shortened record is stored (what reads back is in the
// contract tests).
func TestPutTruncatedProperties(t *testing.T) {
	rec := oversized()
	s, _, table := newStore(t, server)
	if err := s.Put(t.Context(), []outcome.Task{rec}); err != nil {
		t.Fatalf("Put of an oversized record: %v", err)
	}
	got, err := s.Get(t.Context(), rec.RowKey)
	if err != nil || len(got) != 1 {
		t.Fatalf("Get = %d records, %v", len(got), err)
	}
	resp, err := rawTable(t, table).GetEntity(t.Context(), rec.PartitionKey, rec.RowKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	var props map[string]any
	if err := json.Unmarshal(resp.Value, &props); err != nil {
		t.Fatal(err)
	}
	if props["ResourcesTruncated"] != true || props["ResourcesOmitted"] != float64(got[0].ResourcesOmitted) {
		t.Errorf("ResourcesTruncated, ResourcesOmitted = %v, %v", props["ResourcesTruncated"], props["ResourcesOmitted"])
	}
	if n := len(utf16.Encode([]rune(props["Resources"].(string)))); n > 32<<10 || n < 30<<10 {
		t.Errorf("Resources is %d UTF-16 code units, want just under 32K", n)
	}
}

func TestExistingQueriesEachPartitionOnce(t *testing.T) {
	s, c, _ := newStore(t, server)
	stored := slices.Concat(events(0, 0, 20), events(1, 0, 20))
	if err := s.Put(t.Context(), stored); err != nil {
		t.Fatal(err)
	}
	asked := slices.Concat(keys(stored[3:8]), keys(stored[30:32]), keys(events(0, 50, 2)), keys(events(2, 0, 1)))
	c.reset()
	if _, err := s.Existing(t.Context(), asked); err != nil {
		t.Fatal(err)
	}
	if all, _ := c.count(); all != 3 {
		t.Errorf("Existing over 3 partitions sent %d requests, want 3", all)
	}
}

func TestInvalidKeysSendNothing(t *testing.T) {
	s, c, _ := newStore(t, server)
	for _, k := range invalidKeys {
		if err := s.Put(t.Context(), []outcome.Task{{PartitionKey: k.pk, RowKey: k.rk}}); !errors.Is(err, audit.ErrInvalidKey) {
			t.Errorf("%s: Put = %v, want a key error", k.name, err)
		}
	}
	if all, _ := c.count(); all != 0 {
		t.Errorf("invalid records sent %d requests", all)
	}
}
