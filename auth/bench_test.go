package auth_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/bench/ratio"
)

// benchBody is a signed upload body of about 7 MB: a base64 payload of
// random bytes, so that '+' and '/' occur as often as in real uploads.
func benchBody() []byte {
	raw := make([]byte, 5<<20)
	rng := rand.NewChaCha8([32]byte{1})
	rng.Read(raw)
	return []byte(`{"request":{"version":"2.0"},"msgBody":{"data":"` + base64.StdEncoding.EncodeToString(raw) + `"}}`)
}

const benchChunk = 32 << 10 // what a handler reads at a time

func hmacCeiling(body []byte) {
	m := hmac.New(sha256.New, []byte("0512454550f487e6f7d92417aecef7b3a2e3453768ebe70b98948e5f29e33503"))
	m.Write(body)
	m.Sum(nil)
}

// BenchmarkVerify streams a 7 MB body through Begin/Write/Verify and
// reports, from the same run, the plain HMAC-SHA256 of the same bytes
// (hmac-MB/s) and the ratio of the two (x-hmac; the target is >= 0.75
// with the AVX2 encoder).
func BenchmarkVerify(b *testing.B) {
	body := benchBody()
	ceiling := ratio.Baseline{Name: "hmac"}

	now := time.Date(2026, 11, 23, 19, 0, 0, 0, time.UTC)
	creds, _ := auth.NewStatic(auth.Key{AccessKey: "ak", SecretKey: "sk", AnyVDN: true})
	// Every iteration signs anew with a later timestamp, so none is a replay.
	tick := now
	v, _ := auth.NewVerifier(auth.VerifierOptions{Credentials: creds, Now: func() time.Time { return now }, Window: 100 * 365 * 24 * time.Hour})
	reqs := make([]*http.Request, 0, 64)
	newReq := func() *http.Request {
		tick = tick.Add(time.Millisecond)
		at := tick
		c, _ := http.NewRequest("POST", "https://127.0.0.1/CCFS/resource/ccfs/ivr/uploadFile?vdnId=53", nil)
		c.ContentLength = int64(len(body))
		c.Header.Set("Content-Type", "application/json;charset=UTF-8")
		s := auth.Signer{AccessKey: "ak", SecretKey: "sk", Now: func() time.Time { return at }}
		if err := s.Sign(c, body); err != nil {
			b.Fatal(err)
		}
		r := httptest.NewRequest("POST", "/CCFS/resource/ccfs/ivr/uploadFile?vdnId=53", nil)
		r.Host = "127.0.0.1"
		r.Header = c.Header
		r.Header.Set("Content-Length", strconv.Itoa(len(body)))
		return r
	}
	for range 64 {
		reqs = append(reqs, newReq())
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for range b.N {
		ceiling.Run(b, func() { hmacCeiling(body) })
		if i == len(reqs) {
			b.StopTimer()
			for j := range reqs {
				reqs[j] = newReq()
			}
			i = 0
			b.StartTimer()
		}
		x, err := v.Begin(context.Background(), reqs[i], 53)
		if err != nil {
			b.Fatal(err)
		}
		i++
		for p := body; len(p) > 0; {
			n := min(len(p), benchChunk)
			x.Write(p[:n])
			p = p[n:]
		}
		if err := x.Verify(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	ceiling.Report(b, int64(len(body)))
}
