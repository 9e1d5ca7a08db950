package auth

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ccfs-go/ccfs/bench/ratio"
)

// encoders runs f with each percent-encoder this CPU and build can run:
// the vector one if there is one, and the portable one.
func encoders(f func(name string)) {
	if normVector != nil {
		f("vector")
	}
	saved := normVector
	normVector = nil
	defer func() { normVector = saved }()
	f("portable")
}

// macReference is the signature computed the obvious way: crypto/hmac over
// head and the reference encoding of the whole body.
func macReference(key, head, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(head)
	m.Write(normReference(body))
	return m.Sum(nil)
}

// macInPieces feeds body to a new canonicalMAC in pieces of the given
// sizes (cycled).
func macInPieces(key, head, body []byte, pieces []int) []byte {
	m := newCanonicalMAC(key, head)
	for i := 0; len(body) > 0; i++ {
		n := min(len(body), max(1, pieces[i%len(pieces)]))
		if k, err := m.Write(body[:n]); k != n || err != nil {
			panic("canonicalMAC.Write failed")
		}
		body = body[n:]
	}
	return m.Sum(nil)
}

// TestCanonicalMAC: with each encoder, it gives crypto/hmac's answer for
// keys shorter than, as long as and longer than a block, heads that end
// anywhere in a block or fill the buffer, every body of normCases, and
// any chunking of it.
func TestCanonicalMAC(t *testing.T) {
	keys := [][]byte{nil, []byte("k"), bytes.Repeat([]byte("7"), 64), bytes.Repeat([]byte("x"), 65), bytes.Repeat([]byte("y"), 200)}
	heads := [][]byte{nil, []byte("POST\n/a\n"), bytes.Repeat([]byte("h"), 55), bytes.Repeat([]byte("h"), 56), bytes.Repeat([]byte("h"), 64), bytes.Repeat([]byte("h"), normBufSize-1), bytes.Repeat([]byte("h"), 3*normBufSize+5)}
	bodies := normCases()
	encoders(func(name string) {
		for ki, key := range keys {
			for hi, head := range heads {
				for bi, body := range bodies {
					want := macReference(key, head, body)
					for _, pieces := range [][]int{{1 << 20}, {1}, {96, 97, 98}, {7, 64, 3, 200}, {4096}} {
						if got := macInPieces(key, head, body, pieces); !bytes.Equal(got, want) {
							t.Fatalf("%s, key %d, head %d, body %d (%d bytes), pieces %v:\n got %x\nwant %x", name, ki, hi, bi, len(body), pieces, got, want)
						}
					}
				}
			}
		}
	})
}

// TestCanonicalMACFlipsWithAnyByte: changing any one byte of a body
// changes the signature, whichever block, escape or buffer position the
// byte lands in.
func TestCanonicalMACFlipsWithAnyByte(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	raw := make([]byte, 3000)
	for i := range raw {
		raw[i] = byte(r.Uint32())
	}
	body := []byte(base64.StdEncoding.EncodeToString(raw))
	key, head := []byte("key"), []byte("POST\n/\n")
	encoders(func(name string) {
		want := macInPieces(key, head, body, []int{1 << 20})
		for i := range body {
			saved := body[i]
			body[i] ^= 1
			got := macInPieces(key, head, body, []int{1 << 20})
			body[i] = saved
			if bytes.Equal(got, want) {
				t.Fatalf("%s: flipping byte %d left the signature as it was", name, i)
			}
		}
	})
}

// FuzzCanonicalMAC: with each encoder, it agrees with crypto/hmac over the
// reference encoding for any key, head and body, in two writes.
func FuzzCanonicalMAC(f *testing.F) {
	for i, p := range normCases()[:40] {
		f.Add([]byte("signing key"), []byte(strings.Repeat("h", i*3)), p, uint16(len(p)/2))
	}
	f.Fuzz(func(t *testing.T, key, head, body []byte, split uint16) {
		want := macReference(key, head, body)
		encoders(func(name string) {
			if got := macInPieces(key, head, body, []int{int(split), 1 << 30}); !bytes.Equal(got, want) {
				t.Fatalf("%s, split %d: %x, want %x", name, split, got, want)
			}
		})
	})
}

// BenchmarkCanonicalMAC signs a 7 MB base64 body in 32 KiB writes with
// each encoder, and reports it against crypto/hmac over the same bytes as
// they are (x-hmac), measured in the same run: the ceiling that
// BenchmarkVerify's target is set against.
func BenchmarkCanonicalMAC(b *testing.B) {
	raw := make([]byte, 5<<20)
	rand.NewChaCha8([32]byte{1}).Read(raw)
	body := []byte(base64.StdEncoding.EncodeToString(raw))
	key := []byte("0512454550f487e6f7d92417aecef7b3a2e3453768ebe70b98948e5f29e33503")
	encoders(func(name string) {
		b.Run(name, func(b *testing.B) {
			ceiling := ratio.Baseline{Name: "hmac"}
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				ceiling.Run(b, func() {
					m := hmac.New(sha256.New, key)
					m.Write(body)
					m.Sum(nil)
				})
				macInPieces(key, nil, body, []int{32 << 10})
			}
			ceiling.Report(b, int64(len(body)))
		})
	})
}
