package engine

import (
	"context"
	"errors"
	"sync"
)

// errIncomplete is the result of a memoized read that did not return (it panicked).
var errIncomplete = errors.New("read did not complete")

// memo runs each read once per pass and key; concurrent callers of the same key wait for the first.
// The zero value is ready to use.
type memo[K comparable, V any] struct {
	mu    sync.Mutex
	calls map[K]*call[V]
}

// call is one memoized read.
type call[V any] struct {
	done chan struct{}
	val  V
	err  error
}

// do returns the result of run for k, calling run only for the first caller. A waiting caller whose ctx
// ends first gets ctx's error; the read itself goes on for the others. run is given no context: it
// runs under the pass's (see pass.read).
func (m *memo[K, V]) do(ctx context.Context, k K, run func() (V, error)) (V, error) {
	m.mu.Lock()
	c, ok := m.calls[k]
	if !ok {
		if m.calls == nil {
			m.calls = map[K]*call[V]{}
		}
		c = &call[V]{done: make(chan struct{})}
		m.calls[k] = c
	}
	m.mu.Unlock()
	if ok {
		select {
		case <-c.done:
			return c.val, c.err
		case <-ctx.Done():
			var zero V
			return zero, ctx.Err()
		}
	}
	defer close(c.done)
	c.err = errIncomplete // what waiters see if run panics
	c.val, c.err = run()
	return c.val, c.err
}
