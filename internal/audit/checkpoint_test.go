package audit_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/snowsync/snowsync/internal/audit"
)

func TestCheckpointLease(t *testing.T) {
	b, _ := newBodies(t, server)
	ctx := t.Context()
	now := time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)
	cp, err := b.Claim(ctx, "state", "run-1", now, now.Add(10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if cp.Sum != "" || cp.Version != 0 {
		t.Fatalf("first claim found %+v, want an empty checkpoint", cp)
	}
	if _, err := b.Claim(ctx, "state", "run-2", now.Add(time.Minute), now.Add(11*time.Minute)); !errors.Is(err, audit.ErrLeased) {
		t.Fatalf("claim while leased: %v, want ErrLeased", err)
	}
	cp.Version, cp.Sum, cp.CursorDatabase, cp.CursorSchema = 42, "abc", "SALES", "PUBLIC"
	if err := b.Save(ctx, "state", &cp, false); err != nil {
		t.Fatal(err)
	}
	if err := b.Save(ctx, "state", &cp, true); err != nil {
		t.Fatal(err)
	}
	got, err := b.Claim(ctx, "state", "run-2", now.Add(time.Minute), now.Add(11*time.Minute))
	if err != nil {
		t.Fatalf("claim after release: %v", err)
	}
	if got.Version != 42 || got.Sum != "abc" || got.CursorDatabase != "SALES" || got.CursorSchema != "PUBLIC" || got.Owner != "run-2" {
		t.Fatalf("claimed %+v, want what run-1 saved, owned by run-2", got)
	}
	if err := b.Save(ctx, "state", &cp, true); !errors.Is(err, audit.ErrLeaseLost) {
		t.Fatalf("save by run-1 after run-2 claimed: %v, want ErrLeaseLost", err)
	}
	// run-2 dies holding the lease: once it runs out, run-3 takes over.
	if _, err := b.Claim(ctx, "state", "run-3", now.Add(12*time.Minute), now.Add(22*time.Minute)); err != nil {
		t.Fatalf("claim after the lease ran out: %v", err)
	}
	if _, err := b.Claim(ctx, "dry-run", "run-3", now, now.Add(time.Minute)); err != nil {
		t.Fatalf("another row is another checkpoint: %v", err)
	}
}

func TestCheckpointOneClaimWins(t *testing.T) {
	b, _ := newBodies(t, server)
	now := time.Now()
	for round := range 2 { // a missing entity (add), then an existing, released one (update)
		var wg sync.WaitGroup
		var mu sync.Mutex
		var won []audit.Checkpoint
		leased := 0
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cp, err := b.Claim(t.Context(), "race", fmt.Sprintf("run-%d-%d", round, i), now, now.Add(time.Minute))
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					won = append(won, cp)
				case errors.Is(err, audit.ErrLeased):
					leased++
				default:
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if len(won) != 1 || leased != 7 {
			t.Fatalf("round %d: %d claims won, %d refused, want exactly one winner", round, len(won), leased)
		}
		if err := b.Save(t.Context(), "race", &won[0], true); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDocumentKept(t *testing.T) {
	b, _ := newBodies(t, server)
	doc := []byte(`{"policyVersion":3,"policies":[]}`)
	if err := b.PutDocument(t.Context(), "sum3", doc); err != nil {
		t.Fatal(err)
	}
	got, err := b.Document(t.Context(), "sum3")
	if err != nil || string(got) != string(doc) {
		t.Fatalf("Document = %q, %v", got, err)
	}
	if _, err := b.Document(t.Context(), "other"); !errors.Is(err, audit.ErrNoBody) {
		t.Fatalf("missing document: %v, want ErrNoBody", err)
	}
}
