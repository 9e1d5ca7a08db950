package outbox

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs/bench/ratio"
)

// BenchmarkAppend measures Append of 256-byte records with 1 and 64
// appenders at once: appends/s, the p99 latency of one Append, and, as
// "x-write+fsync", its throughput as a multiple of a plain write and
// fsync per record to a file in the same directory, measured in the same
// run (bench/ratio).
func BenchmarkAppend(b *testing.B) {
	for _, appenders := range []int{1, 64} {
		b.Run("appenders="+strconv.Itoa(appenders), func(b *testing.B) {
			dir := b.TempDir()
			o, err := Open(dir, Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer o.Close()
			rec := make([]byte, 256)

			plain, err := os.OpenFile(filepath.Join(dir, "plain"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
			if err != nil {
				b.Fatal(err)
			}
			defer plain.Close()
			bl := ratio.Baseline{Name: "write+fsync"}
			for range min(b.N, 200) {
				bl.Run(b, func() {
					if _, err := plain.Write(rec); err != nil {
						b.Fatal(err)
					}
					if err := plain.Sync(); err != nil {
						b.Fatal(err)
					}
				})
			}

			var mu sync.Mutex
			var lat []time.Duration
			var next int
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for range appenders {
				wg.Go(func() {
					var own []time.Duration
					for {
						mu.Lock()
						if next >= b.N {
							mu.Unlock()
							break
						}
						next++
						mu.Unlock()
						t0 := time.Now()
						if _, err := o.Append(context.Background(), rec); err != nil {
							b.Error(err)
							return
						}
						own = append(own, time.Since(t0))
					}
					mu.Lock()
					lat = append(lat, own...)
					mu.Unlock()
				})
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			slices.Sort(lat)
			if len(lat) > 0 {
				b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "appends/s")
				b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
			}
			b.ReportMetric(float64(o.syncs.Load())/float64(b.N), "fsyncs/op")
			bl.Report(b, 0)
		})
	}
}
