// Package cli is what the Go clients share: sub-command dispatch with one-line errors,
// flags mixed with positional arguments, and a bounded pool of parallel requests.
package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sync"
)

// Run prints usage for no arguments (exit 2) or -h/--help/help (exit 0), else runs
// dispatch; an error becomes one "error: ..." line on stderr and exit code 1.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer, usage string,
	dispatch func(ctx context.Context, args []string, stdout io.Writer) error) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	if err := dispatch(ctx, args, stdout); err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	return 0
}

// Parse parses a sub-command's flags, which may come before, between or after its
// positional arguments, and returns the positional ones; after "--" everything is
// positional. Errors name the command and point at help (-h gives one that
// errors.Is flag.ErrHelp).
func Parse(fs *flag.FlagSet, args []string, help string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, fmt.Errorf("%s: %w (%s)", fs.Name(), err, help)
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

// Parallel calls do(i) for i in [0, n), at most concurrency at a time, and stops
// handing out work after the first error or when ctx ends. It returns the number of
// calls that succeeded and the first error.
func Parallel(ctx context.Context, n, concurrency int, do func(i int) error) (int, error) {
	var (
		mu       sync.Mutex
		done     int
		firstErr error
		wg       sync.WaitGroup
	)
	jobs := make(chan int)
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				err := do(i)
				mu.Lock()
				if err == nil {
					done++
				} else if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < n && ctx.Err() == nil; i++ {
		mu.Lock()
		failed := firstErr != nil
		mu.Unlock()
		if failed {
			break
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return done, firstErr
}
