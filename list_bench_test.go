package ccfs_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/bench/ratio"
	"golang.org/x/time/rate"
)

// BenchmarkListFiles lists a page of 1000 entries (listFiles' largest)
// from a store.Dir holding 1000 prompts, through the handler (signed
// request, store.ListPage, the JSON answer), and reports ms/page and
// B/op. From the same run it reports os.ReadDir of the same directory,
// the baseline: readdir-ms/page and x-readdir (the handler's speed as a
// multiple of it, below 1 when slower).
func BenchmarkListFiles(b *testing.B) {
	d, root := newDirStore(b)
	for i := range 1000 {
		putFile(b, d, promptName(53, fmt.Sprintf("%08x_%d.wav", i*2654435761, 1764960000000+i)), strings.Repeat("x", 1000))
	}
	creds, _ := auth.NewStatic(auth.Key{AccessKey: testAK, SecretKey: testSK, VDNs: []int{53}})
	h, err := ccfs.NewHandler(ccfs.Options{Credentials: creds, Store: d, ListFiles: true, RatePerKey: rate.Inf,
		RootPrefix: "Y:", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	dir := filepath.Join(root, filepath.FromSlash(promptName(53, "")))
	msgBody := listBody(53, ccfs.MaxListLimit, "")
	start := time.Now()
	baseline := ratio.Baseline{Name: "readdir"}
	var readdirTotal time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		baseline.Run(b, func() {
			t := time.Now()
			entries, err := os.ReadDir(dir)
			readdirTotal += time.Since(t)
			if err != nil || len(entries) != 1000 {
				b.Fatalf("ReadDir: %d entries, %v", len(entries), err)
			}
		})
		r := httptest.NewRequest(http.MethodPost, ccfs.ListPath, bytes.NewReader(msgBody))
		r.Header.Set("Content-Type", "application/json;charset=UTF-8")
		r.Header.Set("Content-Length", strconv.Itoa(len(msgBody)))
		at := start.Add(time.Duration(i) * time.Millisecond) // every signature differs
		s := auth.Signer{AccessKey: testAK, SecretKey: testSK, Now: func() time.Time { return at }}
		if err := s.Sign(r, msgBody); err != nil {
			b.Fatal(err)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if i == 0 {
			var out ccfs.ListResponse
			if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil || out.ResultData == nil || len(out.ResultData.Files) != 1000 {
				b.Fatalf("listing: %v %.300s", err, w.Body.String())
			}
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/page")
	b.ReportMetric(float64(readdirTotal.Microseconds())/1000/float64(b.N), "readdir-ms/page")
	baseline.Report(b, 0)
}
