// Command sweep runs the SimpleBatch hands-on from one command: it submits a grid of
// MNIST training jobs (learning rate × momentum) to the stack's AWS Batch queue,
// shows their states live until they finish, downloads every job's metrics file and
// draws the learning curves and a heat-map of the best validation accuracy.
//
//	bin/sweep sweep                               # the course's 3×3 grid (make clients; or go run ./cmd/sweep)
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
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/intro-aws-go/intro-aws-go/handson/contracts/simplebatch"
	"github.com/intro-aws-go/intro-aws-go/internal/cli"
)

// Defaults: the course's grid; 20 epochs keep the default sweep around 10 minutes per job.
const (
	defaultLRs       = "0.1,0.01,0.001"
	defaultMomentums = "0.5,0.1,0.05"
	defaultEpochs    = 20
	defaultOut       = "simplebatch-results"
	// maxJobs guards against a typo that would start dozens of GPU instances.
	maxJobs = 25
)

func main() {
	ui := newUI(os.Stdout, term.IsTerminal(int(os.Stdout.Fd())), os.Getenv)
	if ui.tty {
		ui.width, _, _ = term.GetSize(int(os.Stdout.Fd()))
	}
	os.Exit(run(cli.SignalContext(), os.Args[1:], ui, os.Stderr, newAWS))
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
	return newProgram(ui, connect).Run(ctx, args, strings.NewReader(""), ui.out, stderr)
}

// options are the flags.
type options struct {
	out       string
	poll      time.Duration
	lrs, moms string
	epochs    int
	noWait    bool
	single    bool // submit: one job
	grid      []gridPoint
	ui        *ui
	connect   connector
}

func newProgram(ui *ui, connect connector) *cli.Program {
	o := &options{ui: ui, connect: connect}
	grid := func(lrHelp, lrDefault, momHelp, momDefault string) func(fs *flag.FlagSet) {
		return func(fs *flag.FlagSet) {
			fs.StringVar(&o.lrs, "lr", lrDefault, lrHelp)
			fs.StringVar(&o.moms, "momentum", momDefault, momHelp)
			fs.IntVar(&o.epochs, "epochs", defaultEpochs, "training epochs of every job")
			fs.BoolVar(&o.noWait, "no-wait", false, "submit and return; follow later with `watch`")
		}
	}
	return &cli.Program{
		Name:    "sweep",
		Summary: "run the SimpleBatch hands-on: a grid of MNIST training jobs on AWS Batch, followed live, then plotted",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&o.out, "out", defaultOut, "`FOLDER` for the downloaded metrics files and the plots")
			fs.DurationVar(&o.poll, "poll", 10*time.Second, "how often job states are read")
		},
		Notes: "Ctrl-C stops watching, not the jobs: `sweep watch` follows them again, `sweep cancel` stops them.",
		Commands: []*cli.Command{
			{Name: "sweep", Summary: "submit a grid of jobs (lr × momentum), watch them, download and plot the results",
				Example: "sweep sweep\nsweep sweep --lr 0.1,0.01 --momentum 0.9,0.5 --epochs 10",
				Flags:   grid("learning rates, comma-separated", defaultLRs, "momentums, comma-separated", defaultMomentums),
				Run:     o.do(o.checkGrid, o.sweep)},
			{Name: "submit", Summary: "submit one job (--lr, --momentum), watch it, download and plot its result",
				Example: "sweep submit --lr 0.01 --momentum 0.5",
				Flags:   grid("learning rate (required), e.g. 0.01", "", "momentum (required), e.g. 0.5", ""),
				Run: func(ctx context.Context, c *cli.Call) error {
					o.single = true
					return o.do(o.checkGrid, o.sweep)(ctx, c)
				}},
			{Name: "watch", Summary: "follow the unfinished jobs of the queue, then download and plot", Example: "sweep watch",
				Run: o.do(nil, func(ctx context.Context, s *session) error { return s.watch(ctx) })},
			{Name: "results", Summary: "download every metrics file in the bucket again and redraw the plots", Example: "sweep results --out results",
				Run: o.do(nil, func(ctx context.Context, s *session) error { return s.results(ctx) })},
			{Name: "cancel", Summary: "terminate every unfinished job of the queue", Example: "sweep cancel",
				Run: o.do(nil, func(ctx context.Context, s *session) error { return s.cancel(ctx) })},
		},
	}
}

// do makes a command's Run: check the flags, then connect (only now, with valid
// flags, is AWS asked), then run; an interrupt says that the jobs keep running.
func (o *options) do(check func() error, step func(context.Context, *session) error) func(context.Context, *cli.Call) error {
	return func(ctx context.Context, c *cli.Call) error {
		if o.poll < time.Millisecond {
			return cli.Usagef("--poll must be positive, e.g. --poll 10s")
		}
		if check != nil {
			if err := check(); err != nil {
				return err
			}
		}
		env, err := o.connect(ctx, c.Region, c.Profile)
		if err == nil {
			err = step(ctx, &session{aws: env, ui: o.ui, out: o.out, poll: o.poll})
		}
		if err != nil && ctx.Err() != nil { // Ctrl-C, whatever call it interrupted
			switch c.Command.Name {
			case "results":
				return cli.Interrupted("no plot was redrawn; the results stay in the bucket: run `go run ./cmd/sweep results` again")
			case "cancel":
				return cli.Interrupted("some jobs may still run in AWS Batch (and bill): run `go run ./cmd/sweep cancel` again")
			}
			return cli.Interrupted("stopped watching; the jobs keep running in AWS Batch (and billing): " +
				"`go run ./cmd/sweep watch` follows them again, `go run ./cmd/sweep cancel` stops them")
		}
		return err
	}
}

// checkGrid reads --lr, --momentum and --epochs into the grid.
func (o *options) checkGrid() (err error) {
	if o.single && (o.lrs == "" || o.moms == "") {
		return cli.Usagef("submit needs --lr and --momentum, e.g. submit --lr 0.01 --momentum 0.5")
	}
	if o.grid, err = parseGrid(o.lrs, o.moms, o.epochs); err != nil {
		return cli.Usagef("%v", err)
	}
	if o.single && len(o.grid) != 1 {
		return cli.Usagef("submit runs one job: give one --lr and one --momentum (sweep runs a grid)")
	}
	return nil
}

func (o *options) sweep(ctx context.Context, s *session) error {
	return s.sweep(ctx, o.grid, o.noWait)
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
