// Package dsp holds signal-processing inner loops worth making fast: for
// now Dot, the dot product of a polyphase resampling filter, written for
// the converter's resampling (package convert), where each output sample
// is one phase's taps times a window of input samples.
//
// On amd64 with AVX2 and FMA, Dot is assembly (dot_amd64.s); elsewhere,
// without those, or with the purego build tag, it is the Go loop
// dotGeneric, which gives the same results to within float32 rounding.
package dsp

// Dot returns the sum of a[i]*b[i] for i < len(a); b must be at least as
// long as a (Dot panics if it is shorter), and its elements past len(a)
// are not read. The order of the additions (and, with FMA, their
// rounding) is not specified, so the result may differ from a plain loop's
// in the last bits.
func Dot(a, b []float32) float32 {
	b = b[:len(a)]
	return dot(a, b)
}

// dotGeneric is Dot in Go: four independent sums (so the additions of one
// step do not wait on each other's results), four elements a step, then
// the rest one at a time. The loops step through both slices by
// re-slicing, testing both lengths, so the compiler sees every index is in
// bounds and checks none inside them.
func dotGeneric(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	for len(a) >= 4 && len(b) >= 4 {
		s0 += a[0] * b[0]
		s1 += a[1] * b[1]
		s2 += a[2] * b[2]
		s3 += a[3] * b[3]
		a, b = a[4:], b[4:]
	}
	for len(a) > 0 && len(b) > 0 {
		s0 += a[0] * b[0]
		a, b = a[1:], b[1:]
	}
	return (s0 + s1) + (s2 + s3)
}
