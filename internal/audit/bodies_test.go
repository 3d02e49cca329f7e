package audit_test

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/snowsync/snowsync/internal/audit"
	"github.com/snowsync/snowsync/internal/testing/azurite"
)

func newBodies(t *testing.T, srv *azurite.Server) (*audit.Bodies, *counter) {
	t.Helper()
	c := &counter{}
	b, err := audit.NewBodies(audit.Connection{ConnectionString: srv.ConnectionString()},
		&audit.Options{Table: fmt.Sprintf("bodies%d", tables.Add(1)), ClientOptions: clientOptions(c)})
	if err != nil {
		t.Fatal(err)
	}
	return b, c
}

func TestBodiesRoundTrip(t *testing.T) {
	b, c := newBodies(t, server)
	controls := bytes.Repeat([]byte{0, 1, 2, '"', '\\', 0x1f, 0xff}, 10<<20/7) // 10 MiB, not UTF-8
	tests := []struct {
		name     string
		body     []byte
		entities int
	}{
		{"empty", nil, 1},
		{"small", []byte(`{"id":"x"}`), 1},
		{"one chunk exactly", bytes.Repeat([]byte("a"), audit.BodyChunk), 1},
		{"one byte more", bytes.Repeat([]byte("b"), audit.BodyChunk+1), 2},
		{"10 MiB of control characters and invalid UTF-8", controls, 20},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := audit.Key{PartitionKey: "2026-11-24", RowKey: fmt.Sprintf("hub-$Default-3-%020d", i)}
			c.reset()
			if err := b.Put(t.Context(), key, tt.body); err != nil {
				t.Fatal(err)
			}
			if n, _ := c.count(); n < tt.entities {
				t.Errorf("%d requests for %d entities", n, tt.entities)
			}
			got, err := b.Get(t.Context(), key)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.body) {
				t.Errorf("Get returned %d bytes, want the %d stored", len(got), len(tt.body))
			}
		})
	}
	// A re-delivery stores the same body again; a shorter one replaces it whole.
	key := audit.Key{PartitionKey: "2026-11-24", RowKey: "again"}
	for _, body := range [][]byte{controls, controls, []byte("short")} {
		if err := b.Put(t.Context(), key, body); err != nil {
			t.Fatal(err)
		}
		if got, err := b.Get(t.Context(), key); err != nil || !bytes.Equal(got, body) {
			t.Fatalf("Get after Put of %d bytes = %d bytes, %v", len(body), len(got), err)
		}
	}
}

func TestBodiesMissingAndPartial(t *testing.T) {
	b, _ := newBodies(t, server)
	key := audit.Key{PartitionKey: "2026-11-24", RowKey: "k"}
	if _, err := b.Get(t.Context(), key); !errors.Is(err, audit.ErrNoBody) {
		t.Fatalf("Get before any Put (no table) = %v, want ErrNoBody", err)
	}
	if err := b.Put(t.Context(), key, bytes.Repeat([]byte("x"), 2*audit.BodyChunk)); err != nil {
		t.Fatal(err)
	}
	// A Put cut short after its later entities leaves no readable body: entity 0 is written last.
	raw := rawTable(t, b.Table())
	if _, err := raw.DeleteEntity(t.Context(), key.PartitionKey, key.RowKey+"-00000", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get(t.Context(), key); !errors.Is(err, audit.ErrNoBody) {
		t.Errorf("Get of a body without entity 0 = %v, want ErrNoBody", err)
	}
	if err := b.Put(t.Context(), audit.Key{PartitionKey: "2026-11-24", RowKey: "bad/key"}, []byte("x")); !errors.Is(err, audit.ErrInvalidKey) {
		t.Errorf("Put with an invalid row key = %v, want ErrInvalidKey", err)
	}
}

func TestBodiesUnavailable(t *testing.T) {
	srv := azurite.StartT(t)
	b, _ := newBodies(t, srv)
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	key := audit.Key{PartitionKey: "2026-11-24", RowKey: "k"}
	err := b.Put(t.Context(), key, []byte("body"))
	if err == nil || audit.IsRejected(err) {
		t.Fatalf("Put with Azurite stopped = %v, want an error that a retry may pass", err)
	}
	if err := srv.Restart(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := b.Put(t.Context(), key, []byte("body")); err != nil {
		t.Fatalf("Put after restart: %v", err)
	}
}
