package ccfs_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/internal/bench"
	"github.com/ccfs-go/ccfs/internal/benchratio"
	"github.com/ccfs-go/ccfs/store"
)

// BenchmarkHandler posts a signed 5 MiB upload through ServeHTTP to a
// discarding store. It reports MB/s of WAV and B/op, and from the same
// run the ceiling — base64-decoding the payload plus HMAC-SHA256 over the
// body, nothing else — as ceiling-MB/s and x-ceiling (target >= 0.6).
// internal/bench has the same at four sizes, and the naive peer.
func BenchmarkHandler(b *testing.B) {
	u := bench.NewUpload(5 << 20)
	h := bench.NewHandler(bench.Discard{})
	ceiling := benchratio.Baseline{Name: "ceiling"}
	dst := make([]byte, len(u.WAV))
	key := []byte(auth.SigningKey("sk", "x"))
	b.SetBytes(int64(len(u.WAV)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		ceiling.Run(b, func() {
			base64.StdEncoding.Decode(dst, u.Payload)
			m := hmac.New(sha256.New, key)
			m.Write(u.Body)
			m.Sum(nil)
		})
		w := httptest.NewRecorder()
		h.ServeHTTP(w, u.Request())
		if w.Code != 200 || w.Body.String()[:16] != `{"resultCode":"0` {
			b.Fatalf("%d %s", w.Code, w.Body.String())
		}
	}
	ceiling.Report(b, int64(len(u.WAV)))
}

// BenchmarkForgedRequest is what a caller without a secret costs the
// handler before it is refused: a request naming an unknown access key
// (refused when the headers arrive), and one naming a real key with a
// made-up signature over a tiny body (refused at the body's end). B/op
// and allocs/op are allocated per request, the test's request and
// recorder included, and none of it is kept:
// TestForgedKeysLeaveNoState shows the heap does not grow.
func BenchmarkForgedRequest(b *testing.B) {
	creds, _ := auth.NewStatic(auth.Key{AccessKey: testAK, SecretKey: testSK, VDNs: []int{53}})
	h, err := ccfs.NewHandler(ccfs.Options{
		Credentials: creds, Store: store.NewMemory(), Now: func() time.Time { return t0 },
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		b.Fatal(err)
	}
	for _, claim := range []string{"unknown-key", "known-key"} {
		b.Run(claim, func(b *testing.B) {
			ak := claim
			if claim == "known-key" {
				ak = testAK
			}
			b.ReportAllocs()
			for range b.N {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, forgedRequest(ak, t0))
				if w.Code != 401 {
					b.Fatalf("%d %s", w.Code, w.Body.String())
				}
			}
		})
	}
}
