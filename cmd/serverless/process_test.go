package main

import (
	"bytes"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/intro-aws-go/intro-aws-go/internal/awsenv"
	"github.com/intro-aws-go/intro-aws-go/internal/testenv"
)

// built compiles the client for a test that runs it as a learner does (the build
// cache makes the second one quick).
func built(t *testing.T) string { return testenv.BuildClient(t, "serverless") }

// Against an endpoint that takes the connection and never answers, the client gives
// up after the attempt timeout (one try here) with one line and exit 1.
func TestNeverAnsweringEndpointFailsInOneLine(t *testing.T) {
	t.Parallel()
	silent := testenv.StartSilentEndpoint(t)
	cmd := exec.Command(built(t), "read", "--table", "t")
	cmd.Env = testenv.ClientEnv(silent.URL, "AWS_MAX_ATTEMPTS=1")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(awsenv.AttemptTimeout + 30*time.Second):
		cmd.Process.Kill()
		t.Fatalf("still waiting after %s", awsenv.AttemptTimeout+30*time.Second)
	}
	want := "error: scanning t: AWS did not answer in time, even after retries: check your network connection (and AWS_ENDPOINT_URL, if set), then run again\n"
	if code := cmd.ProcessState.ExitCode(); code != 1 || errOut.String() != want {
		t.Errorf("exit %d, stderr %q; want 1 and %q", code, errOut.String(), want)
	}
}

// Ctrl-C while a call hangs: the client stops at once, says so in one line, exit 130.
func TestCtrlCEndsAHangingCall(t *testing.T) {
	t.Parallel()
	silent := testenv.StartSilentEndpoint(t)
	cmd := exec.Command(built(t), "read", "--table", "t")
	cmd.Env = testenv.ClientEnv(silent.URL)
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-silent.Accepted: // the request is on its way
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the client never connected")
	}
	cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("SIGINT was ignored")
	}
	if code := cmd.ProcessState.ExitCode(); code != 130 || errOut.String() != "interrupted: serverless read stopped before it finished\n" {
		t.Errorf("exit %d, stderr %q", code, errOut.String())
	}
}

// Under the built binary the exit codes reach the shell: 2 for bad usage, 0 for help.
func TestBuiltBinaryKeepsExitCodes(t *testing.T) {
	t.Parallel()
	for args, want := range map[string]int{"invoke-many 0": 2, "--help": 0, "upload /dev/zero --bucket B": 2, "frobnicate": 2} {
		cmd := exec.Command(built(t), strings.Fields(args)...)
		cmd.Env = testenv.ClientEnv("http://127.0.0.1:9")
		cmd.Run()
		if code := cmd.ProcessState.ExitCode(); code != want {
			t.Errorf("serverless %s: exit %d, want %d", args, code, want)
		}
	}
}
