// Command runtask is the client of hands-on #3 (EcsClusterQaBot). It replaces the
// course's run_task.py: it stores each question in the stack's DynamoDB table, starts
// a Fargate task that answers it, follows the task until it stops, and prints the
// answer — or, when the task failed, its exit code, stop reason and last log lines.
//
//	go run ./cmd/runtask ask CONTEXT QUESTION
//	go run ./cmd/runtask ask-many [FILE]
//	go run ./cmd/runtask list-answers [--limit N]
//	go run ./cmd/runtask clear [--yes]
//
// Everything it needs (cluster, task definition, subnet, security group, table, log
// group) comes from the SSM parameters the stack publishes under /EcsClusterQaBot/.
// Exit status: 0 every question answered, 1 something failed (a task, a question, an
// AWS call, the timeout), 2 bad usage or input, 130 interrupted (the task was stopped).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/intro-aws-go/intro-aws-go/handson/qabot"
	"github.com/intro-aws-go/intro-aws-go/internal/cli"
)

const (
	exitOK          = 0
	exitFailed      = 1
	exitUsage       = 2
	exitInterrupted = 130
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// After the first Ctrl-C the client stops its task and exits; a second one ends it
	// at once (the default handling comes back).
	go func() { <-ctx.Done(); stop() }()
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// options are the global flags; every sub-command accepts them too.
type options struct {
	stack   string
	region  string
	profile string
	json    bool
	timeout time.Duration
	spot    optionalBool
}

func (o *options) register(fs *flag.FlagSet) {
	fs.StringVar(&o.stack, "stack", o.stack, "the stack to use")
	fs.StringVar(&o.region, "region", o.region, "AWS region (default: AWS_REGION or your profile's)")
	fs.StringVar(&o.profile, "profile", o.profile, "AWS CLI profile (default: AWS_PROFILE or default)")
	fs.BoolVar(&o.json, "json", o.json, "print results as JSON on stdout")
	fs.DurationVar(&o.timeout, "timeout", o.timeout, "how long to wait for the task(s)")
	fs.Var(&o.spot, "spot", "run on Fargate Spot (needs a stack deployed with -c spot=true); --spot=false: regular Fargate (default: what the stack says)")
}

// optionalBool is a boolean flag that remembers whether it was given.
type optionalBool struct{ set, value bool }

func (b *optionalBool) String() string {
	if b == nil || !b.set {
		return ""
	}
	return strconv.FormatBool(b.value)
}

func (b *optionalBool) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return errors.New("want true or false")
	}
	b.set, b.value = true, v
	return nil
}

func (b *optionalBool) IsBoolFlag() bool { return true }

const usage = `runtask: ask the question-answering bot of hands-on #3 (EcsClusterQaBot)

Usage:
  go run ./cmd/runtask [flags] <command> [arguments]

Commands:
  ask CONTEXT QUESTION     ask one question about a text (the context) and print the answer
  ask --context-file FILE QUESTION
  ask QUESTION < FILE      the context from a file or from standard input ("-" as CONTEXT also reads stdin)
  ask-many [FILE]          ask every question of a JSON file [{"context": ..., "question": ...}, ...]
                           (default: the built-in problems); one task answers them all, --parallel N spreads them
  list-answers [--limit N] the stored questions and answers, newest first (default 50; 0 = all)
  clear [--yes]            delete every stored question and answer (asks first unless --yes)

The course's spellings ask_many and list_answers work too.

Flags (before or after the command):
  --stack NAME       the stack to use (default EcsClusterQaBot)
  --region REGION    AWS region (default: AWS_REGION, or your profile's region)
  --profile NAME     AWS CLI profile (default: AWS_PROFILE, or default)
  --json             print the results as JSON on stdout (progress stays on stderr)
  --timeout D        how long to wait for the task(s), e.g. 90s or 15m (default 10m);
                     the task goes on after a timeout, and runtask says how to follow it
  --spot             run on Fargate Spot (the stack must be deployed with -c spot=true, which
                     it is then the default); --spot=false runs that stack on regular Fargate

Exit status: 0 answered, 1 a task or question failed (or timeout, or an AWS error),
2 bad usage or input, 130 interrupted (Ctrl-C stops the task that runtask started).
Colours only on a terminal, never with NO_COLOR set.
`

// commands maps every accepted spelling to the canonical name.
var commands = map[string]string{
	"ask": "ask", "ask-many": "ask-many", "ask_many": "ask-many",
	"list-answers": "list-answers", "list_answers": "list-answers", "clear": "clear",
}

// usageError is bad input: exit 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

// interrupted: the learner pressed Ctrl-C (the task, if any, has been stopped).
var errInterrupted = errors.New("interrupted")

// failed: the reason was already printed (a task or a question failed).
var errFailed = errors.New("failed")

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	o := &options{stack: qabot.StackName, timeout: 10 * time.Minute}
	top := flag.NewFlagSet("runtask", flag.ContinueOnError)
	top.SetOutput(io.Discard)
	o.register(top)
	if err := top.Parse(args); err != nil {
		return flagError(err, stdout, stderr)
	}
	if top.NArg() == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	name, ok := commands[top.Arg(0)]
	if top.Arg(0) == "help" {
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	if !ok {
		fmt.Fprintf(stderr, "runtask: unknown command %q: use ask, ask-many, list-answers or clear (see --help)\n", top.Arg(0))
		return exitUsage
	}

	fs := flag.NewFlagSet("runtask "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o.register(fs)
	var (
		contextFile = new(string)
		parallel    = new(int)
		limit       = new(int)
		yes         = new(bool)
	)
	switch name {
	case "ask":
		fs.StringVar(contextFile, "context-file", "", "read the context from this file (- = stdin)")
	case "ask-many":
		fs.IntVar(parallel, "parallel", 1, "spread the questions over this many tasks")
	case "list-answers":
		fs.IntVar(limit, "limit", 50, "show at most this many answers, newest first (0 = all)")
	case "clear":
		fs.BoolVar(yes, "yes", false, "do not ask for confirmation")
	}
	rest, err := cli.Parse(fs, top.Args()[1:], "see runtask --help")
	if err != nil {
		return flagError(err, stdout, stderr)
	}
	if err := checkOptions(o); err != nil {
		return report(err, stderr)
	}

	cl := &session{opts: o, stdin: stdin, stdout: stdout, stderr: stderr}
	switch name {
	case "ask":
		err = cl.ask(ctx, rest, *contextFile)
	case "ask-many":
		err = cl.askMany(ctx, rest, *parallel)
	case "list-answers":
		err = cl.listAnswers(ctx, rest, *limit)
	case "clear":
		err = cl.clear(ctx, rest, *yes)
	}
	return report(err, stderr)
}

func checkOptions(o *options) error {
	if o.timeout <= 0 {
		return usagef("--timeout %s: give a positive duration, for example --timeout 15m", o.timeout)
	}
	if o.stack == "" || strings.ContainsAny(o.stack, "/ ") {
		return usagef("--stack %q: give a stack name, for example --stack %s", o.stack, qabot.StackName)
	}
	return nil
}

// report prints err as one line and turns it into the exit status.
func report(err error, stderr io.Writer) int {
	var u usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errInterrupted):
		return exitInterrupted
	case errors.Is(err, errFailed):
		return exitFailed
	case errors.As(err, &u):
		fmt.Fprintln(stderr, "runtask: "+oneLine(err.Error()))
		return exitUsage
	}
	fmt.Fprintln(stderr, "runtask: "+oneLine(err.Error()))
	return exitFailed
}

func flagError(err error, stdout, stderr io.Writer) int {
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	msg := err.Error()
	if !strings.Contains(msg, "--help") {
		msg += " (see runtask --help)"
	}
	fmt.Fprintln(stderr, "runtask: "+msg)
	return exitUsage
}

// oneLine keeps an error message on one line (AWS messages sometimes span several).
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
