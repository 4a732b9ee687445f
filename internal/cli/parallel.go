package cli

import (
	"context"
	"sync"
)

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
