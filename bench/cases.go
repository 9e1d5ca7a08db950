package bench

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/internal/wavfile"
	"github.com/ccfs-go/ccfs/store"
)

// Sizes are the WAV file sizes measured.
var Sizes = []int{1 << 10, 64 << 10, 1 << 20, 5 << 20}

// Kinds are the implementations measured.
var Kinds = []string{"Naive", "Ceiling", "Handler", "HandlerDir"}

// SizeName names a size as the benchmarks do: "1KiB", "5MiB".
func SizeName(n int) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%dMiB", n>>20)
	}
	return fmt.Sprintf("%dKiB", n>>10)
}

const (
	ak = "bench"
	sk = "bench-secret"
)

var benchTime = time.Date(2026, 11, 23, 19, 0, 0, 0, time.UTC)

// Upload is one signed request body and the file it carries.
type Upload struct {
	WAV     []byte
	Payload []byte // base64 of WAV
	Body    []byte
	Auth    string // Authorization header value
}

// NewUpload signs an upload of a size-byte WAV file (headers included).
func NewUpload(size int) *Upload { return NewUploadOf(wavfile.File(wavfile.ALaw8k, size-44)) }

// NewUploadOf signs an upload of the file wav.
func NewUploadOf(wav []byte) *Upload {
	u := &Upload{WAV: wav}
	u.Payload = base64.StdEncoding.AppendEncode(nil, u.WAV)
	u.Body = []byte(`{"request":{"version":"2.0"},"msgBody":{"data":"` + string(u.Payload) + `"}}`)
	c, _ := http.NewRequest("POST", "https://127.0.0.1:28443"+ccfs.UploadPath+"?vdnId=53", bytes.NewReader(u.Body))
	c.Header.Set("Content-Type", "application/json;charset=UTF-8")
	if err := (&auth.Signer{AccessKey: ak, SecretKey: sk, Now: func() time.Time { return benchTime }}).Sign(c, u.Body); err != nil {
		panic(err)
	}
	u.Auth = c.Header.Get("Authorization")
	return u
}

// Request returns the request as a server receives it.
func (u *Upload) Request() *http.Request {
	r := httptest.NewRequest("POST", ccfs.UploadPath+"?vdnId=53", bytes.NewReader(u.Body))
	r.Host = "127.0.0.1:28443"
	r.Header.Set("Content-Type", "application/json;charset=UTF-8")
	r.Header.Set("Content-Length", strconv.Itoa(len(u.Body)))
	r.Header.Set("Authorization", u.Auth)
	return r
}

// Discard is a Store that reads each file to its end and keeps nothing.
type Discard struct{}

// Put implements store.Store.
func (Discard) Put(_ context.Context, _ string, r io.Reader, _ int64) ([]string, error) {
	var buf [32 << 10]byte
	for {
		_, err := r.Read(buf[:])
		if err == io.EOF {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// noReplay accepts every signature, so that one signed request can be sent
// again and again; Naive has no replay check either.
type noReplay struct{}

func (noReplay) Add(context.Context, auth.ReplayEntry) error { return nil }

// benchKeys holds the benchmarks' one key, for any VDN.
func benchKeys() *auth.Static {
	creds, _ := auth.NewStatic(auth.Key{AccessKey: ak, SecretKey: sk, AnyVDN: true})
	return creds
}

// NewHandler returns the real handler on s, set up for benchmarking.
func NewHandler(s store.Store) http.Handler { return NewHandlerWith(s, nil) }

// NewHandlerWith is NewHandler with the options edited by edit (if not
// nil) before the handler is made, such as to add an OnRequest hook.
func NewHandlerWith(s store.Store, edit func(*ccfs.Options)) *ccfs.Handler {
	opts := ccfs.Options{
		Credentials: benchKeys(), Store: s, Replay: noReplay{}, RatePerKey: rate.Inf, MaxInFlight: 1 << 16, MaxInFlightPerKey: 1 << 16,
		Window: 1 << 62, Now: func() time.Time { return benchTime }, Logger: slog.New(slog.DiscardHandler),
	}
	if edit != nil {
		edit(&opts)
	}
	h, err := ccfs.NewHandler(opts)
	if err != nil {
		panic(err)
	}
	return h
}

// NewNaive returns the naive implementation on s.
func NewNaive(s store.Store) http.Handler {
	return NewNaiveWith(benchKeys(), s)
}

// NewNaiveWith returns the naive implementation on s, accepting keys.
func NewNaiveWith(keys auth.Credentials, s store.Store) *Naive {
	return &Naive{Keys: keys, Store: s, Now: time.Now}
}

// nopWriter is a ResponseWriter that keeps the status and whether the
// body says success.
type nopWriter struct {
	h      http.Header
	status int
	ok     bool
}

func (w *nopWriter) Header() http.Header { return w.h }
func (w *nopWriter) Write(p []byte) (int, error) {
	w.ok = w.ok || bytes.Contains(p, []byte(`"resultCode":"0"`))
	return len(p), nil
}
func (w *nopWriter) WriteHeader(s int) { w.status = s }

// Benchmark returns the benchmark of kind at size: MB/s of WAV, B/op.
func Benchmark(kind string, size int) func(*testing.B) {
	return func(b *testing.B) {
		u := NewUpload(size)
		var h http.Handler
		switch kind {
		case "Naive":
			h = NewNaive(Discard{})
		case "Handler":
			h = NewHandler(Discard{})
		case "HandlerDir":
			d, err := store.NewDir(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			defer d.Close()
			h = NewHandler(d)
		case "Ceiling":
		default:
			b.Fatalf("unknown kind %q", kind)
		}
		dst := make([]byte, len(u.WAV))
		key := []byte(auth.SigningKey(sk, "x"))
		b.SetBytes(int64(len(u.WAV)))
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			if h == nil {
				base64.StdEncoding.Decode(dst, u.Payload)
				m := hmac.New(sha256.New, key)
				m.Write(u.Body)
				m.Sum(nil)
				continue
			}
			w := &nopWriter{h: http.Header{}}
			h.ServeHTTP(w, u.Request())
			if !w.ok {
				b.Fatalf("%s: the upload did not succeed (status %d)", kind, w.status)
			}
		}
	}
}
