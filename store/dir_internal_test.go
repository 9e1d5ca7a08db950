package store

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// TestDirSyncsEveryDirectoryItCreates: the first file in a new directory
// tree survives a power loss only if the target directory and the parent
// of every directory created for it are synced.
func TestDirSyncsEveryDirectoryItCreates(t *testing.T) {
	d, err := NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var synced []string
	syncHook = func(dir string) { synced = append(synced, dir) }
	defer func() { syncHook = nil }()
	ctx := context.Background()
	if _, err := d.Put(ctx, "3rdfile/53/thirdvoicebotfile/a.wav", strings.NewReader("a"), 1); err != nil {
		t.Fatal(err)
	}
	want := []string{"3rdfile/53/thirdvoicebotfile", "3rdfile/53", "3rdfile", "."}
	if !slices.Equal(synced, want) {
		t.Fatalf("synced %q, want %q", synced, want)
	}
	synced = nil
	if _, err := d.Put(ctx, "3rdfile/53/thirdvoicebotfile/b.wav", strings.NewReader("b"), 1); err != nil {
		t.Fatal(err)
	}
	if want := []string{"3rdfile/53/thirdvoicebotfile"}; !slices.Equal(synced, want) {
		t.Fatalf("second file: synced %q, want %q", synced, want)
	}
	synced = nil
	if _, err := d.Put(ctx, "3rdfile/54/thirdvoicebotfile/c.wav", strings.NewReader("c"), 1); err != nil {
		t.Fatal(err)
	}
	if want := []string{"3rdfile/54/thirdvoicebotfile", "3rdfile/54", "3rdfile"}; !slices.Equal(synced, want) {
		t.Fatalf("new VDN: synced %q, want %q", synced, want)
	}
}

// TestDirFailedPutCreatesNothing: a Put whose reader fails creates no
// directory, and the staging directory is left empty.
func TestDirFailedPutCreatesNothing(t *testing.T) {
	root := t.TempDir()
	d, err := NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for _, size := range []int64{-1, 10} {
		if _, err := d.Put(context.Background(), "x/y/z.wav", iotest.ErrReader(errors.New("boom")), size); err == nil {
			t.Fatal("Put succeeded")
		}
	}
	entries, _ := os.ReadDir(root)
	if len(entries) != 1 || entries[0].Name() != stagingDir {
		t.Fatalf("root holds %v, want only %s", entries, stagingDir)
	}
	if staged, _ := os.ReadDir(filepath.Join(root, stagingDir)); len(staged) != 0 {
		t.Fatalf("staging holds %v", staged)
	}
}

// TestDirRefusesStagingNames: no name can reach the staging directory.
func TestDirRefusesStagingNames(t *testing.T) {
	d, err := NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for _, name := range []string{stagingDir, stagingDir + "/x.wav"} {
		if _, err := d.Put(context.Background(), name, strings.NewReader("x"), 1); !errors.Is(err, ErrInvalidName) {
			t.Errorf("Put %q: %v", name, err)
		}
		if _, err := d.Open(name); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("Open %q: %v", name, err)
		}
		if err := d.Remove(context.Background(), name); !errors.Is(err, ErrInvalidName) {
			t.Errorf("Remove %q: %v", name, err)
		}
	}
}

// TestNewDirSweepsStaleStagedFiles: files a dead process left in staging
// an hour ago go; recent ones (another process's uploads) stay.
func TestNewDirSweepsStaleStagedFiles(t *testing.T) {
	root := t.TempDir()
	staging := filepath.Join(root, stagingDir)
	os.MkdirAll(staging, 0o700)
	old, recent := filepath.Join(staging, "old"), filepath.Join(staging, "recent")
	os.WriteFile(old, []byte("x"), 0o600)
	os.WriteFile(recent, []byte("x"), 0o600)
	past := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(old, past, past); err != nil {
		t.Fatal(err)
	}
	d, err := NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := os.Stat(old); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("stale staged file: %v", err)
	}
	if _, err := os.Stat(recent); err != nil {
		t.Errorf("recent staged file: %v", err)
	}
}

// TestDirShowsNothingBeforeEOF: while a Put is halfway through its body,
// nothing of it has a name under the root, but for the staging name
// where the Dir stages named files, which List does not show; once it
// fails, nothing at all.
func TestDirShowsNothingBeforeEOF(t *testing.T) {
	for _, unnamed := range []bool{true, false} {
		if unnamed && !canCreateUnnamedHere(t) {
			continue
		}
		root := t.TempDir()
		d, err := NewDir(root)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		d.unnamed = unnamed
		pr, pw := io.Pipe()
		done := make(chan error)
		go func() {
			_, err := d.Put(context.Background(), "3rdfile/53/x.wav", pr, -1)
			done <- err
		}()
		pw.Write(make([]byte, 100<<10)) // returns once Put has read it all
		var names []string
		filepath.WalkDir(root, func(p string, e fs.DirEntry, _ error) error {
			names = append(names, strings.TrimPrefix(p, root))
			return nil
		})
		want := []string{"", "/" + stagingDir}
		if !unnamed {
			if len(names) != 3 || !strings.HasPrefix(names[2], "/"+stagingDir+"/") {
				t.Fatalf("named staging, halfway: %q", names)
			}
			names = names[:2]
		}
		if !slices.Equal(names, want) {
			t.Fatalf("unnamed %v, halfway: %q, want %q", unnamed, names, want)
		}
		var listed []string
		if err := d.List(context.Background(), "", func(f FileInfo) error {
			listed = append(listed, f.Name)
			return nil
		}); err != nil || len(listed) != 0 {
			t.Fatalf("unnamed %v, halfway: List of the whole Dir: %q, %v", unnamed, listed, err)
		}
		pw.CloseWithError(errors.New("the client went away"))
		if err := <-done; err == nil {
			t.Fatal("Put succeeded")
		}
		if staged, _ := os.ReadDir(filepath.Join(root, stagingDir)); len(staged) != 0 {
			t.Fatalf("unnamed %v, after failing: staging holds %v", unnamed, staged)
		}
	}
}

// canCreateUnnamedHere says whether the test's filesystem takes unnamed
// files; on Linux it must.
func canCreateUnnamedHere(t *testing.T) bool {
	d, err := NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if runtime.GOOS == "linux" && !d.unnamed {
		t.Fatal("Linux, and no O_TMPFILE in the temporary directory")
	}
	return d.unnamed
}
