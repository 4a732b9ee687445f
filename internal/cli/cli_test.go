package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"sync/atomic"
	"testing"
	"time"
)

func TestRun(t *testing.T) {
	dispatch := func(_ context.Context, args []string, out io.Writer) error {
		if args[0] == "fail" {
			return errors.New("it failed: do this")
		}
		out.Write([]byte("ran " + args[0]))
		return nil
	}
	cases := []struct {
		args           []string
		code           int
		stdout, stderr string
	}{
		{nil, 2, "", "USAGE"},
		{[]string{"--help"}, 0, "", "USAGE"},
		{[]string{"go"}, 0, "ran go", ""},
		{[]string{"fail"}, 1, "", "error: it failed: do this\n"},
	}
	for _, c := range cases {
		var out, errb bytes.Buffer
		if code := Run(context.Background(), c.args, &out, &errb, "USAGE", dispatch); code != c.code || out.String() != c.stdout || errb.String() != c.stderr {
			t.Errorf("Run(%v) = %d %q %q, want %d %q %q", c.args, code, out.String(), errb.String(), c.code, c.stdout, c.stderr)
		}
	}
}

func TestParseMixesFlagsAndArguments(t *testing.T) {
	fs := flag.NewFlagSet("upload", flag.ContinueOnError)
	key := fs.String("key", "", "")
	pos, err := Parse(fs, []string{"a.jpg", "--key", "k", "b.jpg"}, "see --help")
	if err != nil || *key != "k" || len(pos) != 2 || pos[0] != "a.jpg" || pos[1] != "b.jpg" {
		t.Errorf("= %v %v key %q", pos, err, *key)
	}
	if _, err := Parse(flag.NewFlagSet("read", flag.ContinueOnError), []string{"--bucket", "b"}, "see --help"); err == nil ||
		err.Error() != "read: flag provided but not defined: -bucket (see --help)" {
		t.Errorf("unknown flag: %v", err)
	}
	fs = flag.NewFlagSet("ask", flag.ContinueOnError)
	yes := fs.Bool("yes", false, "")
	pos, err = Parse(fs, []string{"--yes", "ctx", "--", "-not-a-flag", "--yes"}, "see --help")
	if err != nil || !*yes || len(pos) != 3 || pos[1] != "-not-a-flag" || pos[2] != "--yes" {
		t.Errorf("after --: %q %v", pos, err)
	}
	if _, err := Parse(fs, []string{"a", "-h"}, "see --help"); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v, want flag.ErrHelp", err)
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
