// Command worker is the question-answering worker of hands-on #3 (EcsClusterQaBot):
// the program the Fargate task runs. It replaces the course's docker/main.py, which
// took context and question on the command line (ECS caps all overrides at 8 KiB)
// and pulled a multi-gigabyte PyTorch image.
//
// It reads the ids of the items to answer from ITEM_IDS and the table from
// TABLE_NAME, loads the model once, and for each item reads context and question
// from DynamoDB, answers, and writes answer, score, offsets, status and timings back.
// An item that cannot be answered is marked failed with the reason. Exit status: 0
// when every item is done, 1 when any failed, 2 when the environment is unusable
// (no table or no ids: nothing can be marked).
//
// Environment (names in package qabot): TABLE_NAME, ITEM_IDS, MODEL_DIR (model.onnx
// and tokenizer.json), ORT_LIBRARY_PATH (ONNX Runtime's shared library),
// ORT_INTRA_OP_THREADS (optional), and the usual AWS SDK variables.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/intro-aws-go/intro-aws-go/handson/contracts/qabot"
	"github.com/intro-aws-go/intro-aws-go/handson/qabot/onnxmodel"
	"github.com/intro-aws-go/intro-aws-go/handson/qabot/qa"
	"github.com/intro-aws-go/intro-aws-go/handson/qabot/tokenizer"
)

const (
	exitDone   = 0
	exitFailed = 1
	exitUsage  = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	code := run(ctx, os.Getenv, os.Stdout)
	stop()
	os.Exit(code)
}

type worker struct {
	db          *dynamodb.Client
	table       string
	out         io.Writer
	answerer    *qa.Answerer
	modelLoadMs int64
}

func run(ctx context.Context, getenv func(string) string, out io.Writer) int {
	logf := func(format string, args ...any) { fmt.Fprintf(out, "qabot-worker: "+format+"\n", args...) }
	table := getenv(qabot.EnvTableName)
	ids := qabot.ParseItemIDs(getenv(qabot.EnvItemIDs))
	if table == "" {
		logf("error: %s is not set (the task definition sets it to the stack's table)", qabot.EnvTableName)
		return exitUsage
	}
	if len(ids) == 0 {
		logf("error: %s is empty: start the task with cmd/runtask, which puts the question in the table and passes its item id", qabot.EnvItemIDs)
		return exitUsage
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		logf("error: AWS configuration: %v", err)
		return exitUsage
	}
	w := &worker{db: dynamodb.NewFromConfig(cfg), table: table, out: out}
	logf("%d item(s) to answer from table %s", len(ids), table)

	start := time.Now()
	if err := w.load(getenv); err != nil {
		logf("error: %v", err)
		for _, id := range ids {
			w.fail(id, "the worker could not load the model: "+err.Error())
		}
		return exitFailed
	}
	w.modelLoadMs = time.Since(start).Milliseconds()
	logf("model loaded in %d ms", w.modelLoadMs)

	// A stop (SIGTERM: StopTask, a Spot interruption) is honoured between items: the
	// item in progress is finished, the rest are marked failed, none is left running.
	code := exitDone
	for i, id := range ids {
		if ctx.Err() != nil {
			logf("stopped: %d item(s) not answered", len(ids)-i)
			for _, rest := range ids[i:] {
				w.fail(rest, "the task was stopped before this item was answered")
			}
			return exitFailed
		}
		if err := w.answer(context.WithoutCancel(ctx), id); err != nil {
			w.fail(id, err.Error())
			code = exitFailed
		}
	}
	return code
}

// load reads the tokenizer and opens the model.
func (w *worker) load(getenv func(string) string) error {
	dir := getenv(qabot.EnvModelDir)
	lib := getenv(qabot.EnvORTLibrary)
	if dir == "" || lib == "" {
		return fmt.Errorf("%s and %s must be set (the image sets both)", qabot.EnvModelDir, qabot.EnvORTLibrary)
	}
	threads := 0
	if s := getenv(qabot.EnvThreads); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return fmt.Errorf("%s=%q is not a thread count", qabot.EnvThreads, s)
		}
		threads = n
	}
	tok, err := tokenizer.Load(filepath.Join(dir, qabot.TokenizerFile))
	if err != nil {
		return fmt.Errorf("tokenizer: %w", err)
	}
	if err := onnxmodel.Init(lib); err != nil {
		return err
	}
	model, err := onnxmodel.Open(filepath.Join(dir, qabot.ModelFile), threads)
	if err != nil {
		return err
	}
	w.answerer = qa.New(tok, model, qa.Options{})
	return nil
}

// answer handles one item; an error means the item must be marked failed.
func (w *worker) answer(ctx context.Context, id string) error {
	logf := func(format string, args ...any) {
		fmt.Fprintf(w.out, "qabot-worker: item %s: "+format+"\n", append([]any{id}, args...)...)
	}
	got, err := w.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(w.table),
		Key:            key(id),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return fmt.Errorf("could not read the item: %w", err)
	}
	if got.Item == nil {
		return fmt.Errorf("no item with this id in table %s: put the context and question first (cmd/runtask does)", w.table)
	}
	var item qabot.Item
	if err := attributevalue.UnmarshalMap(got.Item, &item); err != nil {
		return fmt.Errorf("the item is malformed: %w", err)
	}
	if err := w.update(ctx, id, map[string]types.AttributeValue{
		qabot.AttrStatus:      str(qabot.StatusRunning),
		qabot.AttrStartedAt:   str(now()),
		qabot.AttrModelLoadMs: num(w.modelLoadMs),
	}, nil); err != nil {
		return fmt.Errorf("could not mark the item running: %w", err)
	}

	start := time.Now()
	ans, err := w.answerer.Answer(item.Question, item.Context)
	if err != nil {
		return err
	}
	ms := time.Since(start).Milliseconds()
	if err := w.update(ctx, id, map[string]types.AttributeValue{
		qabot.AttrAnswer:      str(ans.Text),
		qabot.AttrScore:       &types.AttributeValueMemberN{Value: strconv.FormatFloat(ans.Score, 'g', 6, 64)},
		qabot.AttrAnswerStart: num(int64(ans.Start)),
		qabot.AttrAnswerEnd:   num(int64(ans.End)),
		qabot.AttrAnswerMs:    num(ms),
		qabot.AttrStatus:      str(qabot.StatusDone),
		qabot.AttrFinishedAt:  str(now()),
	}, []string{qabot.AttrError}); err != nil {
		return fmt.Errorf("could not write the answer: %w", err)
	}
	logf("done in %d ms (%d window(s)): %q, score %.4f", ms, ans.Windows, ans.Text, ans.Score)
	return nil
}

// fail marks an item failed with the reason. It uses its own deadline: the task may
// be stopping (SIGTERM) and the reason is what the learner will read.
func (w *worker) fail(id, reason string) {
	fmt.Fprintf(w.out, "qabot-worker: item %s: failed: %s\n", id, reason)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := w.update(ctx, id, map[string]types.AttributeValue{
		qabot.AttrStatus:     str(qabot.StatusFailed),
		qabot.AttrError:      str(reason),
		qabot.AttrFinishedAt: str(now()),
	}, nil)
	if err != nil {
		fmt.Fprintf(w.out, "qabot-worker: item %s: could not record the failure: %v\n", id, err)
	}
}

// update sets and removes attributes of one item.
func (w *worker) update(ctx context.Context, id string, set map[string]types.AttributeValue, remove []string) error {
	names := map[string]string{}
	values := map[string]types.AttributeValue{}
	expr := ""
	i := 0
	for name, v := range set {
		i++
		names[fmt.Sprintf("#a%d", i)] = name
		values[fmt.Sprintf(":v%d", i)] = v
		if expr == "" {
			expr = "SET "
		} else {
			expr += ", "
		}
		expr += fmt.Sprintf("#a%d = :v%d", i, i)
	}
	for j, name := range remove {
		names[fmt.Sprintf("#r%d", j)] = name
		if j == 0 {
			expr += " REMOVE "
		} else {
			expr += ", "
		}
		expr += fmt.Sprintf("#r%d", j)
	}
	_, err := w.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(w.table),
		Key:                       key(id),
		UpdateExpression:          aws.String(expr),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	})
	var notFound *types.ResourceNotFoundException
	if errors.As(err, &notFound) {
		return fmt.Errorf("table %s does not exist in this region", w.table)
	}
	return err
}

func key(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{qabot.AttrItemID: str(id)}
}

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

func num(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

func now() string { return time.Now().UTC().Format(time.RFC3339Nano) }
