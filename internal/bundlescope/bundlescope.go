// Package bundlescope makes `npx cdk deploy MyFirstEc2` (and synth, diff, watch)
// bundle only the assets of the stacks named on the command line.
//
// The CDK CLI tells the app which stacks need their assets bundled in the context key
// aws:cdk:bundling-stacks, but it narrows that list only with --exclusively (-e);
// otherwise it sends ["**"], every stack, because a named stack's dependencies are
// deployed too (aws-cdk, packages/aws-cdk/lib/cli/user-configuration.ts,
// commandLineArgumentsToSettings). It does not pass the stack names to the app at all.
// A learner deploying hands-on #1 would then wait for the Go Lambdas of #5 and #6 to
// compile. The hands-on stacks do not depend on each other (the app's tests check it),
// so the named stacks are all that needs bundling: this package reads them from the
// command line of the CLI process that started the app (an ancestor process), and when
// anything is unclear it changes nothing (everything is bundled, as before).
package bundlescope

import (
	"bytes"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// ContextKey is the CDK context key that lists the stacks whose assets are bundled
// (cxapi.BUNDLING_STACKS).
const ContextKey = "aws:cdk:bundling-stacks"

// bundlingCommands are the CLI commands that bundle (the CLI's BUNDLING_COMMANDS).
var bundlingCommands = map[string]bool{"deploy": true, "diff": true, "synth": true, "synthesize": true, "watch": true}

// Narrow returns the bundling-stacks value for an app with the given stacks, when the
// CLI asked for every stack (cliValue is ["**"]) but its command line names some of
// them: their names. ok is false when nothing should change.
func Narrow(cliValue any, stacks []string, cliArgs []string) (names []string, ok bool) {
	list, isList := cliValue.([]any)
	if !isList || len(list) != 1 || list[0] != "**" {
		return nil, false
	}
	cmd, patterns := parseArgs(cliArgs)
	if !bundlingCommands[cmd] {
		return nil, false
	}
	for _, s := range stacks {
		for _, p := range patterns {
			if m, err := path.Match(p, s); err == nil && m {
				names = append(names, s)
				break
			}
		}
	}
	if len(names) == 0 { // no stack named (cdk synth, cdk deploy --all): all of them
		return nil, false
	}
	return names, true
}

// cliCommands are the CDK CLI's commands and aliases that take stack names.
var cliCommands = map[string]bool{
	"deploy": true, "diff": true, "synth": true, "synthesize": true, "watch": true,
	"list": true, "ls": true, "destroy": true, "drift": true, "import": true, "rollback": true,
	"bootstrap": true, "doctor": true, "context": true, "metadata": true, "notices": true, "init": true,
	"migrate": true, "gc": true, "refactor": true, "docs": true, "acknowledge": true, "ack": true,
}

// parseArgs returns the CLI command (the first argument that is one) and the arguments
// after it that are not options: the stack patterns, and possibly values of options
// (-c key=value, --profile name), which match no stack name and are ignored. An
// option value that happens to equal a stack name only adds that stack.
func parseArgs(args []string) (cmd string, rest []string) {
	for _, a := range args {
		if a == "--" {
			break
		}
		if strings.HasPrefix(a, "-") {
			continue
		}
		if cmd == "" {
			if cliCommands[a] {
				cmd = a
			}
			continue
		}
		rest = append(rest, a)
	}
	return cmd, rest
}

// CLIArgs returns the arguments of the CDK CLI process that started this app (what
// follows the cdk script on its command line), found among the ancestor processes;
// nil when there is none or it cannot be read.
func CLIArgs() []string {
	pid := os.Getppid()
	for depth := 0; depth < 8 && pid > 1; depth++ {
		argv, ppid := processInfo(pid)
		if args, ok := afterCDK(argv); ok {
			return args
		}
		pid = ppid
	}
	return nil
}

// afterCDK finds the CDK CLI's script on a node command line (node …/.bin/cdk,
// node …/aws-cdk/bin/cdk, or cdk itself) and returns the arguments after it.
func afterCDK(argv []string) ([]string, bool) {
	for i, a := range argv {
		if i > 1 {
			break
		}
		base := filepath.Base(a)
		if base == "cdk" || (base == "cdk.js" && strings.Contains(a, "aws-cdk")) {
			if i == 0 || strings.HasPrefix(filepath.Base(argv[0]), "node") {
				return argv[i+1:], true
			}
		}
	}
	return nil, false
}

// processInfo returns a process's command line and its parent's id.
func processInfo(pid int) (argv []string, ppid int) {
	if runtime.GOOS == "linux" {
		raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		if err != nil {
			return nil, 0
		}
		for _, a := range bytes.Split(bytes.TrimRight(raw, "\x00"), []byte{0}) {
			argv = append(argv, string(a))
		}
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return argv, 0
		}
		// pid (comm) state ppid ...: comm may hold spaces and parentheses.
		if i := bytes.LastIndexByte(stat, ')'); i >= 0 {
			if f := strings.Fields(string(stat[i+1:])); len(f) > 1 {
				ppid, _ = strconv.Atoi(f[1])
			}
		}
		return argv, ppid
	}
	// macOS and the BSDs: ps joins the arguments with spaces, which is enough here
	// (stack names and the CLI's path hold none on a usual checkout).
	out, err := exec.Command("ps", "-o", "ppid=", "-o", "command=", "-p", strconv.Itoa(pid)).Output()
	if err != nil {
		return nil, 0
	}
	f := strings.Fields(string(out))
	if len(f) < 2 {
		return nil, 0
	}
	ppid, _ = strconv.Atoi(f[0])
	return f[1:], ppid
}

// Node is what Apply needs of the app's construct node (constructs.Node).
type Node interface {
	TryGetContext(key *string) any
	SetContext(key *string, value any)
}

// Apply narrows the app's bundling stacks to the stacks named on the CDK CLI's command
// line (see Narrow). It must run right after the app is created, before any stack.
func Apply(app Node, stacks []string) {
	key := ContextKey
	if names, ok := Narrow(app.TryGetContext(&key), stacks, CLIArgs()); ok {
		app.SetContext(&key, names)
	}
}
