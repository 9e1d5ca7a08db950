//go:build linux

package dsp_test

import (
	"testing"
	"unsafe"

	"github.com/ccfs-go/ccfs/internal/dsp"
	"github.com/ccfs-go/ccfs/internal/testkit/guard"
)

// guarded returns a slice of n floats that ends where an inaccessible
// page begins, so reading one float past it faults.
func guarded(t *testing.T, n int) []float32 {
	b := guard.Bytes(t, 4*n)
	if n == 0 {
		return []float32{}
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(b))), n)
}

// TestDotStaysInBounds runs Dot on slices placed against an inaccessible
// page, for every length up to 200: a read past the end of either faults.
func TestDotStaysInBounds(t *testing.T) {
	for n := 0; n <= 200; n++ {
		a, b := guarded(t, n), guarded(t, n)
		for i := range a {
			a[i], b[i] = 1, 2
		}
		if got := dsp.Dot(a, b); got != float32(2*n) {
			t.Fatalf("length %d: %g, want %d", n, got, 2*n)
		}
		if got := dsp.DotGeneric(a, b); got != float32(2*n) {
			t.Fatalf("length %d: the Go loop %g, want %d", n, got, 2*n)
		}
	}
}
