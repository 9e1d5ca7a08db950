//go:build linux

package guard_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"unsafe"

	"github.com/ccfs-go/ccfs/internal/testkit/guard"
)

// A read one byte past the slice faults: the test runs itself in a child
// that reads past, and expects it to die of the fault.
func TestReadPastFaults(t *testing.T) {
	b := guard.Bytes(t, 16)
	if len(b) != 16 || cap(b) != 16 {
		t.Fatalf("len %d cap %d", len(b), cap(b))
	}
	_ = b[15] // the last byte is readable
	if os.Getenv("GUARD_READ_PAST") == "1" {
		past := (*byte)(unsafe.Add(unsafe.Pointer(&b[15]), 1))
		println("read", *past)
		t.Fatal("read past the guard without a fault")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestReadPastFaults$")
	cmd.Env = append(os.Environ(), "GUARD_READ_PAST=1")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "unexpected fault address") {
		t.Fatalf("the child that reads past the guard: %v, %s; want it to die of the fault", err, out)
	}
}
