package main

// Ctrl-C at each stage of ask and ask-many leaves every question in a true state and
// says so in one line. The fault layer's request hook presses Ctrl-C (cancels the
// client's context) at an exact point: the 3rd PutItem, the RunTask, the first poll
// while the task is provisioning, a poll while it runs.

import (
	"bytes"
	"context"
	"fmt"
	"github.com/intro-aws-go/intro-aws-go/internal/cli"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/intro-aws-go/intro-aws-go/handson/contracts/qabot"
	"github.com/intro-aws-go/intro-aws-go/internal/testenv"
)

// interruptAt runs the client and cancels its context when press says so.
func interruptAt(t *testing.T, h *ecsHarness, p *testenv.FaultProxy, press func(c testenv.Call, n map[string]int) bool, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	n := map[string]int{}
	p.OnRequest(func(c testenv.Call) {
		mu.Lock()
		defer mu.Unlock()
		n[c.Op]++
		if press(c, n) {
			cancel()
		}
	})
	var out, errOut bytes.Buffer
	code := run(ctx, args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1] + "\n"
}

func noFaults() testenv.Scenario { return testenv.Scenario{Name: "interrupt"} }

func TestInterruptWhileStoringRollsBack(t *testing.T) {
	h, p := underFaults(t, noFaults())
	code, out, errOut := interruptAt(t, h, p, func(c testenv.Call, n map[string]int) bool { return c.Op == "PutItem" && n["PutItem"] == 3 }, "ask-many")
	if code != exitInterrupted || out != "" {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	wantOneLine(t, "stderr", errOut, "runtask: interrupted while storing the questions: removed the 3 questions already stored; no task was started")
	if items := storedItems(t); len(items) != 0 {
		t.Errorf("%d questions left in the table: %+v", len(items), items)
	}
	if n := len(h.seen("RunTask")); n != 0 {
		t.Errorf("%d tasks started", n)
	}
}

func TestInterruptDuringRunTaskStopsTheTaskAndMarksTheQuestions(t *testing.T) {
	for _, c := range []struct {
		args      []string
		questions int
	}{
		{[]string{"ask", qabot.ExampleContext, qabot.ExampleQuestion}, 1},
		{[]string{"ask-many", "--parallel", "3"}, 10}, // two of the three tasks never start
	} {
		t.Run(c.args[0], func(t *testing.T) {
			h, p := underFaults(t, noFaults())
			code, out, errOut := interruptAt(t, h, p, func(c testenv.Call, _ map[string]int) bool { return c.Op == "RunTask" }, c.args...)
			if code != exitInterrupted {
				t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
			}
			tasks := h.started()
			if len(tasks) != 1 {
				t.Fatalf("%d tasks started, want the one whose RunTask was in flight", len(tasks))
			}
			wantOneLine(t, "last line", lastLine(errOut), fmt.Sprintf("runtask: interrupted: stopped task %s; %d of %s marked failed in the table;", tasks[0].arn, c.questions, cli.Plural(c.questions, "question")))
			checkInterrupted(t, h, c.questions)
		})
	}
}

// checkInterrupted: every question is failed with the reason, the task was stopped.
func checkInterrupted(t *testing.T, h *ecsHarness, questions int) {
	t.Helper()
	items := storedItems(t)
	if len(items) != questions {
		t.Errorf("%d items, want %d", len(items), questions)
	}
	for _, it := range items {
		if it.Status != qabot.StatusFailed || !strings.Contains(it.Error, "interrupted (Ctrl-C)") || it.FinishedAt == "" {
			t.Errorf("item %s: %s %q, want failed (interrupted)", it.ItemID, it.Status, it.Error)
		}
	}
	if n := len(h.seen("StopTask")); n != 1 {
		t.Errorf("%d StopTask calls, want 1", n)
	}
}

// The worker never starts: only the client can say what became of the question.
func TestInterruptWhileProvisioningMarksTheQuestion(t *testing.T) {
	h, p := underFaults(t, noFaults())
	h.set(func(k *knobs) { k.provisioning = time.Hour })
	code, out, errOut := interruptAt(t, h, p, func(c testenv.Call, n map[string]int) bool { return c.Op == "DescribeTasks" && n["DescribeTasks"] == 2 },
		"ask", qabot.ExampleContext, qabot.ExampleQuestion)
	if code != exitInterrupted || !strings.Contains(errOut, "  PROVISIONING\n") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	wantOneLine(t, "last line", lastLine(errOut), "runtask: interrupted: stopped task ", "; 1 of 1 question marked failed in the table;")
	checkInterrupted(t, h, 1)
}

func TestInterruptWhileRunningMarksTheQuestion(t *testing.T) {
	h, p := underFaults(t, noFaults())
	h.set(func(k *knobs) { k.hold = true })
	code, out, errOut := interruptAt(t, h, p, func(c testenv.Call, _ map[string]int) bool {
		if c.Op != "DescribeTasks" {
			return false
		}
		tasks := h.started()
		return len(tasks) == 1 && tasks[0].history[tasks[0].shown] == "RUNNING"
	}, "ask", qabot.ExampleContext, qabot.ExampleQuestion)
	if code != exitInterrupted || !strings.Contains(errOut, "  RUNNING\n") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	wantOneLine(t, "last line", lastLine(errOut), "runtask: interrupted: stopped task ", "; 1 of 1 question marked failed in the table;")
	checkInterrupted(t, h, 1)
}

// Ctrl-C while a RunTask is in flight that ECS then refuses (issue 13's re-probe): the
// client says both in one line, starts no further task, exits 130, and every question
// ends failed.
func TestInterruptDuringARefusedRunTask(t *testing.T) {
	denied := testenv.Scenario{Name: "interrupt-denied", Seed: 1, Refusal: true,
		// https://docs.aws.amazon.com/AmazonECS/latest/APIReference/CommonErrors.html (AccessDeniedException 400)
		Rules: []testenv.Rule{{Name: "denied", Service: "ecs", Ops: []string{"RunTask"}, Kind: testenv.KindError, Status: 400, Every: 1,
			Code: "AccessDeniedException", Message: "User: arn:aws:iam::123456789012:user/learner is not authorized to perform: ecs:RunTask"}}}
	for _, c := range []struct {
		args      []string
		questions int
	}{
		{[]string{"ask", qabot.ExampleContext, qabot.ExampleQuestion}, 1},
		{[]string{"ask-many", "--parallel", "3"}, 10},
	} {
		t.Run(c.args[0], func(t *testing.T) {
			h, p := underFaults(t, denied)
			code, out, errOut := interruptAt(t, h, p, func(c testenv.Call, _ map[string]int) bool { return c.Op == "RunTask" }, c.args...)
			if code != exitInterrupted {
				t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
			}
			if !strings.Contains(errOut, "runtask: interrupted: no task started for item") || !strings.Contains(errOut, "ecs:RunTask) was denied") {
				t.Errorf("stderr:\n%s", errOut)
			}
			if n := len(h.seen("RunTask")); n != 0 {
				t.Errorf("%d tasks started by the stand-in", n)
			}
			if n := p.Total(); n != 1 {
				t.Errorf("RunTask refused %d times, want 1 (no further task after Ctrl-C)", n)
			}
			items := storedItems(t)
			if len(items) != c.questions {
				t.Errorf("%d items, want %d", len(items), c.questions)
			}
			for _, it := range items {
				if it.Status != qabot.StatusFailed {
					t.Errorf("item %s: %s %q, want failed", it.ItemID, it.Status, it.Error)
				}
			}
		})
	}
}
