package prom_test

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/bench"
	"github.com/ccfs-go/ccfs/bench/ratio"
	"github.com/ccfs-go/ccfs/metrics/prom"
)

// BenchmarkHandlerMetrics posts signed 64 KiB uploads to a discarding
// store through a handler whose OnRequest feeds the metrics, and in the
// same run through the same handler without them (the baseline:
// without-MB/s). x-without is the speed with metrics as a multiple of
// the speed without: the target is above 0.98 (metrics cost under 2 %).
func BenchmarkHandlerMetrics(b *testing.B) {
	u := bench.NewUpload(64 << 10)
	m := prom.New(prom.Options{})
	prometheus.NewRegistry().MustRegister(m)
	with := bench.NewHandlerWith(bench.Discard{}, func(o *ccfs.Options) { o.OnRequest = m.Observe })
	m.Track(with)
	without := bench.NewHandlerWith(bench.Discard{}, nil)
	baseline := ratio.Baseline{Name: "without"}
	w := &recorder{}
	b.SetBytes(int64(len(u.WAV)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		baseline.Run(b, func() { w.serve(b, without, u) })
		w.serve(b, with, u)
	}
	baseline.Report(b, int64(len(u.WAV)))
}

// recorder is a ResponseWriter that keeps whether the answer was a success.
type recorder struct {
	h  http.Header
	ok bool
}

func (w *recorder) Header() http.Header { return w.h }
func (w *recorder) Write(p []byte) (int, error) {
	w.ok = w.ok || bytes.Contains(p, []byte(`"resultCode":"0"`))
	return len(p), nil
}
func (w *recorder) WriteHeader(int) {}

func (w *recorder) serve(b *testing.B, h http.Handler, u *bench.Upload) {
	w.h, w.ok = http.Header{}, false
	h.ServeHTTP(w, u.Request())
	if !w.ok {
		b.Fatal("the upload did not succeed")
	}
}
