package events

import (
	"crypto/rand"
	"encoding/binary"
	"sync"
	"time"
)

// IDPrefix begins every event ID.
const IDPrefix = "evt_"

// idAlphabet is Crockford's base32 in lower case: its characters are in
// ASCII order, so IDs sort as the numbers they encode.
const idAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// idLen is the length of an ID: the prefix and 26 base32 characters,
// which carry 130 bits (the top two always zero) for the 128 encoded.
const idLen = len(IDPrefix) + 26

// gen is the last ID made, as 128 bits.
var gen struct {
	sync.Mutex
	hi uint64 // the top 64 bits: 48 of time, 16 random
	lo uint64 // the bottom 64 random bits
}

// NewID returns a new event ID for an event at time t.
//
// An ID is IDPrefix and 26 characters of base32 (Crockford's alphabet,
// lower case) of 128 bits: the first 48 are t in milliseconds since the
// Unix epoch, the other 80 random (from crypto/rand), as in a ULID. This
// form rather than a UUIDv7 because it says what it is in a log line or
// a receiver's table (evt_…), sorts by time as plain text, holds no '.'
// (the signed content joins the ID to the rest with '.'), and has 80
// random bits to a UUIDv7's 74.
//
// Within a process IDs are strictly increasing: an ID made in the same
// millisecond as the last one, or while the clock stands behind it, is
// the last one plus one.
func NewID(t time.Time) string {
	var r [10]byte
	rand.Read(r[:]) // never fails (crypto/rand, Go 1.24 on)
	ms := uint64(t.UnixMilli()) & (1<<48 - 1)
	hi := ms<<16 | uint64(binary.BigEndian.Uint16(r[:2]))
	lo := binary.BigEndian.Uint64(r[2:])

	gen.Lock()
	if hi < gen.hi || hi == gen.hi && lo <= gen.lo {
		hi, lo = gen.hi, gen.lo+1
		if lo == 0 {
			hi++
		}
	}
	gen.hi, gen.lo = hi, lo
	gen.Unlock()

	return encodeID(hi, lo)
}

// encodeID writes hi and lo, 128 bits, as an ID.
func encodeID(hi, lo uint64) string {
	b := make([]byte, idLen)
	copy(b, IDPrefix)
	for i := idLen - 1; i >= len(IDPrefix); i-- {
		b[i] = idAlphabet[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return string(b)
}

// ValidID reports whether id has the form NewID gives: IDPrefix and 26
// characters of the alphabet, the first of them 0 to 7.
func ValidID(id string) bool {
	if len(id) != idLen || id[:len(IDPrefix)] != IDPrefix || id[len(IDPrefix)] > '7' {
		return false
	}
	for i := len(IDPrefix); i < idLen; i++ {
		c := id[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' && c != 'i' && c != 'l' && c != 'o' && c != 'u') {
			return false
		}
	}
	return true
}
