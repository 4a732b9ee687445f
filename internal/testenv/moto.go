// Package testenv starts the real servers that tests talk to. Every server listens on
// 127.0.0.1 only and is stopped when the test (or test binary) that started it ends.
package testenv

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Region is the region every moto-backed test uses.
const Region = "us-east-1"

// Moto is a running moto_server.
type Moto struct {
	// Endpoint is the base URL, e.g. http://127.0.0.1:54321.
	Endpoint string
	cmd      *exec.Cmd
	logPath  string
}

// StartMoto starts moto_server for one test and stops it at cleanup. A missing
// moto_server fails the test with the install command: moto is part of the test setup.
func StartMoto(t testing.TB) *Moto {
	t.Helper()
	m, err := StartMotoServer()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Stop)
	return m
}

// StartMotoServer starts moto_server for a whole test binary (call Stop in TestMain).
func StartMotoServer() (*Moto, error) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, errMotoMissing
	}
	return startMoto(bin)
}

var errMotoMissing = errors.New(`moto_server not found: install it with pip install "moto[server]" (see README prerequisites)`)

// startMoto runs argv (moto_server, or a script that serves moto) with moto_server's
// host and port arguments on a free loopback port, and waits until it answers.
func startMoto(argv ...string) (*Moto, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logFile, err := os.CreateTemp("", "moto-*.log")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(argv[0], append(argv[1:], "-H", "127.0.0.1", "-p", fmt.Sprint(port))...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = serverAttr() // dies with the test process; Stop ends its children too
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", filepath.Base(argv[len(argv)-1]), err)
	}
	guardGroup(cmd.Process.Pid)
	logFile.Close()
	m := &Moto{Endpoint: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd, logPath: logFile.Name()}
	if err := m.waitReady(30 * time.Second); err != nil {
		m.Stop()
		return nil, err
	}
	return m, nil
}

func (m *Moto) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		resp, err := http.Get(m.Endpoint + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	log, _ := os.ReadFile(m.logPath)
	return fmt.Errorf("moto_server did not answer on %s within %s:\n%s", m.Endpoint, timeout, log)
}

// Reset clears every resource moto holds, so tests sharing one server start clean.
func (m *Moto) Reset() error {
	resp, err := http.Post(m.Endpoint+"/moto-api/reset", "application/json", nil)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("moto reset: %s", resp.Status)
	}
	return nil
}

// Stop ends moto_server and removes its log.
func (m *Moto) Stop() {
	stopProcessGroup(m.cmd)
	os.Remove(m.logPath)
}

// Env returns the environment a client process needs to reach this server.
func (m *Moto) Env() []string {
	return []string{
		"AWS_ENDPOINT_URL=" + m.Endpoint,
		"AWS_REGION=" + Region,
		"AWS_ACCESS_KEY_ID=testing",
		"AWS_SECRET_ACCESS_KEY=testing",
		"AWS_SESSION_TOKEN=",
		"AWS_PROFILE=",
		"AWS_CONFIG_FILE=" + os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull,
	}
}

// SetEnv points the AWS SDK of this test process at the server (t.Setenv: not for
// parallel tests).
func (m *Moto) SetEnv(t testing.TB) {
	t.Helper()
	for _, kv := range m.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}

// Config is an SDK configuration for this server with static test credentials.
func (m *Moto) Config() aws.Config {
	return aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		BaseEndpoint: aws.String(m.Endpoint),
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// RunWithMoto runs a test binary's tests with one moto_server shared by all of them,
// stored in *moto, and stops it afterwards. In TestMain: os.Exit(testenv.RunWithMoto(m, &moto)).
func RunWithMoto(m *testing.M, moto **Moto) int {
	server, err := StartMotoServer()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	*moto = server
	defer server.Stop()
	return m.Run()
}
