// Command sweep runs the SimpleBatch hands-on from one command: it submits a grid of
// MNIST training jobs (learning rate × momentum) to the stack's AWS Batch queue,
// shows their states live until they finish, downloads every job's metrics file and
// draws the learning curves and a heat-map of the best validation accuracy.
//
//	go run ./cmd/sweep sweep                      # the course's 3×3 grid
//	go run ./cmd/sweep sweep --lr 0.1,0.01 --momentum 0.9,0.5 --epochs 10
//	go run ./cmd/sweep submit --lr 0.01 --momentum 0.5
//	go run ./cmd/sweep watch                      # follow jobs that are still running
//	go run ./cmd/sweep results                    # download and plot again
//	go run ./cmd/sweep cancel                     # stop every unfinished job
//
// The bucket, queue and job definition come from the SSM parameters under
// /SimpleBatch/ that `npx cdk deploy SimpleBatch` writes; nothing is hard-coded.
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

	"golang.org/x/term"

	"github.com/intro-aws-go/intro-aws-go/internal/simplebatch"
)

const usage = `usage: go run ./cmd/sweep <command> [flags]

commands:
  sweep    submit a grid of jobs (lr × momentum), watch them, download and plot the results
  submit   submit one job (--lr, --momentum), watch it, download and plot its result
  watch    follow the unfinished jobs of the queue, then download and plot
  results  download every metrics file in the bucket again and redraw the plots
  cancel   terminate every unfinished job of the queue

Run "go run ./cmd/sweep <command> -h" for the flags of a command.
`

// Defaults: the course's grid; 20 epochs keep the default sweep around 10 minutes per job.
const (
	defaultLRs       = "0.1,0.01,0.001"
	defaultMomentums = "0.5,0.1,0.05"
	defaultEpochs    = 20
	defaultOut       = "simplebatch-results"
	// maxJobs guards against a typo that would start dozens of GPU instances.
	maxJobs = 25
)

// exitError carries an exit code with a message that is already one line.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ui := newUI(os.Stdout, term.IsTerminal(int(os.Stdout.Fd())), os.Getenv)
	if ui.tty {
		ui.width, _, _ = term.GetSize(int(os.Stdout.Fd()))
	}
	os.Exit(run(ctx, os.Args[1:], ui, os.Stderr, newAWS))
}

// newUI redraws the table in place only on a terminal, and colours it only on a
// terminal that wants colour (https://no-color.org).
func newUI(out io.Writer, tty bool, getenv func(string) string) *ui {
	return &ui{
		out:   out,
		tty:   tty,
		color: tty && getenv("NO_COLOR") == "" && getenv("TERM") != "dumb",
		now:   time.Now,
	}
}

// run executes one command and returns the process exit code; every error is printed
// as one line on stderr.
func run(ctx context.Context, args []string, ui *ui, stderr io.Writer, connect connector) int {
	err := dispatch(ctx, args, ui, connect)
	if err == nil {
		return 0
	}
	if ctx.Err() != nil { // Ctrl-C, whatever call it interrupted
		fmt.Fprintln(stderr, "stopped watching; the jobs keep running in AWS Batch (and billing): "+
			"`go run ./cmd/sweep watch` follows them again, `go run ./cmd/sweep cancel` stops them")
		return 130
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintln(stderr, "error:", ee.msg)
		}
		return ee.code
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintln(stderr, "error:", oneLine(err.Error()))
	return 1
}

func dispatch(ctx context.Context, args []string, ui *ui, connect connector) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(ui.out, usage)
		if len(args) == 0 {
			return &exitError{code: 2}
		}
		return nil
	}
	cmd, rest := args[0], args[1:]
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(ui.out)
	out := fs.String("out", defaultOut, "folder for the downloaded metrics files and the plots")
	region := fs.String("region", "", "AWS region of the stack (default: AWS_REGION or your profile's)")
	profile := fs.String("profile", "", "AWS CLI profile (default: AWS_PROFILE or default)")
	poll := fs.Duration("poll", 10*time.Second, "how often job states are read")
	var lrs, moms *string
	var epochs *int
	noWait := new(bool)
	switch cmd {
	case "sweep":
		lrs = fs.String("lr", defaultLRs, "learning rates, comma-separated")
		moms = fs.String("momentum", defaultMomentums, "momentums, comma-separated")
		epochs = fs.Int("epochs", defaultEpochs, "training epochs of every job")
		noWait = fs.Bool("no-wait", false, "submit and return; follow later with `watch`")
	case "submit":
		lrs = fs.String("lr", "", "learning rate (required), e.g. 0.01")
		moms = fs.String("momentum", "", "momentum (required), e.g. 0.5")
		epochs = fs.Int("epochs", defaultEpochs, "training epochs")
		noWait = fs.Bool("no-wait", false, "submit and return; follow later with `watch`")
	case "watch", "results", "cancel":
	default:
		return &exitError{code: 2, msg: fmt.Sprintf("unknown command %q (commands: sweep, submit, watch, results, cancel)", cmd)}
	}
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &exitError{code: 2, msg: oneLine(err.Error())}
	}
	if fs.NArg() > 0 {
		return &exitError{code: 2, msg: fmt.Sprintf("%s: unexpected argument %q (flags start with --)", cmd, fs.Arg(0))}
	}
	if *poll < time.Millisecond {
		return &exitError{code: 2, msg: "--poll must be positive, e.g. --poll 10s"}
	}

	var grid []gridPoint
	if lrs != nil {
		if cmd == "submit" && (*lrs == "" || *moms == "") {
			return &exitError{code: 2, msg: "submit needs --lr and --momentum, e.g. submit --lr 0.01 --momentum 0.5"}
		}
		var err error
		if grid, err = parseGrid(*lrs, *moms, *epochs); err != nil {
			return &exitError{code: 2, msg: err.Error()}
		}
		if cmd == "submit" && len(grid) != 1 {
			return &exitError{code: 2, msg: "submit runs one job: give one --lr and one --momentum (sweep runs a grid)"}
		}
	}

	// Only now, with valid flags, talk to AWS.
	env, err := connect(ctx, *region, *profile)
	if err != nil {
		return err
	}
	s := &session{aws: env, ui: ui, out: *out, poll: *poll}
	switch cmd {
	case "sweep", "submit":
		return s.sweep(ctx, grid, *noWait)
	case "watch":
		return s.watch(ctx)
	case "results":
		return s.results(ctx)
	case "cancel":
		return s.cancel(ctx)
	}
	return nil
}

// gridPoint is one job of a sweep.
type gridPoint struct {
	LR, Momentum float64
	Epochs       int
}

func parseGrid(lrList, momentumList string, epochs int) ([]gridPoint, error) {
	if epochs < 1 || epochs > 500 {
		return nil, fmt.Errorf("--epochs %d: give 1 to 500 (each epoch takes about 10 s on a g4dn.xlarge)", epochs)
	}
	lrs, err := parseList("lr", lrList, 0.0001, 10)
	if err != nil {
		return nil, err
	}
	moms, err := parseList("momentum", momentumList, 0, 1)
	if err != nil {
		return nil, err
	}
	if n := len(lrs) * len(moms); n > maxJobs {
		return nil, fmt.Errorf("%d × %d = %d jobs: at most %d per sweep, each one starts a GPU instance", len(lrs), len(moms), n, maxJobs)
	}
	var grid []gridPoint
	for _, lr := range lrs {
		for _, m := range moms {
			grid = append(grid, gridPoint{LR: lr, Momentum: m, Epochs: epochs})
		}
	}
	return grid, nil
}

func parseList(flagName, list string, min, max float64) ([]float64, error) {
	var out []float64
	seen := map[string]bool{}
	for _, field := range strings.Split(list, ",") {
		field = strings.TrimSpace(field)
		if field == "" {
			continue
		}
		v, err := strconv.ParseFloat(field, 64)
		if err != nil {
			return nil, fmt.Errorf("--%s %s: %q is not a number (example: --%s 0.1,0.01)", flagName, list, field, flagName)
		}
		if err := simplebatch.ValidateGridValue(flagName, v, min, max); err != nil {
			return nil, err
		}
		if seen[simplebatch.Arg(v)] {
			return nil, fmt.Errorf("--%s %s: %s is given twice", flagName, list, field)
		}
		seen[simplebatch.Arg(v)] = true
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--%s: give at least one value (example: --%s 0.1,0.01)", flagName, flagName)
	}
	return out, nil
}

// oneLine keeps the first line of a message (SDK errors can carry several).
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	return s
}
