package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/intro-aws-go/intro-aws-go/handson/contracts/qabot"
	"github.com/intro-aws-go/intro-aws-go/internal/cli"
)

// runtask runs the command in this process (the SDK reads the environment that
// setup points at the harness).
func runtask(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	code, out, errOut := runtaskStamped(stdin, args...)
	return code, out.String(), errOut
}

func runtaskStamped(stdin string, args ...string) (int, *stampedBuffer, string) {
	var out stampedBuffer
	var errOut bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return code, &out, errOut.String()
}

// stampedBuffer notes when the first answer was written.
type stampedBuffer struct {
	bytes.Buffer
	answerAt time.Time
}

func (b *stampedBuffer) Write(p []byte) (int, error) {
	if b.answerAt.IsZero() && bytes.Contains(p, []byte("Answer:")) {
		b.answerAt = time.Now()
	}
	return b.Buffer.Write(p)
}

// oneLine fails unless s is exactly one line that contains every part.
func wantOneLine(t *testing.T, what, s string, parts ...string) {
	t.Helper()
	if strings.Count(s, "\n") != 1 || !strings.HasSuffix(s, "\n") {
		t.Errorf("%s is not one line: %q", what, s)
	}
	for _, p := range parts {
		if !strings.Contains(s, p) {
			t.Errorf("%s = %q, want it to contain %q", what, s, p)
		}
	}
}

// storedItems reads the whole table from moto.
func storedItems(t *testing.T) []qabot.Item {
	t.Helper()
	out, err := dynamodb.NewFromConfig(moto.Config()).Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(param(t, qabot.ParamTableName))})
	if err != nil {
		t.Fatal(err)
	}
	var items []qabot.Item
	if err := attributevalue.UnmarshalListOfMaps(out.Items, &items); err != nil {
		t.Fatal(err)
	}
	return items
}

// itemIDsOf returns the ITEM_IDS a RunTask request gave the container.
func itemIDsOf(c call) []string {
	return qabot.ParseItemIDs(fmt.Sprint(dig(c.body, "overrides", "containerOverrides", 0, "environment", 0, "value")))
}

func TestHelpNamesTheFourCommands(t *testing.T) {
	global := []string{"--stack", "--region", "--profile", "--json", "--timeout", "--spot", "Exit status: 0 every question answered"}
	for _, args := range [][]string{{"--help"}, {"help"}, {"--json", "-h"}} {
		out, err := exec.Command(clientBin, args...).Output()
		if err != nil {
			t.Fatalf("runtask %v: %v", args, err)
		}
		for _, cmd := range append([]string{"ask CONTEXT QUESTION", "ask-many", "list-answers", "clear"}, global...) {
			if !strings.Contains(string(out), cmd) {
				t.Errorf("runtask %v does not mention %s:\n%s", args, cmd, out)
			}
		}
	}
	for cmd, flag := range map[string]string{"ask": "--context-file", "ask-many": "--parallel", "ask_many": "--parallel", "list-answers": "--limit", "clear": "--yes"} {
		for _, args := range [][]string{{cmd, "-h"}, {"help", cmd}, {"--region", "r", cmd, "x", "--help"}} {
			out, err := exec.Command(clientBin, args...).Output()
			if err != nil || !strings.Contains(string(out), "Example:\n  runtask ") || !strings.Contains(string(out), flag) || !strings.Contains(string(out), "--timeout") {
				t.Errorf("runtask %v: %v\n%s", args, err, out)
			}
		}
	}
	cmd := exec.Command(clientBin)
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	if err := cmd.Run(); err == nil || cmd.ProcessState.ExitCode() != exitUsage || errOut.String() != "error: give a command: ask, ask-many, clear, list-answers (see runtask --help)\n" {
		t.Errorf("no command: %v, stderr %q; want exit 2 with one line", err, errOut.String())
	}
}

// The course's client crashed with ParameterNotFound here.
func TestAskWithNothingDeployedSaysWhatToDeploy(t *testing.T) {
	h := setup(t, false)
	cmd := exec.Command(clientBin, "ask", qabot.ExampleContext, qabot.ExampleQuestion)
	cmd.Env = append(clientEnv(h), "PATH="+os.Getenv("PATH"), "HOME="+t.TempDir())
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if err == nil || cmd.ProcessState.ExitCode() != exitFailed || out.Len() != 0 {
		t.Fatalf("exit %v, stdout %q", err, out.String())
	}
	wantOneLine(t, "stderr", errOut.String(), "error: stack EcsClusterQaBot is not deployed in us-east-1", "`npx cdk deploy EcsClusterQaBot`")
	if n := len(h.seen("AmazonSSM.GetParametersByPath")); n != 1 {
		t.Errorf("%d GetParametersByPath calls, want 1", n)
	}
	if n := len(h.seen("DynamoDB_20120810.PutItem")) + len(h.seen("RunTask")); n != 0 {
		t.Errorf("%d writes or tasks without a stack", n)
	}
}

var stateLine = regexp.MustCompile(`(?m)^ +\d+\.\ds  task [0-9a-f]{8}  ([A-Z]+)`)

func TestAskAnswersTheCourseExample(t *testing.T) {
	h := setup(t, true)
	code, stamped, errOut := runtaskStamped("", "ask", qabot.ExampleContext, qabot.ExampleQuestion)
	out := stamped.String()
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || lines[0] != "Context:  "+qabot.ExampleContext || lines[1] != "Question: "+qabot.ExampleQuestion ||
		lines[2] != "Answer:   Momotaro" || !regexp.MustCompile(`^Score:    (0\.9\d{3}|1\.0000)$`).MatchString(lines[3]) {
		t.Errorf("stdout:\n%s", out)
	}
	var states []string
	for _, m := range stateLine.FindAllStringSubmatch(errOut, -1) {
		states = append(states, m[1])
	}
	if strings.Join(states, " ") != "PROVISIONING PENDING RUNNING STOPPED" {
		t.Errorf("states shown %v, want PROVISIONING PENDING RUNNING STOPPED:\n%s", states, errOut)
	}
	if !strings.Contains(errOut, "(exit code 0)") || !strings.Contains(errOut, "started task ") {
		t.Errorf("stderr:\n%s", errOut)
	}

	runs := h.seen("RunTask")
	if len(runs) != 1 {
		t.Fatalf("%d RunTask calls, want 1", len(runs))
	}
	if runs[0].body["launchType"] != "FARGATE" || runs[0].body["startedBy"] != "runtask" {
		t.Errorf("RunTask %s", jsonString(runs[0].body))
	}
	items := storedItems(t)
	ids := itemIDsOf(runs[0])
	if len(items) != 1 || len(ids) != 1 || items[0].ItemID != ids[0] || items[0].Status != qabot.StatusDone ||
		items[0].Context != qabot.ExampleContext || items[0].Question != qabot.ExampleQuestion || items[0].CreatedAt == "" {
		t.Errorf("table %+v, task got %v", items, ids)
	}
	// The wait loop reads the answer at the first poll that shows the container's exit,
	// and polls no more (make bench measures the time it takes against the course's loop).
	if n := h.started()[0].exitShowed; n != 1 {
		t.Errorf("%d DescribeTasks answers showed the exit, want the client to stop at the first", n)
	}
}

func TestAskTakesTheContextFromAFileOrStdinAndPrintsJSON(t *testing.T) {
	h := setup(t, true)
	file := filepath.Join(t.TempDir(), "momotaro.txt")
	if err := os.WriteFile(file, []byte(qabot.ExampleContext+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runtask(t, "", "ask", "--json", "--context-file", file, qabot.ExampleQuestion)
	if code != exitOK {
		t.Fatalf("--context-file: exit %d\n%s\n%s", code, out, errOut)
	}
	var got askReport
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("stdout is not the JSON report: %v\n%s", err, out)
	}
	if len(got.Answers) != 1 || got.Answers[0].Answer != qabot.ExampleAnswer || got.Answers[0].Context != qabot.ExampleContext ||
		got.Answers[0].Score == nil || got.Answers[0].AnswerStart == nil || got.Answers[0].TaskArn == "" {
		t.Errorf("answers = %s", jsonString(got.Answers))
	}
	if len(got.Tasks) != 1 || got.Tasks[0].ExitCode == nil || *got.Tasks[0].ExitCode != 0 || got.Stack != qabot.StackName || got.Region != "us-east-1" {
		t.Errorf("report = %s", jsonString(got))
	}

	code, out, errOut = runtask(t, qabot.ExampleContext, "ask", qabot.ExampleQuestion)
	if code != exitOK || !strings.Contains(out, "Answer:   Momotaro\n") {
		t.Fatalf("context on stdin: exit %d\n%s\n%s", code, out, errOut)
	}
	if n := len(h.seen("RunTask")); n != 2 {
		t.Errorf("%d tasks for two questions", n)
	}
}

func TestAskManyAnswersTheBuiltInProblemsWithOneTask(t *testing.T) {
	h := setup(t, true)
	var problems []problem
	if err := json.Unmarshal(defaultProblems, &problems); err != nil || len(problems) < 9 {
		t.Fatalf("built-in problems: %d, %v", len(problems), err)
	}
	code, out, errOut := runtask(t, "", "ask-many")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	runs := h.seen("RunTask")
	if len(runs) != 1 || len(itemIDsOf(runs[0])) != len(problems) {
		t.Fatalf("%d tasks, want one for all %d questions", len(runs), len(problems))
	}
	for i, p := range problems {
		block := fmt.Sprintf("[%d/%d] item %s\nContext:  %s\nQuestion: %s\nAnswer:   ", i+1, len(problems), itemIDsOf(runs[0])[i], p.Context, p.Question)
		if !strings.Contains(out, block) {
			t.Errorf("no answer block for problem %d:\n%s", i+1, out)
		}
	}
	if !strings.Contains(out, "Answer:   Momotaro\nScore:    ") || !strings.Contains(out, "Expected: Momotaro\n") {
		t.Errorf("the course example's answer is missing:\n%s", out)
	}
	items := storedItems(t)
	for _, it := range items {
		if it.Status != qabot.StatusDone || it.Answer == "" || !strings.Contains(it.Context, it.Answer) {
			t.Errorf("item %+v not answered from its context", it)
		}
	}
	if len(items) != len(problems) {
		t.Errorf("%d items, want %d", len(items), len(problems))
	}
}

func writeProblems(t *testing.T, ps []problem) string {
	t.Helper()
	b, _ := json.Marshal(ps)
	file := filepath.Join(t.TempDir(), "problems.json")
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

func TestAskManyParallelSpreadsTheQuestions(t *testing.T) {
	h := setup(t, true)
	var ps []problem
	for i := 0; i < 4; i++ {
		ps = append(ps, problem{Context: fmt.Sprintf("Story %d. ", i) + qabot.ExampleContext, Question: qabot.ExampleQuestion})
	}
	code, out, errOut := runtask(t, "", "ask_many", "--parallel", "3", writeProblems(t, ps)) // the course's spelling
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	var sizes []int
	seen := map[string]bool{}
	for _, r := range h.seen("RunTask") {
		ids := itemIDsOf(r)
		sizes = append(sizes, len(ids))
		for _, id := range ids {
			seen[id] = true
		}
	}
	if fmt.Sprint(sizes) != "[1 1 2]" || len(seen) != 4 {
		t.Errorf("tasks got %v questions (%d distinct), want 1, 1 and 2", sizes, len(seen))
	}
	if n := strings.Count(out, "Answer:   Momotaro\n"); n != 4 {
		t.Errorf("%d answers:\n%s", n, out)
	}
}

// ITEM_IDS stays far below ECS's 8 KiB override limit: a large batch gets more tasks.
func TestAskManySplitsALargeBatchIntoTasks(t *testing.T) {
	h := setup(t, true)
	ps := make([]problem, maxIDsPerTask+1)
	for i := range ps {
		ps[i] = problem{Context: qabot.ExampleContext, Question: fmt.Sprintf("Question %d: what is the name of the baby?", i)}
	}
	code, out, errOut := runtask(t, "", "ask-many", writeProblems(t, ps))
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	runs := h.seen("RunTask")
	if len(runs) != 2 || len(itemIDsOf(runs[0]))+len(itemIDsOf(runs[1])) != len(ps) {
		t.Errorf("%d tasks for %d questions, want 2", len(runs), len(ps))
	}
	if n := strings.Count(out, "Answer:   Momotaro\n"); n != len(ps) {
		t.Errorf("%d answers, want %d", n, len(ps))
	}
}

// The course's client never looked at how the task ended.
func TestFailedTaskShowsExitCodeReasonAndLastLogLines(t *testing.T) {
	h := setup(t, true)
	h.set(func(k *knobs) { k.workerEnv = []string{qabot.EnvModelDir + "=/nonexistent-model"} })
	code, out, errOut := runtask(t, "", "ask", qabot.ExampleContext, qabot.ExampleQuestion)
	if code != exitFailed {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "Error:    the worker could not load the model: tokenizer: ") {
		t.Errorf("stdout does not give the question's error:\n%s", out)
	}
	tasks := h.started()
	if len(tasks) != 1 {
		t.Fatalf("%d tasks", len(tasks))
	}
	id := qabot.TaskID(tasks[0].arn)
	for _, want := range []string{
		"runtask: task " + id[:8] + " failed: exit code 1, Essential container in task exited: the worker could not answer",
		"runtask: last lines of its log (group " + param(t, qabot.ParamLogGroupName) + ", stream EcsClusterQaBot/EcsClusterQaBot-Container/" + id + "):\n",
		"  | qabot-worker: 1 item(s) to answer from table " + param(t, qabot.ParamTableName) + "\n",
		"  | qabot-worker: error: tokenizer: ",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}

	code, out, _ = runtask(t, "", "ask", "--json", qabot.ExampleContext, qabot.ExampleQuestion)
	var got askReport
	if err := json.Unmarshal([]byte(out), &got); code != exitFailed || err != nil {
		t.Fatalf("--json: exit %d, %v\n%s", code, err, out)
	}
	tr := got.Tasks[0]
	if tr.ExitCode == nil || *tr.ExitCode != 1 || tr.StoppedReason != "Essential container in task exited" || len(tr.LogLines) < 2 ||
		got.Answers[0].Status != qabot.StatusFailed || !strings.HasPrefix(got.Answers[0].Error, "the worker could not load the model") {
		t.Errorf("--json report = %s", jsonString(got))
	}
}

// A stack deployed with -c spot=true publishes CAPACITY_PROVIDER=FARGATE_SPOT (its
// template test checks that); here the parameter is set on the default template,
// which differs from the spot one only in the task's architecture.
func TestSpotRunsOnAFargateSpotCapacityProvider(t *testing.T) {
	h := setup(t, true)
	setCapacity := func(v string) {
		if _, err := ssm.NewFromConfig(moto.Config()).PutParameter(context.Background(), &ssm.PutParameterInput{
			Name: aws.String(qabot.ParameterName(qabot.ParamCapacityProvider)), Value: aws.String(v), Type: "String", Overwrite: aws.Bool(true),
		}); err != nil {
			t.Fatal(err)
		}
	}
	setCapacity(qabot.CapacityFargateSpot)
	code, out, errOut := runtask(t, "", "ask", qabot.ExampleContext, qabot.ExampleQuestion)
	if code != exitOK || !strings.Contains(out, "Answer:   Momotaro") || !strings.Contains(errOut, " on FARGATE_SPOT ") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	code, _, errOut = runtask(t, "", "ask", "--spot=false", qabot.ExampleContext, qabot.ExampleQuestion)
	if code != exitOK || !strings.Contains(errOut, " on FARGATE ") {
		t.Fatalf("--spot=false: exit %d\n%s", code, errOut)
	}
	runs := h.seen("RunTask")
	if len(runs) != 2 || jsonString(runs[0].body["capacityProviderStrategy"]) != `[{"capacityProvider":"FARGATE_SPOT","weight":1}]` ||
		runs[0].body["launchType"] != nil || runs[1].body["launchType"] != "FARGATE" || runs[1].body["capacityProviderStrategy"] != nil {
		t.Errorf("RunTask requests: %s", jsonString([]any{runs[0].body["capacityProviderStrategy"], runs[0].body["launchType"], runs[1].body["launchType"]}))
	}

	setCapacity(qabot.CapacityFargate) // the default, arm64 stack
	code, _, errOut = runtask(t, "", "ask", "--spot", qabot.ExampleContext, qabot.ExampleQuestion)
	if code != exitUsage {
		t.Fatalf("--spot on an arm64 stack: exit %d", code)
	}
	wantOneLine(t, "stderr", errOut, "Fargate Spot", "`npx cdk deploy EcsClusterQaBot -c spot=true`")
	if n := len(h.seen("RunTask")); n != 2 {
		t.Errorf("a task was started anyway")
	}
}

func TestTimeoutPrintsTheTaskAndHowToFollowIt(t *testing.T) {
	h := setup(t, true)
	h.set(func(k *knobs) { k.hold = true })
	code, _, errOut := runtask(t, "", "ask", "--timeout", "1s", qabot.ExampleContext, qabot.ExampleQuestion)
	if code != exitFailed {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	tasks := h.started()
	if len(tasks) != 1 {
		t.Fatalf("%d tasks", len(tasks))
	}
	arn, cluster := tasks[0].arn, param(t, qabot.ParamClusterName)
	for _, want := range []string{
		"runtask: timed out after 1s waiting for task " + arn + " (last status RUNNING); it goes on and stores its answers in the table\n",
		"aws ecs describe-tasks --region us-east-1 --cluster " + cluster + " --tasks " + arn + " ",
		"aws logs tail " + param(t, qabot.ParamLogGroupName) + " --region us-east-1 --follow --log-stream-names " + tasks[0].logStream + "\n",
		"go run ./cmd/runtask list-answers\n",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if n := len(h.seen("StopTask")); n != 0 {
		t.Errorf("the task was stopped on timeout")
	}
}

// Ctrl-C on the built command stops the task it started.
func TestCtrlCStopsTheTask(t *testing.T) {
	h := setup(t, true)
	started := make(chan string, 1)
	h.set(func(k *knobs) { k.hold, k.runTaskSeen = true, started })
	cmd := exec.Command(clientBin, "ask", qabot.ExampleContext, qabot.ExampleQuestion)
	cmd.Env = append(clientEnv(h), "PATH="+os.Getenv("PATH"), "HOME="+t.TempDir())
	var errOut syncBuffer
	cmd.Stderr = &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var arn string
	select {
	case arn = <-started:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("no task started:\n%s", errOut.String())
	}
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(errOut.String(), "  RUNNING\n"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the client never saw the task running:\n%s", errOut.String())
		}
	}
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	if cmd.ProcessState.ExitCode() != exitInterrupted {
		t.Fatalf("exit %v, want 130\n%s", err, errOut.String())
	}
	if !strings.Contains(errOut.String(), "runtask: interrupted: stopped task "+arn+"; 1 of 1 question marked failed in the table; ") {
		t.Errorf("stderr:\n%s", errOut.String())
	}
	stops := h.seen("StopTask")
	if len(stops) != 1 || stops[0].body["task"] != arn || stops[0].body["cluster"] != param(t, qabot.ParamClusterName) ||
		!strings.Contains(fmt.Sprint(stops[0].body["reason"]), "Ctrl-C") {
		t.Errorf("StopTask calls: %v", stops)
	}
}

// syncBuffer is a bytes.Buffer that a process writes while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// ECS takes a while to detach a task's network interface after its container
// exited; the answer is already in the table, and the client prints it at once.
func TestAnswerDoesNotWaitForDeprovisioning(t *testing.T) {
	h := setup(t, true)
	h.set(func(k *knobs) { k.deprovisioning = time.Hour }) // until the test ends
	code, out, errOut := runtask(t, "", "ask", qabot.ExampleContext, qabot.ExampleQuestion)
	if code != exitOK || !strings.Contains(out, "Answer:   Momotaro") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if tasks := h.started(); len(tasks) != 1 || tasks[0].status != "DEPROVISIONING" || tasks[0].exitShowed != 1 {
		t.Errorf("the client did not stop at the first answer showing the container's exit: %+v", tasks)
	}
	if !strings.Contains(errOut, "  DEPROVISIONING, container exited with code 0\n") {
		t.Errorf("stderr:\n%s", errOut)
	}
}

// putItems writes n answered questions straight into the table, the i-th created i
// seconds after the first.
func putItems(t *testing.T, n int) []string {
	t.Helper()
	db := dynamodb.NewFromConfig(moto.Config())
	table := param(t, qabot.ParamTableName)
	base := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
	var ids []string
	var writes []dbtypes.WriteRequest
	flush := func() {
		if _, err := db.BatchWriteItem(context.Background(), &dynamodb.BatchWriteItemInput{RequestItems: map[string][]dbtypes.WriteRequest{table: writes}}); err != nil {
			t.Fatal(err)
		}
		writes = nil
	}
	for i := 0; i < n; i++ {
		score := 0.5
		it := qabot.Item{ItemID: fmt.Sprintf("item-%03d", i), Context: strings.Repeat("Once upon a time. ", 20) + fmt.Sprint(i),
			Question: fmt.Sprintf("Question %d?", i), Status: qabot.StatusDone, Answer: "Once", Score: &score,
			CreatedAt: base.Add(time.Duration(i) * time.Second).Format(time.RFC3339Nano)}
		av, err := attributevalue.MarshalMap(it)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, it.ItemID)
		writes = append(writes, dbtypes.WriteRequest{PutRequest: &dbtypes.PutRequest{Item: av}})
		if len(writes) == 25 {
			flush()
		}
	}
	if len(writes) > 0 {
		flush()
	}
	return ids
}

// The course's list_answers and clear read only the first page of the table.
func TestListAnswersAndClearFollowEveryPage(t *testing.T) {
	h := setup(t, true)
	const n = 2*scanPage + 50
	putItems(t, n)

	code, out, errOut := runtask(t, "", "list-answers", "--limit", "3")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	heads := regexp.MustCompile(`(?m)^\[(\d)\] (\S+)  done  item (\S+)$`).FindAllStringSubmatch(out, -1)
	if len(heads) != 3 || heads[0][3] != fmt.Sprintf("item-%03d", n-1) || heads[1][3] != fmt.Sprintf("item-%03d", n-2) || heads[2][3] != fmt.Sprintf("item-%03d", n-3) {
		t.Errorf("want the 3 newest, newest first:\n%s", out)
	}
	if !strings.Contains(out, "Context:  Once upon a time. Once upon a time.") || !strings.Contains(out, "… (363 characters)\n") ||
		!strings.Contains(out, "Answer:   Once\nScore:    0.5000\n") {
		t.Errorf("answer blocks:\n%s", out)
	}
	if errOut != fmt.Sprintf("runtask: the newest 3 of %d answers; --limit 0 shows all\n", n) {
		t.Errorf("stderr = %q", errOut)
	}
	scans := h.seen("DynamoDB_20120810.Scan")
	if len(scans) < 3 || scans[0].body["ExclusiveStartKey"] != nil || scans[1].body["ExclusiveStartKey"] == nil || scans[len(scans)-1].body["ExclusiveStartKey"] == nil {
		t.Errorf("%d Scan calls, want at least 3 pages followed by ExclusiveStartKey", len(scans))
	}

	code, out, _ = runtask(t, "", "list_answers", "--limit", "0", "--json")
	var listed struct {
		Total   int
		Answers []qabot.Item
	}
	if err := json.Unmarshal([]byte(out), &listed); code != exitOK || err != nil || listed.Total != n || len(listed.Answers) != n {
		t.Errorf("--limit 0 --json: exit %d, %v, total %d, %d answers", code, err, listed.Total, len(listed.Answers))
	}

	code, _, errOut = runtask(t, "", "clear")
	if code != exitUsage {
		t.Fatalf("clear without a terminal or --yes: exit %d", code)
	}
	wantOneLine(t, "stderr", errOut, "error: runtask clear needs a confirmation: run it in a terminal, or add --yes")

	terminal := cli.IsTerminal
	cli.IsTerminal = func(io.Reader) bool { return true }
	t.Cleanup(func() { cli.IsTerminal = terminal })
	code, _, errOut = runtask(t, "no\n", "clear")
	if code != exitFailed || !strings.Contains(errOut, fmt.Sprintf("Delete all %d questions and their answers from table %s (stack EcsClusterQaBot, us-east-1)? Type yes to confirm: ", n, param(t, qabot.ParamTableName))) ||
		!strings.HasSuffix(errOut, "runtask: nothing deleted\n") || len(storedItems(t)) != n {
		t.Fatalf("answering no: exit %d\n%s", code, errOut)
	}

	code, _, errOut = runtask(t, "yes\n", "clear")
	if code != exitOK || !strings.HasSuffix(errOut, fmt.Sprintf("runtask: deleted %d questions and their answers from table %s\n", n, param(t, qabot.ParamTableName))) {
		t.Fatalf("clear: exit %d\n%s", code, errOut)
	}
	if left := storedItems(t); len(left) != 0 {
		t.Errorf("%d items left after clear", len(left))
	}
	if got, want := len(h.seen("DynamoDB_20120810.BatchWriteItem")), (n+24)/25; got != want {
		t.Errorf("%d BatchWriteItem calls, want %d (25 deletions each)", got, want)
	}

	code, out, errOut = runtask(t, "", "clear", "--yes", "--json")
	if code != exitOK || !strings.Contains(out, `"deleted":0`) || !strings.Contains(errOut, "nothing to clear") {
		t.Errorf("clear of an empty table: exit %d\n%s\n%s", code, out, errOut)
	}
	code, _, errOut = runtask(t, "", "list-answers")
	if code != exitOK || !strings.Contains(errOut, "no questions yet") {
		t.Errorf("list-answers of an empty table: exit %d\n%s", code, errOut)
	}
}

// Bad input is refused before anything reaches AWS, in one line.
func TestBadInputIsRefusedInOneLine(t *testing.T) {
	h := setup(t, true)
	bad := writeProblems(t, []problem{{Context: "c", Question: "q"}, {Context: "c", Question: " "}})
	huge := strings.Repeat("The peach was big. ", 401*1024/19)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"ask", qabot.ExampleContext, "  "}, "error: the question is empty"},
		{[]string{"ask", "", qabot.ExampleQuestion}, "error: the context is empty"},
		{[]string{"ask", huge, qabot.ExampleQuestion}, "but a DynamoDB item holds at most 400 KB"},
		{[]string{"ask"}, "error: ask takes the context and the question"},
		{[]string{"ask", "a", "b", "c"}, "error: ask takes the context and the question"},
		{[]string{"ask", "--context-file", "/nonexistent", "q"}, "error: --context-file: stat /nonexistent: no such file or directory"},
		{[]string{"ask-many", bad}, "error: problem 2 of " + bad + ": the question is empty"},
		{[]string{"ask-many", "--parallel", "0"}, "error: --parallel 0: give 1 to 10"},
		{[]string{"ask", "--timeout", "0s", "c", "q"}, "error: --timeout 0s: give a positive duration"},
		{[]string{"list-answers", "--limit", "-1"}, "error: --limit -1"},
		{[]string{"asks"}, `error: unknown command "asks"`},
		{[]string{"ask", "--bogus"}, "error: ask: flag provided but not defined: -bogus (see runtask ask --help)"},
		{[]string{"ask", "--context-file", "/dev/zero", "q"}, "error: --context-file: /dev/zero is not a regular file (a device): give the path of a file"},
		{[]string{"ask-many", "/dev/zero"}, "error: ask-many: /dev/zero is not a regular file (a device): give the path of a file"},
		{[]string{"ask-many", os.TempDir()}, "is not a regular file (a directory)"},
	} {
		code, out, errOut := runtask(t, "", c.args...)
		if code != exitUsage || out != "" {
			t.Errorf("%.60q: exit %d, stdout %q", c.args, code, out)
		}
		wantOneLine(t, fmt.Sprintf("%.60q", c.args), errOut, c.want)
	}
	if n := len(h.calls); n != 0 {
		t.Errorf("%d requests for bad input", n)
	}
}

// Issue 14: every free-text path (arguments, --context-file, standard input, ask-many's
// JSON) goes through internal/textcheck, which names the refused character and where.
func TestUnsafeTextIsRefusedOnEveryPath(t *testing.T) {
	h := setup(t, true)
	sjis := filepath.Join(t.TempDir(), "sjis.txt")
	if err := os.WriteFile(sjis, []byte("\x82\xa0 Shift_JIS"), 0o644); err != nil {
		t.Fatal(err)
	}
	surrogate := filepath.Join(t.TempDir(), "problems.json")
	if err := os.WriteFile(surrogate, []byte(`[{"context":"a\ud800b","question":"q"}]`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		stdin string
		args  []string
		want  string
	}{
		{"", []string{"ask", "桃太郎\u202eです", "q"}, "error: the context: character 4, U+202E RIGHT-TO-LEFT OVERRIDE (bidi, Cf), is not allowed"},
		{"", []string{"ask", "c", "Who\x00?"}, "error: the question: character 4, U+0000 NULL (control, Cc), is not allowed"},
		{"", []string{"ask", "--context-file", sjis, "q"}, "error: the context: character 1 is not valid UTF-8 (byte 0x82)"},
		{"ab\x1b[2J", []string{"ask", "q"}, "error: the context: character 3, U+001B ESCAPE (control, Cc), is not allowed"},
		{"", []string{"ask-many", surrogate}, "error: problem 1 of " + surrogate + ": the context: character 2, U+FFFD REPLACEMENT CHARACTER"},
	} {
		code, out, errOut := runtask(t, c.stdin, c.args...)
		if code != exitUsage || out != "" {
			t.Errorf("%.60q: exit %d, stdout %q", c.args, code, out)
		}
		wantOneLine(t, fmt.Sprintf("%.60q", c.args), errOut, c.want)
	}
	if n := len(h.calls); n != 0 {
		t.Errorf("%d requests for bad input", n)
	}
}

func TestContextSizeLimit(t *testing.T) {
	q := qabot.ExampleQuestion
	fits := strings.Repeat("a", maxQuestionBytes-itemBytes("", q))
	if p := (problem{Context: fits, Question: q}); p.check("") != nil {
		t.Errorf("a context that fits is refused: %v", p.check(""))
	}
	if p := (problem{Context: fits + "b", Question: q}); p.check("") == nil {
		t.Errorf("a context one byte too large is accepted")
	}
	if p := (problem{Context: strings.Repeat("桃", (maxQuestionBytes-itemBytes("", q))/3+1), Question: q}); p.check("") == nil {
		t.Errorf("the size is not counted in UTF-8 bytes")
	}
}

func TestNoCredentialsNoRegion(t *testing.T) {
	setup(t, true)
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	code, _, errOut := runtask(t, "", "list-answers")
	if code != exitFailed {
		t.Errorf("no region: exit %d", code)
	}
	wantOneLine(t, "no region", errOut, "error: no AWS region: pass --region")

	code, _, errOut = runtask(t, "", "list-answers", "--region", "eu-west-1")
	if code != exitFailed {
		t.Errorf("--region eu-west-1: exit %d", code)
	}
	wantOneLine(t, "other region", errOut, "error: stack EcsClusterQaBot is not deployed in eu-west-1")
	code, _, errOut = runtask(t, "", "--region", "eu-west-1", "list-answers")
	if code != exitFailed {
		t.Errorf("--region before the command: exit %d", code)
	}
	wantOneLine(t, "region before the command", errOut, "error: stack EcsClusterQaBot is not deployed in eu-west-1")

	t.Setenv("AWS_REGION", "us-east-1")
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"} {
		t.Setenv(k, "")
	}
	code, _, errOut = runtask(t, "", "ask", qabot.ExampleContext, qabot.ExampleQuestion)
	if code != exitFailed {
		t.Errorf("no credentials: exit %d", code)
	}
	wantOneLine(t, "no credentials", errOut, "error: no AWS credentials found: run `aws configure`")

	code, _, errOut = runtask(t, "", "ask", "--profile", "nosuch", qabot.ExampleContext, qabot.ExampleQuestion)
	if code != exitFailed {
		t.Errorf("unknown profile: exit %d", code)
	}
	wantOneLine(t, "unknown profile", errOut, `error: AWS profile "nosuch" not found`)
}

func TestNewerSortsTimesNotText(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"2026-04-01T09:00:00.5Z", "2026-04-01T09:00:00Z", true}, // as text, ".5Z" < "Z"
		{"2026-04-01T09:00:00Z", "2026-04-01T09:00:00.5Z", false},
		{"2026-04-01T09:00:01Z", "garbage", true},
		{"garbage", "2026-04-01T09:00:01Z", false},
	} {
		if got := newer(c.a, c.b); got != c.want {
			t.Errorf("newer(%s, %s) = %v", c.a, c.b, got)
		}
	}
}

// The built command as a learner runs it (go test -v -run TestBinaryAsk shows the
// transcript that the README quotes).
func TestBinaryAsk(t *testing.T) {
	h := setup(t, true)
	cmd := exec.Command(clientBin, "ask", qabot.ExampleContext, qabot.ExampleQuestion)
	cmd.Env = append(clientEnv(h), "PATH="+os.Getenv("PATH"), "HOME="+t.TempDir())
	out, err := cmd.CombinedOutput()
	t.Logf("$ go run ./cmd/runtask ask %q %q\n%s", qabot.ExampleContext, qabot.ExampleQuestion, out)
	if err != nil || !strings.Contains(string(out), "\nAnswer:   Momotaro\n") {
		t.Fatalf("%v\n%s", err, out)
	}
}

// On a terminal the elapsed time ticks on a live line, cleared before other output;
// elsewhere there are only plain lines, and no colours.
func TestLiveLineAndColours(t *testing.T) {
	var errOut bytes.Buffer
	c := &session{opts: &options{}, stderr: &errOut}
	runs := []*taskRun{{arn: "arn:aws:ecs:us-east-1:123456789012:task/c/0123456789abcdef", status: "PENDING"}}
	p := &progress{c: c, live: true, stop: func() {}}
	p.redraw(1200*time.Millisecond, runs)
	p.event(1300*time.Millisecond, "task 01234567  RUNNING")
	p.redraw(1400*time.Millisecond, runs)
	p.close()
	want := "\r\033[K⠹ 1.2s  waiting for 01234567 PENDING" + "\r\033[K" + "    1.3s  task 01234567  RUNNING\n" +
		"\r\033[K⠼ 1.4s  waiting for 01234567 PENDING" + "\r\033[K"
	if errOut.String() != want {
		t.Errorf("live output %q\nwant        %q", errOut.String(), want)
	}
	errOut.Reset()
	plain := &progress{c: c, stop: func() {}}
	plain.redraw(time.Second, runs)
	plain.event(time.Second, "task 01234567  RUNNING")
	plain.close()
	if errOut.String() != "    1.0s  task 01234567  RUNNING\n" {
		t.Errorf("plain output %q", errOut.String())
	}

	var out bytes.Buffer
	if p := newPrinter(&out); p.color {
		t.Errorf("colours on a buffer")
	}
	printer{w: &out, color: true}.field("Answer", magenta, "Momotaro")
	if out.String() != "\033[1;35mAnswer:  \033[0m Momotaro\n" {
		t.Errorf("coloured field %q", out.String())
	}
}

func TestRunTaskFailuresSayWhatToDo(t *testing.T) {
	h := setup(t, true)
	h.set(func(k *knobs) {
		k.runTaskAnswers = []string{
			"failure:Capacity is unavailable at this time. Please try again later or in a different availability zone",
			"failure:You've reached the limit on the number of vCPUs you can run concurrently",
			"error:AccessDeniedException:User is not authorized to perform: ecs:RunTask",
		}
	})
	code, out, errOut := runtask(t, "", "ask", qabot.ExampleContext, qabot.ExampleQuestion)
	if code != exitFailed || out != "" {
		t.Fatalf("no capacity: exit %d, stdout %q", code, out)
	}
	wantOneLine(t, "no capacity", errOut, "error: ECS did not start the task: Capacity is unavailable at this time.", "Fargate has no capacity in this zone right now: ask again in a few minutes")
	if items := storedItems(t); len(items) != 1 || items[0].Status != qabot.StatusFailed || !strings.HasPrefix(items[0].Error, "no task could be started: ECS did not start the task: Capacity") {
		t.Errorf("the question is not marked failed in the table: %+v", items)
	}
	code, _, errOut = runtask(t, "", "ask", qabot.ExampleContext, qabot.ExampleQuestion)
	if code != exitFailed {
		t.Fatalf("quota: exit %d", code)
	}
	wantOneLine(t, "quota", errOut, "You've reached the limit", `raise "Fargate On-Demand vCPU resource count" in Service Quotas`)
	code, _, errOut = runtask(t, "", "ask", qabot.ExampleContext, qabot.ExampleQuestion)
	if code != exitFailed {
		t.Fatalf("denied: exit %d", code)
	}
	wantOneLine(t, "denied", errOut, "error: starting the task (ecs:RunTask) was denied: your credentials lack this permission")

	// In a batch, the questions of a task that could not start are reported, and
	// the other tasks' answers still come.
	h.set(func(k *knobs) { k.runTaskAnswers = []string{"failure:Capacity is unavailable at this time."} })
	var ps []problem
	for i := 0; i < 2; i++ {
		ps = append(ps, problem{Context: qabot.ExampleContext, Question: qabot.ExampleQuestion})
	}
	code, out, errOut = runtask(t, "", "ask-many", "--parallel", "2", writeProblems(t, ps))
	if code != exitFailed || !strings.Contains(errOut, "runtask: could not start a task for questions 1 to 1: ECS did not start the task") ||
		!strings.Contains(out, "[1/2] item ") || !strings.Contains(out, "Error:    no task could be started: ") ||
		strings.Count(out, "Answer:   Momotaro\n") != 1 || !strings.HasSuffix(errOut, "runtask: 1 of 2 questions not answered\n") {
		t.Errorf("exit %d\n%s\n%s", code, out, errOut)
	}
}

func TestTaskThatNeverRanAndThrottling(t *testing.T) {
	h := setup(t, true)
	h.set(func(k *knobs) {
		k.startError = "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref"
		k.throttle = 1 // the SDK retries
	})
	code, out, errOut := runtask(t, "", "ask", qabot.ExampleContext, qabot.ExampleQuestion)
	if code != exitFailed || !strings.Contains(out, "Status:   pending: not answered (yet)\n") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{
		"failed: no exit code (the container did not run), CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref: the task could not pull its image",
		"runtask: the task left no log (stream EcsClusterQaBot/EcsClusterQaBot-Container/",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if n := len(h.seen("DescribeTasks")); n < 2 {
		t.Errorf("%d DescribeTasks calls: the throttled one was not retried", n)
	}
}

// Issue 14: text read back from the table is printed as is when it is printable
// (emoji sequences, Japanese, several lines), escaped otherwise.
func TestPrinterEscapesWhatTheTerminalWouldInterpret(t *testing.T) {
	var b bytes.Buffer
	p := newPrinter(&b)
	p.field("Answer", magenta, "桃太郎👨\u200d👩\u200d👧")
	p.field("Context", green, "one\ntwo")
	p.field("Question", blue, "who\x1b]0;pwned\x07?")
	want := "Answer:   桃太郎👨\u200d👩\u200d👧\nContext:  one\ntwo\nQuestion: \"who\\x1b]0;pwned\\a?\"\n"
	if b.String() != want {
		t.Errorf("printed %q, want %q", b.String(), want)
	}
}

// A context on standard input is read up to a bound: /dev/zero is refused in one line,
// before anything is asked of AWS.
func TestEndlessStandardInputIsRefused(t *testing.T) {
	zero, err := os.Open("/dev/zero")
	if err != nil {
		t.Skip(err)
	}
	defer zero.Close()
	t.Setenv("AWS_REGION", "")
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"ask", "Who?"}, zero, &out, &errOut)
	if code != exitUsage || errOut.String() != "error: the context on standard input holds more than the 800.0 KiB this command reads\n" {
		t.Errorf("ask < /dev/zero = %d %q", code, errOut.String())
	}
}
