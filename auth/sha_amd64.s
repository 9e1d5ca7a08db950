//go:build amd64 && !purego

#include "textflag.h"
#include "norm_amd64.h"

// The SHA-256 round constants, in order.
DATA shaK<>+0x000(SB)/8, $0x71374491428a2f98
DATA shaK<>+0x008(SB)/8, $0xe9b5dba5b5c0fbcf
DATA shaK<>+0x010(SB)/8, $0x59f111f13956c25b
DATA shaK<>+0x018(SB)/8, $0xab1c5ed5923f82a4
DATA shaK<>+0x020(SB)/8, $0x12835b01d807aa98
DATA shaK<>+0x028(SB)/8, $0x550c7dc3243185be
DATA shaK<>+0x030(SB)/8, $0x80deb1fe72be5d74
DATA shaK<>+0x038(SB)/8, $0xc19bf1749bdc06a7
DATA shaK<>+0x040(SB)/8, $0xefbe4786e49b69c1
DATA shaK<>+0x048(SB)/8, $0x240ca1cc0fc19dc6
DATA shaK<>+0x050(SB)/8, $0x4a7484aa2de92c6f
DATA shaK<>+0x058(SB)/8, $0x76f988da5cb0a9dc
DATA shaK<>+0x060(SB)/8, $0xa831c66d983e5152
DATA shaK<>+0x068(SB)/8, $0xbf597fc7b00327c8
DATA shaK<>+0x070(SB)/8, $0xd5a79147c6e00bf3
DATA shaK<>+0x078(SB)/8, $0x1429296706ca6351
DATA shaK<>+0x080(SB)/8, $0x2e1b213827b70a85
DATA shaK<>+0x088(SB)/8, $0x53380d134d2c6dfc
DATA shaK<>+0x090(SB)/8, $0x766a0abb650a7354
DATA shaK<>+0x098(SB)/8, $0x92722c8581c2c92e
DATA shaK<>+0x0a0(SB)/8, $0xa81a664ba2bfe8a1
DATA shaK<>+0x0a8(SB)/8, $0xc76c51a3c24b8b70
DATA shaK<>+0x0b0(SB)/8, $0xd6990624d192e819
DATA shaK<>+0x0b8(SB)/8, $0x106aa070f40e3585
DATA shaK<>+0x0c0(SB)/8, $0x1e376c0819a4c116
DATA shaK<>+0x0c8(SB)/8, $0x34b0bcb52748774c
DATA shaK<>+0x0d0(SB)/8, $0x4ed8aa4a391c0cb3
DATA shaK<>+0x0d8(SB)/8, $0x682e6ff35b9cca4f
DATA shaK<>+0x0e0(SB)/8, $0x78a5636f748f82ee
DATA shaK<>+0x0e8(SB)/8, $0x8cc7020884c87814
DATA shaK<>+0x0f0(SB)/8, $0xa4506ceb90befffa
DATA shaK<>+0x0f8(SB)/8, $0xc67178f2bef9a3f7
GLOBL shaK<>(SB), RODATA|NOPTR, $256
// shaSwap reverses the bytes of each 32-bit word (SHA-256 reads its
// message big-endian).
DATA shaSwap<>+0x00(SB)/8, $0x0405060700010203
DATA shaSwap<>+0x08(SB)/8, $0x0c0d0e0f08090a0b
GLOBL shaSwap<>(SB), RODATA|NOPTR, $16

// SHA-256 with the SHA extensions. The state lives in X1 (words a b e f,
// from high to low: ABEF) and X2 (CDGH), the layout SHA256RNDS2 works on;
// X3–X6 hold the message schedule, four words each, in turn; X0 is the
// message word plus constant that SHA256RNDS2 takes implicitly; X7 is
// scratch; X8 is shaSwap. Only VEX-encoded 128-bit instructions are used
// beside the SHA ones, so the upper halves of the YMM registers stay
// clean and no SSE/AVX transition costs anything.

// SHA_LOAD sets X1, X2 from the state h[0..7] at (R).
#define SHA_LOAD(R) \
	VMOVDQU     (R), X1 \
	VMOVDQU     16(R), X2 \
	VPSHUFD     $0xb1, X1, X1 \
	VPSHUFD     $0x1b, X2, X2 \
	VPALIGNR    $8, X2, X1, X7 \
	VPBLENDW    $0xf0, X1, X2, X2 \
	VMOVDQA     X7, X1

// SHA_STORE writes X1, X2 back to the state at (R).
#define SHA_STORE(R) \
	VPSHUFD     $0x1b, X1, X1 \
	VPSHUFD     $0xb1, X2, X2 \
	VPBLENDW    $0xf0, X2, X1, X7 \
	VPALIGNR    $8, X1, X2, X2 \
	VMOVDQU     X7, (R) \
	VMOVDQU     X2, 16(R)

// Four rounds from the schedule words in m, with the constants at
// shaK+k: two in each SHA256RNDS2.
#define SHA_R1(k, m) \
	VPADDD      shaK<>+k(SB), m, X0 \
	SHA256RNDS2 X0, X1, X2
#define SHA_R2 \
	VPUNPCKHQDQ X0, X0, X0 \
	SHA256RNDS2 X0, X2, X1
// SHA_LOADW reads message words into m from off(R).
#define SHA_LOADW(R, off, m) \
	VMOVDQU     off(R), m \
	VPSHUFB     X8, m, m
// SHA_W2 finishes the next four schedule words in m1 from m0 and the
// four before them in m3; SHA_W1 starts the four after that in m3.
#define SHA_W2(m0, m1, m3) \
	VPALIGNR    $4, m3, m0, X7 \
	VPADDD      X7, m1, m1 \
	SHA256MSG2  m0, m1
#define SHA_W1(m0, m3) \
	SHA256MSG1  m0, m3
#define SHA_FULL(k, m0, m1, m3) \
	SHA_R1(k, m0) \
	SHA_W2(m0, m1, m3) \
	SHA_R2 \
	SHA_W1(m0, m3)

// SHA_BLOCK runs the 64 rounds on the block at (R), saving the state
// first in the frame's 32 bytes at 0(SP), to add it back at the end.
#define SHA_BLOCK(R) \
	VMOVDQU X1, 0(SP) \
	VMOVDQU X2, 16(SP) \
	SHA_LOADW(R, 0, X3) \
	SHA_R1(0x00, X3) \
	SHA_R2 \
	SHA_LOADW(R, 16, X4) \
	SHA_R1(0x10, X4) \
	SHA_R2 \
	SHA_W1(X4, X3) \
	SHA_LOADW(R, 32, X5) \
	SHA_R1(0x20, X5) \
	SHA_R2 \
	SHA_W1(X5, X4) \
	SHA_LOADW(R, 48, X6) \
	SHA_FULL(0x30, X6, X3, X5) \
	SHA_FULL(0x40, X3, X4, X6) \
	SHA_FULL(0x50, X4, X5, X3) \
	SHA_FULL(0x60, X5, X6, X4) \
	SHA_FULL(0x70, X6, X3, X5) \
	SHA_FULL(0x80, X3, X4, X6) \
	SHA_FULL(0x90, X4, X5, X3) \
	SHA_FULL(0xa0, X5, X6, X4) \
	SHA_FULL(0xb0, X6, X3, X5) \
	SHA_FULL(0xc0, X3, X4, X6) \
	SHA_R1(0xd0, X4) \
	SHA_W2(X4, X5, X3) \
	SHA_R2 \
	SHA_R1(0xe0, X5) \
	SHA_W2(X5, X6, X4) \
	SHA_R2 \
	SHA_R1(0xf0, X6) \
	SHA_R2 \
	VPADDD 0(SP), X1, X1 \
	VPADDD 16(SP), X2, X2

// func shaBlocks(h *[8]uint32, p []byte)
//
// Runs the SHA-256 compression function on each whole 64-byte block of p,
// updating the state h (a to h, as in FIPS 180-4). Bytes after the last
// whole block are not read.
TEXT ·shaBlocks(SB), NOSPLIT, $32-32
	MOVQ    h+0(FP), AX
	MOVQ    p_base+8(FP), BX
	MOVQ    p_len+16(FP), CX
	SHRQ    $6, CX
	JZ      blocksDone
	VZEROUPPER
	VMOVDQU shaSwap<>(SB), X8
	SHA_LOAD(AX)

blocksLoop:
	SHA_BLOCK(BX)
	ADDQ $64, BX
	DECQ CX
	JNZ  blocksLoop
	SHA_STORE(AX)

blocksDone:
	RET

// func normSHA(h *[8]uint32, buf []byte, r, w int, src []byte) (r2, w2, ns int)
//
// Percent-encodes src into buf from w, and hashes whole blocks of buf from
// r into h, in one loop. Each turn encodes 64 bytes of src (four blocks
// of 16, as normAVX2 does with 32: classified with VPSHUFB, stored as
// they are, then one escape step, and a loop for the rest); then it
// hashes blocks while at least 128 encoded bytes would be left unhashed.
// SHA256RNDS2 waits on its own result for most of each block; the
// encoding is independent of it and fills that time, so the two together
// cost little more than the hashing alone. The 128 bytes of lag keep the
// hash from loading bytes whose stores are still in flight.
//
// It runs while at least 97 bytes of src remain (the last block, and the
// 49 bytes from its start that its escape step may read) and 208 bytes of
// buf after w (the most four blocks can grow to, 192, and the 16-byte
// store that may follow). An escape step with no escape left (TZCNT
// gives 32) writes only past the true end, where later stores land.
//
// Registers: SI src, R9 the last src position to start a turn at; DI
// where the next encoded byte goes, R8 the last such position to start a
// turn at; BX the next byte to hash; R13 the blocks left in the turn; R10
// the block's bytes left to escape, R12 their count; R14 where the
// block's byte k goes (DI + 2 per escape before it); R15 ·normEsc; CX,
// DX, AX scratch. X9–X12 are the encoder's scratch, X13 zero, X14 ·normLo
// and X15 ·normHi; X0–X8 are SHA_BLOCK's.
TEXT ·normSHA(SB), NOSPLIT, $32-96
	MOVQ buf_base+8(FP), DI
	MOVQ DI, BX
	ADDQ r+32(FP), BX
	MOVQ buf_len+16(FP), R8
	SUBQ w+40(FP), R8
	ADDQ w+40(FP), DI
	MOVQ src_base+48(FP), SI
	MOVQ src_len+56(FP), R9
	CMPQ R8, $208
	JLT  encDone
	CMPQ R9, $97
	JLT  encDone
	LEAQ -208(DI)(R8*1), R8
	LEAQ -97(SI)(R9*1), R9
	VZEROUPPER
	VMOVDQU shaSwap<>(SB), X8
	VMOVDQU ·normLo(SB), X14
	VMOVDQU ·normHi(SB), X15
	VPXOR   X13, X13, X13
	LEAQ    ·normEsc(SB), R15
	MOVQ    h+0(FP), AX
	SHA_LOAD(AX)

turn:
	CMPQ SI, R9
	JHI  turnsDone
	CMPQ DI, R8
	JHI  turnsDone
	MOVL $4, R13

block:
	NORM_CLASSIFY(X9, X10, X11, ·normNibble(SB), X14, X15, X13, R10)
	POPCNTL   R10, R12
	MOVQ      DI, R14

	NORM_STEP(R10, X12)
	TESTL R10, R10
	JNZ   more

next:
	LEAQ 16(DI)(R12*2), DI
	ADDQ $16, SI
	DECL R13
	JNZ  block

hash:
	MOVQ DI, R12
	SUBQ BX, R12
	CMPQ R12, $192
	JLT  turn
	SHA_BLOCK(BX)
	ADDQ $64, BX
	JMP  hash

more:
	NORM_STEP(R10, X12)
	TESTL R10, R10
	JNZ   more
	JMP   next

turnsDone:
	MOVQ h+0(FP), AX
	SHA_STORE(AX)

encDone:
	MOVQ buf_base+8(FP), AX
	SUBQ AX, BX
	SUBQ AX, DI
	MOVQ BX, r2+72(FP)
	MOVQ DI, w2+80(FP)
	SUBQ src_base+48(FP), SI
	MOVQ SI, ns+88(FP)
	RET
