package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/intro-aws-go/intro-aws-go/handson/qabot"
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
	for _, args := range [][]string{{"--help"}, {"help"}, {"ask", "-h"}} {
		out, err := exec.Command(clientBin, args...).Output()
		if err != nil {
			t.Fatalf("runtask %v: %v", args, err)
		}
		for _, cmd := range []string{"ask CONTEXT QUESTION", "ask-many", "list-answers", "clear", "--stack", "--region", "--profile", "--json", "--timeout", "--spot", "--parallel", "--limit", "--yes", "--context-file"} {
			if !strings.Contains(string(out), cmd) {
				t.Errorf("runtask %v does not mention %s:\n%s", args, cmd, out)
			}
		}
	}
	cmd := exec.Command(clientBin)
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	if err := cmd.Run(); err == nil || cmd.ProcessState.ExitCode() != exitUsage || !strings.Contains(errOut.String(), "Commands:") {
		t.Errorf("no command: %v, stderr %q; want exit 2 with the usage", err, errOut.String())
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
	wantOneLine(t, "stderr", errOut.String(), "runtask: stack EcsClusterQaBot is not deployed in us-east-1", "`npx cdk deploy EcsClusterQaBot`")
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
	code, out, errOut := runtask(t, "", "ask", qabot.ExampleContext, qabot.ExampleQuestion)
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
}
