// Command runtask is the client of hands-on #3 (EcsClusterQaBot). It replaces the
// course's run_task.py: it stores each question in the stack's DynamoDB table, starts
// a Fargate task that answers it, follows the task until it stops, and prints the
// answer — or, when the task failed, its exit code, stop reason and last log lines.
//
//	bin/runtask ask CONTEXT QUESTION        (make clients builds bin/runtask)
//	bin/runtask ask-many [FILE]
//	bin/runtask list-answers [--limit N]
//	bin/runtask clear [--yes]
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
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/intro-aws-go/intro-aws-go/handson/contracts/qabot"
	"github.com/intro-aws-go/intro-aws-go/internal/cli"
)

// The exit codes (cli's, named here as the tests use them).
const (
	exitOK          = cli.ExitOK
	exitFailed      = cli.ExitFailed
	exitUsage       = cli.ExitUsage
	exitInterrupted = cli.ExitInterrupted
)

func main() { cli.Main(newProgram()) }

// run is the whole client; it returns the exit code (the tests call it).
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return newProgram().Run(ctx, args, stdin, stdout, stderr)
}

// options are the flags every command takes; region, profile and json come from
// the skeleton's global flags.
type options struct {
	stack   string
	region  string
	profile string
	json    bool
	timeout time.Duration
	spot    optionalBool
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

// errInterrupted: Ctrl-C; the task, if any, was stopped and that was said.
var errInterrupted = cli.Interrupted("")

// errFailed: a task or a question failed; the reason was already printed.
var errFailed = cli.ErrReported

// args are the commands' own flags.
type args struct {
	contextFile     string
	parallel, limit int
	yes             bool
}

func newProgram() *cli.Program {
	o := &options{}
	a := &args{}
	return &cli.Program{
		Name:    "runtask",
		Summary: "ask the question-answering bot of hands-on #3 (EcsClusterQaBot)",
		JSON:    true,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&o.stack, "stack", qabot.StackName, "the `STACK` to use")
			fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "how long to wait for the task(s), e.g. 90s or 15m; the task goes on after a timeout, and runtask says how to follow it")
			o.spot = optionalBool{}
			fs.Var(&o.spot, "spot", "run on Fargate Spot (the stack must be deployed with -c spot=true, which it is then the default); --spot=false runs that stack on regular Fargate")
		},
		ExitOK:     "every question answered",
		ExitFailed: "a task or question failed, the timeout passed, or an AWS call failed",
		Notes:      "The course's spellings ask_many and list_answers work too. Colours only on a terminal, never with NO_COLOR set.",
		Commands: []*cli.Command{
			{Name: "ask", Args: "CONTEXT QUESTION", MaxArgs: -1, // ask checks them, with an example Summary: "ask one question about a text (the context) and print the answer",
				Example: `runtask ask "A giant peach was flowing in the river. ... She named the baby Momotaro." "What is the name of the baby?"` +
					"\nruntask ask --context-file story.txt \"Who found the peach?\"\nruntask ask \"Who found the peach?\" < story.txt",
				Flags: func(fs *flag.FlagSet) {
					fs.StringVar(&a.contextFile, "context-file", "", "read the context from this `FILE` (- = standard input); then QUESTION is the only argument")
				},
				Run: o.with(func(ctx context.Context, s *session, c *cli.Call) error { return s.ask(ctx, c.Args, a.contextFile) })},
			{Name: "ask-many", Aliases: []string{"ask_many"}, Args: "[FILE]", MaxArgs: 1,
				Summary: "ask every question of a JSON file [{\"context\": ..., \"question\": ...}, ...] (default: the built-in problems)",
				Example: "runtask ask-many\nruntask ask-many problems.json --parallel 2",
				Flags: func(fs *flag.FlagSet) {
					fs.IntVar(&a.parallel, "parallel", 1, "spread the questions over `N` tasks")
				},
				Run: o.with(func(ctx context.Context, s *session, c *cli.Call) error { return s.askMany(ctx, c.Args, a.parallel) })},
			{Name: "list-answers", Aliases: []string{"list_answers"}, MaxArgs: -1, Summary: "the stored questions and answers, newest first",
				Example: "runtask list-answers --limit 5",
				Flags: func(fs *flag.FlagSet) {
					fs.IntVar(&a.limit, "limit", 50, "show at most `N` answers, newest first (0 = all)")
				},
				Run: o.with(func(ctx context.Context, s *session, c *cli.Call) error { return s.listAnswers(ctx, c.Args, a.limit) })},
			{Name: "clear", MaxArgs: -1, Summary: "delete every stored question and answer (asks first unless --yes)",
				Example: "runtask clear --yes",
				Flags: func(fs *flag.FlagSet) {
					fs.BoolVar(&a.yes, "yes", false, "do not ask for confirmation")
				},
				Run: o.with(func(ctx context.Context, s *session, c *cli.Call) error { return s.clear(ctx, c.Args, a.yes) })},
		},
	}
}

// with makes a command's Run: check the options, then run it in a session.
func (o *options) with(do func(context.Context, *session, *cli.Call) error) func(context.Context, *cli.Call) error {
	return func(ctx context.Context, c *cli.Call) error {
		o.region, o.profile, o.json = c.Region, c.Profile, c.JSON
		if err := checkOptions(o); err != nil {
			return err
		}
		return do(ctx, &session{opts: o, call: c, stdin: c.Stdin, stdout: c.Stdout, stderr: c.Stderr}, c)
	}
}

func checkOptions(o *options) error {
	if o.timeout <= 0 {
		return cli.Usagef("--timeout %s: give a positive duration, for example --timeout 15m", o.timeout)
	}
	if o.stack == "" || strings.ContainsAny(o.stack, "/ ") {
		return cli.Usagef("--stack %q: give a stack name, for example --stack %s", o.stack, qabot.StackName)
	}
	return nil
}
