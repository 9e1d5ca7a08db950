package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"hash"
)

// A canonicalMAC computes the signature of a canonical request,
// HMAC-SHA256(key, head + norm(body)), from a body written to it in pieces
// of any size, in fixed memory: a normWriter percent-encodes the body
// (with the vector encoder where the CPU has one) straight into
// crypto/hmac. Its Write never fails. Sum may be called once, after the
// last Write.
type canonicalMAC struct {
	mac  hash.Hash
	body normWriter
}

// newCanonicalMAC returns a canonicalMAC for key that has taken in head
// (everything before the body, as canonicalHead makes it).
func newCanonicalMAC(key, head []byte) *canonicalMAC {
	m := &canonicalMAC{mac: hmac.New(sha256.New, key)}
	m.mac.Write(head)
	m.body.w = m.mac
	return m
}

func (m *canonicalMAC) Write(p []byte) (int, error) { return m.body.Write(p) }

func (m *canonicalMAC) Sum(b []byte) []byte {
	m.body.flush()
	return m.mac.Sum(b)
}
