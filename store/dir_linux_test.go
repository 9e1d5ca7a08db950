package store

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TestOpenBeneath: the one-call resolution opens a directory under the
// root and nothing else: not through a link, not above the root, not a
// missing one (for those the walk says what is wrong).
func TestOpenBeneath(t *testing.T) {
	root, outside := t.TempDir(), t.TempDir()
	os.MkdirAll(filepath.Join(root, "a/b"), 0o750)
	os.Symlink(filepath.Join(root, "a"), filepath.Join(root, "in"))
	os.Symlink(outside, filepath.Join(root, "out"))
	os.WriteFile(filepath.Join(root, "a/f"), nil, 0o640)
	top, err := os.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	defer top.Close()
	fd, ok := openBeneath(int(top.Fd()), "a/b")
	if !ok {
		t.Fatal("a/b not opened")
	}
	var st, want unix.Stat_t
	unix.Fstat(fd, &st)
	unix.Stat(filepath.Join(root, "a/b"), &want)
	unix.Close(fd)
	if st.Ino != want.Ino {
		t.Fatal("opened another directory than a/b")
	}
	for _, dir := range []string{"in", "in/b", "out", "a/f", "a/missing", "..", "/tmp", "a/../.."} {
		if fd, ok := openBeneath(int(top.Fd()), dir); ok {
			unix.Close(fd)
			t.Errorf("%q opened", dir)
		}
	}
}

// TestUnnamedRefusedFallsBack: where an unnamed file cannot be made (here
// the staging directory is gone; on a filesystem without O_TMPFILE the
// open fails the same way), the probe says so, and NewDir then stages
// under a name — the "named" runs of the conformance tests.
func TestUnnamedRefusedFallsBack(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "gone")
	os.Mkdir(dir, 0o700)
	f, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if !canCreateUnnamed(f) {
		t.Fatal("no unnamed file in a plain directory")
	}
	os.Remove(dir)
	if canCreateUnnamed(f) {
		t.Fatal("an unnamed file in a removed directory")
	}
}
