package dsp_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs/internal/dsp"
)

// reference is the dot product summed in float64, one product at a time.
// It also returns the sum of the products' magnitudes, which bounds the
// rounding error of any order of summation in float32.
func reference(a, b []float32) (sum, mag float64) {
	for i := range a {
		p := float64(a[i]) * float64(b[i])
		sum += p
		mag += math.Abs(p)
	}
	return sum, mag
}

// lengths are every length up to 200 (each path of the assembly: the
// 32-wide loop, the 8-wide one and the single floats, alone and together)
// and some longer ones, the filter's among them.
func lengths() []int {
	var ns []int
	for n := 0; n <= 200; n++ {
		ns = append(ns, n)
	}
	return append(ns, 346, 1392, 4099)
}

// random returns n floats in [-1, 1) with magnitudes spread over
// several powers of two, as a filter's taps and a signal's samples are.
func random(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32((2*r.Float64() - 1) * math.Ldexp(1, -r.IntN(8)))
	}
	return s
}

// check fails t if got is not the reference sum of a and b to within
// 1e-5 of the sum of the products' magnitudes.
func check(t *testing.T, what string, got float32, a, b []float32) {
	t.Helper()
	want, mag := reference(a, b)
	if diff := math.Abs(float64(got) - want); diff > 1e-5*mag || math.IsNaN(float64(got)) {
		t.Fatalf("%s, length %d: got %g, want %g (off by %g, %g of the magnitudes %g)",
			what, len(a), got, want, diff, diff/mag, mag)
	}
}

// TestDot compares Dot and the Go loop with the float64 reference for
// every length in lengths, with both slices starting at each offset 0 to
// 7 into a larger slice (so no alignment is assumed) and b longer than a
// by a few elements it must not read: they hold NaN, which would show in
// the sum.
func TestDot(t *testing.T) {
	t.Logf("assembly in use: %v", dsp.Accelerated())
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range lengths() {
		for off := range 8 {
			a := random(r, n+16)[off : off+n]
			b := random(r, n+16)[7-off:]
			for i := n; i < len(b); i++ {
				b[i] = float32(math.NaN())
			}
			what := fmt.Sprintf("offsets %d and %d", off, 7-off)
			check(t, "Dot, "+what, dsp.Dot(a, b), a, b[:n])
			check(t, "the Go loop, "+what, dsp.DotGeneric(a, b), a, b[:n])
		}
	}
}

// TestDotAgreesWithGeneric holds the assembly (when the CPU runs it) and
// the Go loop to each other: they sum in different orders, so they agree
// to within float32 rounding of the products' magnitudes, not exactly.
func TestDotAgreesWithGeneric(t *testing.T) {
	if !dsp.Accelerated() {
		t.Skip("Dot is the Go loop here; nothing to compare")
	}
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range lengths() {
		a, b := random(r, n), random(r, n)
		asm, gen := dsp.Dot(a, b), dsp.DotGeneric(a, b)
		_, mag := reference(a, b)
		if diff := math.Abs(float64(asm) - float64(gen)); diff > 1e-5*mag {
			t.Fatalf("length %d: assembly %g, Go %g (off by %g of the magnitudes)", n, asm, gen, diff/mag)
		}
	}
}

// TestDotExact checks sums that float32 holds exactly, where any order of
// summation gives the same result: small integers.
func TestDotExact(t *testing.T) {
	for _, n := range lengths() {
		a, b := make([]float32, n), make([]float32, n)
		var want float32
		for i := range a {
			a[i], b[i] = float32(i%7-3), float32(i%5-2)
			want += a[i] * b[i]
		}
		if got := dsp.Dot(a, b); got != want {
			t.Fatalf("length %d: Dot %g, want %g", n, got, want)
		}
		if got := dsp.DotGeneric(a, b); got != want {
			t.Fatalf("length %d: the Go loop %g, want %g", n, got, want)
		}
	}
}

// TestDotShortB checks that Dot panics when b is shorter than a.
func TestDotShortB(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("Dot with b shorter than a did not panic")
		}
	}()
	dsp.Dot(make([]float32, 9), make([]float32, 8))
}

// plain is the loop Dot replaces: one sum, one product at a time.
//
//go:noinline
func plain(a, b []float32) float32 {
	var s float32
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// sink keeps the benchmarks' results alive.
var sink float32

// BenchmarkDot measures Dot at lengths the resampling filter uses, and
// reports it against the plain loop timed for as many calls in the same
// run ("x-plain", above 1 when Dot is faster), and in multiply-adds per
// second (GMAC/s).
func BenchmarkDot(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{60, 346, 1392} {
		x, y := random(r, n), random(r, n)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			var s float32
			for b.Loop() {
				s += dsp.Dot(x, y)
			}
			own := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			start := time.Now()
			for range b.N {
				s += plain(x, y)
			}
			base := float64(time.Since(start).Nanoseconds()) / float64(b.N)
			sink = s
			if own > 0 {
				b.ReportMetric(base/own, "x-plain")
				b.ReportMetric(float64(n)/own, "GMAC/s")
			}
		})
	}
}
