package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"hash"
	"io"
)

// A canonicalMAC computes the signature of a canonical request,
// HMAC-SHA256(key, head + norm(body)), from a body written to it in
// pieces of any size, in fixed memory. Its Write never fails. Sum may be
// called once, after the last Write.
type canonicalMAC interface {
	io.Writer
	Sum(b []byte) []byte
}

// newCanonicalMAC returns a canonicalMAC for key that has taken in head
// (everything before the body, as canonicalHead makes it): fusedMAC
// where the CPU can run it, else crypto/hmac fed by a normWriter.
func newCanonicalMAC(key, head []byte) canonicalMAC {
	if newFusedMAC != nil {
		return newFusedMAC(key, head)
	}
	return newPortableMAC(key, head)
}

// portableMAC is a canonicalMAC from crypto/hmac and a normWriter.
type portableMAC struct {
	mac  hash.Hash
	body normWriter
}

func newPortableMAC(key, head []byte) canonicalMAC {
	m := &portableMAC{mac: hmac.New(sha256.New, key)}
	m.mac.Write(head)
	m.body.w = m.mac
	return m
}

func (m *portableMAC) Write(p []byte) (int, error) { return m.body.Write(p) }

func (m *portableMAC) Sum(b []byte) []byte {
	m.body.flush()
	return m.mac.Sum(b)
}
