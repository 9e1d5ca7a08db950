package load

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestOpenKeepsTheRateWhateverTheServer: requests go out at the rate even
// when each takes far longer than the gap between them, and each is
// timed from when it was due.
func TestOpenKeepsTheRateWhateverTheServer(t *testing.T) {
	var inFlight, most atomic.Int64
	var mu sync.Mutex
	var took []time.Duration
	var failed int
	n := Open(context.Background(), 200, time.Second, rand.New(rand.NewPCG(1, 2)),
		func(i int) error {
			now := inFlight.Add(1)
			for m := most.Load(); now > m && !most.CompareAndSwap(m, now); m = most.Load() {
			}
			time.Sleep(100 * time.Millisecond) // a slow server
			inFlight.Add(-1)
			if i%10 == 0 {
				return errors.New("refused")
			}
			return nil
		},
		func(i int, d time.Duration, err error) {
			mu.Lock()
			defer mu.Unlock()
			took = append(took, d)
			if err != nil {
				failed++
			}
		})
	if n < 150 || n > 250 {
		t.Errorf("%d requests in 1 s at 200/s", n)
	}
	if len(took) != n || failed != (n+9)/10 {
		t.Errorf("%d started, %d done, %d failed", n, len(took), failed)
	}
	if most.Load() < 10 {
		t.Errorf("at most %d in flight: the loop waited for answers", most.Load())
	}
	for _, d := range took {
		if d < 100*time.Millisecond {
			t.Fatalf("a request timed at %v, less than the server took", d)
		}
	}
}

// TestOpenStopsWithItsContext: no request starts once ctx ends.
func TestOpenStopsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	n := Open(ctx, 100, time.Hour, rand.New(rand.NewPCG(1, 2)), func(int) error { return nil }, func(int, time.Duration, error) {})
	if el := time.Since(start); el > 2*time.Second || n > 50 {
		t.Fatalf("%d requests in %v", n, el)
	}
}

// TestPercentile: the p-th percentile is the smallest sample at or above
// p percent of them.
func TestPercentile(t *testing.T) {
	var s []time.Duration
	for i := 1; i <= 1000; i++ {
		s = append(s, time.Duration(i))
	}
	for p, want := range map[float64]time.Duration{50: 500, 90: 900, 99: 990, 99.9: 999, 100: 1000, 0.01: 1} {
		if got := Percentile(s, p); got != want {
			t.Errorf("p%g = %v, want %v", p, got, want)
		}
	}
	if Percentile(nil, 50) != 0 || Percentile(s[:1], 99) != 1 {
		t.Error("no samples, or one")
	}
}
