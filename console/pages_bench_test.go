package console_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/bench/ratio"
	"github.com/ccfs-go/ccfs/console"
	"github.com/ccfs-go/ccfs/internal/wavfile"
	"github.com/ccfs-go/ccfs/pathrule"
	"github.com/ccfs-go/ccfs/quota"
	"github.com/ccfs-go/ccfs/store"
)

// BenchmarkConsolePages loads each of the console's pages with 10,000
// prompts in one VDN (a store.Dir): the overview, the tenants page (with
// quotas, which reads the ledger; and without, where the page counts the
// whole store: each load here is a fresh console, so none is served from
// its 30 s cache), the first and the last page of the VDN's prompts. It
// reports ms/page and, from the same run, the baseline os.ReadDir of the
// VDN's directory alone (readdir-ms, x-readdir: the page's speed as a
// multiple of the directory read's, below 1 when slower).
func BenchmarkConsolePages(b *testing.B) {
	root := b.TempDir()
	d, err := store.NewDir(root)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { d.Close() })
	dir := filepath.Join(root, "3rdfile", "53", "thirdvoicebotfile")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	wav := wavfile.File(wavfile.ALaw8k, 8000)
	for i := range 10000 {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("p%05d.wav", i)), wav, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	creds, err := auth.NewStatic(auth.Key{AccessKey: "chatbot-a", SecretKey: "sk-chatbot-a-0123456789", VDNs: []int{53}})
	if err != nil {
		b.Fatal(err)
	}
	lim, _ := quota.ParseLimits("*=1GiB")
	ledger := quota.NewMemory()
	ctx := context.Background()
	if _, err := quota.Load(ctx, ledger, d, pathrule.MustParse(pathrule.Default)); err != nil {
		b.Fatal(err)
	}
	newConsole := func(quotas bool) *console.Console {
		o := ccfs.Options{Credentials: creds, Store: d, Logger: slog.New(slog.DiscardHandler)}
		if quotas {
			o.Quota, o.Usage = lim, ledger
		}
		h, err := ccfs.NewHandler(o)
		if err != nil {
			b.Fatal(err)
		}
		c, err := console.New(console.Options{Handler: h, Credentials: creds, Recorder: console.NewRecorder(nil),
			Operator: func(*http.Request) (string, bool) { return "alice", true }, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			b.Fatal(err)
		}
		return c
	}
	withQuotas := newConsole(true)
	for _, p := range []struct {
		name, target, want string
		c                  func() *console.Console
	}{
		{"overview", "/console/", "Readiness", func() *console.Console { return withQuotas }},
		{"tenants/quotas", "/console/tenants", `data-vdn="53"`, func() *console.Console { return withQuotas }},
		{"tenants/counted", "/console/tenants", `data-vdn="53"`, nil},
		{"prompts/first", "/console/vdn/53/", `data-file="p00049.wav"`, func() *console.Console { return withQuotas }},
		{"prompts/last", "/console/vdn/53/?after=p09949.wav", `data-file="p09999.wav"`, func() *console.Console { return withQuotas }},
	} {
		b.Run(p.name, func(b *testing.B) {
			readDir := ratio.Baseline{Name: "readdir"}
			b.ReportAllocs()
			for range b.N {
				readDir.Run(b, func() {
					if ents, err := os.ReadDir(dir); err != nil || len(ents) != 10000 {
						b.Fatalf("ReadDir: %d, %v", len(ents), err)
					}
				})
				var c *console.Console
				if p.c != nil {
					c = p.c()
				} else {
					b.StopTimer()
					c = newConsole(false) // its cache is empty: the store is counted
					b.StartTimer()
				}
				w := httptest.NewRecorder()
				c.ServeHTTP(w, httptest.NewRequest(http.MethodGet, p.target, nil))
				if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), p.want) {
					b.Fatalf("GET %s: %d, no %s", p.target, w.Code, p.want)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/page")
			readDir.Report(b, 0)
		})
	}
}
