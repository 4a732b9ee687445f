//go:build linux

package testenv

import (
	"os/exec"
	"syscall"
)

// serverAttr starts a server in its own process group (so that Stop ends its children
// too) that the kernel kills when the test process dies, however it dies: a test
// binary killed by `go test -timeout`, by SIGKILL, or by a crash never leaves its
// servers behind (prctl PR_SET_PDEATHSIG; it survives exec).
func serverAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// guardGroup starts a watchdog in the server's process group that ends the whole group
// when the test process dies: the death signal reaches only the server itself, not the
// processes it started (the Lambda emulator's function).
func guardGroup(pgid int) {
	cmd := exec.Command("/bin/sh", "-c", `trap 'kill -KILL 0' TERM; while :; do sleep 1; done`)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pgid: pgid, Pdeathsig: syscall.SIGTERM}
	if cmd.Start() == nil {
		go cmd.Wait()
	}
}
