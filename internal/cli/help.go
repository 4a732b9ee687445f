package cli

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// printHelp writes the program's help (cmd nil) or a command's.
func (p *Program) printHelp(w io.Writer, cmd *Command) {
	if cmd == nil && p.single() {
		cmd = p.Commands[0]
	}
	if cmd == nil {
		p.programHelp(w)
	} else {
		p.commandHelp(w, cmd)
	}
	fmt.Fprintln(w)
	p.exitHelp(w)
}

func (p *Program) programHelp(w io.Writer) {
	fmt.Fprintf(w, "%s: %s\n\nUsage:\n  %s [flags] <command> [arguments] [flags]\n\nCommands:\n", p.Name, p.Summary, p.Name)
	tw := tabwriter.NewWriter(w, 2, 0, 2, ' ', 0)
	for _, c := range p.Commands {
		fmt.Fprintf(tw, "  %s\t%s\n", strings.TrimSpace(c.Name+" "+c.Args), c.Summary)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nExample:\n%s\n", indent(p.Commands[0].Example))
	fmt.Fprintln(w, "\nFlags (before or after the command):")
	p.printFlags(w, func(fs *flag.FlagSet) { p.globalFlags(fs, &Call{}) },
		[2]string{"-h, --help", fmt.Sprintf("this help; \"%s <command> --help\" describes a command and its flags", p.Name)})
	if p.Notes != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimRight(p.Notes, "\n"))
	}
}

func (p *Program) commandHelp(w io.Writer, cmd *Command) {
	if p.single() {
		fmt.Fprintf(w, "%s: %s\n\nUsage:\n  %s\n", p.Name, p.Summary, p.synopsis(cmd))
	} else {
		fmt.Fprintf(w, "%s: %s\n\nUsage:\n  %s\n", p.Name+" "+cmd.Name, cmd.Summary, p.synopsis(cmd))
		if len(cmd.Aliases) > 0 {
			fmt.Fprintf(w, "  (also spelled %s)\n", strings.Join(cmd.Aliases, ", "))
		}
	}
	fmt.Fprintf(w, "\nExample:\n%s\n", indent(cmd.Example))
	if cmd.Flags != nil {
		fmt.Fprintln(w, "\nFlags:")
		p.printFlags(w, cmd.Flags)
	}
	fmt.Fprintln(w, "\nGlobal flags (before or after the command):")
	p.printFlags(w, func(fs *flag.FlagSet) { p.globalFlags(fs, &Call{}) })
	if p.single() && p.Notes != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimRight(p.Notes, "\n"))
	}
}

func (p *Program) exitHelp(w io.Writer) {
	ok, failed := p.ExitOK, p.ExitFailed
	if ok == "" {
		ok = "ok"
	}
	if failed == "" {
		failed = "failed (one line on stderr says why)"
	}
	fmt.Fprintf(w, "Exit status: 0 %s; 1 %s; 2 bad usage or input (nothing was done); 130 interrupted (Ctrl-C).\n", ok, failed)
	fmt.Fprintf(w, "`go run` turns every failure into exit status 1: `make clients` builds bin/%s, which keeps these codes.\n", p.Name)
}

// synopsis is the command's usage line.
func (p *Program) synopsis(cmd *Command) string {
	s := p.Name
	if cmd.Name != "" {
		s += " " + cmd.Name
	}
	if cmd.Args != "" {
		s += " " + cmd.Args
	}
	return s + " [flags]"
}

// printFlags lists the flags that define registers, one a line, with their defaults,
// then the extra rows.
func (p *Program) printFlags(w io.Writer, define func(fs *flag.FlagSet), extra ...[2]string) {
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	define(fs)
	tw := tabwriter.NewWriter(w, 2, 0, 2, ' ', 0)
	fs.VisitAll(func(f *flag.Flag) {
		name, usage := flag.UnquoteUsage(f)
		left := "--" + f.Name
		if name != "" {
			left += " " + name
		}
		if f.DefValue != "" && f.DefValue != "0" && f.DefValue != "false" && !strings.Contains(usage, "default") {
			usage += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(tw, "  %s\t%s\n", left, usage)
	})
	for _, row := range extra {
		fmt.Fprintf(tw, "  %s\t%s\n", row[0], row[1])
	}
	tw.Flush()
}

func indent(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i, l := range lines {
		lines[i] = "  " + strings.TrimSpace(l)
	}
	return strings.Join(lines, "\n")
}
