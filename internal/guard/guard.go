// Package guard turns a panic into an error, so that a bug in one goroutine fails the work it was
// doing instead of the whole handler process.
//
// Every goroutine that does snowsync's work runs through Go or Call: the engine's reads, the
// statements, the audit writes, the failure hub's partition reads and the session warm-up's logins.
// Two goroutines of handler/main.go do not: the one serving HTTP (net/http recovers a panic of a
// handler itself, per request) and the one that calls App.Warm, which only waits for the guarded
// logins. Test infrastructure (the emulator, Azurite, the local stack) does not use guard.
package guard

import (
	"fmt"
	"runtime/debug"

	"golang.org/x/sync/errgroup"
)

// PanicError is a recovered panic: its value and the stack of the goroutine that panicked.
type PanicError struct {
	Value any
	Stack string
}

func (p *PanicError) Error() string { return fmt.Sprintf("panic: %v", p.Value) }

// Call runs f and returns its error, or a *PanicError when f panics.
func Call(f func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Value: v, Stack: string(debug.Stack())}
		}
	}()
	return f()
}

// Go runs f in g through Call.
func Go(g *errgroup.Group, f func() error) {
	g.Go(func() error { return Call(f) })
}
