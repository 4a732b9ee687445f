package cli

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// IsTerminal tells whether r is a terminal, i.e. a learner at a keyboard (tests
// replace it).
var IsTerminal = func(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// OpenFile opens a regular file for reading. Anything else is refused before it is
// opened, with a usage error: a directory, and above all a device or a pipe
// (/dev/zero, /dev/stdin, a FIFO), whose reading may never end. max > 0 also refuses
// files larger than max bytes.
func OpenFile(path string, max int64) (*os.File, os.FileInfo, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, nil, Usagef("%v", err)
	}
	if !info.Mode().IsRegular() {
		return nil, nil, Usagef("%s is not a regular file (%s): give the path of a file", path, fileKind(info.Mode()))
	}
	if max > 0 && info.Size() > max {
		return nil, nil, Usagef("%s is %s, more than the %s this command reads", path, Bytes(info.Size()), Bytes(max))
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, Usagef("%v", err)
	}
	// The path may have changed between Stat and Open.
	if now, err := f.Stat(); err != nil || !os.SameFile(now, info) {
		f.Close()
		return nil, nil, Usagef("%s changed while it was opened: try again", path)
	}
	return f, info, nil
}

// ReadFile reads a regular file of at most max bytes (see OpenFile).
func ReadFile(path string, max int64) ([]byte, error) {
	f, _, err := OpenFile(path, max)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadAll(f, max, path)
}

// ReadAll reads r to its end, at most max bytes: more is a usage error that names
// what was read (a file that grew, standard input).
func ReadAll(r io.Reader, max int64, what string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %v", what, err)
	}
	if int64(len(b)) > max {
		return nil, Usagef("%s holds more than the %s this command reads", what, Bytes(max))
	}
	return b, nil
}

// Confirm asks a yes/no question on the terminal before a bulk delete: true only
// when the learner typed yes. Without a terminal it refuses (a usage error that
// names --yes), so a script never deletes by accident.
func Confirm(c *Call, question string) (bool, error) {
	if !IsTerminal(c.Stdin) {
		return false, Usagef("%s needs a confirmation: run it in a terminal, or add --yes", c.Program.commandName(c))
	}
	fmt.Fprintf(c.Stderr, "%s Type yes to confirm: ", question)
	line, _ := bufio.NewReader(io.LimitReader(c.Stdin, 1024)).ReadString('\n')
	return strings.EqualFold(strings.TrimSpace(line), "yes"), nil
}

// Bytes renders a size for people: 512 bytes, 17.6 KiB, 3.1 MiB.
func Bytes(n int64) string {
	switch {
	case n < 1024:
		return fmt.Sprintf("%d bytes", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/1024)
	case n < 1<<30:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
}

func fileKind(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&os.ModeCharDevice != 0, m&os.ModeDevice != 0:
		return "a device"
	case m&os.ModeNamedPipe != 0:
		return "a pipe"
	case m&os.ModeSocket != 0:
		return "a socket"
	}
	return "not a file"
}
