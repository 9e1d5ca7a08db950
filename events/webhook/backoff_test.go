package webhook

import (
	"testing"
	"time"
)

// Waits are drawn in [lo/10, min(hi, lo·2ⁿ)], spread over the range
// (full jitter), and never overflow however many attempts failed.
func TestBackoff(t *testing.T) {
	lo, hi := 100*time.Millisecond, 10*time.Second
	for _, tc := range []struct {
		n    int
		ceil time.Duration
	}{{0, lo}, {1, 2 * lo}, {3, 8 * lo}, {6, 6400 * time.Millisecond}, {7, hi}, {64, hi}, {1 << 30, hi}} {
		low, high := false, false
		for range 2000 {
			d := backoff(tc.n, lo, hi)
			if d < lo/10 || d > tc.ceil {
				t.Fatalf("backoff(%d) = %v, want it in [%v, %v]", tc.n, d, lo/10, tc.ceil)
			}
			low = low || d < tc.ceil/4
			high = high || d > tc.ceil*3/4
		}
		if !low || !high {
			t.Errorf("backoff(%d): 2000 draws not spread over [0, %v] (some below a quarter: %v, above three: %v)", tc.n, tc.ceil, low, high)
		}
	}
	if d := backoff(100, time.Hour, 1<<63-1); d < 0 || d > maxWait {
		t.Errorf("backoff near the largest Duration = %v", d)
	}
}
