package g711_test

import (
	"testing"

	"github.com/ccfs-go/ccfs/internal/g711"
)

// Reference points of ITU-T G.711 (and of the reference g711.c).
func TestReferenceValues(t *testing.T) {
	for _, c := range []struct {
		in         int16
		alaw, ulaw byte
	}{
		{0, 0xD5, 0xFF},
		{-1, 0x55, 0x7F},
		{32767, 0xAA, 0x80},
		{-32768, 0x2A, 0x00},
		{1000, 0xFA, 0xCE},
		{-1000, 0x7A, 0x4E},
		{256, 0xC5, 0xE7},
	} {
		if got := g711.ALaw(c.in); got != c.alaw {
			t.Errorf("ALaw(%d) = %#02x, want %#02x", c.in, got, c.alaw)
		}
		if got := g711.MuLaw(c.in); got != c.ulaw {
			t.Errorf("MuLaw(%d) = %#02x, want %#02x", c.in, got, c.ulaw)
		}
	}
	for c, want := range map[byte]int16{0xD5: 8, 0x55: -8, 0xAA: 32256, 0x2A: -32256} {
		if got := g711.ALawDecode(c); got != want {
			t.Errorf("ALawDecode(%#02x) = %d, want %d", c, got, want)
		}
	}
	for c, want := range map[byte]int16{0xFF: 0, 0x7F: 0, 0x80: 32124, 0x00: -32124} {
		if got := g711.MuLawDecode(c); got != want {
			t.Errorf("MuLawDecode(%#02x) = %d, want %d", c, got, want)
		}
	}
}

// Every code decodes to a value that encodes back to it (but µ-law's
// negative zero), and encoding is monotonic.
func TestRoundTripAndMonotonic(t *testing.T) {
	for c := 0; c < 256; c++ {
		if got := g711.ALaw(g711.ALawDecode(byte(c))); got != byte(c) {
			t.Errorf("A-law %#02x → %d → %#02x", c, g711.ALawDecode(byte(c)), got)
		}
		if c == 0x7F {
			continue
		}
		if got := g711.MuLaw(g711.MuLawDecode(byte(c))); got != byte(c) {
			t.Errorf("µ-law %#02x → %d → %#02x", c, g711.MuLawDecode(byte(c)), got)
		}
	}
	prevA, prevU := g711.ALawDecode(g711.ALaw(-32768)), g711.MuLawDecode(g711.MuLaw(-32768))
	for s := -32768; s <= 32767; s++ {
		a, u := g711.ALawDecode(g711.ALaw(int16(s))), g711.MuLawDecode(g711.MuLaw(int16(s)))
		if a < prevA || u < prevU {
			t.Fatalf("not monotonic at %d", s)
		}
		prevA, prevU = a, u
		// The quantisation error stays within half a step of the segment.
		if d := abs(int(a) - s); d > 512+8 {
			t.Fatalf("A-law error %d at %d", d, s)
		}
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
