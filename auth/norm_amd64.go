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

// hasAVX2 reports that the CPU has AVX2, POPCNT and BMI1 (TZCNT, BLSR),
// and that the OS saves the YMM registers.
func hasAVX2() bool {
	maxLeaf, _, _, _ := cpuid(0, 0)
	if maxLeaf < 7 {
		return false
	}
	_, _, c, _ := cpuid(1, 0)
	const popcnt, osxsave, avx = 1 << 23, 1 << 27, 1 << 28
	if c&popcnt == 0 || c&osxsave == 0 || c&avx == 0 || xgetbv0()&6 != 6 {
		return false
	}
	_, b, _, _ := cpuid(7, 0)
	const bmi1, avx2 = 1 << 3, 1 << 5
	return b&bmi1 != 0 && b&avx2 != 0
}

// normVector is normAVX2 when the CPU has AVX2, else nil. Tests switch it
// off to check the portable path.
var normVector = func() func(dst, src []byte) (int, int) {
	if hasAVX2() {
		return normAVX2
	}
	return nil
}()
