// Package cli is the one skeleton of the project's seven command-line clients
// (preflight, runtask, sweep, serverless, bashoutter, cost, leftovers): sub-command
// dispatch, the global flags --region and --profile (and --json where a client
// prints JSON) before or after the command, --help on every command, one error
// format, the exit codes, signal handling, and checks of the arguments before any
// AWS call.
//
// Conventions, the same in every client:
//
//   - An error is one line on stderr: "error: <what went wrong and what to do>".
//   - Exit codes: 0 ok, 1 failed, 2 bad usage or input (nothing was done), 130
//     interrupted. Under `go run` every non-zero code becomes 1; `make clients`
//     builds bin/<client>, which keeps them.
//   - -h/--help (or "help [command]") prints the description, an example and the
//     flags on stdout and exits 0.
//   - The first Ctrl-C (or SIGTERM) cancels the command's context: it stops what it
//     started and says in one line what state it left. A second one exits at once.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/intro-aws-go/intro-aws-go/internal/awsenv"
)

// The exit codes of every client.
const (
	ExitOK          = 0
	ExitFailed      = 1
	ExitUsage       = 2
	ExitInterrupted = 130
)

// Program is one client.
type Program struct {
	Name    string // the command's name, e.g. "serverless"
	Summary string // what it is for, one line
	// Commands are the sub-commands. A program without sub-commands has exactly one
	// Command with an empty Name.
	Commands []*Command
	// Flags registers the program's own global flags (runtask's --stack, ...); like
	// --region and --profile they go before or after the command.
	Flags func(fs *flag.FlagSet)
	// JSON: the program prints JSON with --json.
	JSON bool
	// ExitOK and ExitFailed say what exit codes 0 and 1 mean for this program
	// (default "ok" and "failed").
	ExitOK, ExitFailed string
	// Notes are printed at the end of the program's help.
	Notes string
}

// Command is one sub-command.
type Command struct {
	Name    string
	Aliases []string // other accepted spellings (the course's ask_many)
	Args    string   // the positional arguments, e.g. "N" or "[FILE]"
	Summary string   // one line
	Example string   // one or more full command lines
	// MinArgs and MaxArgs bound the number of positional arguments (MaxArgs < 0: no
	// limit); the skeleton checks them before Run.
	MinArgs, MaxArgs int
	Flags            func(fs *flag.FlagSet)
	// Run does the command. It checks its arguments before it calls Call.AWS, so a
	// mistake is reported before "no AWS region".
	Run func(ctx context.Context, c *Call) error
}

// Call is one invocation of a command.
type Call struct {
	Program *Program
	Command *Command
	Args    []string // the positional arguments
	Region  string   // --region ("" = not given)
	Profile string   // --profile
	JSON    bool     // --json
	Stdin   io.Reader
	Stdout  io.Writer
	Stderr  io.Writer
}

// AWS loads the AWS configuration for the --region and --profile of the call.
func (c *Call) AWS(ctx context.Context) (aws.Config, error) {
	return awsenv.Load(ctx, awsenv.Options{Region: c.Region, Profile: c.Profile})
}

// Usagef is bad usage or input: exit 2, nothing was done.
func Usagef(format string, a ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, a...)}
}

// UsageError is bad usage or input: exit 2.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// ErrReported: the command failed and has already said why (exit 1, no more output).
var ErrReported = errors.New("failed (reported above)")

// Interrupted is what a command returns when its context was cancelled: msg says in
// one line what state it left ("" when it already said so). Exit 130.
func Interrupted(msg string) error { return &InterruptError{Msg: msg} }

// InterruptError: see Interrupted.
type InterruptError struct{ Msg string }

func (e *InterruptError) Error() string { return "interrupted: " + e.Msg }

// Main runs the program as the process: the first SIGINT/SIGTERM cancels the
// context, a second one exits at once with 130.
func Main(p *Program) {
	os.Exit(p.Run(SignalContext(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// SignalContext is cancelled by the first SIGINT or SIGTERM; the second ends the
// process with exit code 130 whatever it is doing.
func SignalContext() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-signals
		cancel()
		<-signals
		fmt.Fprintln(os.Stderr, "interrupted twice: exiting at once")
		os.Exit(ExitInterrupted)
	}()
	return ctx
}

// Run runs the program with args (without the program's name) and returns the exit
// code; every error is one line on stderr.
func (p *Program) Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	call, err := p.parse(args)
	var help *helpRequest
	if errors.As(err, &help) {
		p.printHelp(stdout, help.cmd)
		return ExitOK
	}
	if err == nil {
		call.Stdin, call.Stdout, call.Stderr = stdin, stdout, stderr
		err = call.Command.Run(ctx, call)
	}
	return p.report(ctx, call, err, stderr)
}

// report prints err as one line and returns the exit code.
func (p *Program) report(ctx context.Context, call *Call, err error, stderr io.Writer) int {
	var usage *UsageError
	var interrupt *InterruptError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &interrupt):
		if interrupt.Msg != "" {
			fmt.Fprintln(stderr, OneLine(interrupt.Error()))
		}
		return ExitInterrupted
	case ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, ErrReported)):
		if !errors.Is(err, ErrReported) {
			fmt.Fprintf(stderr, "interrupted: %s stopped before it finished\n", p.commandName(call))
		}
		return ExitInterrupted
	case errors.Is(err, ErrReported):
		return ExitFailed
	case errors.As(err, &usage):
		fmt.Fprintln(stderr, "error: "+OneLine(usage.Msg))
		return ExitUsage
	}
	fmt.Fprintln(stderr, "error: "+OneLine(err.Error()))
	return ExitFailed
}

func (p *Program) commandName(call *Call) string {
	if call == nil || call.Command.Name == "" {
		return p.Name
	}
	return p.Name + " " + call.Command.Name
}
