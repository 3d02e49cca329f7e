// Package guard turns a panic into an error, so that a bug in one goroutine fails the work it was
// doing instead of the whole handler process. Every goroutine snowsync starts runs through Go or Call.
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
