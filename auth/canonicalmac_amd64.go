//go:build amd64 && !purego

package auth

import (
	"crypto/sha256"
	"encoding/binary"
)

// shaBlocks runs the SHA-256 compression function on each whole 64-byte
// block of p, updating h. In sha_amd64.s.
//
//go:noescape
func shaBlocks(h *[8]uint32, p []byte)

// normSHA percent-encodes src into buf from w and, in the same loop,
// hashes whole 64-byte blocks of buf from r into h, leaving at least 128
// encoded bytes unhashed. It runs while at least normSHASrc bytes of src
// and normSHARoom bytes of buf after w remain, and returns the new r and
// w and the bytes of src it consumed. In sha_amd64.s.
//
//go:noescape
func normSHA(h *[8]uint32, buf []byte, r, w int, src []byte) (r2, w2, ns int)

// What normSHA needs to start a turn of four blocks (see sha_amd64.s):
// source bytes, and room in buf after w.
const (
	normSHASrc  = 97
	normSHARoom = 208
)

// newFusedMAC is how newCanonicalMAC makes a fusedMAC, or nil where the
// CPU cannot run one.
var newFusedMAC = func() func(key, head []byte) canonicalMAC {
	if cpu.sha && cpu.avx && cpu.bmi1 && cpu.popcnt {
		return newFused
	}
	return nil
}()

// sha256IV is SHA-256's initial state.
var sha256IV = [8]uint32{0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19}

// fusedMAC is a canonicalMAC that percent-encodes the body and hashes it
// in one assembly loop (normSHA), so that the encoding runs in the time
// the SHA instructions spend waiting on each other. HMAC is built here
// on its definition (RFC 2104) over shaBlocks, since crypto/hmac cannot
// take a state from outside.
type fusedMAC struct {
	inner, outer [8]uint32 // the states after the key^ipad and key^opad blocks
	n            uint64    // bytes hashed into inner, its key block included
	r, w         int       // buf[r:w] is encoded and not yet hashed
	buf          [normBufSize]byte
}

func newFused(key, head []byte) canonicalMAC {
	m := new(fusedMAC)
	var block [64]byte
	if len(key) > len(block) {
		sum := sha256.Sum256(key)
		key = sum[:]
	}
	copy(block[:], key)
	for i := range block {
		block[i] ^= 0x36
	}
	m.inner = sha256IV
	shaBlocks(&m.inner, block[:])
	for i := range block {
		block[i] ^= 0x36 ^ 0x5c
	}
	m.outer = sha256IV
	shaBlocks(&m.outer, block[:])
	m.n = uint64(len(block))
	for len(head) > 0 {
		if m.w == len(m.buf) {
			m.makeRoom()
		}
		k := copy(m.buf[m.w:], head)
		m.w += k
		head = head[k:]
	}
	return m
}

// makeRoom hashes the whole blocks waiting in buf and moves the rest
// (less than a block) to its start.
func (m *fusedMAC) makeRoom() {
	whole := (m.w - m.r) &^ 63
	shaBlocks(&m.inner, m.buf[m.r:m.r+whole])
	m.n += uint64(whole)
	m.w = copy(m.buf[:], m.buf[m.r+whole:m.w])
	m.r = 0
}

// Write encodes and hashes p with normSHA, and its last bytes (fewer
// than normSHASrc) with normWords; those are hashed by a later call.
func (m *fusedMAC) Write(p []byte) (int, error) {
	total := len(p)
	for len(p) > 0 {
		if len(m.buf)-m.w < normSHARoom {
			m.makeRoom()
		}
		if len(p) >= normSHASrc {
			r, w, ns := normSHA(&m.inner, m.buf[:], m.r, m.w, p)
			m.n += uint64(r - m.r)
			m.r, m.w = r, w
			p = p[ns:]
			if ns > 0 {
				continue
			}
		}
		var used int
		m.w, used = normWords(&m.buf, m.w, p, len(m.buf)-normSHARoom)
		p = p[used:]
	}
	return total, nil
}

// Sum finishes the inner hash, then hashes its digest into the outer.
func (m *fusedMAC) Sum(b []byte) []byte {
	m.makeRoom()
	inner := sha256Finish(m.inner, m.buf[:m.w], m.n+uint64(m.w))
	outer := sha256Finish(m.outer, inner[:], 64+sha256.Size)
	return append(b, outer[:]...)
}

// sha256Finish pads a message of n bytes whose whole blocks h has taken
// in, given its last n%64 bytes as tail, and returns the digest.
func sha256Finish(h [8]uint32, tail []byte, n uint64) [sha256.Size]byte {
	var block [128]byte
	copy(block[:], tail)
	block[len(tail)] = 0x80
	end := 64
	if len(tail) >= 56 {
		end = 128
	}
	binary.BigEndian.PutUint64(block[end-8:end], n*8)
	shaBlocks(&h, block[:end])
	var sum [sha256.Size]byte
	for i, v := range h {
		binary.BigEndian.PutUint32(sum[4*i:], v)
	}
	return sum
}
