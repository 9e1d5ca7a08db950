package dsp

// DotGeneric is the Go loop, which Dot uses where there is no assembly.
var DotGeneric = dotGeneric

// Accelerated reports whether Dot runs the AVX2 assembly here.
func Accelerated() bool { return useAVX2 }
