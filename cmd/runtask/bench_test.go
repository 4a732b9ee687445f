package main

// The wait loop against moto (through the ECS stand-in, with the real worker):
// the time from the task stopping to the answer printed, for runtask and for the
// course's loop (sleep one second, DescribeTasks, until STOPPED; then GetItem),
// alternated round by round in the same command (make bench).

import (
	"context"
	"fmt"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/intro-aws-go/intro-aws-go/handson/contracts/qabot"
)

const waitRounds = 10

func BenchmarkWaitLoop(b *testing.B) {
	h := setup(b, true)
	// Tasks stop at random moments relative to either loop's polls.
	h.set(func(k *knobs) { k.jitter = time.Second })
	var ours, course []float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for r := 0; r < waitRounds; r++ {
			ours = append(ours, lagMs(b, h, askOnce))
			course = append(course, lagMs(b, h, courseOnce))
		}
	}
	b.StopTimer()
	b.ReportMetric(mean(ours), "ms-stop-to-answer")
	b.ReportMetric(slices.Max(ours), "max-ms-stop-to-answer")
	b.ReportMetric(mean(course), "course-ms-stop-to-answer")
	b.ReportMetric(mean(ours)/mean(course), "runtask/course")
}

// lagMs asks once and returns the milliseconds between the task's stop (as the
// harness made it visible) and the answer being written.
func lagMs(b *testing.B, h *ecsHarness, ask func(*testing.B) time.Time) float64 {
	answerAt := ask(b)
	tasks := h.started()
	stop := tasks[len(tasks)-1].finishedAt
	if stop.IsZero() || answerAt.Before(stop) {
		b.Fatalf("answer at %v, task stopped at %v", answerAt, stop)
	}
	return float64(answerAt.Sub(stop).Microseconds()) / 1000
}

func askOnce(b *testing.B) time.Time {
	code, out, errOut := runtaskStamped("", "ask", qabot.ExampleContext, qabot.ExampleQuestion)
	if code != exitOK || out.answerAt.IsZero() {
		b.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	return out.answerAt
}

// courseOnce is run_task.py's ask with runtask's request: the same item, the same
// task, then the course's wait.
func courseOnce(b *testing.B) time.Time {
	ctx := context.Background()
	var out stampedBuffer
	c := &session{opts: &options{stack: qabot.StackName}, stdout: &out, stderr: io.Discard}
	if err := c.connect(ctx); err != nil {
		b.Fatal(err)
	}
	q := &question{problem: problem{Context: qabot.ExampleContext, Question: qabot.ExampleQuestion}, n: 1}
	if err := c.putQuestions(ctx, []*question{q}); err != nil {
		b.Fatal(err)
	}
	arn, err := c.runTask(ctx, &taskRun{questions: []*question{q}}, qabot.CapacityFargate)
	if err != nil {
		b.Fatal(err)
	}
	for {
		time.Sleep(time.Second)
		d, err := c.ecs.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(c.stack.cluster), Tasks: []string{arn}})
		if err != nil {
			b.Fatal(err)
		}
		if aws.ToString(d.Tasks[0].LastStatus) == "STOPPED" {
			break
		}
	}
	got, err := c.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(c.stack.table),
		Key: map[string]dbtypes.AttributeValue{qabot.AttrItemID: &dbtypes.AttributeValueMemberS{Value: q.id}}})
	if err != nil {
		b.Fatal(err)
	}
	var it qabot.Item
	if err := attributevalue.UnmarshalMap(got.Item, &it); err != nil || it.Answer != qabot.ExampleAnswer {
		b.Fatalf("course loop: %+v, %v", it, err)
	}
	fmt.Fprintf(&out, "Answer: %s\n", it.Answer)
	return out.answerAt
}

func mean(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}
