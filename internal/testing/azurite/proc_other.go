//go:build !unix

package azurite

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
)

// setProcessGroup does nothing where process groups are not available.
func setProcessGroup(*exec.Cmd) {}

// killProcessGroup kills the azurite-table process itself; without process groups its children
// are not reached.
func killProcessGroup(cmd *exec.Cmd) error {
	if err := cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("azurite: kill process %d: %w", cmd.Process.Pid, err)
	}
	return nil
}

// interruptProcessGroup asks the azurite-table process to exit; where that is not supported (Windows)
// it does nothing, and the caller kills the process once its wait runs out.
func interruptProcessGroup(cmd *exec.Cmd) error {
	_ = cmd.Process.Signal(os.Interrupt) // unsupported on Windows: the wait runs out, then the kill
	return nil
}
