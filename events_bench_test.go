package ccfs_test

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/bench"
	"github.com/ccfs-go/ccfs/events"
	"github.com/ccfs-go/ccfs/events/journal"
	"github.com/ccfs-go/ccfs/store"
)

// BenchmarkUploadEvents measures what recording events costs an upload's
// answer: uploads of a 16 KB prompt to a handler on a store.Dir (which
// fsyncs each file) with events on (Options.Events: the embedded journal,
// one webhook endpoint's queue, nothing delivering) and, in the same run,
// to the same kind of handler with events off. An iteration sends at
// once as many uploads as the sub-benchmark names, to each handler in
// turn. It reports each one's mean time from request to answer,
// on-ms/upload and off-ms/upload, and their ratio, x-off (above 1: events
// make the answer slower). The journal's two fsyncs per upload (the
// intent before the file's commit, the event after) are shared between
// concurrent uploads (group commit).
func BenchmarkUploadEvents(b *testing.B) {
	for _, at := range []int{1, 16} {
		b.Run(map[int]string{1: "one at a time", 16: "16 at once"}[at], func(b *testing.B) {
			benchUploadEvents(b, at)
		})
	}
}

func benchUploadEvents(b *testing.B, at int) {
	dirStore := func() *store.Dir {
		d, err := store.NewDir(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { d.Close() })
		return d
	}
	offStore, onStore := dirStore(), dirStore()
	j, err := journal.Open(context.Background(), b.TempDir(), journal.Options{Endpoints: []string{"ep-bench"},
		Resolve: ccfs.ResolveEvents(onStore, "")})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { j.Close() })
	off := bench.NewHandlerWith(offStore, nil)
	on := bench.NewHandlerWith(onStore, func(o *ccfs.Options) { o.Events = j })
	u := bench.NewUpload(16 << 10)
	batch := func(h *ccfs.Handler) time.Duration {
		var wg sync.WaitGroup
		var mu sync.Mutex
		var total time.Duration
		for range at {
			wg.Go(func() {
				t0 := time.Now()
				w := httptest.NewRecorder()
				h.ServeHTTP(w, u.Request())
				d := time.Since(t0)
				if w.Code != 200 || w.Body.String()[:16] != `{"resultCode":"0` {
					b.Errorf("%d %s", w.Code, w.Body)
				}
				mu.Lock()
				total += d
				mu.Unlock()
			})
		}
		wg.Wait()
		return total
	}
	var onTotal, offTotal time.Duration
	for b.Loop() {
		offTotal += batch(off)
		onTotal += batch(on)
	}
	n := float64(b.N * at)
	b.ReportMetric(float64(onTotal.Microseconds())/1000/n, "on-ms/upload")
	b.ReportMetric(float64(offTotal.Microseconds())/1000/n, "off-ms/upload")
	b.ReportMetric(float64(onTotal)/float64(offTotal), "x-off")
	// Every upload made its event.
	q, _ := j.Queue("ep-bench")
	items, err := q.Pending(context.Background(), 1)
	if err != nil || len(items) == 0 {
		b.Fatalf("no event queued: %v", err)
	}
	var ev events.Event
	if err := ev.UnmarshalJSON(items[0].Body); err != nil || ev.Type != events.PromptUploaded {
		b.Fatalf("queued %s: %v", items[0].Body, err)
	}
}
