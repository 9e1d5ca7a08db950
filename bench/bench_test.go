package bench_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ccfs-go/ccfs/bench"
)

// BenchmarkUpload runs every implementation at every size on the same
// signed bodies: Naive (read all, unmarshal, decode), Ceiling (base64
// decode + HMAC-SHA256 only), Handler (ServeHTTP, discarding store) and
// HandlerDir (ServeHTTP onto store.Dir). "go run ./bench/report"
// prints them as one table with the ratios.
func BenchmarkUpload(b *testing.B) {
	for _, kind := range bench.Kinds {
		for _, size := range bench.Sizes {
			b.Run(kind+"/"+bench.SizeName(size), bench.Benchmark(kind, size))
		}
	}
}

// TestNaiveAgrees checks that the naive peer really implements the
// interface: it accepts what the handler accepts and refuses a bad
// signature, so the comparison is between equals.
func TestNaiveAgrees(t *testing.T) {
	for _, kind := range []string{"Naive", "Handler"} {
		r := testing.Benchmark(bench.Benchmark(kind, 64<<10))
		if r.N == 0 {
			t.Fatalf("%s did not run", kind)
		}
	}
	u := bench.NewUpload(1 << 10)
	u.Auth = u.Auth[:len(u.Auth)-1] + "0"
	if u.Auth == bench.NewUpload(1<<10).Auth {
		u.Auth = u.Auth[:len(u.Auth)-1] + "1"
	}
	w := httptest.NewRecorder()
	bench.NewNaive(bench.Discard{}).ServeHTTP(w, u.Request())
	if !strings.Contains(w.Body.String(), `"resultCode":"0300010"`) {
		t.Fatalf("naive accepted a bad signature: %s", w.Body)
	}
}

// BenchmarkConcurrent: 64 clients upload 5 MiB files over loopback HTTPS
// at once, to the handler and to the naive peer. Reported: uploads/s,
// p50/p99 latency and the server process's peak heap.
func BenchmarkConcurrent(b *testing.B) {
	for _, kind := range []string{"Handler", "Naive"} {
		b.Run(kind, func(b *testing.B) {
			var r bench.ConcurrentResult
			for range b.N {
				r = bench.Concurrent(kind, 64, 2, 5<<20)
				if r.Failed > 0 {
					b.Fatalf("%d uploads failed", r.Failed)
				}
			}
			b.ReportMetric(r.UploadsPerSecond(), "uploads/s")
			b.ReportMetric(float64(r.P50.Milliseconds()), "p50-ms")
			b.ReportMetric(float64(r.P99.Milliseconds()), "p99-ms")
			b.ReportMetric(float64(r.PeakHeap)/(1<<20), "peak-heap-MiB")
		})
	}
}
