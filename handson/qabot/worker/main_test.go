package main

// The worker binary, built once, run as ECS runs it: environment in, DynamoDB (moto,
// on 127.0.0.1) as the table, a generated model on disk, exit status out.

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/intro-aws-go/intro-aws-go/handson/contracts/qabot"
	"github.com/intro-aws-go/intro-aws-go/internal/testenv"
	"github.com/intro-aws-go/intro-aws-go/internal/testenv/tinymodel"
)

var (
	workerBin   string
	moto        *testenv.Moto
	ortLib      string
	momotaroDir string // constructed weights: "Momotaro" must win
	randomDir   string // random weights
	baseDir     string // distilbert-base-sized, random weights (benchmarks)
)

func TestMain(m *testing.M) {
	code, err := setup(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}

func setup(m *testing.M) (int, error) {
	tmp, err := os.MkdirTemp("", "qabot-worker-test-")
	if err != nil {
		return 1, err
	}
	defer os.RemoveAll(tmp)
	workerBin = filepath.Join(tmp, "qabot-worker")
	if out, err := exec.Command("go", "build", "-o", workerBin, ".").CombinedOutput(); err != nil {
		return 1, fmt.Errorf("go build: %v\n%s", err, out)
	}
	if ortLib, err = tinymodel.RuntimeLibrary(); err != nil {
		return 1, err
	}
	momotaroDir, randomDir = filepath.Join(tmp, "momotaro"), filepath.Join(tmp, "random")
	baseDir = filepath.Join(tmp, "base") // written by the benchmark only
	cfg := tinymodel.Tiny()
	if err := tinymodel.Write(randomDir, cfg); err != nil {
		return 1, err
	}
	cfg.AnswerStart, cfg.AnswerEnd = qabot.ExampleAnswer, qabot.ExampleAnswer
	if err := tinymodel.Write(momotaroDir, cfg); err != nil {
		return 1, err
	}
	if moto, err = testenv.StartMotoServer(); err != nil {
		return 1, err
	}
	defer moto.Stop()
	return m.Run(), nil
}

// newTable creates an on-demand table keyed by item_id, as the stack does.
func newTable(t testing.TB) (*dynamodb.Client, string) {
	t.Helper()
	db := dynamodb.NewFromConfig(moto.Config())
	name := strings.ReplaceAll(t.Name(), "/", "-")
	_, err := db.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String(qabot.AttrItemID), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String(qabot.AttrItemID), KeyType: types.KeyTypeHash}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)}) })
	return db, name
}

// put stores a question the way the client does.
func put(t testing.TB, db *dynamodb.Client, table string, item qabot.Item) {
	t.Helper()
	item.Status = qabot.StatusPending
	item.CreatedAt = time.Now().UTC().Format(time.RFC3339)
	av, err := attributevalue.MarshalMap(item)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: av}); err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, db *dynamodb.Client, table, id string) (qabot.Item, map[string]types.AttributeValue) {
	t.Helper()
	out, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(table), Key: map[string]types.AttributeValue{qabot.AttrItemID: &types.AttributeValueMemberS{Value: id}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.Item == nil {
		t.Fatalf("item %s missing", id)
	}
	var item qabot.Item
	if err := attributevalue.UnmarshalMap(out.Item, &item); err != nil {
		t.Fatal(err)
	}
	return item, out.Item
}

// runWorker runs the binary with the given worker variables and returns its exit
// status and output.
func runWorker(t *testing.T, vars ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(workerBin)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, moto.Env()...)
	cmd.Env = append(cmd.Env, vars...)
	out, err := cmd.CombinedOutput()
	if exit, ok := err.(*exec.ExitError); ok {
		return exit.ExitCode(), string(out)
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}

func env(table, modelDir string, ids ...string) []string {
	return []string{
		qabot.EnvTableName + "=" + table,
		qabot.EnvItemIDs + "=" + strings.Join(ids, ","),
		qabot.EnvModelDir + "=" + modelDir,
		qabot.EnvORTLibrary + "=" + ortLib,
		qabot.EnvThreads + "=1",
	}
}

func TestAnswersTheCourseExample(t *testing.T) {
	db, table := newTable(t)
	put(t, db, table, qabot.Item{ItemID: "q1", Context: qabot.ExampleContext, Question: qabot.ExampleQuestion})
	code, out := runWorker(t, env(table, momotaroDir, "q1")...)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	item, raw := get(t, db, table, "q1")
	start := strings.Index(qabot.ExampleContext, qabot.ExampleAnswer)
	if item.Status != qabot.StatusDone || item.Answer != "Momotaro" || item.Error != "" ||
		item.AnswerStart == nil || *item.AnswerStart != start || item.AnswerEnd == nil || *item.AnswerEnd != start+8 {
		t.Errorf("item = %+v, want done with Momotaro at [%d,%d)", item, start, start+8)
	}
	if _, ok := raw[qabot.AttrScore].(*types.AttributeValueMemberN); !ok || item.Score == nil || *item.Score <= 0.9 || *item.Score > 1 {
		t.Errorf("score = %#v, want a DynamoDB number above 0.9", raw[qabot.AttrScore])
	}
	for name, ts := range map[string]string{"started_at": item.StartedAt, "finished_at": item.FinishedAt} {
		if _, err := time.Parse(time.RFC3339Nano, ts); err != nil {
			t.Errorf("%s = %q: %v", name, ts, err)
		}
	}
	if item.AnswerMs == nil || item.ModelLoadMs == nil {
		t.Errorf("timings missing: answer_ms %v, model_load_ms %v", item.AnswerMs, item.ModelLoadMs)
	}
	if item.Context != qabot.ExampleContext || item.Question != qabot.ExampleQuestion || item.CreatedAt == "" {
		t.Errorf("the worker changed what the client wrote: %+v", item)
	}
	if !strings.Contains(out, `"Momotaro"`) {
		t.Errorf("log does not show the answer:\n%s", out)
	}
}

func TestAnswersSeveralItemsInOneRun(t *testing.T) {
	db, table := newTable(t)
	contexts := []string{
		qabot.ExampleContext,
		"Momotaro left home with millet dumplings. A dog, a monkey and a pheasant joined him.",
		"彼の名前は桃太郎です。 Il s'appelle Momotaro, à Okayama.",
	}
	var ids []string
	for i, c := range contexts {
		id := "item-" + strconv.Itoa(i)
		ids = append(ids, id)
		put(t, db, table, qabot.Item{ItemID: id, Context: c, Question: "Who is it?"})
	}
	code, out := runWorker(t, env(table, randomDir, ids...)...)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	for i, id := range ids {
		item, _ := get(t, db, table, id)
		runes := []rune(contexts[i])
		if item.Status != qabot.StatusDone || item.AnswerStart == nil || item.AnswerEnd == nil ||
			*item.AnswerStart < 0 || *item.AnswerEnd > len(runes) || *item.AnswerStart >= *item.AnswerEnd ||
			string(runes[*item.AnswerStart:*item.AnswerEnd]) != item.Answer || item.Score == nil || *item.Score <= 0 || *item.Score > 1 {
			t.Errorf("%s = %+v: want done with a span of its context", id, item)
		}
	}
	if n := strings.Count(out, "model loaded"); n != 1 {
		t.Errorf("model loaded %d times for one run, want once:\n%s", n, out)
	}
}

func TestMissingItemIsMarkedFailedAndOthersStillAnswered(t *testing.T) {
	db, table := newTable(t)
	put(t, db, table, qabot.Item{ItemID: "here", Context: qabot.ExampleContext, Question: qabot.ExampleQuestion})
	code, out := runWorker(t, env(table, momotaroDir, "missing", "here")...)
	if code != 1 {
		t.Errorf("exit %d, want 1:\n%s", code, out)
	}
	missing, _ := get(t, db, table, "missing")
	if missing.Status != qabot.StatusFailed || !strings.Contains(missing.Error, "no item with this id") || missing.FinishedAt == "" {
		t.Errorf("missing = %+v, want failed with the reason", missing)
	}
	if here, _ := get(t, db, table, "here"); here.Status != qabot.StatusDone || here.Answer != "Momotaro" {
		t.Errorf("here = %+v, want done", here)
	}
}

func TestBrokenModelMarksEveryItemFailed(t *testing.T) {
	db, table := newTable(t)
	broken := t.TempDir()
	data, _ := os.ReadFile(filepath.Join(momotaroDir, qabot.TokenizerFile))
	os.WriteFile(filepath.Join(broken, qabot.TokenizerFile), data, 0o644)
	os.WriteFile(filepath.Join(broken, qabot.ModelFile), []byte("not a model"), 0o644)
	for _, id := range []string{"a", "b"} {
		put(t, db, table, qabot.Item{ItemID: id, Context: qabot.ExampleContext, Question: qabot.ExampleQuestion})
	}
	code, out := runWorker(t, env(table, broken, "a", "b")...)
	if code != 1 {
		t.Errorf("exit %d, want 1:\n%s", code, out)
	}
	for _, id := range []string{"a", "b"} {
		item, _ := get(t, db, table, id)
		if item.Status != qabot.StatusFailed || !strings.Contains(item.Error, "could not load the model") || !strings.Contains(item.Error, "not an ONNX model") {
			t.Errorf("%s = %+v, want failed because the model is broken", id, item)
		}
	}
}

func TestItemWithoutQuestionFails(t *testing.T) {
	db, table := newTable(t)
	put(t, db, table, qabot.Item{ItemID: "q", Context: qabot.ExampleContext})
	code, _ := runWorker(t, env(table, momotaroDir, "q")...)
	item, _ := get(t, db, table, "q")
	if code != 1 || item.Status != qabot.StatusFailed || !strings.Contains(item.Error, "question is empty") {
		t.Errorf("exit %d, item %+v: want 1 and failed: question is empty", code, item)
	}
}

func TestUnusableEnvironmentExits2(t *testing.T) {
	_, table := newTable(t)
	for name, c := range map[string]struct {
		vars []string
		want string
	}{
		"no table": {env("", momotaroDir, "x"), "TABLE_NAME is not set"},
		"no ids":   {env(table, momotaroDir, " , "), "ITEM_IDS is empty"},
	} {
		code, out := runWorker(t, c.vars...)
		if code != 2 || !strings.Contains(out, c.want) {
			t.Errorf("%s: exit %d, output %q; want 2 and %q", name, code, out, c.want)
		}
	}
}

func TestStopFinishesTheCurrentItemAndFailsTheRest(t *testing.T) {
	db, table := newTable(t)
	var ids []string
	for i := 0; i < 40; i++ {
		id := fmt.Sprintf("q%02d", i)
		ids = append(ids, id)
		put(t, db, table, qabot.Item{ItemID: id, Context: qabot.ExampleContext, Question: qabot.ExampleQuestion})
	}
	cmd := exec.Command(workerBin)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, moto.Env()...)
	cmd.Env = append(cmd.Env, env(table, momotaroDir, ids...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	var log []string
	for lines.Scan() {
		log = append(log, lines.Text())
		if strings.Contains(lines.Text(), ": done in ") {
			cmd.Process.Signal(syscall.SIGTERM) // as ECS does on StopTask
			break
		}
	}
	for lines.Scan() {
		log = append(log, lines.Text())
	}
	err = cmd.Wait()
	if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != 1 {
		t.Errorf("exit %v, want status 1 after a stop\n%s", err, strings.Join(log, "\n"))
	}
	done, failed := 0, 0
	for _, id := range ids {
		item, _ := get(t, db, table, id)
		switch {
		case item.Status == qabot.StatusDone && item.Answer == "Momotaro":
			done++
		case item.Status == qabot.StatusFailed && strings.Contains(item.Error, "stopped before"):
			failed++
		default:
			t.Errorf("%s left as %+v: every item must end done or failed", id, item)
		}
	}
	if done == 0 || failed == 0 {
		t.Errorf("%d done, %d failed: want the stop to land between items", done, failed)
	}
}
