//go:build !amd64 || purego

package auth

// normVector is a vectorised block encoder, and newFusedMAC a fused
// encoder and hash; there are none on this architecture (or with the
// purego build tag).
var (
	normVector  func(dst, src []byte) (int, int)
	newFusedMAC func(key, head []byte) canonicalMAC
)
