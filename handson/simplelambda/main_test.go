package main

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/intro-aws-go/intro-aws-go/internal/testenv"
)

func TestHandleWaitsWithinRangeAndGreets(t *testing.T) {
	var asked []int
	s := &shop{minWait: 0, maxWait: 1 * time.Second, intn: func(n int) int { asked = append(asked, n); return n - 1 }}
	start := time.Now()
	msg, err := s.handle(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < time.Second || took > 3*time.Second {
		t.Errorf("waited %s, want the top of the 0-1 s range", took)
	}
	if msg != "Welcome to Cloud Sushi. Your order is squid" {
		t.Errorf("message = %q", msg)
	}
	// one draw for the wait (0 or 1 s: 2 choices), one for the sushi (3 choices)
	if len(asked) != 2 || asked[0] != 2 || asked[1] != 3 {
		t.Errorf("random draws over %v, want [2 3]", asked)
	}
}

func TestHandleStopsAtTheTimeout(t *testing.T) {
	s := &shop{minWait: 5 * time.Second, maxWait: 5 * time.Second, intn: func(int) int { return 0 }}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := s.handle(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want the deadline", err)
	}
}

func TestParseWait(t *testing.T) {
	for in, want := range map[string][2]time.Duration{
		"":    {2 * time.Second, 5 * time.Second},
		"0-0": {0, 0},
		"1-3": {time.Second, 3 * time.Second},
	} {
		lo, hi, err := parseWait(in)
		if err != nil || lo != want[0] || hi != want[1] {
			t.Errorf("parseWait(%q) = %v, %v, %v; want %v", in, lo, hi, err, want)
		}
	}
	for _, bad := range []string{"5", "5-2", "-1-2", "a-b", "2-10"} {
		if _, _, err := parseWait(bad); err == nil || !strings.Contains(err.Error(), "WAIT_SECONDS") {
			t.Errorf("parseWait(%q) error = %v, want one naming WAIT_SECONDS", bad, err)
		}
	}
}

// The built bootstrap under the Lambda runtime interface emulator: what Lambda runs.
func TestBootstrapUnderTheEmulator(t *testing.T) {
	rie := testenv.StartRIE(t, testenv.BuildLambda(t, "handson/simplelambda"), "WAIT_SECONDS=0-1")
	seen := map[string]bool{}
	for i := 0; i < 3; i++ {
		out, status, err := rie.Invoke(context.Background(), []byte(`{}`))
		if err != nil || status != 200 {
			t.Fatalf("invoke: %v %d %s", err, status, out)
		}
		var msg string
		if err := json.Unmarshal(out, &msg); err != nil || !strings.HasPrefix(msg, "Welcome to Cloud Sushi. Your order is ") {
			t.Fatalf("answer %s", out)
		}
		seen[strings.TrimPrefix(msg, "Welcome to Cloud Sushi. Your order is ")] = true
	}
	for order := range seen {
		if order != "salmon" && order != "tuna" && order != "squid" {
			t.Errorf("unknown order %q", order)
		}
	}
	if !rie.WaitForLog("Welcome to Cloud Sushi", 5*time.Second) {
		t.Errorf("the greeting is not in the function's log:\n%s", rie.Logs())
	}
}

func TestBootstrapRefusesABadWaitAtInit(t *testing.T) {
	rie := testenv.StartRIE(t, testenv.BuildLambda(t, "handson/simplelambda"), "WAIT_SECONDS=2-20")
	out, _, err := rie.Invoke(context.Background(), []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "Welcome") || !rie.WaitForLog(`WAIT_SECONDS="2-20"`, 5*time.Second) {
		t.Errorf("answer %s; log:\n%s", out, rie.Logs())
	}
}
