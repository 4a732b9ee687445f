//go:build !linux

package testenv

import "syscall"

// serverAttr starts a server in its own process group, so that Stop ends its children
// too (only Linux can also tie the server's life to the test process's).
func serverAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

func guardGroup(int) {}
