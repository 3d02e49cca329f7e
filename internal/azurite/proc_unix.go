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

// killProcessGroup sends SIGKILL to cmd's process group. Azurite keeps data in memory only, so
// there is nothing to flush and no reason to wait for a graceful exit.
func killProcessGroup(cmd *exec.Cmd) error {
	err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	if err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("azurite: kill process group %d: %w", cmd.Process.Pid, err)
	}
	return nil
}
