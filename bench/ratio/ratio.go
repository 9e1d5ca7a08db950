// Package ratio lets a benchmark measure a baseline in the same run
// and report its own speed as a ratio of it, so that a target such as
// "at least 0.8× plain HMAC" is checked on the machine at hand rather than
// against a figure measured elsewhere. It is part of the project's
// measuring kit (bench/), for its benchmarks only; not a stable API.
package ratio

import (
	"testing"
	"time"
)

// A Baseline accumulates the time of a baseline operation run inside a
// benchmark's loop with the benchmark's timer stopped, so the benchmark's
// own ns/op and B/op exclude it.
type Baseline struct {
	Name  string
	total time.Duration
	n     int
}

// Run times one run of f.
func (bl *Baseline) Run(b *testing.B, f func()) {
	b.StopTimer()
	start := time.Now()
	f()
	bl.total += time.Since(start)
	bl.n++
	b.StartTimer()
}

// Report adds two metrics to b: the baseline's speed in MB/s for size
// bytes per operation ("<name>-MB/s") and the benchmark's speed as a
// multiple of the baseline's ("x-<name>", above 1 when faster). Call it
// after the loop.
func (bl *Baseline) Report(b *testing.B, size int64) {
	if bl.n == 0 || b.N == 0 {
		return
	}
	base := float64(bl.total.Nanoseconds()) / float64(bl.n)
	own := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	if size > 0 {
		b.ReportMetric(float64(size)/base*1e3, bl.Name+"-MB/s")
	}
	if own > 0 {
		b.ReportMetric(base/own, "x-"+bl.Name)
	}
}
