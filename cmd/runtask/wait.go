package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"golang.org/x/term"

	"github.com/intro-aws-go/intro-aws-go/handson/contracts/qabot"
	"github.com/intro-aws-go/intro-aws-go/internal/awsenv"
	"github.com/intro-aws-go/intro-aws-go/internal/cli"
)

// The wait loop polls DescribeTasks (free of charge) every pollMin at first and backs
// off to pollMax: a task stops at most pollMax before the client sees it, and the
// answer is read right then (the course slept a whole second between polls). A
// Fargate task lives a minute or so: a few hundred calls per question, one call for
// all the tasks of a batch, well within ECS's request rate; the SDK retries throttling.
const (
	pollMin = 100 * time.Millisecond
	pollMax = 250 * time.Millisecond
)

const liveTick = 100 * time.Millisecond

// describeAttempts: throttled polls are retried (with the SDK's back-off) longer than
// other calls, since giving up would leave a running task unwatched.
const describeAttempts = 8

// missingGrace: ECS is eventually consistent, and DescribeTasks may answer a task that
// RunTask just returned under failures with reason MISSING until the task has
// propagated ("Run the DescribeTasks command using an exponential backoff algorithm to
// ensure that you allow enough time for the previous command to propagate through the
// system", https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html).
// Such a task is still starting: the client keeps polling, with the same back-off, for
// this long after RunTask before it believes ECS.
const missingGrace = 30 * time.Second

// clock is the wall clock of the wait loop; tests replace it to drive the loop's
// deadlines without waiting.
type clock interface {
	now() time.Time
	after(d time.Duration) <-chan time.Time
}

type wallClock struct{}

func (wallClock) now() time.Time                         { return time.Now() }
func (wallClock) after(d time.Duration) <-chan time.Time { return time.After(d) }

var clk clock = wallClock{}

// wait follows the tasks until each has finished, calling finished for each as soon
// as its container has exited (ECS still spends up to a minute detaching the network
// interface before the task shows STOPPED; the answer is in the table by then).
func (c *session) wait(ctx context.Context, runs []*taskRun, finished func(*taskRun)) error {
	p := c.newProgress()
	defer p.close()
	start := clk.now()
	deadline := start.Add(c.opts.timeout)
	interval := pollMin
	for {
		pending := unfinished(runs)
		if len(pending) == 0 {
			return nil
		}
		out, byArn, err := c.describeTasks(ctx, pending)
		if ctx.Err() != nil {
			p.close()
			return c.interrupt(pending)
		}
		if err != nil {
			p.close()
			c.followHint(pending)
			return awsenv.Explain("following the task (ecs:DescribeTasks)", err)
		}
		c.applyTasks(out.Tasks, byArn, p, start, finished)
		applyFailures(out.Failures, byArn, p, finished)
		if clk.now().After(deadline) {
			p.close()
			return c.timedOut(runs)
		}
		if !sleep(ctx, p, start, pending, max(0, min(interval, deadline.Sub(clk.now())))) {
			p.close()
			return c.interrupt(pending)
		}
		interval = min(2*interval, pollMax)
	}
}

// unfinished returns the runs still being followed, in order.
func unfinished(runs []*taskRun) []*taskRun {
	var left []*taskRun
	for _, r := range runs {
		if !r.finished {
			left = append(left, r)
		}
	}
	return left
}

// describeTasks asks ECS about the first 100 pending tasks (DescribeTasks takes 100
// at most; the others are asked about once some of these have finished) and
// returns them by ARN to match the answer against.
func (c *session) describeTasks(ctx context.Context, pending []*taskRun) (*ecs.DescribeTasksOutput, map[string]*taskRun, error) {
	byArn := map[string]*taskRun{}
	var arns []string
	for _, r := range pending[:min(len(pending), 100)] {
		byArn[r.arn] = r
		arns = append(arns, r.arn)
	}
	out, err := c.ecs.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(c.stack.cluster), Tasks: arns},
		func(o *ecs.Options) { o.RetryMaxAttempts = describeAttempts })
	return out, byArn, err
}

// applyTasks shows each state change and hands over the tasks whose container has
// exited.
func (c *session) applyTasks(tasks []ecstypes.Task, byArn map[string]*taskRun, p *progress, start time.Time, finished func(*taskRun)) {
	for _, t := range tasks {
		r := byArn[aws.ToString(t.TaskArn)]
		if r == nil {
			continue
		}
		status, done := c.observe(r, t)
		if status != r.status {
			r.status = status
			p.event(clk.now().Sub(start), fmt.Sprintf("task %s  %s", r.shortID(), status))
		}
		if done {
			r.finished = true
			p.pause()
			finished(r)
		}
	}
}

// applyFailures ends the tasks ECS says it does not know, except a task that has not
// propagated yet: MISSING within missingGrace of RunTask, before any status was seen.
func applyFailures(failures []ecstypes.Failure, byArn map[string]*taskRun, p *progress, finished func(*taskRun)) {
	for _, f := range failures {
		r := byArn[aws.ToString(f.Arn)]
		if r == nil {
			continue
		}
		if aws.ToString(f.Reason) == "MISSING" && clk.now().Sub(r.startedAt) < missingGrace && r.status == "" {
			r.missing++ // not propagated yet: still starting
			continue
		}
		r.finished, r.reason = true, "ECS no longer knows the task: "+aws.ToString(f.Reason)
		if aws.ToString(f.Reason) == "MISSING" && r.status == "" {
			r.reason = fmt.Sprintf("ECS still did not know the task %s after RunTask started it (DescribeTasks: MISSING)", missingGrace)
		}
		p.pause()
		finished(r)
	}
}

// sleep waits d before the next poll, redrawing the live line meanwhile; it returns
// false if ctx was cancelled (Ctrl-C) first.
func sleep(ctx context.Context, p *progress, start time.Time, pending []*taskRun, d time.Duration) bool {
	timer := clk.after(d)
	for {
		select {
		case <-ctx.Done():
			return false
		case <-p.tick:
			p.redraw(clk.now().Sub(start), pending)
		case <-timer:
			return true
		}
	}
}

// observe reads one DescribeTasks entry: the state to show, and whether the
// worker's container has exited (or the task stopped without it).
func (c *session) observe(r *taskRun, t ecstypes.Task) (string, bool) {
	status := aws.ToString(t.LastStatus)
	var container *ecstypes.Container
	for i := range t.Containers {
		if aws.ToString(t.Containers[i].Name) == c.stack.container {
			container = &t.Containers[i]
		}
	}
	exited := container != nil && aws.ToString(container.LastStatus) == "STOPPED" && container.ExitCode != nil
	if !exited && status != "STOPPED" {
		return status, false
	}
	if container != nil {
		r.exitCode = container.ExitCode
	}
	reasons := []string{aws.ToString(t.StoppedReason)}
	if container != nil && aws.ToString(container.Reason) != "" {
		reasons = append(reasons, aws.ToString(container.Reason))
	}
	r.reason = strings.Join(nonEmpty(reasons), "; ")
	r.stopCode = string(t.StopCode)
	if status != "STOPPED" && r.exitCode != nil {
		status += fmt.Sprintf(", container exited with code %d", *r.exitCode)
	} else if r.exitCode != nil {
		status += fmt.Sprintf(" (exit code %d)", *r.exitCode)
	}
	return status, true
}

func nonEmpty(xs []string) []string {
	var out []string
	for _, x := range xs {
		if strings.TrimSpace(x) != "" {
			out = append(out, x)
		}
	}
	return out
}

// interrupt stops the tasks that are still running (Ctrl-C), marks their questions
// and those of tasks never started (notStarted) failed unless answered meanwhile, and
// says what is true in one line.
func (c *session) interrupt(runs []*taskRun, notStarted ...*question) error {
	var stopped []string
	qs := notStarted
	for _, r := range runs {
		if r.finished || r.arn == "" {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		_, err := c.ecs.StopTask(ctx, &ecs.StopTaskInput{
			Cluster: aws.String(c.stack.cluster), Task: aws.String(r.arn),
			Reason: aws.String("stopped by runtask: interrupted (Ctrl-C)"),
		})
		cancel()
		if err != nil {
			fmt.Fprintf(c.stderr, "runtask: interrupted, but could not stop task %s: %v: it goes on and answers its questions; stop it with `aws ecs stop-task --region %s --cluster %s --task %s`\n",
				r.arn, cli.OneLine(awsenv.Explain("ecs:StopTask", err).Error()), c.region, c.stack.cluster, r.arn)
			continue
		}
		stopped = append(stopped, r.arn)
		qs = append(qs, r.questions...)
	}
	if len(qs) == 0 {
		return errInterrupted
	}
	what := "no task was started"
	if len(stopped) > 0 {
		what = "stopped task " + strings.Join(stopped, ", ")
	}
	marked, err := c.markInterrupted(qs)
	if err != nil {
		fmt.Fprintf(c.stderr, "runtask: interrupted: %s; marked %d of %s failed, but not the rest (%s): `go run ./cmd/runtask list-answers` shows them\n",
			what, marked, cli.Plural(len(qs), "question"), cli.OneLine(awsenv.Explain("dynamodb:UpdateItem", err).Error()))
		return errInterrupted
	}
	answered := ""
	if n := len(qs) - marked; n > 0 {
		answered = fmt.Sprintf(" (%d answered or closed by the task before the stop)", n)
	}
	fmt.Fprintf(c.stderr, "runtask: interrupted: %s; %d of %s marked failed in the table%s; `go run ./cmd/runtask clear` removes them\n",
		what, marked, cli.Plural(len(qs), "question"), answered)
	return errInterrupted
}

// timedOut leaves the tasks running and says how to follow them.
func (c *session) timedOut(runs []*taskRun) error {
	left := unfinished(runs)
	for _, r := range left {
		fmt.Fprintf(c.stderr, "runtask: timed out after %s waiting for task %s (last status %s); it goes on and stores its answers in the table\n",
			c.opts.timeout, r.arn, r.status)
	}
	c.followHint(left)
	return errFailed
}

// followHint prints the commands that follow a task the client stopped watching.
func (c *session) followHint(runs []*taskRun) {
	where := "--region " + c.region
	if c.opts.profile != "" {
		where += " --profile " + c.opts.profile
	}
	for _, r := range runs {
		fmt.Fprintf(c.stderr, "  follow it:    aws ecs describe-tasks %s --cluster %s --tasks %s --query 'tasks[0].[lastStatus,stoppedReason,containers[0].exitCode]'\n",
			where, c.stack.cluster, r.arn)
		fmt.Fprintf(c.stderr, "  its log:      aws logs tail %s %s --follow --log-stream-names %s\n",
			c.stack.logGroup, where, c.logStream(r.arn))
	}
	fmt.Fprintf(c.stderr, "  the answers:  go run ./cmd/runtask list-answers%s\n", c.flagsForHint())
}

func (c *session) flagsForHint() string {
	var f []string
	if c.opts.stack != qabot.StackName {
		f = append(f, "--stack "+c.opts.stack)
	}
	if c.opts.region != "" {
		f = append(f, "--region "+c.opts.region)
	}
	if c.opts.profile != "" {
		f = append(f, "--profile "+c.opts.profile)
	}
	if len(f) == 0 {
		return ""
	}
	return " " + strings.Join(f, " ")
}

func (c *session) logStream(taskArn string) string {
	return qabot.LogStreamName(c.stack.logStreamPrefix, c.stack.container, qabot.TaskID(taskArn))
}

// progressf prints one progress line on stderr.
func (c *session) progressf(format string, a ...any) {
	fmt.Fprintf(c.stderr, "runtask: "+format+"\n", a...)
}

// progress shows task state changes on stderr: one line per change, plus, on a
// terminal, a live line with the elapsed time below them.
type progress struct {
	c     *session
	live  bool
	tick  <-chan time.Time
	stop  func()
	shown bool
}

func (c *session) newProgress() *progress {
	p := &progress{c: c, stop: func() {}}
	if f, ok := c.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) && os.Getenv("TERM") != "dumb" {
		t := time.NewTicker(liveTick)
		p.live, p.tick, p.stop = true, t.C, t.Stop
	}
	return p
}

func (p *progress) event(elapsed time.Duration, msg string) {
	p.pause()
	fmt.Fprintf(p.c.stderr, "%7.1fs  %s\n", elapsed.Seconds(), msg)
}

var spinner = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

func (p *progress) redraw(elapsed time.Duration, runs []*taskRun) {
	if !p.live {
		return
	}
	var states []string
	for _, r := range runs {
		if !r.finished {
			states = append(states, r.shortID()+" "+r.status)
		}
	}
	frame := spinner[int(elapsed/liveTick)%len(spinner)]
	fmt.Fprintf(p.c.stderr, "\r\033[K%s %.1fs  waiting for %s", frame, elapsed.Seconds(), strings.Join(states, ", "))
	p.shown = true
}

// pause clears the live line so that ordinary output can follow.
func (p *progress) pause() {
	if p.live && p.shown {
		fmt.Fprint(p.c.stderr, "\r\033[K")
		p.shown = false
	}
}

func (p *progress) close() {
	p.pause()
	p.stop()
}
