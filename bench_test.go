package ccfs_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http/httptest"
	"testing"

	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/internal/bench"
	"github.com/ccfs-go/ccfs/internal/benchratio"
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
