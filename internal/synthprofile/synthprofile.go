// Package synthprofile times the phases of one synthesis of the CDK app when the
// environment variable INTRO_AWS_PROFILE is 1, and prints them to stderr at the end
// (make bench-synth reads them). Otherwise every call is a no-op.
package synthprofile

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// EnvVar turns the profile on when set to "1".
const EnvVar = "INTRO_AWS_PROFILE"

// Prefix starts every line Report prints.
const Prefix = "intro-aws-profile: "

var (
	enabled = os.Getenv(EnvVar) == "1"
	mu      sync.Mutex
	order   []string
	total   = map[string]time.Duration{}
	count   = map[string]int{}
	start   = time.Now()
)

// Enabled reports whether the profile is on.
func Enabled() bool { return enabled }

// Start starts timing phase; the returned function stops it. A phase timed several
// times (one bundling per Lambda) adds up.
func Start(phase string) (stop func()) {
	if !enabled {
		return func() {}
	}
	t := time.Now()
	return func() { add(phase, time.Since(t)) }
}

func add(phase string, d time.Duration) {
	mu.Lock()
	defer mu.Unlock()
	if _, ok := total[phase]; !ok {
		order = append(order, phase)
	}
	total[phase] += d
	count[phase]++
}

// Report prints each phase's total in milliseconds, in the order the phases first
// ended, then the time since the process started its Go code.
func Report() { report(os.Stderr) }

func report(w io.Writer) {
	if !enabled {
		return
	}
	mu.Lock()
	defer mu.Unlock()
	for _, p := range order {
		fmt.Fprintf(w, "%s%s\t%d\t%d\n", Prefix, p, total[p].Milliseconds(), count[p])
	}
	fmt.Fprintf(w, "%s%s\t%d\t1\n", Prefix, "total (Go main)", time.Since(start).Milliseconds())
}
