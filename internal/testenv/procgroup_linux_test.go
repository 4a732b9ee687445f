//go:build linux

package testenv

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// groupMembers lists the live (not zombie) processes of a process group.
func groupMembers(pgid int) []string {
	entries, _ := os.ReadDir("/proc")
	var out []string
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		raw, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp ...
		s := string(raw)
		fields := strings.Fields(s[strings.LastIndex(s, ")")+1:])
		if len(fields) > 2 && fields[0] != "Z" && fields[2] == strconv.Itoa(pgid) {
			out = append(out, e.Name()+" "+s[:strings.LastIndex(s, ")")+1])
		}
	}
	return out
}

// A test binary that is killed (SIGKILL, as `go test -timeout` and an impatient learner
// may) takes its servers with it: moto_server, and the Lambda emulator with the
// function it started. The helper below is that test binary.
func TestServersDieWithTheTestProcess(t *testing.T) {
	if os.Getenv("TESTENV_HELPER") == "1" {
		m, err := StartMotoServer()
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("PGID %d\n", m.cmd.Process.Pid)
		if p, err := RIEPath(); err == nil && p != "" {
			r := StartRIE(t, BuildLambda(t, "handson/simplelambda"), "WAIT_SECONDS=0-0")
			if _, _, err := r.Invoke(t.Context(), []byte(`{}`)); err != nil { // the function runs as the emulator's child
				t.Fatal(err)
			}
			fmt.Printf("PGID %d\n", r.cmd.Process.Pid)
		}
		fmt.Println("READY")
		time.Sleep(time.Hour)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestServersDieWithTheTestProcess$", "-test.timeout=5m")
	cmd.Env = append(os.Environ(), "TESTENV_HELPER=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var groups []int
	sc := bufio.NewScanner(out)
	for sc.Scan() && sc.Text() != "READY" {
		if g, ok := strings.CutPrefix(sc.Text(), "PGID "); ok {
			n, _ := strconv.Atoi(g)
			groups = append(groups, n)
		}
	}
	if len(groups) == 0 {
		cmd.Process.Kill()
		t.Fatal("the helper started no server")
	}
	for _, g := range groups {
		if len(groupMembers(g)) == 0 {
			t.Fatalf("server group %d has no process while the helper runs", g)
		}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	// The kernel signals at once; give the processes a bounded time to exit (this
	// only bounds a failure, it decides no pass).
	for _, g := range groups {
		deadline := time.Now().Add(15 * time.Second)
		for len(groupMembers(g)) > 0 && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if left := groupMembers(g); len(left) > 0 {
			t.Errorf("orphans of the killed test binary: %v", left)
			syscall.Kill(-g, syscall.SIGKILL)
		}
	}
	t.Logf("%d server groups (moto_server; the Lambda emulator and its function) ended with the killed test binary", len(groups))
}
