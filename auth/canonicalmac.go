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
// crypto/hmac. It can compute several such signatures at once, for keys or
// heads that differ (add), encoding the body once for all of them. It
// counts the encoded body and keeps its first bytes, to say what was
// signed. Its Write never fails. Sum and SumAt may be called after the
// last Write.
type canonicalMAC struct {
	macs  []hash.Hash
	one   [1]hash.Hash // macs' room for the usual single signature
	n     int64        // encoded body bytes so far
	start [bodyStartLen]byte
	body  normWriter
}

// bodyStartLen is how many encoded body bytes a canonicalMAC keeps.
const bodyStartLen = 96

// newCanonicalMAC returns a canonicalMAC for key that has taken in head
// (everything before the body, as canonicalHead makes it).
func newCanonicalMAC(key, head []byte) *canonicalMAC {
	m := &canonicalMAC{}
	m.macs = m.one[:0]
	m.add(key, head)
	m.body.w = (*macSink)(m)
	return m
}

// add computes another signature over the same body, with key and head:
// SumAt's next index. It must be called before the first Write.
func (m *canonicalMAC) add(key, head []byte) {
	mac := hmac.New(sha256.New, key)
	mac.Write(head)
	m.macs = append(m.macs, mac)
}

func (m *canonicalMAC) Write(p []byte) (int, error) { return m.body.Write(p) }

// Sum returns the first signature, appended to b.
func (m *canonicalMAC) Sum(b []byte) []byte { return m.SumAt(0, b) }

// SumAt returns signature i, appended to b.
func (m *canonicalMAC) SumAt(i int, b []byte) []byte {
	m.body.flush()
	return m.macs[i].Sum(b)
}

// encoded returns the length of the encoded body and its first bytes.
func (m *canonicalMAC) encoded() (int64, []byte) {
	m.body.flush()
	return m.n, m.start[:min(m.n, bodyStartLen)]
}

// macSink takes the encoded body from the normWriter, in its pieces of a
// few KiB: into every HMAC, counted, its start kept.
type macSink canonicalMAC

func (s *macSink) Write(p []byte) (int, error) {
	if s.n < bodyStartLen {
		copy(s.start[s.n:], p)
	}
	s.n += int64(len(p))
	for _, mac := range s.macs {
		mac.Write(p)
	}
	return len(p), nil
}
