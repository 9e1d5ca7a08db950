package ccfs_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/bench"
	"github.com/ccfs-go/ccfs/bench/ratio"
	"github.com/ccfs-go/ccfs/store"
)

// BenchmarkHandler posts a signed 5 MiB upload through ServeHTTP to a
// discarding store. It reports MB/s of WAV and B/op, and from the same
// run the ceiling — base64-decoding the payload plus HMAC-SHA256 over the
// body, nothing else — as ceiling-MB/s and x-ceiling (target >= 0.6).
// bench/ has the same at four sizes, and the naive peer.
func BenchmarkHandler(b *testing.B) {
	u := bench.NewUpload(5 << 20)
	h := bench.NewHandler(bench.Discard{})
	ceiling := ratio.Baseline{Name: "ceiling"}
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

// BenchmarkHeldPerUpload measures the memory one upload in flight holds:
// 64 uploads of 5 MiB into a store.Dir, each stopped halfway through its
// body (inside the store's Put, with every buffer of the pass and the
// store's copy buffer in use), and the live heap measured then, against
// the heap before they started. It reports held-B/upload; B/op, as
// everywhere, is what is allocated (and mostly freed) per request.
func BenchmarkHeldPerUpload(b *testing.B) {
	const n = 64
	u := bench.NewUpload(5 << 20)
	d, _ := newDirStore(b)
	h := bench.NewHandler(d)
	var held float64
	b.ReportAllocs()
	for b.Loop() {
		reqs := make([]*http.Request, n)
		reached, release := make(chan struct{}, n), make(chan struct{})
		for i := range reqs {
			reqs[i] = u.Request()
			half := len(u.Body) / 2
			reqs[i].Body = io.NopCloser(io.MultiReader(bytes.NewReader(u.Body[:half]),
				pause{reached, release}, bytes.NewReader(u.Body[half:])))
		}
		recorders := make([]*httptest.ResponseRecorder, n)
		for i := range recorders {
			recorders[i] = httptest.NewRecorder()
		}
		before := heapInUse()
		var wg sync.WaitGroup
		for i := range reqs {
			wg.Go(func() { h.ServeHTTP(recorders[i], reqs[i]) })
		}
		for range n {
			<-reached
		}
		during := heapInUse()
		close(release)
		wg.Wait()
		for _, w := range recorders {
			if w.Code != 200 || !strings.Contains(w.Body.String(), `"resultCode":"0"`) {
				b.Fatalf("%d %s", w.Code, w.Body.String())
			}
		}
		held = float64(int64(during)-int64(before)) / n
	}
	b.ReportMetric(held, "held-B/upload")
}

// pause is a reader that signals it was reached and gives nothing until
// released.
type pause struct{ reached, release chan struct{} }

func (p pause) Read([]byte) (int, error) {
	p.reached <- struct{}{}
	<-p.release
	return 0, io.EOF
}

// BenchmarkDownload100MiB downloads a 100 MiB recording from a store.Dir
// through the handler, over loopback HTTP, and reports MB/s and B/op (the
// client's allocations included: the bytes are read into io.Discard).
// From the same run it reports http.ServeContent of the same file over
// the same kind of connection, the baseline: serve-content-MB/s and
// x-serve-content (the handler's speed as a multiple of it).
func BenchmarkDownload100MiB(b *testing.B) {
	const size = 100 << 20
	d, _ := newDirStore(b)
	const name = "voice/53/IVRrecordFile/big.wav"
	if _, err := d.Put(context.Background(), name, io.LimitReader(rand.Reader, size), size); err != nil {
		b.Fatal(err)
	}
	creds, _ := auth.NewStatic(auth.Key{AccessKey: testAK, SecretKey: testSK, VDNs: []int{53}})
	h, err := ccfs.NewHandler(ccfs.Options{Credentials: creds, Store: d, RatePerKey: rate.Inf, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, err := d.Open(name)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		defer f.Close()
		info, _ := f.Stat()
		http.ServeContent(w, r, info.Name(), info.ModTime(), f.(io.ReadSeeker))
	}))
	defer plain.Close()
	c := &ccfs.Client{BaseURL: srv.URL, AccessKey: testAK, SecretKey: testSK, HTTPClient: srv.Client()}
	baseline := ratio.Baseline{Name: "serve-content"}
	ctx := context.Background()
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		baseline.Run(b, func() {
			resp, err := plain.Client().Get(plain.URL)
			if err != nil {
				b.Fatal(err)
			}
			n, _ := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if n != size {
				b.Fatalf("ServeContent sent %d bytes", n)
			}
		})
		n, err := c.Download(ctx, "/"+name, io.Discard)
		if err != nil || n != size {
			b.Fatalf("download: %d bytes, %v", n, err)
		}
	}
	baseline.Report(b, size)
}
