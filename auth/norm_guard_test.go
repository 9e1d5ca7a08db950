//go:build linux && amd64 && !purego

package auth

import (
	"bytes"
	"testing"

	"github.com/ccfs-go/ccfs/internal/testkit/guard"
)

// TestNormAVX2StaysInBounds runs the vector encoder on inputs of the
// smallest lengths it takes, placed against an inaccessible page, with
// every count of escapes per block: a read or write past either slice
// faults, and what it wrote must match the reference.
func TestNormAVX2StaysInBounds(t *testing.T) {
	if normVector == nil {
		t.Skip("the CPU has no AVX2; the vector encoder is not used")
	}
	const srcLen, dstLen = 96, 160
	src, dst := guard.Bytes(t, srcLen), guard.Bytes(t, dstLen)
	for escapes := 0; escapes <= 32; escapes++ {
		for i := range src {
			src[i] = 'a'
		}
		for i := range escapes {
			src[(i*7)%32] = '/' // escapes spread over the first block
		}
		nd, ns := normAVX2(dst, src)
		if ns != 32 {
			t.Fatalf("%d escapes: consumed %d bytes, want one block", escapes, ns)
		}
		if want := normReference(src[:32]); !bytes.Equal(dst[:nd], want) {
			t.Fatalf("%d escapes: wrote %q, want %q", escapes, dst[:nd], want)
		}
	}
	// Below the minimums it does nothing.
	if nd, ns := normAVX2(dst, src[:srcLen-1]); nd != 0 || ns != 0 {
		t.Fatalf("with %d source bytes: %d, %d", srcLen-1, nd, ns)
	}
	if nd, ns := normAVX2(dst[:dstLen-1], src); nd != 0 || ns != 0 {
		t.Fatalf("with %d destination bytes: %d, %d", dstLen-1, nd, ns)
	}
}
