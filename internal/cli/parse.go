package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

// helpRequest: -h, --help or "help [command]" (cmd nil: the program's help).
type helpRequest struct{ cmd *Command }

func (h *helpRequest) Error() string { return "help requested" }

// parse finds the command and parses the flags: the global ones before the command,
// then the global and the command's own ones mixed with its arguments.
func (p *Program) parse(args []string) (*Call, error) {
	call := &Call{Program: p}
	var cmd *Command
	rest := args
	var before *flag.FlagSet // holds the global flags given before the command
	if p.single() {
		cmd = p.Commands[0]
	} else {
		top := p.flagSet(p.Name, call, nil)
		if err := top.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return call, &helpRequest{}
			}
			return call, Usagef("%v (see %s --help)", err, p.Name)
		}
		if top.NArg() == 0 {
			return call, Usagef("give a command: %s (see %s --help)", strings.Join(p.names(), ", "), p.Name)
		}
		before = top
		name := top.Arg(0)
		rest = top.Args()[1:]
		if name == "help" {
			if len(rest) == 0 {
				return call, &helpRequest{}
			}
			name, rest = rest[0], []string{"--help"}
		}
		if cmd = p.lookup(name); cmd == nil {
			return call, Usagef("unknown command %q: the commands are %s (see %s --help)", name, strings.Join(p.names(), ", "), p.Name)
		}
	}
	call.Command = cmd
	name := cmd.Name
	if name == "" {
		name = p.Name
	}
	given := map[string]string{} // defining the flags again resets their variables
	if before != nil {
		before.Visit(func(f *flag.Flag) { given[f.Name] = f.Value.String() })
	}
	fs := p.flagSet(name, call, cmd)
	for k, v := range given {
		fs.Set(k, v)
	}
	pos, err := Parse(fs, rest, p.helpCommand(cmd))
	if errors.Is(err, flag.ErrHelp) {
		return call, &helpRequest{cmd: cmd}
	}
	if err != nil {
		return call, &UsageError{Msg: err.Error()}
	}
	call.Args = pos
	if len(pos) < cmd.MinArgs || (cmd.MaxArgs >= 0 && len(pos) > cmd.MaxArgs) {
		return call, Usagef("%s (see %s)", p.wrongArgs(cmd, len(pos)), p.helpCommand(cmd))
	}
	return call, nil
}

func (p *Program) wrongArgs(cmd *Command, got int) string {
	what := p.Name
	if cmd.Name != "" {
		what = cmd.Name
	}
	switch {
	case cmd.MaxArgs == 0:
		return fmt.Sprintf("%s takes no arguments, got %d", what, got)
	case got > cmd.MaxArgs && cmd.MaxArgs >= 0:
		return fmt.Sprintf("too many arguments for %s (%d): %s", what, got, p.synopsis(cmd))
	}
	return fmt.Sprintf("%s needs %s: %s", what, Plural(cmd.MinArgs, "argument"), p.synopsis(cmd))
}

// flagSet is a command's flag set: the global flags, the program's, and (cmd not
// nil) the command's own.
func (p *Program) flagSet(name string, call *Call, cmd *Command) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	p.globalFlags(fs, call)
	if cmd != nil && cmd.Flags != nil {
		cmd.Flags(fs)
	}
	return fs
}

func (p *Program) globalFlags(fs *flag.FlagSet, call *Call) {
	fs.StringVar(&call.Region, "region", call.Region, "AWS `REGION` (default: AWS_REGION, or your profile's region)")
	fs.StringVar(&call.Profile, "profile", call.Profile, "AWS CLI profile `NAME` (default: AWS_PROFILE, or default)")
	if p.JSON {
		fs.BoolVar(&call.JSON, "json", call.JSON, "print the result as JSON on stdout")
	}
	if p.Flags != nil {
		p.Flags(fs)
	}
}

func (p *Program) single() bool { return len(p.Commands) == 1 && p.Commands[0].Name == "" }

func (p *Program) lookup(name string) *Command {
	for _, c := range p.Commands {
		if c.Name == name {
			return c
		}
		for _, a := range c.Aliases {
			if a == name {
				return c
			}
		}
	}
	return nil
}

func (p *Program) names() []string {
	var names []string
	for _, c := range p.Commands {
		names = append(names, c.Name)
	}
	sort.Strings(names)
	return names
}

func (p *Program) helpCommand(cmd *Command) string {
	if cmd == nil || cmd.Name == "" {
		return p.Name + " --help"
	}
	return p.Name + " " + cmd.Name + " --help"
}

// Parse parses a command's flags, which may come before, between or after its
// positional arguments, and returns the positional ones; after "--" everything is
// positional. Errors name the command and point at help (-h gives one that
// errors.Is flag.ErrHelp).
func Parse(fs *flag.FlagSet, args []string, help string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, fmt.Errorf("%s: %w (see %s)", fs.Name(), err, help)
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		if used := len(args) - fs.NArg(); used > 0 && args[used-1] == "--" {
			return append(positional, fs.Args()...), nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}
