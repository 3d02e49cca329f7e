//go:build unix

package azurite

import (
	"errors"
	"fmt"
	"os/exec"
	"syscall"
)

// setProcessGroup makes cmd the leader of a new process group, so that killProcessGroup reaches the
// node process azurite-table starts as well as any child it forks.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// killProcessGroup sends SIGKILL to cmd's process group: an in-memory Azurite has nothing to save (a
// Persistent one is interrupted first, see interruptProcessGroup).
func killProcessGroup(cmd *exec.Cmd) error {
	err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	if err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("azurite: kill process group %d: %w", cmd.Process.Pid, err)
	}
	return nil
}

// interruptProcessGroup sends SIGINT to cmd's process group: Azurite closes its database, saving it,
// and exits.
func interruptProcessGroup(cmd *exec.Cmd) error {
	err := syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
	if err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("azurite: interrupt process group %d: %w", cmd.Process.Pid, err)
	}
	return nil
}
