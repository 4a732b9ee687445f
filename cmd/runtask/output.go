package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/term"

	"github.com/intro-aws-go/intro-aws-go/handson/contracts/qabot"
	"github.com/intro-aws-go/intro-aws-go/internal/awsenv"
	"github.com/intro-aws-go/intro-aws-go/internal/cli"
	"github.com/intro-aws-go/intro-aws-go/internal/textcheck"
)

// logLines is how much of a failed task's log the client shows.
const logLines = 20

// printer writes labelled fields, coloured on a terminal unless NO_COLOR is set.
type printer struct {
	w     io.Writer
	color bool
}

func newPrinter(w io.Writer) printer {
	f, ok := w.(*os.File)
	return printer{w: w, color: ok && term.IsTerminal(int(f.Fd())) && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb"}
}

const (
	green   = "32"
	blue    = "34"
	magenta = "35"
	yellow  = "33"
	red     = "31"
	dim     = "2"
)

func (p printer) field(label, color, value string) {
	// Text from the table is shown as is when internal/textcheck accepts it, quoted with
	// escapes otherwise: an item written by other means cannot drive the terminal.
	if textcheck.Text(value) != nil {
		value = fmt.Sprintf("%+q", value)
	}
	label = fmt.Sprintf("%-9s", label+":")
	if p.color {
		label = "\033[1;" + color + "m" + label + "\033[0m"
	}
	fmt.Fprintf(p.w, "%s %s\n", label, value)
}

func (p printer) heading(s string) {
	if p.color {
		s = "\033[" + dim + "m" + s + "\033[0m"
	}
	fmt.Fprintln(p.w, s)
}

// item prints one question and its answer, or why there is none; it reports
// whether the question was answered.
func (p printer) item(it qabot.Item, expected string, contextRunes int) bool {
	p.field("Context", green, shorten(it.Context, contextRunes))
	p.field("Question", blue, it.Question)
	answered := it.Status == qabot.StatusDone
	switch it.Status {
	case qabot.StatusDone:
		p.field("Answer", magenta, it.Answer)
		if it.Score != nil {
			p.field("Score", yellow, fmt.Sprintf("%.4f", *it.Score))
		}
	case qabot.StatusFailed:
		p.field("Error", red, it.Error)
	case qabot.StatusPending, qabot.StatusRunning:
		p.field("Status", red, it.Status+": not answered (yet)")
	default:
		p.field("Status", red, fmt.Sprintf("%q", it.Status))
	}
	if expected != "" {
		p.field("Expected", dim, expected)
	}
	return answered
}

// shorten cuts s to n characters (0 = no limit), saying how long it was.
func shorten(s string, n int) string {
	r := []rune(s)
	if n <= 0 || len(r) <= n {
		return s
	}
	return fmt.Sprintf("%s… (%d characters)", strings.TrimSpace(string(r[:n])), len(r))
}

// results collects and prints what the tasks did.
type results struct {
	c          *session
	out        printer
	total      int
	failed     int  // questions not answered
	taskFailed bool // some task did not exit 0
	batch      int
	report     askReport
	printed    int
}

// askReport is the --json document of ask and ask-many.
type askReport struct {
	Stack   string       `json:"stack"`
	Region  string       `json:"region"`
	Tasks   []taskReport `json:"tasks"`
	Answers []answer     `json:"answers"`
}

type taskReport struct {
	TaskArn       string   `json:"task_arn,omitempty"`
	ItemIDs       []string `json:"item_ids"`
	ExitCode      *int32   `json:"exit_code,omitempty"`
	StoppedReason string   `json:"stopped_reason,omitempty"`
	StopCode      string   `json:"stop_code,omitempty"`
	Error         string   `json:"error,omitempty"`
	LogStream     string   `json:"log_stream,omitempty"`
	LogLines      []string `json:"log_lines,omitempty"`
}

type answer struct {
	qabot.Item
	Expected string `json:"expected,omitempty"`
	TaskArn  string `json:"task_arn,omitempty"`
}

func newResults(c *session, batch int) *results {
	return &results{c: c, out: newPrinter(c.stdout), batch: batch, report: askReport{Stack: c.stack.name, Region: c.region, Tasks: []taskReport{}, Answers: []answer{}}}
}

// startFailed reports questions whose task could not be started.
func (o *results) startFailed(r *taskRun) {
	o.c.progressf("could not start a task for questions %d to %d: %s", r.questions[0].n, r.questions[len(r.questions)-1].n, cli.OneLine(r.err.Error()))
	tr := taskReport{ItemIDs: ids(r.questions), Error: cli.OneLine(r.err.Error())}
	o.report.Tasks = append(o.report.Tasks, tr)
	for _, q := range r.questions {
		o.total++
		o.failed++
		it := qabot.Item{ItemID: q.id, Context: q.Context, Question: q.Question, Status: qabot.StatusFailed, Error: "no task could be started: " + tr.Error}
		o.show(q, it, "")
	}
}

// finished reads the answers of a task whose container has exited, prints them,
// and for a failed task its stop reason and last log lines.
func (o *results) finished(r *taskRun) {
	c := o.c
	items, err := c.readItems(r.questions)
	taskOK := r.exitCode != nil && *r.exitCode == 0
	unanswered := 0
	for _, q := range r.questions {
		o.total++
		it, ok := items[q.id]
		switch {
		case err != nil:
			it = qabot.Item{ItemID: q.id, Context: q.Context, Question: q.Question, Status: qabot.StatusFailed, Error: "could not read the answer: " + cli.OneLine(err.Error())}
		case !ok:
			it = qabot.Item{ItemID: q.id, Context: q.Context, Question: q.Question, Status: qabot.StatusFailed, Error: "the item is gone from the table (cleared while the task ran?)"}
		}
		if it.Status != qabot.StatusDone {
			unanswered++
		}
		o.show(q, it, r.arn)
	}
	o.failed += unanswered
	o.taskFailed = o.taskFailed || !taskOK // even when every answer is there
	tr := taskReport{TaskArn: r.arn, ItemIDs: ids(r.questions), ExitCode: r.exitCode, StoppedReason: r.reason, StopCode: r.stopCode}
	if !taskOK {
		tr.LogStream = c.logStream(r.arn)
		tr.LogLines, tr.Error = c.lastLogLines(r)
		code := "no exit code (the container did not run)"
		if r.exitCode != nil {
			code = fmt.Sprintf("exit code %d", *r.exitCode)
		}
		c.progressf("task %s failed: %s, %s: %s", r.shortID(), code, orNone(r.reason), stopHint(r))
		if !c.opts.json {
			if tr.Error != "" {
				c.progressf("%s", tr.Error)
			} else {
				c.progressf("last lines of its log (group %s, stream %s):", c.stack.logGroup, tr.LogStream)
				for _, l := range tr.LogLines {
					fmt.Fprintf(c.stderr, "  | %s\n", l)
				}
			}
		}
	}
	o.report.Tasks = append(o.report.Tasks, tr)
}

func (o *results) show(q *question, it qabot.Item, taskArn string) {
	o.report.Answers = append(o.report.Answers, answer{Item: it, Expected: q.Expected, TaskArn: taskArn})
	if o.c.opts.json {
		return
	}
	if o.printed > 0 {
		fmt.Fprintln(o.out.w)
	}
	o.printed++
	if o.batch > 1 {
		o.out.heading(fmt.Sprintf("[%d/%d] item %s", q.n, o.batch, it.ItemID))
	}
	o.out.item(it, q.Expected, 0)
}

// close prints the --json document and turns failures into the exit status.
func (o *results) close() error {
	if o.c.opts.json {
		enc := json.NewEncoder(o.c.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(o.report); err != nil {
			return err
		}
	}
	if o.failed > 0 && o.total > 1 {
		o.c.progressf("%d of %d questions not answered", o.failed, o.total)
	}
	if o.failed > 0 || o.taskFailed {
		return errFailed
	}
	return nil
}

func ids(qs []*question) []string {
	out := make([]string, len(qs))
	for i, q := range qs {
		out[i] = q.id
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "no stop reason given"
	}
	return s
}

// stopHint says what a learner can do about the way a task stopped.
func stopHint(r *taskRun) string {
	reason := strings.ToLower(r.reason)
	switch {
	case r.stopCode == "SpotInterruption" || strings.Contains(reason, "spot"):
		return "Fargate Spot took the capacity back: ask again, or add --spot=false"
	case strings.Contains(reason, "cannotpullcontainer"):
		return "the task could not pull its image: it needs the stack's public subnet and a public IP (runtask gives both); if ECR had a hiccup, ask again"
	case strings.Contains(reason, "resourceinitializationerror"):
		return "the task could not reach ECR or CloudWatch Logs while starting: ask again; if it repeats, deploy the stack again"
	case strings.Contains(reason, "outofmemory") || (r.exitCode != nil && *r.exitCode == 137 && !strings.Contains(reason, "stopped by")):
		return "the worker ran out of memory: ask with a shorter context"
	case r.stopCode == "UserInitiated" || strings.Contains(reason, "stopped by"):
		return "someone stopped the task (console, CLI, or a Ctrl-C of runtask)"
	case r.exitCode != nil && *r.exitCode == 1:
		return "the worker could not answer; each question's error is above, the worker's log below"
	case r.exitCode != nil && *r.exitCode == 2:
		return "the worker found its environment unusable (see its log); deploy the stack again"
	}
	return "see the task's log below"
}

// readItems reads the questions' items with strongly consistent reads.
func (c *session) readItems(qs []*question) (map[string]qabot.Item, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	got := map[string]qabot.Item{}
	var keys []map[string]dbtypes.AttributeValue
	for _, q := range qs {
		keys = append(keys, map[string]dbtypes.AttributeValue{qabot.AttrItemID: &dbtypes.AttributeValueMemberS{Value: q.id}})
	}
	for len(keys) > 0 {
		batch := keys[:min(len(keys), 100)]
		keys = keys[len(batch):]
		req := map[string]dbtypes.KeysAndAttributes{c.stack.table: {Keys: batch, ConsistentRead: aws.Bool(true)}}
		for attempt := 0; len(req) > 0; attempt++ {
			if attempt > 0 {
				time.Sleep(time.Duration(attempt) * 100 * time.Millisecond)
			}
			if attempt == 10 {
				return nil, errors.New("DynamoDB kept the reads unprocessed: run list-answers in a moment")
			}
			out, err := c.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
			if err != nil {
				return nil, awsenv.Explain("reading the answers (dynamodb:BatchGetItem)", err)
			}
			var items []qabot.Item
			if err := attributevalue.UnmarshalListOfMaps(out.Responses[c.stack.table], &items); err != nil {
				return nil, err
			}
			for _, it := range items {
				got[it.ItemID] = it
			}
			req = out.UnprocessedKeys
		}
	}
	return got, nil
}

// lastLogLines reads the end of the task's log. The awslogs driver flushes when
// the container stops, and CloudWatch Logs may show the last lines a moment later.
func (c *session) lastLogLines(r *taskRun) ([]string, string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stream := c.logStream(r.arn)
	tries := 1
	if r.exitCode != nil {
		tries = 4 // the container ran, so it logged something
	}
	for i := 0; i < tries; i++ {
		if i > 0 {
			time.Sleep(time.Second)
		}
		out, err := c.logs.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{
			LogGroupName: aws.String(c.stack.logGroup), LogStreamName: aws.String(stream),
			Limit: aws.Int32(logLines), StartFromHead: aws.Bool(false),
		})
		var notFound *logtypes.ResourceNotFoundException
		switch {
		case errors.As(err, &notFound) && i == tries-1:
			return nil, "the task left no log (stream " + stream + " does not exist): its container never started"
		case errors.As(err, &notFound):
			continue
		case err != nil:
			return nil, cli.OneLine(awsenv.Explain("reading the task's log (logs:GetLogEvents)", err).Error())
		}
		var lines []string
		for _, e := range out.Events {
			lines = append(lines, strings.TrimRight(aws.ToString(e.Message), "\n"))
		}
		if len(lines) > 0 {
			return lines, ""
		}
	}
	return nil, "the task's log stream " + stream + " is empty"
}
