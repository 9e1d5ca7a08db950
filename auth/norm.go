package auth

import (
	"encoding/binary"
	"io"
	"math/bits"
)

// unreserved reports the bytes that norm leaves as they are.
var unreserved = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~'
	}
	return t
}()

const upperHex = "0123456789ABCDEF"

// appendNorm appends norm(s) to dst: s with every byte outside
// A–Z a–z 0–9 - . _ ~ written as %XX in uppercase hex.
func appendNorm(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved[c] {
			dst = append(dst, c)
		} else {
			dst = append(dst, '%', upperHex[c>>4], upperHex[c&15])
		}
	}
	return dst
}

// Masks for the eight-bytes-at-a-time scan in normWriter.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// alnumHighBits returns a word whose byte i has its high bit set exactly when
// byte i of x (little-endian) is an ASCII letter or digit. For a byte b below
// 0x80, b + (0x80-n) sets the high bit iff b >= n and cannot carry into the
// next byte, so each range test is two additions.
func alnumHighBits(x uint64) uint64 {
	y := x &^ highs
	digit := (y + (0x80-'0')*ones) &^ (y + (0x80-'9'-1)*ones)
	upper := (y + (0x80-'A')*ones) &^ (y + (0x80-'Z'-1)*ones)
	lower := (y + (0x80-'a')*ones) &^ (y + (0x80-'z'-1)*ones)
	return (digit | upper | lower) &^ x & highs
}

// normBufSize is the size of the buffer normWriter encodes into before it
// hands the bytes on.
const normBufSize = 4096

// normWriter percent-encodes what is written to it (as appendNorm does) and
// writes the result to w in chunks of at most normBufSize bytes. It holds no
// memory beyond its fixed buffer. Call flush after the last Write.
type normWriter struct {
	w   io.Writer
	n   int
	buf [normBufSize]byte
}

// normVectorRoom is the room normWriter keeps in its buffer before it
// encodes more: what normAVX2 needs (see norm_amd64.s), which is more than
// the 32 bytes that eight escaped bytes take.
const normVectorRoom = 160

// Write encodes p 32 bytes at a time with normVector where the CPU has
// one, and otherwise (and for the last bytes) with normWords.
func (nw *normWriter) Write(p []byte) (int, error) {
	total := len(p)
	buf := &nw.buf
	n := nw.n
	for len(p) > 0 {
		if n > len(buf)-normVectorRoom {
			if _, err := nw.w.Write(buf[:n]); err != nil {
				nw.n = 0
				return total - len(p), err
			}
			n = 0
		}
		if normVector != nil && len(p) >= 96 {
			nd, ns := normVector(buf[n:], p)
			n += nd
			p = p[ns:]
			if ns > 0 {
				continue
			}
		}
		var used int
		n, used = normWords(buf, n, p, len(buf)-normVectorRoom)
		p = p[used:]
	}
	nw.n = n
	return total, nil
}

// normWords encodes p into buf from n, eight bytes at a time and then its
// last bytes one at a time, until p is used up or buf holds more than
// stop bytes, which must leave at least 32 bytes of room. It returns the
// new length and the bytes of p it used. A word of letters and digits (by
// far the commonest in a base64 payload) is stored as it is; in a word
// with other bytes, each of those is escaped and the rest of the word
// stored again after the escape.
func normWords(buf *[normBufSize]byte, n int, p []byte, stop int) (int, int) {
	i := 0
	for ; i+8 <= len(p) && n <= stop; i += 8 {
		x := binary.LittleEndian.Uint64(p[i:])
		binary.LittleEndian.PutUint64(buf[n:n+8], x)
		other := ^alnumHighBits(x) & highs
		done := 0 // bytes of the word written
		for other != 0 {
			k := bits.TrailingZeros64(other) >> 3
			other &= other - 1
			n = appendNormByte(buf, n+k-done, p[i+k])
			done = k + 1
			binary.LittleEndian.PutUint64(buf[n:n+8], x>>(8*uint(done)))
		}
		n += 8 - done
	}
	for ; i < len(p) && n <= stop; i++ {
		n = appendNormByte(buf, n, p[i])
	}
	return n, i
}

// appendNormByte writes norm(c) at buf[n:] and returns the new length.
func appendNormByte(buf *[normBufSize]byte, n int, c byte) int {
	if unreserved[c] {
		buf[n] = c
		return n + 1
	}
	buf[n] = '%'
	buf[n+1] = upperHex[c>>4]
	buf[n+2] = upperHex[c&15]
	return n + 3
}

// flush writes what is buffered.
func (nw *normWriter) flush() error {
	if nw.n == 0 {
		return nil
	}
	_, err := nw.w.Write(nw.buf[:nw.n])
	nw.n = 0
	return err
}
