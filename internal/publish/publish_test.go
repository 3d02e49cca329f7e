package publish_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/snowsync/snowsync/internal/publish"
)

func TestMemoryRead(t *testing.T) {
	t0 := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	ev := func(min int, partition string, seq int64) publish.Received {
		return publish.Received{Body: []byte(fmt.Sprintf("%s/%d", partition, seq)), EnqueuedTime: t0.Add(time.Duration(min) * time.Minute),
			Partition: partition, SequenceNumber: seq}
	}
	var m publish.Memory
	m.Add(ev(5, "1", 7), ev(0, "0", 1), ev(5, "0", 2), ev(10, "1", 8), ev(5, "0", 3))
	tests := []struct {
		name         string
		since, until time.Time
		want         []string
	}{
		{"all, ordered by time, partition, sequence", t0, time.Time{}, []string{"0/1", "0/2", "0/3", "1/7", "1/8"}},
		{"since is inclusive", t0.Add(5 * time.Minute), time.Time{}, []string{"0/2", "0/3", "1/7", "1/8"}},
		{"until is exclusive", t0, t0.Add(10 * time.Minute), []string{"0/1", "0/2", "0/3", "1/7"}},
		{"empty range", t0.Add(time.Hour), time.Time{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := m.Read(context.Background(), tt.since, tt.until)
			if err != nil {
				t.Fatal(err)
			}
			var bodies []string
			for _, r := range got {
				bodies = append(bodies, string(r.Body))
			}
			if !reflect.DeepEqual(bodies, tt.want) {
				t.Errorf("Read = %q, want %q", bodies, tt.want)
			}
		})
	}
}

func TestMemoryPublishKeepsCopies(t *testing.T) {
	var m publish.Memory
	body := []byte(`{"id":"a"}`)
	if sent, err := m.Publish(context.Background(), [][]byte{body, []byte("b")}); sent != 2 || err != nil {
		t.Fatalf("Publish = %d, %v; want 2, nil", sent, err)
	}
	body[2] = 'X' // the caller reuses its buffer
	if _, err := m.Publish(context.Background(), [][]byte{[]byte("c")}); err != nil {
		t.Fatal(err)
	}
	want := [][][]byte{{[]byte(`{"id":"a"}`), []byte("b")}, {[]byte("c")}}
	if got := m.Batches(); !reflect.DeepEqual(got, want) {
		t.Errorf("Batches = %q, want %q", got, want)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if sent, err := m.Publish(ctx, [][]byte{[]byte("d")}); sent != 0 || err == nil || len(m.Batches()) != 2 {
		t.Errorf("Publish on a done context = %d, %v with %d batches, want 0, an error and nothing recorded", sent, err, len(m.Batches()))
	}
}

// TestNewClients checks the hub locations the constructors accept and refuse. Neither connects,
// so no Event Hub is needed.
func TestNewClients(t *testing.T) {
	const conn = "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=c2VjcmV0"
	tests := []struct {
		name    string
		hub     publish.Hub
		wantErr string // "" means success
	}{
		{"connection string and name", publish.Hub{Name: "sync", ConnectionString: conn}, ""},
		{"EntityPath alone", publish.Hub{ConnectionString: conn + ";EntityPath=sync"}, ""},
		{"EntityPath equal to the name", publish.Hub{Name: "sync", ConnectionString: conn + ";EntityPath=sync"}, ""},
		{"EntityPath naming another hub", publish.Hub{Name: "sync", ConnectionString: conn + ";EntityPath=other"}, `EntityPath "other" is not the event hub "sync"`},
		{"no name anywhere", publish.Hub{ConnectionString: conn}, "no event hub name"},
		{"malformed connection string", publish.Hub{Name: "sync", ConnectionString: "Endpoint=sb://ns/"}, "connection string:"},
		{"nothing", publish.Hub{Name: "sync"}, "neither a connection string nor a namespace"},
		{"namespace without credential", publish.Hub{Name: "sync", Namespace: "ns.servicebus.windows.net"}, "without a credential"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, perr := publish.NewProducer(tt.hub)
			r, rerr := publish.NewHubReader(tt.hub, "", nil)
			for _, err := range []error{perr, rerr} {
				switch {
				case tt.wantErr == "" && err != nil:
					t.Errorf("unexpected error: %v", err)
				case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
					t.Errorf("error = %v, want one containing %q", err, tt.wantErr)
				case err != nil && strings.Contains(err.Error(), "c2VjcmV0"):
					t.Errorf("error %q quotes the shared access key", err)
				}
			}
			if p != nil {
				if err := p.Close(context.Background()); err != nil {
					t.Errorf("close producer: %v", err)
				}
			}
			if r != nil {
				if err := r.Close(context.Background()); err != nil {
					t.Errorf("close reader: %v", err)
				}
			}
		})
	}
}

// Memory stands in for an Event Hub in tests of code that publishes and reads events.
func ExampleMemory() {
	var hub publish.Memory
	ctx := context.Background()
	_, _ = hub.Publish(ctx, [][]byte{[]byte(`{"id":"1"}`), []byte(`{"id":"2"}`)})
	fmt.Println(len(hub.Batches()), "batch of", len(hub.Batches()[0]), "events")

	t0 := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	hub.Add(publish.Received{Body: []byte("late"), EnqueuedTime: t0.Add(time.Hour)},
		publish.Received{Body: []byte("early"), EnqueuedTime: t0})
	events, _ := hub.Read(ctx, t0, time.Time{})
	for _, ev := range events {
		fmt.Println(string(ev.Body))
	}
	// Output:
	// 1 batch of 2 events
	// early
	// late
}
