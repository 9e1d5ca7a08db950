package store_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/ccfs-go/ccfs/ccfstest"
	"github.com/ccfs-go/ccfs/store"
)

type testStore interface {
	store.Store
	store.Opener
}

func stores(t *testing.T) map[string]testStore {
	d, err := store.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return map[string]testStore{"Dir": d, "Memory": store.NewMemory()}
}

func read(t *testing.T, s store.Opener, name string) ([]byte, error) {
	t.Helper()
	f, err := s.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

func TestStores(t *testing.T) {
	ctx := context.Background()
	data := bytes.Repeat([]byte("RIFF-wave-bytes-"), 10000)
	for kind, s := range stores(t) {
		t.Run(kind, func(t *testing.T) {
			name := "3rdfile/53/thirdvoicebotfile/a.wav"
			if _, err := s.Put(ctx, name, bytes.NewReader(data), int64(len(data))); err != nil {
				t.Fatal(err)
			}
			if got, err := read(t, s, name); err != nil || !bytes.Equal(got, data) {
				t.Fatalf("read back %d bytes, %v", len(got), err)
			}
			// Never overwritten.
			if _, err := s.Put(ctx, name, strings.NewReader("other"), -1); !errors.Is(err, store.ErrExist) {
				t.Fatalf("second Put: %v", err)
			}
			if got, _ := read(t, s, name); !bytes.Equal(got, data) {
				t.Fatal("overwritten")
			}
			// Failures leave nothing.
			fail := map[string]func() (io.Reader, context.Context){
				"reader error": func() (io.Reader, context.Context) {
					return io.MultiReader(bytes.NewReader(data[:5000]), iotest.ErrReader(errors.New("boom"))), ctx
				},
				"cancelled": func() (io.Reader, context.Context) {
					c, cancel := context.WithCancel(ctx)
					cancel()
					return bytes.NewReader(data), c
				},
				"size mismatch": func() (io.Reader, context.Context) { return bytes.NewReader(data[:10]), ctx },
			}
			for what, mk := range fail {
				r, c := mk()
				if _, err := s.Put(c, "3rdfile/53/thirdvoicebotfile/b.wav", r, int64(len(data))); err == nil {
					t.Fatalf("%s: Put succeeded", what)
				}
				if _, err := read(t, s, "3rdfile/53/thirdvoicebotfile/b.wav"); !errors.Is(err, fs.ErrNotExist) {
					t.Fatalf("%s: file left behind (%v)", what, err)
				}
			}
			for _, bad := range []string{"", "/abs.wav", "../x.wav", "a/../b.wav", "a//b.wav", "./a.wav", `a\b.wav`, "Y:/a.wav", "a/\x00.wav", "a/"} {
				if _, err := s.Put(ctx, bad, strings.NewReader("x"), 1); !errors.Is(err, store.ErrInvalidName) {
					t.Errorf("Put(%q): %v", bad, err)
				}
			}
			// Concurrent Puts of different names.
			var wg sync.WaitGroup
			for i := range 16 {
				wg.Go(func() {
					n := "c/" + string(rune('a'+i)) + ".wav"
					if _, err := s.Put(ctx, n, bytes.NewReader(data[:1000*i]), -1); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
		})
	}
}

// stagings are the two ways a Dir writes a file before it is complete:
// unnamed (O_TMPFILE, Linux's default), and under a name in the staging
// directory (elsewhere, or where the filesystem refuses unnamed files).
var stagings = map[string][]store.DirOption{"unnamed": nil, "named": {store.NamedStaging()}}

// forEachStaging runs f on a new Dir of each staging, rooted at root.
func forEachStaging(t *testing.T, f func(t *testing.T, root string, d *store.Dir)) {
	for staging, opts := range stagings {
		t.Run(staging, func(t *testing.T) {
			root := t.TempDir()
			d, err := store.NewDir(root, opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			f(t, root, d)
		})
	}
}

// TestDirStagesUnnamedOnLinux: on Linux the default is an unnamed file.
func TestDirStagesUnnamedOnLinux(t *testing.T) {
	d, err := store.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if got, want := d.StagesUnnamed(), runtime.GOOS == "linux"; got != want {
		t.Fatalf("StagesUnnamed() = %v on %s (the temporary directory's filesystem refuses O_TMPFILE?)", got, runtime.GOOS)
	}
}

func TestDirLeavesNoTemporaryFiles(t *testing.T) {
	forEachStaging(t, func(t *testing.T, root string, d *store.Dir) {
		ctx := context.Background()
		d.Put(ctx, "a/ok.wav", strings.NewReader("ok"), 2)
		d.Put(ctx, "a/fail.wav", iotest.ErrReader(errors.New("boom")), -1)
		d.Put(ctx, "a/ok.wav", strings.NewReader("again"), 5)
		var files []string
		filepath.WalkDir(root, func(p string, e fs.DirEntry, _ error) error {
			if !e.IsDir() {
				files = append(files, p[len(root):])
			}
			return nil
		})
		if len(files) != 1 || files[0] != "/a/ok.wav" {
			t.Fatalf("files under root: %v", files)
		}
		if b, _ := os.ReadFile(filepath.Join(root, "a/ok.wav")); string(b) != "ok" {
			t.Fatalf("a/ok.wav holds %q", b)
		}
		fi, _ := os.Stat(filepath.Join(root, "a/ok.wav"))
		di, _ := os.Stat(filepath.Join(root, "a"))
		if fi.Mode().Perm()&^0o640 != 0 || di.Mode().Perm()&^0o750 != 0 {
			t.Fatalf("modes %v %v", fi.Mode(), di.Mode())
		}
	})
}

func TestDirDoesNotFollowSymlinksOut(t *testing.T) {
	root, outside := t.TempDir(), t.TempDir()
	if err := os.Symlink(outside, filepath.Join(root, "escape")); err != nil {
		t.Skip("no symlinks here:", err)
	}
	d, _ := store.NewDir(root)
	defer d.Close()
	if _, err := d.Put(context.Background(), "escape/x.wav", strings.NewReader("x"), 1); err == nil {
		t.Fatal("Put through a symlink out of the root succeeded")
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Fatalf("wrote outside the root: %v", entries)
	}
}

func TestDirConformance(t *testing.T) {
	forEachStaging(t, func(t *testing.T, root string, d *store.Dir) {
		ccfstest.TestStore(t, d, ccfstest.LinksUnder(root))
	})
}

func TestMemoryConformance(t *testing.T) {
	ccfstest.TestStore(t, store.NewMemory())
}

func TestDirLifecycle(t *testing.T) {
	forEachStaging(t, func(t *testing.T, _ string, d *store.Dir) {
		ccfstest.TestLifecycle(t, d)
	})
}

func TestMemoryLifecycle(t *testing.T) {
	ccfstest.TestLifecycle(t, store.NewMemory())
}

// A file with a second hard link is refused unless the Dir allows them.
func TestDirHardLinks(t *testing.T) {
	for _, allow := range []bool{false, true} {
		root := t.TempDir()
		var opts []store.DirOption
		if allow {
			opts = append(opts, store.AllowHardLinks())
		}
		d, err := store.NewDir(root, opts...)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		d.Put(context.Background(), "a/one.wav", strings.NewReader("one"), -1)
		if err := os.Link(filepath.Join(root, "a", "one.wav"), filepath.Join(root, "a", "two.wav")); err != nil {
			t.Fatal(err)
		}
		f, err := d.Open("a/two.wav")
		if allow != (err == nil) || !allow && !errors.Is(err, store.ErrLink) {
			t.Fatalf("allow %v: Open: %v", allow, err)
		}
		if f != nil {
			f.Close()
		}
		err = d.Remove(context.Background(), "a/two.wav")
		if allow != (err == nil) || !allow && !errors.Is(err, store.ErrLink) {
			t.Fatalf("allow %v: Remove: %v", allow, err)
		}
	}
}

// A name the filesystem cannot hold (an element over NAME_MAX) is one
// that does not exist, for Open and Remove alike: not a fault of the store.
func TestDirNameTooLong(t *testing.T) {
	d, err := store.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	d.Put(context.Background(), "a/x.wav", strings.NewReader("x"), 1) // so that "a" exists
	for _, name := range []string{strings.Repeat("a", 300), "a/" + strings.Repeat("b", 300) + "/c.wav", "a/" + strings.Repeat("b", 300)} {
		if _, err := d.Open(name); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Open %d bytes: %v", len(name), err)
		}
		if err := d.Remove(context.Background(), name); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Remove %d bytes: %v", len(name), err)
		}
	}
}

// Where files are staged under a name, a staged file that stopped being
// written longer ago than StaleStaging (a crashed upload's) is removed
// while the Dir serves, not only when it starts; a recent one stays.
func TestStaleStagingSweptWhileServing(t *testing.T) {
	root := t.TempDir()
	d, err := store.NewDir(root, store.NamedStaging(), store.StaleStaging(400*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	staging := filepath.Join(root, ".ccfs-staging")
	dead, live := filepath.Join(staging, "DEADUPLOAD"), filepath.Join(staging, "LIVEUPLOAD")
	for _, f := range []string{dead, live} {
		if err := os.WriteFile(f, []byte("RIFF"), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-time.Hour)
	os.Chtimes(dead, old, old)
	time.Sleep(150 * time.Millisecond) // past a quarter of the age since NewDir swept
	if _, err := d.Put(context.Background(), "a/b.wav", strings.NewReader("RIFF"), -1); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(dead); errors.Is(err, fs.ErrNotExist) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a crashed upload's staged file is still there while the Dir serves")
		}
	}
	if _, err := os.Stat(live); err != nil {
		t.Fatalf("a recent staged file was removed: %v", err)
	}
}
