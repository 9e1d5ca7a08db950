// Package g711 encodes and decodes ITU-T G.711 A-law and µ-law samples
// from and to 16-bit linear PCM.
package g711

// ALaw encodes a 16-bit linear sample as A-law (G.711, with the even bits
// inverted as transmitted).
func ALaw(s int16) byte {
	sign := byte(0x80)
	x := int(s) >> 3 // A-law works on 13 bits
	if x < 0 {
		sign = 0
		x = -x - 1
	}
	var seg, mant int
	if x < 32 {
		mant = x >> 1
	} else {
		seg = 1
		for v := x >> 5; v > 1; v >>= 1 {
			seg++
		}
		mant = (x >> seg) & 0x0F
	}
	return (sign | byte(seg<<4) | byte(mant)) ^ 0x55
}

// ALawDecode decodes an A-law sample to 16-bit linear, at the middle of its
// quantisation interval.
func ALawDecode(c byte) int16 {
	c ^= 0x55
	seg := int(c>>4) & 7
	mant := int(c & 0x0F)
	var x int
	if seg == 0 {
		x = mant<<1 | 1
	} else {
		x = (mant<<1 | 0x21) << (seg - 1)
	}
	x <<= 3
	if c&0x80 == 0 {
		return int16(-x)
	}
	return int16(x)
}

const (
	muBias = 0x84
	muClip = 32635
)

// MuLaw encodes a 16-bit linear sample as µ-law (G.711, all bits
// inverted as transmitted).
func MuLaw(s int16) byte {
	x := int(s)
	sign := 0
	if x < 0 {
		sign, x = 0x80, -x
	}
	x = min(x, muClip) + muBias
	seg := 0
	for v := x >> 8; v > 0; v >>= 1 {
		seg++
	}
	mant := (x >> (seg + 3)) & 0x0F
	return ^byte(sign | seg<<4 | mant)
}

// MuLawDecode decodes a µ-law sample to 16-bit linear.
func MuLawDecode(c byte) int16 {
	c = ^c
	seg := int(c>>4) & 7
	x := (int(c&0x0F)<<3 + muBias) << seg
	x -= muBias
	if c&0x80 != 0 {
		return int16(-x)
	}
	return int16(x)
}
