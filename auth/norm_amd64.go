//go:build amd64 && !purego

package auth

// normAVX2 percent-encodes whole 32-byte blocks of src into dst, stopping
// when fewer than 96 bytes of src or 160 bytes of dst remain. It returns
// the bytes written and the bytes consumed. In norm_amd64.s.
//
// Why assembly, and only here: the body's part of a signature is
// percent-encoding then HMAC-SHA256, and on a base64 body (one byte in 32
// escaped: '+' and '/') the byte-at-a-time encoder costs as much as the
// hash. With AVX2 a block of 32 bytes is classified by two nibble lookups
// (VPSHUFB) and copied whole, and only its escapes are handled one by one,
// which leaves the hash, crypto/sha256 (itself SHA-NI or AVX2 assembly in
// the standard library), as nearly the whole cost. The encoder is a pure
// data transform: it touches no key and no secret, it is checked against
// the byte-wise reference (TestNormWriter, FuzzNorm) and between guard
// pages (TestNormAVX2StaysInBounds), and without AVX2, BMI1 and POPCNT, on
// other architectures or with the purego tag, normWords does the same
// eight bytes at a time in Go.
//
//go:noescape
func normAVX2(dst, src []byte) (nd, ns int)

func cpuid(leaf, sub uint32) (a, b, c, d uint32)
func xgetbv0() (lo uint32)

// cpuFeatures is what the assembly in this package needs of the CPU.
type cpuFeatures struct {
	avx    bool // AVX, with the YMM state saved by the OS
	avx2   bool
	bmi1   bool // TZCNT, BLSR
	popcnt bool
}

// detectCPU asks CPUID (and XGETBV, for the OS's part of AVX).
func detectCPU() cpuFeatures {
	var f cpuFeatures
	maxLeaf, _, _, _ := cpuid(0, 0)
	if maxLeaf < 7 {
		return f
	}
	_, _, c, _ := cpuid(1, 0)
	const popcnt, osxsave, avx = 1 << 23, 1 << 27, 1 << 28
	f.popcnt = c&popcnt != 0
	f.avx = c&osxsave != 0 && c&avx != 0 && xgetbv0()&6 == 6
	_, b, _, _ := cpuid(7, 0)
	const bmi1, avx2 = 1 << 3, 1 << 5
	f.avx2 = f.avx && b&avx2 != 0
	f.bmi1 = b&bmi1 != 0
	return f
}

// cpu is what this CPU has, read once at start.
var cpu = detectCPU()

// normVector is normAVX2 when the CPU can run it, else nil. Tests switch
// it off to check the portable path.
var normVector = func() func(dst, src []byte) (int, int) {
	if cpu.avx2 && cpu.bmi1 && cpu.popcnt {
		return normAVX2
	}
	return nil
}()
