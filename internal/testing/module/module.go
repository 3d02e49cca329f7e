// Package module locates the snowsync source tree, for the tools that run from it (tests, the demo,
// benchmarks): the directory holding go.mod.
package module

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Root walks up from the working directory to the directory holding go.mod.
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find the source tree: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find the source tree: no go.mod above the working directory; run from the snowsync checkout")
		}
		dir = parent
	}
}
