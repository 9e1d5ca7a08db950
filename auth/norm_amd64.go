//go:build amd64 && !purego

package auth

// normAVX2 percent-encodes whole 32-byte blocks of src into dst, stopping
// when fewer than 96 bytes of src or 160 bytes of dst remain. It returns
// the bytes written and the bytes consumed. In norm_amd64.s.
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
	sha    bool // the SHA extensions: SHA256RNDS2, SHA256MSG1, SHA256MSG2
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
	const bmi1, avx2, sha = 1 << 3, 1 << 5, 1 << 29
	f.avx2 = f.avx && b&avx2 != 0
	f.bmi1 = b&bmi1 != 0
	f.sha = b&sha != 0
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
