package auth

import (
	"bytes"
	"io"
	"math/rand/v2"
	"testing"
)

// normReference is the spec's encoding, one byte at a time and obviously
// right: unreserved bytes as they are, every other byte as %XX.
func normReference(p []byte) []byte {
	var out []byte
	for _, c := range p {
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '.', c == '_', c == '~':
			out = append(out, c)
		default:
			out = append(out, '%', "0123456789ABCDEF"[c>>4], "0123456789ABCDEF"[c&15])
		}
	}
	return out
}

// normThroughWriter encodes p with a normWriter fed in pieces of the
// given sizes (cycled), with or without the vector encoder.
func normThroughWriter(p []byte, pieces []int, vector bool) []byte {
	saved := normVector
	if !vector {
		normVector = nil
	}
	defer func() { normVector = saved }()
	var out bytes.Buffer
	nw := &normWriter{w: &out}
	for i := 0; len(p) > 0; i++ {
		n := min(len(p), max(1, pieces[i%len(pieces)]))
		nw.Write(p[:n])
		p = p[n:]
	}
	nw.flush()
	return out.Bytes()
}

// normCases are inputs that reach every path: all 256 byte values in
// every position of a 32-byte block, whole blocks of escapes (the most a
// block can grow), a base64 body, and lengths around the block and
// buffer sizes.
func normCases() [][]byte {
	var cases [][]byte
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	for shift := range 33 {
		cases = append(cases, append(bytes.Repeat([]byte("a"), shift), all...))
	}
	cases = append(cases, bytes.Repeat([]byte{0xff}, 5000), bytes.Repeat([]byte("Zz9-._~"), 2000))
	r := rand.New(rand.NewPCG(1, 2))
	b64 := "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for _, n := range []int{0, 1, 31, 32, 63, 64, 65, 127, 128, 129, 4095, 4096, 4097, 100_003} {
		p := make([]byte, n)
		for i := range p {
			p[i] = b64[r.IntN(64)]
		}
		cases = append(cases, p)
		q := make([]byte, n)
		for i := range q {
			q[i] = byte(r.Uint32())
		}
		cases = append(cases, q)
	}
	return cases
}

// TestNormWriter: the streaming encoder, vector or portable, in any
// chunking, writes exactly what the reference does.
func TestNormWriter(t *testing.T) {
	if normVector == nil {
		t.Log("no vector encoder on this CPU or build; checking the portable path only")
	}
	for i, p := range normCases() {
		want := normReference(p)
		for _, pieces := range [][]int{{1 << 20}, {1}, {7, 64, 3, 200}, {63, 65}, {4096}} {
			for _, vector := range []bool{true, false} {
				if got := normThroughWriter(p, pieces, vector); !bytes.Equal(got, want) {
					t.Fatalf("case %d (%d bytes), pieces %v, vector %v: encodings differ\n got %q\nwant %q", i, len(p), pieces, vector, trim(got), trim(want))
				}
			}
		}
		if got := appendNorm(nil, string(p)); !bytes.Equal(got, want) {
			t.Fatalf("appendNorm, case %d: differs", i)
		}
	}
}

func trim(b []byte) []byte { return b[:min(len(b), 200)] }

// FuzzNorm: both encoders agree with the reference on any input and any
// split into two writes.
func FuzzNorm(f *testing.F) {
	for _, p := range normCases()[:40] {
		f.Add(p, uint16(len(p)/2))
	}
	f.Fuzz(func(t *testing.T, p []byte, split uint16) {
		want := normReference(p)
		for _, vector := range []bool{true, false} {
			if got := normThroughWriter(p, []int{int(split), 1 << 30}, vector); !bytes.Equal(got, want) {
				t.Fatalf("vector %v, split %d: differs from the reference", vector, split)
			}
		}
	})
}

// BenchmarkNorm measures the encoder alone on a base64 body (about one
// byte in 16 to escape), with the vector encoder and without.
func BenchmarkNorm(b *testing.B) {
	body := make([]byte, 1<<20)
	r := rand.New(rand.NewPCG(3, 4))
	const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := range body {
		body[i] = b64[r.IntN(64)]
	}
	for _, vector := range []bool{true, false} {
		name := "portable"
		if vector {
			name = "vector"
		}
		b.Run(name, func(b *testing.B) {
			saved := normVector
			if !vector {
				normVector = nil
			} else if normVector == nil {
				b.Skip("no vector encoder on this CPU or build")
			}
			defer func() { normVector = saved }()
			nw := &normWriter{w: io.Discard}
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				for p := body; len(p) > 0; p = p[min(len(p), 32<<10):] {
					nw.Write(p[:min(len(p), 32<<10)])
				}
				nw.flush()
			}
		})
	}
}
