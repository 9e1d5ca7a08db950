// Package load offers requests to a server at a fixed rate, whatever
// the server does with them (an open loop), and times each from the
// moment it was due: a server that falls behind is charged for the
// requests queued behind it, as a caller waiting on the line would be.
// A closed loop — each client sending its next request when the last is
// answered — slows down with the server and hides exactly that.
//
// It is part of the project's measuring kit (bench/): the prompts
// measurement and "ccfs bench" are built on it. Not a stable API.
package load

import (
	"context"
	"math"
	"math/rand/v2"
	"sync"
	"time"
)

// Open starts a request every 1/rate seconds on average, with the gaps
// of a Poisson process (independent callers), for d or until ctx ends,
// each in its own goroutine. send makes request i; done is then called
// with i, the time from when the request was due to when send returned,
// and send's error (calls to done may be concurrent). Open returns the
// number of requests started, once every one has returned.
func Open(ctx context.Context, rate float64, d time.Duration, rng *rand.Rand, send func(i int) error, done func(i int, took time.Duration, err error)) int {
	var wg sync.WaitGroup
	start := time.Now()
	due := start
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	i := 0
	for ; ; i++ {
		due = due.Add(time.Duration(rng.ExpFloat64() / rate * float64(time.Second)))
		if due.Sub(start) >= d {
			break
		}
		if wait := time.Until(due); wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
			case <-timer.C:
			}
		}
		if ctx.Err() != nil {
			break
		}
		at, n := due, i
		wg.Go(func() {
			err := send(n)
			done(n, time.Since(at), err)
		})
	}
	wg.Wait()
	return i
}

// Percentile returns the p-th percentile (0 < p ≤ 100) of sorted, by
// nearest rank: the smallest sample at or above p percent of them. It is
// 0 for no samples.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[max(0, int(math.Ceil(p/100*float64(len(sorted))-1e-9))-1)]
}
