//go:build !amd64 || purego

package auth

// normVector is a vectorised block encoder; there is none on this
// architecture (or with the purego build tag).
var normVector func(dst, src []byte) (int, int)
