package publish

import (
	"bytes"
	"context"
	"slices"
	"sync"
	"time"
)

// Memory is an in-memory hub: a Publisher that keeps every Publish call as one batch, and a
// FailureReader over the events given to Add. The zero value is ready to use; it is safe for
// concurrent use.
type Memory struct {
	mu      sync.Mutex
	batches [][][]byte
	events  []Received
}

// Publish implements Publisher: it records a copy of bodies as one batch. It fails only when ctx is
// done, and then records nothing.
func (m *Memory) Publish(ctx context.Context, bodies [][]byte) (sent int, err error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	batch := make([][]byte, len(bodies))
	for i, b := range bodies {
		batch[i] = bytes.Clone(b)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.batches = append(m.batches, batch)
	return len(bodies), nil
}

// Batches returns the batches published so far, in order.
func (m *Memory) Batches() [][][]byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.batches)
}

// Add stores events for Read.
func (m *Memory) Add(events ...Received) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.events = append(m.events, events...)
}

// Read implements FailureReader over the events given to Add.
func (m *Memory) Read(ctx context.Context, since, until time.Time) ([]Received, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	var out []Received
	for _, ev := range m.events {
		if !ev.EnqueuedTime.Before(since) && (until.IsZero() || ev.EnqueuedTime.Before(until)) {
			out = append(out, ev)
		}
	}
	m.mu.Unlock()
	sortReceived(out)
	return out, nil
}
