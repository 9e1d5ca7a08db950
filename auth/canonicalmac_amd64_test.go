//go:build amd64 && !purego

package auth

import (
	"crypto/sha256"
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// sha256Finish pads a message of n bytes whose whole blocks h has taken
// in, given its last n%64 bytes, and returns the digest.
func sha256Finish(h [8]uint32, tail []byte, n int) [32]byte {
	var block [128]byte
	copy(block[:], tail)
	block[len(tail)] = 0x80
	end := 64
	if len(tail) >= 56 {
		end = 128
	}
	binary.BigEndian.PutUint64(block[end-8:end], uint64(n)*8)
	shaBlocks(&h, block[:end])
	var sum [32]byte
	for i, v := range h {
		binary.BigEndian.PutUint32(sum[4*i:], v)
	}
	return sum
}

// TestShaBlocks: the compression function, called on any split of a
// message into runs of whole blocks, gives crypto/sha256's digest; bytes
// after the last whole block are not taken in.
func TestShaBlocks(t *testing.T) {
	if !cpu.sha || !cpu.avx {
		t.Skip("the CPU has no SHA extensions or AVX; shaBlocks is not used")
	}
	r := rand.New(rand.NewPCG(7, 8))
	for n := range 40*64 + 1 {
		if n%64 != 0 && n%61 != 0 {
			continue
		}
		msg := make([]byte, n)
		for i := range msg {
			msg[i] = byte(r.Uint32())
		}
		h := sha256IV
		whole := n &^ 63
		for rest := msg[:whole]; len(rest) > 0; {
			k := min(len(rest), 64*(1+r.IntN(5)))
			shaBlocks(&h, rest[:k])
			rest = rest[k:]
		}
		shaBlocks(&h, msg[whole:]) // less than a block: no change
		if got, want := sha256Finish(h, msg[whole:], n), sha256.Sum256(msg); got != want {
			t.Fatalf("%d bytes: %x, want %x", n, got, want)
		}
	}
}
