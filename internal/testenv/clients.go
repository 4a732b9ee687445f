package testenv

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/intro-aws-go/intro-aws-go/internal/project"
)

// BuildClient compiles a client (cmd/<name>) into the test's temporary folder and
// returns the binary's path: exit codes and signals are tested on the real process
// (`go run` would hide both).
func BuildClient(t testing.TB, name string) string {
	t.Helper()
	root, err := project.Root()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), name)
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/"+name)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/%s: %v\n%s", name, err, out)
	}
	return bin
}

// SilentEndpoint is an endpoint that accepts connections and never answers, as a
// stalled network path or a hung proxy does.
type SilentEndpoint struct {
	URL      string
	Accepted chan struct{} // one value per accepted connection (buffered, never blocks)
	mu       sync.Mutex
	conns    []net.Conn
}

// StartSilentEndpoint listens on 127.0.0.1 until the test ends.
func StartSilentEndpoint(t testing.TB) *SilentEndpoint {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &SilentEndpoint{URL: "http://" + l.Addr().String(), Accepted: make(chan struct{}, 1000)}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns = append(s.conns, c)
			s.mu.Unlock()
			select {
			case s.Accepted <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() {
		l.Close()
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, c := range s.conns {
			c.Close()
		}
	})
	return s
}

// ClientEnv is an environment for a client process that points the AWS SDK at
// endpoint with test credentials and nothing from the machine's AWS configuration.
func ClientEnv(endpoint string, extra ...string) []string {
	env := append(os.Environ(),
		"AWS_ENDPOINT_URL="+endpoint, "AWS_REGION="+Region,
		"AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_SESSION_TOKEN=", "AWS_PROFILE=",
		"AWS_CONFIG_FILE="+os.DevNull, "AWS_SHARED_CREDENTIALS_FILE="+os.DevNull)
	return append(env, extra...)
}
