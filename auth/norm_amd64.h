// The percent-encoder's block steps, used by normAVX2 (32-byte blocks, YMM
// registers). It keeps the source block at (SI), writes it at (DI), uses
// R14 for where the block's byte k goes (DI, plus 2 per escape before it),
// R15 for ·normEsc, and CX, DX, AX as scratch.

// NORM_CLASSIFY loads the block at (SI) into V, stores it at (DI) as it
// is, and sets bit k of MASK for each byte k to escape: the byte's low
// and high nibbles look up LO and HI (VPSHUFB), and a byte is unreserved
// when the two share a bit. NIB holds 0x0f in every byte, ZERO zero; T1
// and T2 are scratch.
#define NORM_CLASSIFY(V, T1, T2, NIB, LO, HI, ZERO, MASK) \
	VMOVDQU   (SI), V \
	VPSRLW    $4, V, T1 \
	VPAND     NIB, T1, T1 \
	VPAND     NIB, V, T2 \
	VPSHUFB   T2, LO, T2 \
	VPSHUFB   T1, HI, T1 \
	VPAND     T1, T2, T2 \
	VPCMPEQB  ZERO, T2, T2 \
	VPMOVMSKB T2, MASK \
	VMOVDQU   V, (DI)

// NORM_STEP escapes the lowest byte left in MASK: its %XX is stored in
// place, and the source bytes after it (as many as T holds) are stored
// after the %XX, so the bytes up to the next escape are in place when it
// is written. With MASK empty, TZCNT gives 32 and the stores land past
// the block's true end.
#define NORM_STEP(MASK, T) \
	TZCNTL  MASK, CX \
	BLSRL   MASK, MASK \
	MOVBLZX (SI)(CX*1), DX \
	MOVL    (R15)(DX*4), AX \
	MOVL    AX, (R14)(CX*1) \
	ADDQ    $2, R14 \
	VMOVDQU 1(SI)(CX*1), T \
	VMOVDQU T, 1(R14)(CX*1)
