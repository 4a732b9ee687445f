package testenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/intro-aws-go/intro-aws-go/internal/lambdabuild"
	"github.com/intro-aws-go/intro-aws-go/internal/project"
)

// RIE is the AWS Lambda runtime interface emulator running one function's `bootstrap`
// on 127.0.0.1, as the provided.al2023 runtime would.
type RIE struct {
	// URL is the emulator's address; the Lambda Invoke API answers under it for the
	// function name "function".
	URL     string
	Started time.Time // when the emulator process started
	cmd     *exec.Cmd
	logs    *syncBuffer
}

// RIEPath is the emulator binary `make tools` installs (AWS_LAMBDA_RIE overrides it).
func RIEPath() (string, error) {
	if p := os.Getenv("AWS_LAMBDA_RIE"); p != "" {
		return p, nil
	}
	root, err := project.Root()
	if err != nil {
		return "", err
	}
	p := filepath.Join(root, "bin", "aws-lambda-rie")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("the Lambda runtime interface emulator is not installed at %s: run `make tools` (make test does)", p)
	}
	return p, nil
}

// BuildLambda compiles a Go main package (relative to the module root) into a
// `bootstrap` for this machine's architecture, with the flags of the deployed binary.
func BuildLambda(t testing.TB, pkg string) string {
	t.Helper()
	root, err := project.Root()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), lambdabuild.BinaryName)
	if err := lambdabuild.Build(root, "./"+pkg, out, runtime.GOARCH); err != nil {
		t.Fatal(err)
	}
	return out
}

// StartRIE runs bootstrap under the emulator with env added to this process's
// environment; the emulator stops when the test ends.
func StartRIE(t testing.TB, bootstrap string, env ...string) *RIE {
	t.Helper()
	bin, err := RIEPath()
	if err != nil {
		t.Fatal(err)
	}
	port, err1 := freePort()
	apiPort, err2 := freePort()
	if err := errors.Join(err1, err2); err != nil {
		t.Fatal(err)
	}
	r := &RIE{URL: fmt.Sprintf("http://127.0.0.1:%d", port), logs: &syncBuffer{}}
	r.cmd = exec.Command(bin,
		"--runtime-interface-emulator-address", fmt.Sprintf("127.0.0.1:%d", port),
		"--runtime-api-address", fmt.Sprintf("127.0.0.1:%d", apiPort),
		bootstrap)
	r.cmd.Dir = filepath.Dir(bootstrap)
	r.cmd.Env = append(os.Environ(), env...)
	r.cmd.Stdout, r.cmd.Stderr = r.logs, r.logs
	r.cmd.SysProcAttr = serverAttr() // dies with the test process; the function runs as its child
	r.Started = time.Now()
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("start the Lambda emulator: %v", err)
	}
	guardGroup(r.cmd.Process.Pid)
	t.Cleanup(r.stop)
	if err := r.waitReady(20 * time.Second); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *RIE) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		// Any HTTP answer means the emulator listens; it starts the function on the first invoke.
		if resp, err := http.Get(r.URL + "/"); err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("the Lambda emulator did not listen on %s within %s:\n%s", r.URL, timeout, r.Logs())
}

func (r *RIE) stop() { stopProcessGroup(r.cmd) }

// stopProcessGroup ends a server started in its own process group, and its children:
// SIGTERM, then SIGKILL after 5 seconds.
func stopProcessGroup(cmd *exec.Cmd) {
	if cmd == nil || cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

// Invoke sends one event and returns the function's answer and the HTTP status.
func (r *RIE) Invoke(ctx context.Context, event []byte) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.URL+"/2015-03-31/functions/function/invocations", bytes.NewReader(event))
	if err != nil {
		return nil, 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("invoke: %w\n%s", err, r.Logs())
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return body, resp.StatusCode, err
}

// Logs is everything the emulator and the function printed.
func (r *RIE) Logs() string { return r.logs.String() }

var initReport = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)

// InitDuration is the emulator's measure of the function's init phase (process start
// until the runtime asks for its first event), once the first invoke happened.
func (r *RIE) InitDuration() (time.Duration, error) {
	r.WaitForLog("INIT REPORT", 5*time.Second)
	m := initReport.FindStringSubmatch(r.Logs())
	if m == nil {
		return 0, fmt.Errorf("no INIT REPORT in the emulator's log:\n%s", r.Logs())
	}
	ms, err := strconv.ParseFloat(m[1], 64)
	return time.Duration(ms * float64(time.Millisecond)), err
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// WaitForLog waits until the emulator's log contains text (the function's output
// arrives a moment after its answer) and reports whether it did.
func (r *RIE) WaitForLog(text string, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for {
		if bytes.Contains([]byte(r.Logs()), []byte(text)) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}
