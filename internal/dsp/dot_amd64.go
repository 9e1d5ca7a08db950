//go:build amd64 && !purego

package dsp

import "golang.org/x/sys/cpu"

// dotAVX2 returns the sum of a[i]*b[i] for i < len(a), reading exactly
// len(a) elements of each; len(b) must be at least len(a). In dot_amd64.s.
//
// Why assembly: a polyphase resampling filter spends nearly all its time
// here, and the Go compiler does not vectorise the loop. With AVX2 and
// FMA, four independent 8-lane accumulators take 32 products a step with one
// VFMADD231PS each (enough independent work to cover the FMA's latency),
// which measures three to six times faster than dotGeneric, and about four
// to thirteen times the plain one-sum loop, at the filter's lengths
// (BenchmarkDot's x-plain).
//
//go:noescape
func dotAVX2(a, b []float32) float32

// useAVX2 is whether the CPU can run dotAVX2 (x/sys/cpu also checks that
// the OS saves the YMM registers), read once at start.
var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// dot is dotAVX2 when the CPU has AVX2 and FMA, else dotGeneric.
func dot(a, b []float32) float32 {
	if useAVX2 {
		return dotAVX2(a, b)
	}
	return dotGeneric(a, b)
}
