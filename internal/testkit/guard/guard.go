//go:build linux

// Package guard places test data against an inaccessible page, so that
// code that reads or writes one byte past its slice faults instead of
// reading on unnoticed: for the tests of the hand-written vector loops
// (auth's percent-encoder, internal/dsp's dot product). It is a
// test-only kit (hence internal/testkit): no program links it.
package guard

import (
	"syscall"
	"testing"
)

// Bytes returns a slice of n bytes (at most a page) whose end is the
// start of a page that can be neither read nor written. The pages are
// unmapped when the test ends.
func Bytes(t testing.TB, n int) []byte {
	t.Helper()
	page := syscall.Getpagesize()
	if n > page {
		t.Fatalf("guard.Bytes: %d bytes is over a page (%d)", n, page)
	}
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
