package ccfs_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/internal/benchratio"
	"github.com/ccfs-go/ccfs/internal/wavfile"
)

// discard is a Store that reads the file and keeps nothing.
type discard struct{ buf [32 << 10]byte }

func (d *discard) Put(_ context.Context, _ string, r io.Reader, _ int64) ([]string, error) {
	for {
		_, err := r.Read(d.buf[:])
		if err == io.EOF {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// BenchmarkHandler posts a signed 5 MiB upload through ServeHTTP to a
// discarding store. It reports MB/s of WAV and B/op, and from the same
// run the ceiling — base64-decoding the payload plus HMAC-SHA256 over the
// body, nothing else — as ceiling-MB/s and x-ceiling (target >= 0.6).
func BenchmarkHandler(b *testing.B) {
	wav := wavfile.File(wavfile.ALaw8k, 5<<20-44)
	payload := base64.StdEncoding.EncodeToString(wav)
	body := []byte(`{"request":{"version":"2.0"},"msgBody":{"data":"` + payload + `"}}`)
	creds, _ := auth.NewStatic(auth.Key{AccessKey: "ak", SecretKey: "sk", AnyVDN: true})
	now := time.Date(2026, 11, 23, 19, 0, 0, 0, time.UTC)
	h, err := ccfs.NewHandler(ccfs.Options{
		Credentials: creds, Store: &discard{}, RatePerKey: rate.Inf,
		Now: func() time.Time { return now }, Window: 1000 * time.Hour,
		Logger: discardLogger(),
	})
	if err != nil {
		b.Fatal(err)
	}
	signed := 0
	newReq := func() *http.Request {
		signed++
		at := now.Add(time.Duration(signed) * time.Millisecond)
		r := httptest.NewRequest("POST", ccfs.UploadPath+"?vdnId=53", bytes.NewReader(body))
		r.Host = "127.0.0.1:28443"
		r.Header.Set("Content-Type", "application/json;charset=UTF-8")
		r.Header.Set("Content-Length", strconv.Itoa(len(body)))
		c := r.Clone(context.Background())
		c.RequestURI = ""
		(&auth.Signer{AccessKey: "ak", SecretKey: "sk", Now: func() time.Time { return at }}).Sign(c, body)
		r.Header.Set("Authorization", c.Header.Get("Authorization"))
		return r
	}
	ceiling := benchratio.Baseline{Name: "ceiling"}
	dst := make([]byte, len(wav))
	w := &nopResponse{h: http.Header{}}
	b.SetBytes(int64(len(wav)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		ceiling.Run(b, func() {
			base64.StdEncoding.Decode(dst, []byte(payload))
			m := hmac.New(sha256.New, []byte("0512454550f487e6f7d92417aecef7b3a2e3453768ebe70b98948e5f29e33503"))
			m.Write(body)
			m.Sum(nil)
		})
		b.StopTimer()
		r := newReq()
		w.reset()
		b.StartTimer()
		h.ServeHTTP(w, r)
		if w.status != 200 {
			b.Fatalf("status %d", w.status)
		}
	}
	ceiling.Report(b, int64(len(wav)))
}

type nopResponse struct {
	h      http.Header
	status int
}

func (w *nopResponse) Header() http.Header         { return w.h }
func (w *nopResponse) Write(p []byte) (int, error) { return len(p), nil }
func (w *nopResponse) WriteHeader(s int)           { w.status = s }
func (w *nopResponse) reset()                      { clear(w.h); w.status = 0 }
