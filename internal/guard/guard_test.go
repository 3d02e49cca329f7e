package guard

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/sync/errgroup"
)

func TestPanicsBecomeErrors(t *testing.T) {
	var g errgroup.Group
	//lint:ignore SA5000 the test needs a panic of the runtime's own, with its stack
	Go(&g, func() error { var m map[string]int; m["x"]++; return nil })
	Go(&g, func() error { return nil })
	err := g.Wait()
	var p *PanicError
	if !errors.As(err, &p) || !strings.Contains(p.Error(), "nil map") || !strings.Contains(p.Stack, "guard_test.go") {
		t.Fatalf("err = %v; want a PanicError with the panicking goroutine's stack", err)
	}
	plain := errors.New("plain")
	if err := Call(func() error { return plain }); err != plain {
		t.Errorf("Call changed a plain error: %v", err)
	}
}
