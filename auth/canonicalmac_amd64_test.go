//go:build amd64 && !purego

package auth

import (
	"crypto/sha256"
	"math/rand/v2"
	"testing"
)

// TestShaBlocks: the compression function, called on any split of a
// message into runs of whole blocks and finished by sha256Finish, gives
// crypto/sha256's digest; bytes after the last whole block are not taken
// in.
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
		if got, want := sha256Finish(h, msg[whole:], uint64(n)), sha256.Sum256(msg); got != want {
			t.Fatalf("%d bytes: %x, want %x", n, got, want)
		}
	}
}
