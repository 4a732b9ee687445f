package main

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/intro-aws-go/intro-aws-go/handson/contracts/simplebatch"
)

// ui writes what the learner sees. On a terminal the job table is redrawn in place;
// otherwise (a pipe, a CI log) each change of state is one plain line. Colour only on
// a terminal and never with NO_COLOR set.
type ui struct {
	out   io.Writer
	tty   bool
	color bool
	now   func() time.Time
	width int // terminal columns; 0 when unknown (lines are not shortened)
	drawn int // lines of the table currently on screen (terminal only)
}

func (u *ui) printf(format string, args ...any) {
	u.clearTable()
	fmt.Fprintf(u.out, format, args...)
}

// event reports one job's change of state (plain output only; the table shows it
// on a terminal).
func (u *ui) event(start time.Time, j *job, from string) {
	if u.tty {
		return
	}
	line := fmt.Sprintf("[%8s] %-12s %-9s -> %s", clock(u.now().Sub(start)), j.Name, from, j.Status)
	if n := j.attempt(); n > 1 {
		line += fmt.Sprintf(" (attempt %d)", n)
	}
	if detail := j.detail(); detail != "" && (j.Status == "RUNNABLE" || j.done()) {
		line += ": " + detail
	}
	fmt.Fprintln(u.out, line)
}

// hint prints an advice line (above the table on a terminal).
func (u *ui) hint(msg string) {
	u.clearTable()
	fmt.Fprintln(u.out, u.paint("33", "hint: ")+msg)
}

// table draws the job table on a terminal; plain output gets nothing here.
func (u *ui) table(start time.Time, jobs []*job) {
	if !u.tty {
		return
	}
	u.clearTable()
	lines := u.tableLines(start, jobs)
	for _, l := range lines {
		fmt.Fprintln(u.out, l)
	}
	u.drawn = len(lines)
}

// finishTable leaves the last table on screen; later output goes below it.
func (u *ui) finishTable() { u.drawn = 0 }

// clearTable moves the cursor back over the table and clears it.
func (u *ui) clearTable() {
	if u.tty && u.drawn > 0 {
		fmt.Fprintf(u.out, "\x1b[%dA\x1b[J", u.drawn)
		u.drawn = 0
	}
}

func (u *ui) tableLines(start time.Time, jobs []*job) []string {
	now := u.now()
	counts := map[string]int{}
	nameWidth := len("JOB")
	for _, j := range jobs {
		counts[j.Status]++
		nameWidth = max(nameWidth, len(j.Name))
	}
	lines := []string{fmt.Sprintf("elapsed %s   %s", clock(now.Sub(start)), summary(counts)),
		fmt.Sprintf("%-*s  %-8s %-8s  %-10s %8s  %s", nameWidth, "JOB", "LR", "MOMENTUM", "STATE", "FOR", "DETAIL")}
	for _, j := range jobs {
		state := j.Status
		if n := j.attempt(); n > 1 {
			state += fmt.Sprintf("#%d", n)
		}
		left := fmt.Sprintf("%-*s  %-8s %-8s  ", nameWidth, j.Name, simplebatch.Arg(j.Point.LR), simplebatch.Arg(j.Point.Momentum))
		right := fmt.Sprintf(" %8s  ", clock(now.Sub(j.Since)))
		// A line wider than the terminal would wrap and break the redraw.
		room := 70
		if u.width > 0 {
			room = max(10, u.width-1-utf8.RuneCountInString(left)-10-utf8.RuneCountInString(right))
		}
		lines = append(lines, left+u.paint(stateColor[j.Status], fmt.Sprintf("%-10s", state))+right+truncate(j.detail(), room))
	}
	return lines
}

// attempt is the number of the attempt under way (Batch lists attempts once they
// end: a job retried after a reclaimed spot host has one behind it); 0 when done.
func (j *job) attempt() int {
	if j.done() {
		return 0
	}
	return j.Attempts + 1
}

// detail is the table's last column: progress while running, the reason otherwise.
func (j *job) detail() string {
	switch {
	case j.Status == "RUNNING" && j.Progress != "":
		return j.Progress
	case j.Status == "FAILED":
		return j.failure()
	case j.Status == "SUCCEEDED":
		return j.Progress
	}
	return j.StatusReason
}

// failure says why a job failed: Batch's reason, the container's, the exit code.
func (j *job) failure() string {
	parts := []string{}
	if j.StatusReason != "" {
		parts = append(parts, j.StatusReason)
	}
	if j.ContainerReason != "" && j.ContainerReason != j.StatusReason {
		parts = append(parts, j.ContainerReason)
	}
	if j.ExitCode != nil {
		parts = append(parts, fmt.Sprintf("exit code %d", *j.ExitCode))
	}
	if len(parts) == 0 {
		return "no reason given"
	}
	return strings.Join(parts, "; ")
}

var stateColor = map[string]string{
	"RUNNABLE": "33", "STARTING": "34", "RUNNING": "36", "SUCCEEDED": "32", "FAILED": "31",
}

// paint wraps text in an ANSI colour when colour is on.
func (u *ui) paint(code, text string) string {
	if !u.color || code == "" {
		return text
	}
	return "\x1b[" + code + "m" + text + "\x1b[0m"
}

func summary(counts map[string]int) string {
	var parts []string
	for _, s := range []string{"SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED", "FAILED"} {
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
		}
	}
	return strings.Join(parts, ", ")
}

// clock renders a duration as 1h02m03s / 2m03s / 3s.
func clock(d time.Duration) string {
	d = d.Round(time.Second)
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	switch {
	case h > 0:
		return fmt.Sprintf("%dh%02dm%02ds", h, m, s)
	case m > 0:
		return fmt.Sprintf("%dm%02ds", m, s)
	}
	return fmt.Sprintf("%ds", s)
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
