package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs/bench/ratio"
	"github.com/ccfs-go/ccfs/internal/wavfile"
	"github.com/ccfs-go/ccfs/quota"
)

// BenchmarkPromptsPage renders a page of 50 (the default) of a VDN's
// 10,000 prompts in a store.Dir, the first page and one in the middle:
// the listing, each prompt's header read for its duration, the page
// rendered. It reports ms/page, and from the same run the baseline
// Handler.Prompts of the same page alone: listing-ms/page and x-listing
// (the page's speed as a multiple of the listing's, below 1 when
// slower), so the ratio says what the page adds to the listing.
func BenchmarkPromptsPage(b *testing.B) {
	e := newPromptsEnv(b, nil)
	dir := e.dir(53)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	wav := wavfile.File(wavfile.ALaw8k, 800)
	for i := range 10000 {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("p%05d.wav", i)), wav, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	ctx := context.Background()
	if _, err := quota.Load(ctx, e.ledger, e.d, e.rule); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct{ name, after string }{{"first", ""}, {"middle", "p04999.wav"}} {
		b.Run(c.name, func(b *testing.B) {
			target := "/console/vdn/53/"
			if c.after != "" {
				target += "?after=" + c.after
			}
			baseline := ratio.Baseline{Name: "listing"}
			var listing time.Duration
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				baseline.Run(b, func() {
					t := time.Now()
					files, more, err := e.h.Prompts(ctx, 53, c.after, 50)
					listing += time.Since(t)
					if err != nil || len(files) != 50 || !more {
						b.Fatalf("Prompts: %d files, more %v, %v", len(files), more, err)
					}
				})
				w := httptest.NewRecorder()
				e.c.ServeHTTP(w, httptest.NewRequest(http.MethodGet, target, nil))
				if i == 0 {
					rows := promptsRows(w.Body.String())
					if w.Code != http.StatusOK || len(rows) != 50 || c.after != "" && rows[0] != "p05000.wav" {
						b.Fatalf("GET %s: %d, %d rows", target, w.Code, len(rows))
					}
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/page")
			b.ReportMetric(float64(listing.Microseconds())/1000/float64(b.N), "listing-ms/page")
			baseline.Report(b, 0)
		})
	}
}
