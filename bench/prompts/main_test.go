package main

import (
	"math"
	"strings"
	"testing"
	"time"
)

// TestCeiling: the search goes up by half from the start until a rate
// fails, then narrows the gap three times, and reports the best rate held.
func TestCeiling(t *testing.T) {
	for _, tc := range []struct {
		start, limit float64
		want         float64
		tried        string
	}{
		{500, 1000, 984, "500✓ 750✓ 1125✗ 938✓ 1032✗ 985✓"},
		{500, 400, 375, "500✗ 250✓ 375✓ 438✗"},
		{500, 500, 500, "500✓ 750✗ 625✗ 563✗ 532✗"},
	} {
		best, p99, tried, err := ceiling(tc.start, func(rate float64) (time.Duration, bool, error) {
			return time.Duration(rate) * time.Microsecond, rate <= tc.limit, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if tried != tc.tried || math.Abs(best-tc.want) > 1 || p99 != time.Duration(best)*time.Microsecond {
			t.Errorf("limit %g: best %g (p99 %v) after %q; want %g after %q", tc.limit, best, p99, tried, tc.want, tc.tried)
		}
	}
}

// TestFailureShows: a failed upload, timed as infinitely slow, shows as
// ∞ in the percentiles it reaches, and not in those below.
func TestFailureShows(t *testing.T) {
	s := make(samples, 1000)
	for i := range s {
		s[i] = time.Duration(i + 1)
	}
	s[999] = math.MaxInt64
	if !strings.Contains(ms(s.pct(100)), "∞") || ms(s.pct(99.9)) != "0.00 ms" {
		t.Errorf("p100 %s, p99.9 %s", ms(s.pct(100)), ms(s.pct(99.9)))
	}
}
