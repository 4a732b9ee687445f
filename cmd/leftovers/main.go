// Command leftovers answers "did I leave anything behind?" after `npx cdk destroy`: it
// lists what is still in the account and region that came from this project —
// CloudFormation stacks of ours in any state (with the resource that blocked a failed
// deletion), resources still tagged Project=intro-aws-go whose stack is gone (confirmed
// with their own service), and log groups that a deleted stack of ours created (Lambda
// creates its own, and they outlive the stack); what is only named like ours is a note —
// plus, for information, the CDK bootstrap's asset bucket and image repository with
// their sizes (shared by every CDK app, so never deleted here).
//
//	go run ./cmd/leftovers [--region R] [--profile P] [--json] [--delete [--yes]]
//
// Exit status: 0 clean, 1 something of ours is left, 2 the check could not run.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/intro-aws-go/intro-aws-go/internal/awsenv"
)

const (
	exitClean = 0
	exitLeft  = 1
	exitError = 2
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "leftovers: "+format+"\n", a...)
		return exitError
	}
	fs := flag.NewFlagSet("leftovers", flag.ContinueOnError)
	fs.SetOutput(stderr)
	region := fs.String("region", "", "AWS region (default: AWS_REGION or your profile's)")
	profile := fs.String("profile", "", "AWS CLI profile (default: AWS_PROFILE or default)")
	asJSON := fs.Bool("json", false, "print the items as JSON")
	del := fs.Bool("delete", false, "delete what is ours, after a confirmation")
	yes := fs.Bool("yes", false, "with --delete: do not ask")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return exitClean
		}
		return exitError
	}
	if fs.NArg() > 0 {
		return fail("unexpected argument %q: leftovers checks the whole region (choose it with --region)", fs.Arg(0))
	}

	cfg, err := awsenv.Load(ctx, *region, *profile)
	if err != nil {
		return fail("%v", err)
	}
	c := newClients(cfg)
	account, items, err := scan(ctx, c)
	if err != nil {
		return fail("%v", err)
	}
	sortItems(items)
	ours := 0
	for _, it := range items {
		if it.Ours {
			ours++
		}
	}

	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(map[string]any{"account": account, "region": c.region, "items": append([]item{}, items...)}) // [] when clean, not null
	} else {
		for _, it := range items {
			prefix := "left"
			if !it.Ours {
				prefix = "note"
			}
			fmt.Fprintf(stdout, "%s: %s %s: %s → %s\n", prefix, it.Kind, it.Name, it.Detail, it.Fix)
		}
		if ours == 0 {
			fmt.Fprintf(stdout, "clean: nothing from intro-aws-go is left in %s (account %s)\n", c.region, account)
		}
	}
	if ours == 0 {
		return exitClean
	}
	if !*del {
		return exitLeft
	}
	return remove(ctx, items, ours, *yes, stdin, stdout, stderr)
}

// remove deletes what is ours after the learner confirms, one line per item.
func remove(ctx context.Context, items []item, ours int, yes bool, stdin io.Reader, stdout, stderr io.Writer) int {
	if !yes {
		if f, ok := stdin.(*os.File); !ok || !term.IsTerminal(int(f.Fd())) {
			fmt.Fprintln(stderr, "leftovers: --delete needs a confirmation: run it in a terminal, or add --yes")
			return exitError
		}
		fmt.Fprintf(stdout, "Delete the %d items above marked \"left\"? Type yes to confirm: ", ours)
		answer, _ := bufio.NewReader(stdin).ReadString('\n')
		if strings.TrimSpace(strings.ToLower(answer)) != "yes" {
			fmt.Fprintln(stdout, "nothing deleted")
			return exitLeft
		}
	}
	failed := 0
	for _, it := range items {
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
		return exitLeft
	}
	return exitClean
}
