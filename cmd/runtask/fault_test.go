package main

// Every command under every fault scenario that applies (internal/testenv/scenarios.go):
// the same answers as without faults, every question stored and deleted once, one task
// per task's worth of questions; refusals explained in one line.

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/intro-aws-go/intro-aws-go/handson/contracts/qabot"
	"github.com/intro-aws-go/intro-aws-go/internal/testenv"
)

var runtaskServices = []string{"ssm", "dynamodb", "ecs", "logs"}

// underFaults is setup with the fault layer between the client and the ECS stand-in.
func underFaults(t *testing.T, sc testenv.Scenario) (*ecsHarness, *testenv.FaultProxy) {
	t.Helper()
	h := setup(t, true)
	p := testenv.StartFaults(t, h.srv.URL, sc)
	t.Setenv("AWS_ENDPOINT_URL", p.URL)
	return h, p
}

// statesInOrder checks that the states shown are in the order a task goes through
// them, none invented, and end with the exit.
func statesInOrder(t *testing.T, errOut string) {
	t.Helper()
	order := map[string]int{"PROVISIONING": 0, "PENDING": 1, "ACTIVATING": 2, "RUNNING": 3, "DEACTIVATING": 4, "STOPPING": 5, "DEPROVISIONING": 6, "STOPPED": 7}
	last := -1
	var states []string
	for _, m := range stateLine.FindAllStringSubmatch(errOut, -1) {
		states = append(states, m[1])
		i, ok := order[m[1]]
		if !ok || i <= last {
			t.Errorf("states shown %v: out of order or invented", states)
			return
		}
		last = i
	}
	if last != order["STOPPED"] {
		t.Errorf("states shown %v, want them to end with STOPPED:\n%s", states, errOut)
	}
}

func TestFaultsEveryCommand(t *testing.T) {
	var problems []problem
	if err := json.Unmarshal(defaultProblems, &problems); err != nil {
		t.Fatal(err)
	}
	scenarios := append(testenv.LagScenarios(runtaskServices...), testenv.TransientScenarios(runtaskServices...)...)
	lost := testenv.LostAnswerScenario("dynamodb", "PutItem", "BatchWriteItem")
	lost.Rules = append(lost.Rules, testenv.LostAnswerScenario("ecs", "RunTask").Rules...)
	scenarios = append(scenarios, lost)
	for _, sc := range scenarios {
		t.Run(sc.Name, func(t *testing.T) {
			h, p := underFaults(t, sc)
			tasks := 0
			wantTasks := func(cmd string, n int) {
				t.Helper()
				tasks += n
				if got := len(h.started()); got != tasks {
					t.Errorf("%s: %d tasks started in all, want %d (one per task's questions)", cmd, got, tasks)
				}
			}

			code, out, errOut := runtask(t, "", "ask", qabot.ExampleContext, qabot.ExampleQuestion)
			if code != exitOK || !strings.Contains(out, "Answer:   Momotaro\n") {
				t.Fatalf("ask: exit %d\n%s\n%s", code, out, errOut)
			}
			statesInOrder(t, errOut)
			wantTasks("ask", 1)

			for _, parallel := range []string{"1", "3"} {
				code, out, errOut = runtask(t, "", "ask-many", "--parallel", parallel)
				if code != exitOK || strings.Count(out, "Answer:   ") != len(problems) || !strings.Contains(out, "Answer:   Momotaro\n") {
					t.Fatalf("ask-many --parallel %s: exit %d\n%s\n%s", parallel, code, out, errOut)
				}
				wantTasks("ask-many --parallel "+parallel, map[string]int{"1": 1, "3": 3}[parallel])
			}

			stored := 1 + 2*len(problems)
			code, out, errOut = runtask(t, "", "list-answers", "--limit", "0", "--json")
			var listed struct {
				Total   int
				Answers []qabot.Item
			}
			if err := json.Unmarshal([]byte(out), &listed); code != exitOK || err != nil || listed.Total != stored {
				t.Fatalf("list-answers: exit %d, %v, total %d, want %d\n%s", code, err, listed.Total, stored, errOut)
			}
			for _, it := range listed.Answers {
				if it.Status != qabot.StatusDone {
					t.Errorf("item %s is %s", it.ItemID, it.Status)
				}
			}
			if items := storedItems(t); len(items) != stored {
				t.Errorf("%d items in the table, want %d (each question stored once)", len(items), stored)
			}

			code, out, errOut = runtask(t, "", "clear", "--yes", "--json")
			if code != exitOK || !strings.Contains(out, fmt.Sprintf(`"deleted":%d`, stored)) {
				t.Fatalf("clear: exit %d\n%s\n%s", code, out, errOut)
			}
			if left := storedItems(t); len(left) != 0 {
				t.Errorf("%d items left after clear", len(left))
			}
			p.RequireHit(t, "runtask ask/ask-many/list/clear")
		})
	}
}

// The course example with ECS's read-after-write lag: the first two DescribeTasks
// after RunTask answer MISSING; the task is still starting, and its answer comes.
func TestAskWaitsForATaskECSDoesNotKnowYet(t *testing.T) {
	h, p := underFaults(t, testenv.LagScenarios("ecs")[0])
	code, out, errOut := runtask(t, "", "ask", qabot.ExampleContext, qabot.ExampleQuestion)
	if code != exitOK || !strings.Contains(out, "Answer:   Momotaro\n") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	statesInOrder(t, errOut)
	if n := p.Injected()["missing"]["ecs.DescribeTasks"]; n != 2 {
		t.Errorf("%d MISSING answers, want 2 (%s)", n, p.Summary())
	}
	if n := len(h.started()); n != 1 {
		t.Errorf("%d tasks started", n)
	}
	p.RequireHit(t, "runtask ask (course example)")
}

// fakeClock moves on by each wait the loop asks for, at once.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (f *fakeClock) now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

func (f *fakeClock) after(d time.Duration) <-chan time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.t = f.t.Add(d)
	ch := make(chan time.Time, 1)
	ch <- f.t
	return ch
}

// A task ECS never knows: the client believes it after missingGrace (on a clock the
// test drives), says so in one line, and exits 1.
func TestAskGivesUpOnATaskECSNeverKnows(t *testing.T) {
	sc := testenv.LagScenarios("ecs")[0]
	sc.Rules[0].Lag = 1 << 30
	_, p := underFaults(t, sc)
	clk = &fakeClock{t: time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)}
	t.Cleanup(func() { clk = wallClock{} })
	code, out, errOut := runtask(t, "", "ask", qabot.ExampleContext, qabot.ExampleQuestion)
	if code != exitFailed {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "ECS still did not know the task 30s after RunTask started it (DescribeTasks: MISSING)") {
		t.Errorf("stderr:\n%s", errOut)
	}
	if n := p.Injected()["missing"]["ecs.DescribeTasks"]; n < 10 {
		t.Errorf("only %d MISSING answers before giving up: no back-off over 30s?", n)
	}
}

// Refusals cannot be retried away: one line, exit 1, and the question marked failed.
func TestFaultsRefusalsAreExplained(t *testing.T) {
	cases := []struct {
		sc   testenv.Scenario
		want string
	}{
		{testenv.Scenario{Name: "runtask-capacity", Seed: 1, Refusal: true,
			// RunTask answers 200 with a failure when Fargate has no capacity:
			// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/api_failures_messages.html
			Rules: []testenv.Rule{{Name: "capacity", Service: "ecs", Ops: []string{"RunTask"}, Kind: testenv.KindAnswer, Status: 200, Every: 1,
				Body: `{"tasks":[],"failures":[{"arn":"arn:aws:ecs:us-east-1:123456789012:task-definition/x:1","reason":"Capacity is unavailable at this time. Please try again later or in a different availability zone"}]}`}}},
			"Fargate has no capacity in this zone right now"},
		{testenv.Scenario{Name: "runtask-quota", Seed: 1, Refusal: true,
			Rules: []testenv.Rule{{Name: "quota", Service: "ecs", Ops: []string{"RunTask"}, Kind: testenv.KindAnswer, Status: 200, Every: 1,
				Body: `{"tasks":[],"failures":[{"reason":"You've reached the limit on the number of vCPUs you can run concurrently"}]}`}}},
			`raise "Fargate On-Demand vCPU resource count" in Service Quotas`},
		{testenv.Scenario{Name: "access-denied", Seed: 1, Refusal: true,
			// https://docs.aws.amazon.com/AmazonECS/latest/APIReference/CommonErrors.html (AccessDeniedException 400)
			Rules: []testenv.Rule{{Name: "denied", Service: "ecs", Ops: []string{"RunTask"}, Kind: testenv.KindError, Status: 400, Every: 1,
				Code: "AccessDeniedException", Message: "User: arn:aws:iam::123456789012:user/learner is not authorized to perform: ecs:RunTask"}}},
			"starting the task (ecs:RunTask) was denied: your credentials lack this permission"},
	}
	for _, c := range cases {
		t.Run(c.sc.Name, func(t *testing.T) {
			h, p := underFaults(t, c.sc)
			code, out, errOut := runtask(t, "", "ask", qabot.ExampleContext, qabot.ExampleQuestion)
			if code != exitFailed || out != "" {
				t.Fatalf("exit %d, stdout %q", code, out)
			}
			wantOneLine(t, "stderr", errOut, c.want)
			if items := storedItems(t); len(items) != 1 || items[0].Status != qabot.StatusFailed {
				t.Errorf("the question is not marked failed: %+v", items)
			}
			if n := len(h.started()); n != 0 {
				t.Errorf("%d tasks started", n)
			}
			if n := p.Injected()[c.sc.Rules[0].Name]["ecs.RunTask"]; n != 1 {
				t.Errorf("RunTask refused %d times, want once (no retry of a refusal): %s", n, p.Summary())
			}
			p.RequireHit(t, "runtask ask")
		})
	}
}
