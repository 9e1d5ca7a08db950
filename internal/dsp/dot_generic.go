//go:build !amd64 || purego

package dsp

// useAVX2 is false: there is no assembly on this architecture (or with
// the purego build tag).
const useAVX2 = false

// dot is dotGeneric, the only implementation here.
func dot(a, b []float32) float32 {
	return dotGeneric(a, b)
}
