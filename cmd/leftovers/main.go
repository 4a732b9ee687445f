// Command leftovers answers "did I leave anything behind?" after `npx cdk destroy`: it
// lists what is still in the account and region that came from this project —
// CloudFormation stacks of ours in any state (with the resource that blocked a failed
// deletion), resources still tagged Project=intro-aws-go whose stack is gone (confirmed
// with their own service), and log groups that a deleted stack of ours created (Lambda
// creates its own, and they outlive the stack); what is only named like ours is a note —
// plus, for information, the CDK bootstrap's asset bucket and image repository with
// their sizes (shared by every CDK app, so never deleted here).
//
//	bin/leftovers [--region R] [--profile P] [--json] [--delete [--yes]]
//
// Exit status: 0 clean, 1 something of ours is left or the check could not run, 2 bad
// usage, 130 interrupted.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/intro-aws-go/intro-aws-go/internal/awsenv"
	"github.com/intro-aws-go/intro-aws-go/internal/cli"
)

const (
	exitClean = cli.ExitOK
	exitLeft  = cli.ExitFailed
)

func main() { cli.Main(newProgram()) }

// run is the whole client; it returns the exit code (the tests call it).
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return newProgram().Run(ctx, args, stdin, stdout, stderr)
}

type options struct{ del, yes bool }

func newProgram() *cli.Program {
	o := &options{}
	return &cli.Program{
		Name:       "leftovers",
		Summary:    "list what this project left in the account and region after `npx cdk destroy` (and delete it with --delete)",
		JSON:       true,
		ExitOK:     "nothing of ours is left",
		ExitFailed: "something of ours is left (or the check could not run: one line says why)",
		Commands: []*cli.Command{{
			MaxArgs: -1, // checked in run, with a hint
			Example: "leftovers\nleftovers --region us-east-1 --delete",
			Flags: func(fs *flag.FlagSet) {
				fs.BoolVar(&o.del, "delete", false, "delete what is ours, after a confirmation")
				fs.BoolVar(&o.yes, "yes", false, "with --delete: do not ask")
			},
			Run: o.run,
		}},
	}
}

func (o *options) run(ctx context.Context, c *cli.Call) error {
	if len(c.Args) > 0 {
		return cli.Usagef("unexpected argument %q: leftovers checks the whole region (choose it with --region)", c.Args[0])
	}
	cfg, err := c.AWS(ctx)
	if err != nil {
		return err
	}
	cl := newClients(cfg)
	account, items, err := scan(ctx, cl)
	if err != nil {
		return err
	}
	sortItems(items)
	ours := 0
	for _, it := range items {
		if it.Ours {
			ours++
		}
	}
	if c.JSON {
		printJSON(c.Stdout, account, cl.region, items)
	} else {
		printItems(c.Stdout, account, cl.region, items, ours)
	}
	switch {
	case ours == 0:
		return nil
	case !o.del:
		return cli.ErrReported
	}
	return remove(ctx, c, items, ours, o.yes)
}

func printJSON(w io.Writer, account, region string, items []item) {
	if items == nil {
		items = []item{} // "items": [] when clean, not null
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(map[string]any{"account": account, "region": region, "items": items})
}

func printItems(w io.Writer, account, region string, items []item, ours int) {
	for _, it := range items {
		prefix := "left"
		if !it.Ours {
			prefix = "note"
		}
		fmt.Fprintf(w, "%s: %s %s: %s → %s\n", prefix, it.Kind, it.Name, it.Detail, it.Fix)
	}
	if ours == 0 {
		fmt.Fprintf(w, "clean: nothing from intro-aws-go is left in %s (account %s)\n", region, account)
	}
}

// remove deletes what is ours after the learner confirms, one line per item.
func remove(ctx context.Context, c *cli.Call, items []item, ours int, yes bool) error {
	stdout := c.Stdout
	if !yes {
		ok, err := cli.Confirm(c, fmt.Sprintf("Delete the %d items above marked \"left\"?", ours))
		if err != nil {
			return err
		}
		if !ok {
			fmt.Fprintln(stdout, "nothing deleted")
			return cli.ErrReported
		}
	}
	failed := 0
	for _, it := range items {
		if ctx.Err() != nil {
			return cli.Interrupted("stopped deleting; run leftovers again to see what is left")
		}
		switch {
		case !it.Ours:
		case it.remove == nil:
			fmt.Fprintf(stdout, "by hand: %s %s → %s\n", it.Kind, it.Name, it.Fix)
			failed++
		default:
			if err := it.remove(ctx); err != nil {
				fmt.Fprintf(stdout, "failed: %s %s: %v → %s\n", it.Kind, it.Name, awsenv.Explain("delete", err), it.Fix)
				failed++
				continue
			}
			verb := "deleted"
			if it.Kind == "stack" {
				verb = "deleting (CloudFormation works on it; run leftovers again in a few minutes)"
			}
			fmt.Fprintf(stdout, "%s: %s %s\n", verb, it.Kind, it.Name)
		}
	}
	if failed > 0 {
		return cli.ErrReported
	}
	return nil
}
