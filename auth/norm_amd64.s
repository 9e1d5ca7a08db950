//go:build amd64 && !purego

#include "textflag.h"
#include "norm_amd64.h"

// Nibble tables for classifying 32 bytes at once with VPSHUFB (each lane
// of 16 holds the same table). A byte b is unreserved (A–Z a–z 0–9 - . _ ~)
// exactly when normLo[b&15] & normHi[b>>4] != 0: each bit of normHi stands
// for one high nibble (2 to 7), and normLo holds, per low nibble, the bits
// of the high nibbles that make an unreserved byte with it.
DATA ·normLo+0x00(SB)/8, $0x3e3e3e3e3e3e3e2a
DATA ·normLo+0x08(SB)/8, $0x1c351514143c3e3e
DATA ·normLo+0x10(SB)/8, $0x3e3e3e3e3e3e3e2a
DATA ·normLo+0x18(SB)/8, $0x1c351514143c3e3e
GLOBL ·normLo(SB), RODATA|NOPTR, $32
DATA ·normHi+0x00(SB)/8, $0x2010080402010000
DATA ·normHi+0x08(SB)/8, $0x0000000000000000
DATA ·normHi+0x10(SB)/8, $0x2010080402010000
DATA ·normHi+0x18(SB)/8, $0x0000000000000000
GLOBL ·normHi(SB), RODATA|NOPTR, $32
DATA ·normNibble+0x00(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA ·normNibble+0x08(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA ·normNibble+0x10(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA ·normNibble+0x18(SB)/8, $0x0f0f0f0f0f0f0f0f
GLOBL ·normNibble(SB), RODATA|NOPTR, $32
// normEsc holds, for each byte c, "%XX" (c in uppercase hex) and a zero,
// as a little-endian uint32, so an escape is one load and one store.
DATA ·normEsc+0x000(SB)/8, $0x0031302500303025
DATA ·normEsc+0x008(SB)/8, $0x0033302500323025
DATA ·normEsc+0x010(SB)/8, $0x0035302500343025
DATA ·normEsc+0x018(SB)/8, $0x0037302500363025
DATA ·normEsc+0x020(SB)/8, $0x0039302500383025
DATA ·normEsc+0x028(SB)/8, $0x0042302500413025
DATA ·normEsc+0x030(SB)/8, $0x0044302500433025
DATA ·normEsc+0x038(SB)/8, $0x0046302500453025
DATA ·normEsc+0x040(SB)/8, $0x0031312500303125
DATA ·normEsc+0x048(SB)/8, $0x0033312500323125
DATA ·normEsc+0x050(SB)/8, $0x0035312500343125
DATA ·normEsc+0x058(SB)/8, $0x0037312500363125
DATA ·normEsc+0x060(SB)/8, $0x0039312500383125
DATA ·normEsc+0x068(SB)/8, $0x0042312500413125
DATA ·normEsc+0x070(SB)/8, $0x0044312500433125
DATA ·normEsc+0x078(SB)/8, $0x0046312500453125
DATA ·normEsc+0x080(SB)/8, $0x0031322500303225
DATA ·normEsc+0x088(SB)/8, $0x0033322500323225
DATA ·normEsc+0x090(SB)/8, $0x0035322500343225
DATA ·normEsc+0x098(SB)/8, $0x0037322500363225
DATA ·normEsc+0x0a0(SB)/8, $0x0039322500383225
DATA ·normEsc+0x0a8(SB)/8, $0x0042322500413225
DATA ·normEsc+0x0b0(SB)/8, $0x0044322500433225
DATA ·normEsc+0x0b8(SB)/8, $0x0046322500453225
DATA ·normEsc+0x0c0(SB)/8, $0x0031332500303325
DATA ·normEsc+0x0c8(SB)/8, $0x0033332500323325
DATA ·normEsc+0x0d0(SB)/8, $0x0035332500343325
DATA ·normEsc+0x0d8(SB)/8, $0x0037332500363325
DATA ·normEsc+0x0e0(SB)/8, $0x0039332500383325
DATA ·normEsc+0x0e8(SB)/8, $0x0042332500413325
DATA ·normEsc+0x0f0(SB)/8, $0x0044332500433325
DATA ·normEsc+0x0f8(SB)/8, $0x0046332500453325
DATA ·normEsc+0x100(SB)/8, $0x0031342500303425
DATA ·normEsc+0x108(SB)/8, $0x0033342500323425
DATA ·normEsc+0x110(SB)/8, $0x0035342500343425
DATA ·normEsc+0x118(SB)/8, $0x0037342500363425
DATA ·normEsc+0x120(SB)/8, $0x0039342500383425
DATA ·normEsc+0x128(SB)/8, $0x0042342500413425
DATA ·normEsc+0x130(SB)/8, $0x0044342500433425
DATA ·normEsc+0x138(SB)/8, $0x0046342500453425
DATA ·normEsc+0x140(SB)/8, $0x0031352500303525
DATA ·normEsc+0x148(SB)/8, $0x0033352500323525
DATA ·normEsc+0x150(SB)/8, $0x0035352500343525
DATA ·normEsc+0x158(SB)/8, $0x0037352500363525
DATA ·normEsc+0x160(SB)/8, $0x0039352500383525
DATA ·normEsc+0x168(SB)/8, $0x0042352500413525
DATA ·normEsc+0x170(SB)/8, $0x0044352500433525
DATA ·normEsc+0x178(SB)/8, $0x0046352500453525
DATA ·normEsc+0x180(SB)/8, $0x0031362500303625
DATA ·normEsc+0x188(SB)/8, $0x0033362500323625
DATA ·normEsc+0x190(SB)/8, $0x0035362500343625
DATA ·normEsc+0x198(SB)/8, $0x0037362500363625
DATA ·normEsc+0x1a0(SB)/8, $0x0039362500383625
DATA ·normEsc+0x1a8(SB)/8, $0x0042362500413625
DATA ·normEsc+0x1b0(SB)/8, $0x0044362500433625
DATA ·normEsc+0x1b8(SB)/8, $0x0046362500453625
DATA ·normEsc+0x1c0(SB)/8, $0x0031372500303725
DATA ·normEsc+0x1c8(SB)/8, $0x0033372500323725
DATA ·normEsc+0x1d0(SB)/8, $0x0035372500343725
DATA ·normEsc+0x1d8(SB)/8, $0x0037372500363725
DATA ·normEsc+0x1e0(SB)/8, $0x0039372500383725
DATA ·normEsc+0x1e8(SB)/8, $0x0042372500413725
DATA ·normEsc+0x1f0(SB)/8, $0x0044372500433725
DATA ·normEsc+0x1f8(SB)/8, $0x0046372500453725
DATA ·normEsc+0x200(SB)/8, $0x0031382500303825
DATA ·normEsc+0x208(SB)/8, $0x0033382500323825
DATA ·normEsc+0x210(SB)/8, $0x0035382500343825
DATA ·normEsc+0x218(SB)/8, $0x0037382500363825
DATA ·normEsc+0x220(SB)/8, $0x0039382500383825
DATA ·normEsc+0x228(SB)/8, $0x0042382500413825
DATA ·normEsc+0x230(SB)/8, $0x0044382500433825
DATA ·normEsc+0x238(SB)/8, $0x0046382500453825
DATA ·normEsc+0x240(SB)/8, $0x0031392500303925
DATA ·normEsc+0x248(SB)/8, $0x0033392500323925
DATA ·normEsc+0x250(SB)/8, $0x0035392500343925
DATA ·normEsc+0x258(SB)/8, $0x0037392500363925
DATA ·normEsc+0x260(SB)/8, $0x0039392500383925
DATA ·normEsc+0x268(SB)/8, $0x0042392500413925
DATA ·normEsc+0x270(SB)/8, $0x0044392500433925
DATA ·normEsc+0x278(SB)/8, $0x0046392500453925
DATA ·normEsc+0x280(SB)/8, $0x0031412500304125
DATA ·normEsc+0x288(SB)/8, $0x0033412500324125
DATA ·normEsc+0x290(SB)/8, $0x0035412500344125
DATA ·normEsc+0x298(SB)/8, $0x0037412500364125
DATA ·normEsc+0x2a0(SB)/8, $0x0039412500384125
DATA ·normEsc+0x2a8(SB)/8, $0x0042412500414125
DATA ·normEsc+0x2b0(SB)/8, $0x0044412500434125
DATA ·normEsc+0x2b8(SB)/8, $0x0046412500454125
DATA ·normEsc+0x2c0(SB)/8, $0x0031422500304225
DATA ·normEsc+0x2c8(SB)/8, $0x0033422500324225
DATA ·normEsc+0x2d0(SB)/8, $0x0035422500344225
DATA ·normEsc+0x2d8(SB)/8, $0x0037422500364225
DATA ·normEsc+0x2e0(SB)/8, $0x0039422500384225
DATA ·normEsc+0x2e8(SB)/8, $0x0042422500414225
DATA ·normEsc+0x2f0(SB)/8, $0x0044422500434225
DATA ·normEsc+0x2f8(SB)/8, $0x0046422500454225
DATA ·normEsc+0x300(SB)/8, $0x0031432500304325
DATA ·normEsc+0x308(SB)/8, $0x0033432500324325
DATA ·normEsc+0x310(SB)/8, $0x0035432500344325
DATA ·normEsc+0x318(SB)/8, $0x0037432500364325
DATA ·normEsc+0x320(SB)/8, $0x0039432500384325
DATA ·normEsc+0x328(SB)/8, $0x0042432500414325
DATA ·normEsc+0x330(SB)/8, $0x0044432500434325
DATA ·normEsc+0x338(SB)/8, $0x0046432500454325
DATA ·normEsc+0x340(SB)/8, $0x0031442500304425
DATA ·normEsc+0x348(SB)/8, $0x0033442500324425
DATA ·normEsc+0x350(SB)/8, $0x0035442500344425
DATA ·normEsc+0x358(SB)/8, $0x0037442500364425
DATA ·normEsc+0x360(SB)/8, $0x0039442500384425
DATA ·normEsc+0x368(SB)/8, $0x0042442500414425
DATA ·normEsc+0x370(SB)/8, $0x0044442500434425
DATA ·normEsc+0x378(SB)/8, $0x0046442500454425
DATA ·normEsc+0x380(SB)/8, $0x0031452500304525
DATA ·normEsc+0x388(SB)/8, $0x0033452500324525
DATA ·normEsc+0x390(SB)/8, $0x0035452500344525
DATA ·normEsc+0x398(SB)/8, $0x0037452500364525
DATA ·normEsc+0x3a0(SB)/8, $0x0039452500384525
DATA ·normEsc+0x3a8(SB)/8, $0x0042452500414525
DATA ·normEsc+0x3b0(SB)/8, $0x0044452500434525
DATA ·normEsc+0x3b8(SB)/8, $0x0046452500454525
DATA ·normEsc+0x3c0(SB)/8, $0x0031462500304625
DATA ·normEsc+0x3c8(SB)/8, $0x0033462500324625
DATA ·normEsc+0x3d0(SB)/8, $0x0035462500344625
DATA ·normEsc+0x3d8(SB)/8, $0x0037462500364625
DATA ·normEsc+0x3e0(SB)/8, $0x0039462500384625
DATA ·normEsc+0x3e8(SB)/8, $0x0042462500414625
DATA ·normEsc+0x3f0(SB)/8, $0x0044462500434625
DATA ·normEsc+0x3f8(SB)/8, $0x0046462500454625
GLOBL ·normEsc(SB), RODATA|NOPTR, $1024

// func normAVX2(dst, src []byte) (nd, ns int)
//
// Encodes 32-byte blocks of src into dst while at least 96 bytes of src
// (a block, and the 33 bytes after its end that a step may read) and 160
// bytes of dst (a block of 32 escapes, and the 32-byte store after the
// last) remain. Each block is classified with VPSHUFB and stored as
// it is; then, for each byte to escape in turn, its %XX is stored in place
// and the 32 source bytes after it are stored after the %XX, so the bytes
// up to the next escape are already in place when it is written.
//
// A base64 body has about one byte to escape per block ('+' and '/' are
// 2 of its 64 symbols), and a loop over them would mispredict its exit on
// most blocks, which costs more than the work. So two escape steps run
// without a branch: a step with no escape left (TZCNT gives 32) writes
// only past the block's true end, where the next block's stores land.
// Only a block with three or more (about 8 % of base64 blocks) loops for
// the rest. Two steps measured faster than one, three or four.
TEXT ·normAVX2(SB), NOSPLIT, $0-64
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), R8
	MOVQ src_base+24(FP), SI
	MOVQ src_len+32(FP), R9
	MOVQ DI, R12 // dst start
	MOVQ SI, R13 // src start
	CMPQ R9, $96
	JLT  done
	CMPQ R8, $160
	JLT  done
	LEAQ -96(SI)(R9*1), R9  // the last block start with 96 bytes from it
	LEAQ -160(DI)(R8*1), R8 // the last dst position with 160 bytes from it
	VMOVDQU ·normLo(SB), Y6
	VMOVDQU ·normHi(SB), Y7
	VMOVDQU ·normNibble(SB), Y5
	VPXOR   Y4, Y4, Y4
	LEAQ    ·normEsc(SB), R15

block:
	CMPQ SI, R9
	JHI  done
	CMPQ DI, R8
	JHI  done
	NORM_CLASSIFY(Y0, Y1, Y2, Y5, Y6, Y7, Y4, BX)
	POPCNTL   BX, R10
	MOVQ      DI, R14 // R14+k is where byte k goes: DI, plus 2 per escape before it

	NORM_STEP(BX, Y3)
	NORM_STEP(BX, Y3)
	TESTL BX, BX
	JNZ   more

next:
	LEAQ 32(DI)(R10*2), DI
	ADDQ $32, SI
	JMP  block

more:
	NORM_STEP(BX, Y3)
	TESTL BX, BX
	JNZ   more
	JMP   next

done:
	VZEROUPPER
	SUBQ R12, DI
	SUBQ R13, SI
	MOVQ DI, nd+48(FP)
	MOVQ SI, ns+56(FP)
	RET

// func cpuid(leaf, sub uint32) (a, b, c, d uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL leaf+0(FP), AX
	MOVL sub+4(FP), CX
	CPUID
	MOVL AX, a+8(FP)
	MOVL BX, b+12(FP)
	MOVL CX, c+16(FP)
	MOVL DX, d+20(FP)
	RET

// func xgetbv0() (lo uint32)
TEXT ·xgetbv0(SB), NOSPLIT, $0-4
	MOVL   $0, CX
	XGETBV
	MOVL   AX, lo+0(FP)
	RET

