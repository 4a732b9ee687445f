package testenv

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
)

// CPUQuota is a Linux control group that limits the processes started in it to a
// fraction of one CPU, as Fargate limits a task to its vCPU share (0.25 vCPU: 25 ms of
// CPU time per 100 ms period). It needs root and a cgroup file system: cgroup v2
// (cpu.max) or v1's cpu controller (cpu.cfs_quota_us).
type CPUQuota struct {
	dir   string
	procs string
	// Describe says how the limit is applied, for benchmark reports.
	Describe string
}

// NewCPUQuota creates the group; Remove deletes it.
func NewCPUQuota(cpus float64) (*CPUQuota, error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("a CPU quota needs root (cgroups)")
	}
	const period = 100000
	quota := int(cpus * period)
	name := "intro-aws-go-quota-" + strconv.Itoa(os.Getpid())
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil { // v2
		// The cpu controller must be on for the root's children.
		_ = os.WriteFile("/sys/fs/cgroup/cgroup.subtree_control", []byte("+cpu"), 0o644)
		dir := filepath.Join("/sys/fs/cgroup", name)
		if err := os.Mkdir(dir, 0o755); err != nil {
			return nil, fmt.Errorf("cgroup v2: %w", err)
		}
		max := fmt.Sprintf("%d %d", quota, period)
		if err := os.WriteFile(filepath.Join(dir, "cpu.max"), []byte(max), 0o644); err != nil {
			os.Remove(dir)
			return nil, fmt.Errorf("cgroup v2 cpu.max: %w", err)
		}
		return &CPUQuota{dir: dir, procs: filepath.Join(dir, "cgroup.procs"), Describe: "cgroup v2 cpu.max \"" + max + "\""}, nil
	}
	base := "/sys/fs/cgroup/cpu"
	if _, err := os.Stat(filepath.Join(base, "cpu.cfs_quota_us")); err != nil {
		return nil, errors.New("no cgroup CPU controller at /sys/fs/cgroup (v2) or /sys/fs/cgroup/cpu (v1)")
	}
	dir := filepath.Join(base, name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cgroup v1: %w", err)
	}
	for file, v := range map[string]int{"cpu.cfs_period_us": period, "cpu.cfs_quota_us": quota} {
		if err := os.WriteFile(filepath.Join(dir, file), []byte(strconv.Itoa(v)), 0o644); err != nil {
			os.Remove(dir)
			return nil, fmt.Errorf("cgroup v1 %s: %w", file, err)
		}
	}
	return &CPUQuota{dir: dir, procs: filepath.Join(dir, "cgroup.procs"),
		Describe: fmt.Sprintf("cgroup v1 cpu.cfs_quota_us=%d cpu.cfs_period_us=%d", quota, period)}, nil
}

// Command returns a command that runs name with args inside the group: a shell moves
// itself into the group and then execs the program, so all of the program's life,
// from its first instruction, is under the quota.
func (q *CPUQuota) Command(name string, args ...string) *exec.Cmd {
	script := `echo $$ > "` + q.procs + `" && exec "$0" "$@"`
	return exec.Command("/bin/sh", append([]string{"-c", script, name}, args...)...)
}

// Remove deletes the group (its processes must have exited).
func (q *CPUQuota) Remove() error { return os.Remove(q.dir) }
