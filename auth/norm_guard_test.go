//go:build linux && amd64 && !purego

package auth

import (
	"bytes"
	"syscall"
	"testing"
)

// guarded returns a slice of n bytes that ends where an inaccessible page
// begins, so reading or writing one byte past it faults.
func guarded(t *testing.T, n int) []byte {
	t.Helper()
	page := syscall.Getpagesize()
	mem, err := syscall.Mmap(-1, 0, 2*page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Munmap(mem) })
	if err := syscall.Mprotect(mem[page:], syscall.PROT_NONE); err != nil {
		t.Fatal(err)
	}
	return mem[page-n : page : page]
}

// TestNormAVX2StaysInBounds runs the vector encoder on inputs of the
// smallest lengths it takes, placed against an inaccessible page, with
// every count of escapes per block: a read or write past either slice
// faults, and what it wrote must match the reference.
func TestNormAVX2StaysInBounds(t *testing.T) {
	if normVector == nil {
		t.Skip("the CPU has no AVX2; the vector encoder is not used")
	}
	const srcLen, dstLen = 96, 160
	src, dst := guarded(t, srcLen), guarded(t, dstLen)
	for escapes := 0; escapes <= 32; escapes++ {
		for i := range src {
			src[i] = 'a'
		}
		for i := range escapes {
			src[(i*7)%32] = '/' // escapes spread over the first block
		}
		nd, ns := normAVX2(dst, src)
		if ns != 32 {
			t.Fatalf("%d escapes: consumed %d bytes, want one block", escapes, ns)
		}
		if want := normReference(src[:32]); !bytes.Equal(dst[:nd], want) {
			t.Fatalf("%d escapes: wrote %q, want %q", escapes, dst[:nd], want)
		}
	}
	// Below the minimums it does nothing.
	if nd, ns := normAVX2(dst, src[:srcLen-1]); nd != 0 || ns != 0 {
		t.Fatalf("with %d source bytes: %d, %d", srcLen-1, nd, ns)
	}
	if nd, ns := normAVX2(dst[:dstLen-1], src); nd != 0 || ns != 0 {
		t.Fatalf("with %d destination bytes: %d, %d", dstLen-1, nd, ns)
	}
}

// TestNormSHAStaysInBounds does for normSHA what
// TestNormAVX2StaysInBounds does for normAVX2, with the encoded bytes
// before w long enough that it hashes a block in the same call: the
// encoding and the state it leaves must match encoding and hashing
// apart.
func TestNormSHAStaysInBounds(t *testing.T) {
	if newFusedMAC == nil {
		t.Skip("the CPU has no SHA extensions (or no AVX, BMI1, POPCNT); normSHA is not used")
	}
	const backlog = 160 // with the turn's 64 or more bytes, at least one block is hashed
	src, buf := guarded(t, normSHASrc), guarded(t, backlog+normSHARoom)
	for escapes := 0; escapes <= 64; escapes++ {
		for i := range src {
			src[i] = 'a'
		}
		for i := range escapes {
			src[(i*37)%64] = '/' // spread over the four blocks of the turn
		}
		for i := range backlog {
			buf[i] = byte(i)
		}
		want := normReference(src[:64])
		wantW := backlog + len(want)
		wantR := 0
		for wantW-wantR >= 64+128 { // it leaves 128 bytes unhashed
			wantR += 64
		}

		h := sha256IV
		r, w, ns := normSHA(&h, buf, 0, backlog, src)
		if ns != 64 || r != wantR || w != wantW {
			t.Fatalf("%d escapes: r, w, ns = %d, %d, %d; want %d, %d, 64", escapes, r, w, ns, wantR, wantW)
		}
		if got := buf[backlog:w]; !bytes.Equal(got, want) {
			t.Fatalf("%d escapes: wrote %q, want %q", escapes, got, want)
		}
		wantH := sha256IV
		shaBlocks(&wantH, buf[:wantR])
		if h != wantH {
			t.Fatalf("%d escapes: the state differs from hashing the block apart", escapes)
		}
	}
	// Below the minimums it does nothing.
	h := sha256IV
	if r, w, ns := normSHA(&h, buf, 0, backlog, src[:normSHASrc-1]); r != 0 || w != backlog || ns != 0 || h != sha256IV {
		t.Fatalf("with %d source bytes: %d, %d, %d", normSHASrc-1, r, w, ns)
	}
	if r, w, ns := normSHA(&h, buf, 0, backlog+1, src); r != 0 || w != backlog+1 || ns != 0 || h != sha256IV {
		t.Fatalf("with %d bytes of room: %d, %d, %d", normSHARoom-1, r, w, ns)
	}
}
