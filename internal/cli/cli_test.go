package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// testProgram has two commands; "go" prints its arguments and flags.
func testProgram() *Program {
	var loud bool
	var stack string
	return &Program{
		Name: "demo", Summary: "a demo client", JSON: true,
		Flags: func(fs *flag.FlagSet) { fs.StringVar(&stack, "stack", "S", "the `STACK`") },
		Commands: []*Command{
			{Name: "go", Aliases: []string{"go_on"}, Args: "A [B]", MinArgs: 1, MaxArgs: 2, Summary: "go somewhere", Example: "demo go north",
				Flags: func(fs *flag.FlagSet) { fs.BoolVar(&loud, "loud", false, "shout") },
				Run: func(_ context.Context, c *Call) error {
					c.Stdout.Write([]byte(strings.Join(c.Args, ",") + " region=" + c.Region + " profile=" + c.Profile + " stack=" + stack))
					if loud {
						c.Stdout.Write([]byte(" LOUD"))
					}
					if c.JSON {
						c.Stdout.Write([]byte(" json"))
					}
					return nil
				}},
			{Name: "fail", MaxArgs: -1, Summary: "fail", Example: "demo fail", Run: func(ctx context.Context, c *Call) error {
				switch strings.Join(c.Args, " ") {
				case "usage":
					return Usagef("bad %s", "input")
				case "reported":
					return ErrReported
				case "interrupted":
					return Interrupted("2 of 3 done")
				case "cancel":
					return context.Canceled
				}
				return errors.New("it failed:\n  do this")
			}},
		},
	}
}

func runDemo(ctx context.Context, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := testProgram().Run(ctx, args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestFlagsGoBeforeOrAfterTheCommand(t *testing.T) {
	want := "north,east region=r profile=p stack=X LOUD json"
	for _, args := range [][]string{
		{"--region", "r", "--profile=p", "--stack", "X", "--json", "go", "north", "--loud", "east"},
		{"go", "north", "east", "--region", "r", "--profile", "p", "--stack=X", "--json", "--loud"},
		{"--json", "--region", "r", "go_on", "--loud", "north", "--profile", "p", "east", "--stack", "X"},
	} {
		if code, out, errOut := runDemo(context.Background(), args...); code != 0 || out != want || errOut != "" {
			t.Errorf("%q = %d %q %q, want 0 %q", args, code, out, errOut, want)
		}
	}
}

func TestErrorsAndExitCodes(t *testing.T) {
	ctx := context.Background()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	cases := []struct {
		ctx    context.Context
		args   []string
		code   int
		stderr string
	}{
		{ctx, nil, 2, "error: give a command: fail, go (see demo --help)\n"},
		{ctx, []string{"walk"}, 2, `error: unknown command "walk": the commands are fail, go (see demo --help)` + "\n"},
		{ctx, []string{"--colour", "go", "x"}, 2, "error: flag provided but not defined: -colour (see demo --help)\n"},
		{ctx, []string{"go", "x", "--colour"}, 2, "error: go: flag provided but not defined: -colour (see demo go --help)\n"},
		{ctx, []string{"go"}, 2, "error: go needs 1 argument: demo go A [B] [flags] (see demo go --help)\n"},
		{ctx, []string{"go", "a", "b", "c"}, 2, "error: too many arguments for go (3): demo go A [B] [flags] (see demo go --help)\n"},
		{ctx, []string{"fail", "usage"}, 2, "error: bad input\n"},
		{ctx, []string{"fail"}, 1, "error: it failed: do this\n"},
		{ctx, []string{"fail", "reported"}, 1, ""},
		{ctx, []string{"fail", "interrupted"}, 130, "interrupted: 2 of 3 done\n"},
		{cancelled, []string{"fail", "cancel"}, 130, "interrupted: demo fail stopped before it finished\n"},
		{cancelled, []string{"fail", "reported"}, 130, ""},
	}
	for _, c := range cases {
		if code, out, errOut := runDemo(c.ctx, c.args...); code != c.code || errOut != c.stderr || out != "" {
			t.Errorf("%q = %d %q %q; want %d %q", c.args, code, out, errOut, c.code, c.stderr)
		}
	}
}

func TestHelpOnEveryCommandExitsZero(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}, {"--region", "r", "-h", "go"}} {
		code, out, errOut := runDemo(context.Background(), args...)
		if code != 0 || errOut != "" || !strings.Contains(out, "demo: a demo client") || !strings.Contains(out, "  go A [B]  go somewhere") ||
			!strings.Contains(out, "--stack STACK") || !strings.Contains(out, "--region REGION") || !strings.Contains(out, "Exit status: 0 ok; 1 failed") {
			t.Errorf("%q = %d %q\n%s", args, code, errOut, out)
		}
	}
	for _, args := range [][]string{{"go", "--help"}, {"go", "x", "-h"}, {"help", "go"}, {"go_on", "-help"}, {"--json", "go", "--help"}} {
		code, out, errOut := runDemo(context.Background(), args...)
		if code != 0 || errOut != "" || !strings.Contains(out, "demo go: go somewhere\n\nUsage:\n  demo go A [B] [flags]") ||
			!strings.Contains(out, "Example:\n  demo go north") || !strings.Contains(out, "--loud  shout") || !strings.Contains(out, "130 interrupted") {
			t.Errorf("%q = %d %q\n%s", args, code, errOut, out)
		}
	}
}

// A program without sub-commands takes its flags and arguments in any order.
func TestSingleCommandProgram(t *testing.T) {
	var got string
	p := &Program{Name: "check", Summary: "checks", ExitFailed: "a problem was found", Commands: []*Command{{
		Args: "[STACK]", MaxArgs: 1, Example: "check Ec2ForDl",
		Run: func(_ context.Context, c *Call) error { got = strings.Join(c.Args, ",") + "@" + c.Region; return nil },
	}}}
	var out, errb bytes.Buffer
	if code := p.Run(context.Background(), []string{"S", "--region", "r"}, nil, &out, &errb); code != 0 || got != "S@r" {
		t.Errorf("= %d %q %q", code, got, errb.String())
	}
	if code := p.Run(context.Background(), []string{"--help"}, nil, &out, &errb); code != 0 ||
		!strings.Contains(out.String(), "check: checks\n\nUsage:\n  check [STACK] [flags]") || !strings.Contains(out.String(), "1 a problem was found") {
		t.Errorf("--help = %d\n%s", code, out.String())
	}
	errb.Reset()
	if code := p.Run(context.Background(), []string{"a", "b"}, nil, &out, &errb); code != 2 ||
		errb.String() != "error: too many arguments for check (2): check [STACK] [flags] (see check --help)\n" {
		t.Errorf("two stacks = %d %q", code, errb.String())
	}
}

func TestParseMixesFlagsAndArguments(t *testing.T) {
	fs := flag.NewFlagSet("upload", flag.ContinueOnError)
	key := fs.String("key", "", "")
	pos, err := Parse(fs, []string{"a.jpg", "--key", "k", "b.jpg"}, "x --help")
	if err != nil || *key != "k" || len(pos) != 2 || pos[0] != "a.jpg" || pos[1] != "b.jpg" {
		t.Errorf("= %v %v key %q", pos, err, *key)
	}
	fs = flag.NewFlagSet("ask", flag.ContinueOnError)
	yes := fs.Bool("yes", false, "")
	pos, err = Parse(fs, []string{"--yes", "ctx", "--", "-not-a-flag", "--yes"}, "x --help")
	if err != nil || !*yes || len(pos) != 3 || pos[1] != "-not-a-flag" || pos[2] != "--yes" {
		t.Errorf("after --: %q %v", pos, err)
	}
	if _, err := Parse(fs, []string{"a", "-h"}, "x --help"); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v, want flag.ErrHelp", err)
	}
}

func TestReadingFiles(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small")
	os.WriteFile(small, []byte("hello"), 0o644)
	if b, err := ReadFile(small, 5); err != nil || string(b) != "hello" {
		t.Errorf("ReadFile = %q %v", b, err)
	}
	var u *UsageError
	for path, want := range map[string]string{
		"/dev/zero":   "/dev/zero is not a regular file (a device): give the path of a file",
		dir:           dir + " is not a regular file (a directory): give the path of a file",
		small + ".no": "stat " + small + ".no: no such file or directory",
	} {
		if _, err := ReadFile(path, 1<<20); !errors.As(err, &u) || err.Error() != want {
			t.Errorf("ReadFile(%s) = %v, want the usage error %q", path, err, want)
		}
	}
	if _, err := ReadFile(small, 4); !errors.As(err, &u) || err.Error() != small+" is 5 bytes, more than the 4 bytes this command reads" {
		t.Errorf("too big: %v", err)
	}
	zero, _ := os.Open("/dev/zero")
	defer zero.Close()
	if _, err := ReadAll(zero, 1<<20, "standard input"); !errors.As(err, &u) || err.Error() != "standard input holds more than the 1.0 MiB this command reads" {
		t.Errorf("ReadAll(/dev/zero) = %v", err)
	}
}

func TestTextHelpers(t *testing.T) {
	if got := OneLine("a\n  b\tc "); got != "a b c" {
		t.Errorf("OneLine = %q", got)
	}
	if Plural(1, "job") != "1 job" || Plural(0, "object") != "0 objects" || Plural(3, "item") != "3 items" {
		t.Error("Plural")
	}
	if Bytes(17987) != "17.6 KiB" || Bytes(3) != "3 bytes" {
		t.Errorf("Bytes = %s %s", Bytes(17987), Bytes(3))
	}
}

func TestParallelBoundsConcurrencyAndStopsAtFirstError(t *testing.T) {
	var running, peak atomic.Int32
	n, err := Parallel(context.Background(), 20, 3, func(int) error {
		if r := running.Add(1); r > peak.Load() {
			peak.Store(r)
		}
		time.Sleep(5 * time.Millisecond)
		running.Add(-1)
		return nil
	})
	if n != 20 || err != nil || peak.Load() > 3 {
		t.Errorf("= %d %v, peak %d; want 20 nil, at most 3 at once", n, err, peak.Load())
	}
	var calls atomic.Int32
	n, err = Parallel(context.Background(), 1000, 2, func(i int) error {
		calls.Add(1)
		if i == 3 {
			return errors.New("boom")
		}
		return nil
	})
	if err == nil || err.Error() != "boom" || calls.Load() > 10 || n != int(calls.Load())-1 {
		t.Errorf("= %d %v after %d calls; want boom soon after the 4th call", n, err, calls.Load())
	}
}

// The signal handling of Main, in a child process: the first SIGINT cancels the
// context (the command says what it left, exit 130); a command that does not return
// is ended by the second.
func TestSignals(t *testing.T) {
	if mode := os.Getenv("CLI_SIGNAL_CHILD"); mode != "" {
		signalChild(mode)
		return
	}
	for mode, want := range map[string]string{
		"cooperative": "interrupted: stopped cleanly\n",
		"stubborn":    "interrupted twice: exiting at once\n",
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSignals$")
		cmd.Env = append(os.Environ(), "CLI_SIGNAL_CHILD="+mode)
		var errb bytes.Buffer
		cmd.Stderr = &errb
		ready, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 6)
		if _, err := ready.Read(buf); err != nil || string(buf) != "ready\n" { // the handler is installed
			t.Fatalf("%s: child said %q %v", mode, buf, err)
		}
		cmd.Process.Signal(syscall.SIGINT)
		if mode == "stubborn" {
			ready.Read(buf) // "again\n": the first signal was seen
			cmd.Process.Signal(syscall.SIGTERM)
		}
		err := cmd.Wait()
		if code := cmd.ProcessState.ExitCode(); code != 130 || !strings.HasSuffix(errb.String(), want) {
			t.Errorf("%s: exit %d (%v), stderr %q; want 130 and %q", mode, code, err, errb.String(), want)
		}
	}
}

func signalChild(mode string) {
	os.Args = os.Args[:1]
	Main(&Program{Name: "child", Commands: []*Command{{MaxArgs: -1, Run: func(ctx context.Context, c *Call) error {
		os.Stdout.WriteString("ready\n")
		<-ctx.Done()
		if mode == "stubborn" {
			os.Stdout.WriteString("again\n")
			select {} // ignores the cancellation
		}
		return Interrupted("stopped cleanly")
	}}}})
}
