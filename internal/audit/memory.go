package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"

	"github.com/snowsync/snowsync/internal/task/outcome"
)

// Memory is an audit store held in memory, for the tests of packages that use a store where storage
// is not what they test (the task runner, the HTTP handlers). It keeps Store's contract, and the same
// table of tests runs against both (contract_test.go): it validates keys as Store does, and keeps each
// record as the entity Store would send (shortened to fit, times at 100 ns), read back as Store reads
// one. Unlike Store it never fails for want of a table, so it cannot stand for outages. It is safe for
// concurrent use; the zero value is an empty store.
type Memory struct {
	mu       sync.Mutex
	entities map[Key][]byte // the entity's JSON, as Put sends it to Table Storage
}

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory { return &Memory{} }

// Put stores recs, replacing any records with the same keys; records with equal keys collapse into
// the last one. A record whose key Table Storage cannot hold fails the whole Put (ErrInvalidKey) and
// nothing is stored.
func (m *Memory) Put(_ context.Context, recs []outcome.Task) error {
	batches, err := transactions(recs)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.entities == nil {
		m.entities = map[Key][]byte{}
	}
	for _, batch := range batches {
		for _, e := range batch {
			m.entities[Key{PartitionKey: e.partitionKey, RowKey: e.rowKey}] = e.json
		}
	}
	return nil
}

// Existing returns the stored records among keys, by key.
func (m *Memory) Existing(_ context.Context, keys []Key) (map[Key]outcome.Task, error) {
	found := map[Key]outcome.Task{}
	err := m.each(func(r outcome.Task) bool {
		if slices.Contains(keys, KeyOf(r)) {
			found[KeyOf(r)] = r
		}
		return true
	})
	return found, err
}

// Get returns the records whose RowKey or TaskId is id, in key order.
func (m *Memory) Get(_ context.Context, id string) ([]outcome.Task, error) {
	var recs []outcome.Task
	err := m.each(func(r outcome.Task) bool {
		if r.RowKey == id || r.TaskID != nil && *r.TaskID == id {
			recs = append(recs, r)
		}
		return true
	})
	return recs, err
}

// List returns the records that match f, in key order, as Store.List does: a record without a
// StartedAt matches no time bound.
func (m *Memory) List(_ context.Context, f Filter) ([]outcome.Task, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	var recs []outcome.Task
	err := m.each(func(r outcome.Task) bool {
		switch {
		case f.Status != "" && r.Status != f.Status,
			len(f.Sources) > 0 && !slices.Contains(f.Sources, r.Source),
			f.TaskID != "" && (r.TaskID == nil || *r.TaskID != f.TaskID),
			!f.Since.IsZero() && (r.PartitionKey < PartitionKeyFor(f.Since) || r.StartedAt.IsZero() || r.StartedAt.Before(f.Since)),
			!f.Until.IsZero() && (r.PartitionKey > PartitionKeyFor(f.Until) || r.StartedAt.IsZero() || !r.StartedAt.Before(f.Until)):
			return true
		}
		recs = append(recs, r)
		return f.Limit <= 0 || len(recs) < f.Limit
	})
	return recs, err
}

// each calls yield with every record in key order until it returns false.
func (m *Memory) each(yield func(outcome.Task) bool) error {
	m.mu.Lock()
	stored := maps.Clone(m.entities)
	m.mu.Unlock()
	keys := slices.SortedFunc(maps.Keys(stored), compareKeys)
	for _, k := range keys {
		var e aztables.EDMEntity
		if err := json.Unmarshal(stored[k], &e); err != nil {
			return fmt.Errorf("audit: decode entity %q/%q: %w", k.PartitionKey, k.RowKey, err)
		}
		r, err := taskFrom(e)
		if err != nil {
			return err
		}
		if !yield(r) {
			return nil
		}
	}
	return nil
}
