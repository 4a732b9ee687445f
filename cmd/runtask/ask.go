package main

import (
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/intro-aws-go/intro-aws-go/handson/contracts/qabot"
	"github.com/intro-aws-go/intro-aws-go/internal/awsenv"
	"github.com/intro-aws-go/intro-aws-go/internal/cli"
	"github.com/intro-aws-go/intro-aws-go/internal/textcheck"
)

// defaultProblems is what ask-many asks without a file: problems written for this
// project (the course's Momotaro example first).
//
//go:embed problems.json
var defaultProblems []byte

// A DynamoDB item holds at most 400 KB, attribute names included. The worker adds
// its answer, status, timings and perhaps an error to the client's item, so the
// client leaves room for them.
const (
	maxItemBytes     = 400 * 1024
	workerReserve    = 2 * 1024
	maxQuestionBytes = maxItemBytes - workerReserve
	// maxProblemsBytes bounds an ask-many file: a thousand questions with long contexts.
	maxProblemsBytes = 64 << 20
	// maxIDsPerTask keeps one task's ITEM_IDS (37 bytes per id) far below the 8 KiB
	// that ECS allows for all overrides of a task.
	maxIDsPerTask = 150
)

// problem is one entry of an ask-many file (the course's problems.json format;
// "expected" is optional and only printed for comparison).
type problem struct {
	Context  string `json:"context"`
	Question string `json:"question"`
	Expected string `json:"expected,omitempty"`
}

// question is a problem on its way through the table and a task.
type question struct {
	problem
	n  int    // 1-based position in the batch
	id string // item_id
}

func (c *session) ask(ctx context.Context, args []string, contextFile string) error {
	var p problem
	switch {
	case contextFile != "" && len(args) == 1:
		text, err := c.readContext(contextFile)
		if err != nil {
			return err
		}
		p = problem{Context: text, Question: args[0]}
	case contextFile != "":
		return cli.Usagef("ask --context-file FILE takes one argument, the question (got %d)", len(args))
	case len(args) == 2 && args[0] == "-":
		text, err := c.readContext("-")
		if err != nil {
			return err
		}
		p = problem{Context: text, Question: args[1]}
	case len(args) == 2:
		p = problem{Context: args[0], Question: args[1]}
	case len(args) == 1:
		text, err := c.readContext("-")
		if err != nil {
			return err
		}
		p = problem{Context: text, Question: args[0]}
	default:
		return cli.Usagef(`ask takes the context and the question: ask "A giant peach was flowing in the river. ..." "What is the name of the baby?" (got %d arguments)`, len(args))
	}
	if err := p.check(""); err != nil {
		return err
	}
	return c.answer(ctx, []*question{{problem: p, n: 1}}, 1)
}

// readContext reads the context from a file, or from standard input for "-". A
// terminal on standard input means the learner forgot the context.
func (c *session) readContext(path string) (string, error) {
	if path != "-" {
		b, err := cli.ReadFile(path, maxItemBytes*2)
		if err != nil {
			return "", cli.Usagef("--context-file: %v", err)
		}
		return string(b), nil
	}
	if cli.IsTerminal(c.stdin) {
		return "", cli.Usagef(`ask needs a context: ask "CONTEXT" "QUESTION", ask --context-file FILE "QUESTION", or pipe the text in: ask "QUESTION" < FILE`)
	}
	b, err := cli.ReadAll(c.stdin, maxItemBytes*2, "the context on standard input")
	return string(b), err
}

// check validates one problem; where names it in a batch ("problem 3 of FILE: ").
//
// Empty or whitespace-only question or context: refused here, before anything is
// written or a task is started. Hugging Face's QuestionAnsweringPipeline raises
// ValueError("`question` cannot be empty") (or context) for an empty string, and for
// whitespace only it has no context token to point at and answers an empty span with
// a meaningless score: either way a paid Fargate task would be wasted.
func (p *problem) check(where string) error {
	p.Context, p.Question = strings.TrimSpace(p.Context), strings.TrimSpace(p.Question)
	// Both are free text (arguments, --context-file, standard input, ask-many's JSON):
	// one validator for all (internal/textcheck); the context may span lines.
	if err := textcheck.Text(p.Question); err != nil {
		return cli.Usagef("%sthe question: %v", where, err)
	}
	if err := textcheck.Text(p.Context); err != nil {
		return cli.Usagef("%sthe context: %v", where, err)
	}
	if p.Question == "" {
		return cli.Usagef(`%sthe question is empty: ask something about the context, for example "What is the name of the baby?"`, where)
	}
	if p.Context == "" {
		return cli.Usagef("%sthe context is empty: give the text in which the bot should find the answer", where)
	}
	size := itemBytes(p.Context, p.Question)
	if size > maxQuestionBytes {
		return cli.Usagef("%sthe context and question take %.1f KB, but a DynamoDB item holds at most 400 KB, and the answer needs %d KB of it: shorten the context below %.1f KB",
			where, kb(size), workerReserve/1024, kb(maxQuestionBytes-(size-len(p.Context))))
	}
	return nil
}

// itemBytes is the size DynamoDB counts for the item the client writes: attribute
// names plus UTF-8 values.
func itemBytes(context, question string) int {
	return len(qabot.AttrItemID) + 36 + len(qabot.AttrContext) + len(context) + len(qabot.AttrQuestion) + len(question) +
		len(qabot.AttrStatus) + len(qabot.StatusPending) + len(qabot.AttrCreatedAt) + len(time.RFC3339Nano)
}

func kb(n int) float64 { return float64(n) / 1024 }

func (c *session) askMany(ctx context.Context, args []string, parallel int) error {
	raw, source := defaultProblems, "the built-in problems"
	switch len(args) {
	case 0:
	case 1:
		b, err := cli.ReadFile(args[0], maxProblemsBytes)
		if err != nil {
			return cli.Usagef("ask-many: %v", err)
		}
		raw, source = b, args[0]
	default:
		return cli.Usagef("ask-many takes at most one argument, a JSON file of problems (got %d)", len(args))
	}
	var problems []problem
	if err := json.Unmarshal(raw, &problems); err != nil {
		return cli.Usagef(`ask-many: %s is not a JSON list of {"context": ..., "question": ...}: %v`, source, err)
	}
	if len(problems) == 0 {
		return cli.Usagef("ask-many: %s has no problems", source)
	}
	if parallel < 1 || parallel > len(problems) {
		return cli.Usagef("--parallel %d: give 1 to %d (one task per question at most)", parallel, len(problems))
	}
	qs := make([]*question, len(problems))
	for i := range problems {
		if err := problems[i].check(fmt.Sprintf("problem %d of %s: ", i+1, source)); err != nil {
			return err
		}
		qs[i] = &question{problem: problems[i], n: i + 1}
	}
	return c.answer(ctx, qs, parallel)
}

// taskRun is one task and the questions it answers.
type taskRun struct {
	questions []*question
	arn       string
	err       error // RunTask failed: the task never existed

	startedAt time.Time // when RunTask returned it (clk)
	missing   int       // DescribeTasks answers MISSING while it propagated

	status   string // what was last shown
	finished bool
	exitCode *int32
	reason   string // the task's stopped reason, with the container's
	stopCode string
}

// shortID is the start of the task id, enough to tell a learner's tasks apart.
func (r *taskRun) shortID() string {
	id := qabot.TaskID(r.arn)
	return id[:min(len(id), 8)]
}

// answer puts the questions into the table, starts the tasks, waits for them and
// prints every answer (or why there is none).
func (c *session) answer(ctx context.Context, qs []*question, parallel int) error {
	if err := c.connect(ctx); err != nil {
		return err
	}
	capacity, err := c.capacity()
	if err != nil {
		return err
	}
	if err := c.putQuestions(ctx, qs); err != nil {
		return err
	}
	out := newResults(c, len(qs))
	runs := split(qs, parallel)
	var started []*taskRun
	for i, r := range runs {
		// A Ctrl-C during RunTask must not lose the task: the call completes, and the
		// task it started is stopped below.
		callCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		r.arn, r.err = c.runTask(callCtx, r, capacity)
		r.startedAt = clk.now()
		cancel()
		if r.err != nil {
			c.markFailed(r.questions, "no task could be started: "+cli.OneLine(r.err.Error()))
			if ctx.Err() != nil { // Ctrl-C while RunTask was refused: say both, start no more
				c.progressf("interrupted: no task started for %s, marked failed (%s)", idList(r.questions), cli.OneLine(r.err.Error()))
				return c.interrupt(started, questionsOf(runs[i+1:])...)
			}
			if len(runs) == 1 {
				return r.err
			}
			out.startFailed(r)
			continue
		}
		started = append(started, r)
		c.progressf("%s in %s: started task %s on %s for %s (%s)", c.stack.name, c.region, r.shortID(), capacity, cli.Plural(len(r.questions), "question"), idList(r.questions))
		if ctx.Err() != nil {
			return c.interrupt(started, questionsOf(runs[i+1:])...)
		}
	}
	if len(started) > 0 {
		if err := c.wait(ctx, started, out.finished); err != nil {
			return err
		}
	}
	return out.close()
}

// questionsOf lists the questions of runs, in order.
func questionsOf(runs []*taskRun) []*question {
	var qs []*question
	for _, r := range runs {
		qs = append(qs, r.questions...)
	}
	return qs
}

// split divides the questions into contiguous groups, one per task.
func split(qs []*question, parallel int) []*taskRun {
	n := max(parallel, (len(qs)+maxIDsPerTask-1)/maxIDsPerTask)
	runs := make([]*taskRun, 0, n)
	for i := 0; i < n; i++ {
		lo, hi := i*len(qs)/n, (i+1)*len(qs)/n
		runs = append(runs, &taskRun{questions: qs[lo:hi]})
	}
	return runs
}

// putQuestions stores the questions, one PutItem each. A Ctrl-C lets the write in
// flight finish (so that nothing lands after the rollback), then removes what was
// stored: no question stays pending without a task to answer it.
func (c *session) putQuestions(ctx context.Context, qs []*question) error {
	now := time.Now().UTC()
	for i, q := range qs {
		if ctx.Err() != nil {
			return c.interruptedStoring(qs[:i])
		}
		q.id = newItemID()
		item, err := attributevalue.MarshalMap(qabot.Item{
			ItemID: q.id, Context: q.Context, Question: q.Question, Status: qabot.StatusPending,
			// Distinct times keep a batch in order when listed newest first.
			CreatedAt: now.Add(time.Duration(i) * time.Microsecond).Format(time.RFC3339Nano),
		})
		if err != nil {
			return err
		}
		_, err = c.db.PutItem(context.WithoutCancel(ctx), &dynamodb.PutItemInput{
			TableName: aws.String(c.stack.table), Item: item,
			ConditionExpression:      aws.String("attribute_not_exists(#id)"),
			ExpressionAttributeNames: map[string]string{"#id": qabot.AttrItemID},
		})
		var landed *dbtypes.ConditionalCheckFailedException
		if errors.As(err, &landed) {
			// The id is a fresh random UUID: the item exists because an earlier attempt
			// of this call wrote it and its answer was lost (the SDK retried).
			err = nil
		}
		if err != nil && i > 0 {
			removed, rbErr := c.rollBack(qs[:i])
			left := fmt.Sprintf("the %d stored before it were removed", removed)
			if rbErr != nil {
				left = fmt.Sprintf("%d of the %d stored before it are left pending (%s): `go run ./cmd/runtask clear` removes them", i-removed, i, cli.OneLine(rbErr.Error()))
			}
			return c.tableError(fmt.Sprintf("storing question %d of %d (dynamodb:PutItem on %s; %s)", i+1, len(qs), c.stack.table, left), err)
		}
		if err != nil {
			return c.tableError("storing the question (dynamodb:PutItem on "+c.stack.table+")", err)
		}
	}
	return nil
}

// rollBack removes questions stored for a batch that will not be asked; it returns how
// many it removed, and the error that kept it from removing the rest.
func (c *session) rollBack(qs []*question) (removed int, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, q := range qs {
		out, err := c.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
			TableName:    aws.String(c.stack.table),
			Key:          map[string]dbtypes.AttributeValue{qabot.AttrItemID: &dbtypes.AttributeValueMemberS{Value: q.id}},
			ReturnValues: dbtypes.ReturnValueAllOld,
		})
		if err != nil {
			return removed, awsenv.Explain("dynamodb:DeleteItem", err)
		}
		if len(out.Attributes) > 0 {
			removed++
		}
	}
	return removed, nil
}

// interruptedStoring rolls back the questions stored before a Ctrl-C and says so.
func (c *session) interruptedStoring(qs []*question) error {
	removed, err := c.rollBack(qs)
	if err != nil {
		c.progressf("interrupted while storing the questions: removed %d of the %d stored, but not the rest (%s): `go run ./cmd/runtask clear` removes them",
			removed, len(qs), cli.OneLine(err.Error()))
		return errInterrupted
	}
	c.progressf("interrupted while storing the questions: removed the %s already stored; no task was started", cli.Plural(removed, "question"))
	return errInterrupted
}

// markInterrupted marks the questions of an interrupted run failed, unless they were
// answered (or closed by the task) meanwhile; it returns how many it marked.
func (c *session) markInterrupted(qs []*question) (marked int, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, q := range qs {
		_, err := c.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                aws.String(c.stack.table),
			Key:                      map[string]dbtypes.AttributeValue{qabot.AttrItemID: &dbtypes.AttributeValueMemberS{Value: q.id}},
			UpdateExpression:         aws.String("SET #s = :s, #e = :e, #f = :f"),
			ConditionExpression:      aws.String("#s IN (:pending, :running)"),
			ExpressionAttributeNames: map[string]string{"#s": qabot.AttrStatus, "#e": qabot.AttrError, "#f": qabot.AttrFinishedAt},
			ExpressionAttributeValues: map[string]dbtypes.AttributeValue{
				":s":       &dbtypes.AttributeValueMemberS{Value: qabot.StatusFailed},
				":e":       &dbtypes.AttributeValueMemberS{Value: "interrupted (Ctrl-C) before it was answered"},
				":f":       &dbtypes.AttributeValueMemberS{Value: time.Now().UTC().Format(time.RFC3339Nano)},
				":pending": &dbtypes.AttributeValueMemberS{Value: qabot.StatusPending},
				":running": &dbtypes.AttributeValueMemberS{Value: qabot.StatusRunning},
			},
		})
		var done *dbtypes.ConditionalCheckFailedException
		switch {
		case errors.As(err, &done):
		case err != nil:
			return marked, err
		default:
			marked++
		}
	}
	return marked, nil
}

// markFailed records in the table why questions will not be answered, so that
// list-answers does not show them pending forever (best effort: the error that
// caused it is what the learner sees).
func (c *session) markFailed(qs []*question, reason string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, q := range qs {
		c.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                aws.String(c.stack.table),
			Key:                      map[string]dbtypes.AttributeValue{qabot.AttrItemID: &dbtypes.AttributeValueMemberS{Value: q.id}},
			UpdateExpression:         aws.String("SET #s = :s, #e = :e, #f = :f"),
			ExpressionAttributeNames: map[string]string{"#s": qabot.AttrStatus, "#e": qabot.AttrError, "#f": qabot.AttrFinishedAt},
			ExpressionAttributeValues: map[string]dbtypes.AttributeValue{
				":s": &dbtypes.AttributeValueMemberS{Value: qabot.StatusFailed},
				":e": &dbtypes.AttributeValueMemberS{Value: reason},
				":f": &dbtypes.AttributeValueMemberS{Value: time.Now().UTC().Format(time.RFC3339Nano)},
			},
		})
	}
}

// newItemID is a random (version 4) UUID.
func newItemID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// runTask starts one task for the run's questions: the stack's network, and only
// the item ids in the container's environment.
func (c *session) runTask(ctx context.Context, r *taskRun, capacity string) (string, error) {
	ids := make([]string, len(r.questions))
	for i, q := range r.questions {
		ids[i] = q.id
	}
	in := &ecs.RunTaskInput{
		Cluster:        aws.String(c.stack.cluster),
		TaskDefinition: aws.String(c.stack.taskDefinition),
		Count:          aws.Int32(1),
		StartedBy:      aws.String("runtask"),
		NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
			Subnets:        []string{c.stack.subnet},
			SecurityGroups: []string{c.stack.securityGroup},
			// The subnet is public and there is no NAT gateway: the task needs a public
			// IP to pull its image and reach DynamoDB and CloudWatch Logs.
			AssignPublicIp: ecstypes.AssignPublicIpEnabled,
		}},
		Overrides: &ecstypes.TaskOverride{ContainerOverrides: []ecstypes.ContainerOverride{{
			Name:        aws.String(c.stack.container),
			Environment: []ecstypes.KeyValuePair{{Name: aws.String(qabot.EnvItemIDs), Value: aws.String(strings.Join(ids, ","))}},
		}}},
	}
	if capacity == qabot.CapacityFargateSpot {
		in.CapacityProviderStrategy = []ecstypes.CapacityProviderStrategyItem{{CapacityProvider: aws.String(capacity), Weight: 1}}
	} else {
		in.LaunchType = ecstypes.LaunchTypeFargate
	}
	out, err := c.ecs.RunTask(ctx, in)
	if err != nil {
		return "", explainRunTask(err.Error(), awsenv.Explain("starting the task (ecs:RunTask)", err), capacity)
	}
	if len(out.Tasks) == 0 {
		why := "no task and no reason given"
		if len(out.Failures) > 0 {
			f := out.Failures[0]
			why = strings.TrimSpace(aws.ToString(f.Reason) + " " + aws.ToString(f.Detail))
		}
		return "", explainRunTask(why, fmt.Errorf("ECS did not start the task: %s", why), capacity)
	}
	return aws.ToString(out.Tasks[0].TaskArn), nil
}

// explainRunTask adds the fix to the RunTask failures a learner meets.
func explainRunTask(why string, err error, capacity string) error {
	lower := strings.ToLower(why)
	quota := "Fargate On-Demand vCPU resource count"
	if capacity == qabot.CapacityFargateSpot {
		quota = "Fargate Spot vCPU resource count"
	}
	switch {
	case strings.Contains(lower, "capacity is unavailable") || strings.Contains(lower, "insufficient capacity") || strings.Contains(lower, "no capacity"):
		if capacity == qabot.CapacityFargateSpot {
			return fmt.Errorf("%v: Fargate Spot has no capacity right now: ask again later, or add --spot=false", err)
		}
		return fmt.Errorf("%v: Fargate has no capacity in this zone right now: ask again in a few minutes", err)
	case strings.Contains(lower, "limit") && (strings.Contains(lower, "vcpu") || strings.Contains(lower, "concurrent") || strings.Contains(lower, "tasks")):
		return fmt.Errorf("%v: your account's Fargate quota is used up: stop tasks you no longer need, or raise %q in Service Quotas (Amazon Elastic Container Service)", err, quota)
	}
	return err
}

func idList(qs []*question) string {
	if len(qs) == 1 {
		return "item " + qs[0].id
	}
	return fmt.Sprintf("items %s … %s", qs[0].id, qs[len(qs)-1].id)
}
