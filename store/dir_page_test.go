//go:build unix

package store_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs/store"
)

// dirListOnly is a Dir that can list but not page: store.ListPage then
// pages over its List.
type dirListOnly struct{ d *store.Dir }

func (l dirListOnly) Put(ctx context.Context, name string, r io.Reader, size int64) ([]string, error) {
	return l.d.Put(ctx, name, r, size)
}
func (l dirListOnly) List(ctx context.Context, dir string, fn func(store.FileInfo) error) error {
	return l.d.List(ctx, dir, fn)
}

// messyTree makes, under a Dir's root, files in directories next to what
// a Dir lists not: symbolic links to a file and to directories (inside
// and out of the root), a file with two hard links, a named pipe; and a
// Put still in progress.
func messyTree(t *testing.T, opts ...store.DirOption) (*store.Dir, string) {
	t.Helper()
	root := t.TempDir()
	d, err := store.NewDir(root, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	putAll(t, d, append(numbered("v", 25), "v/sub/x.wav", "v/sub/y.wav", "top.wav", "w/one.wav", "v2/z.wav", "v.wav")...)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	at := func(n string) string { return filepath.Join(root, filepath.FromSlash(n)) }
	must(os.Symlink(at("w/one.wav"), at("v/f05b.wav")))
	must(os.Symlink(at("w"), at("v/linked-dir")))
	must(os.Symlink(at("w"), at("linked-w")))
	must(os.Symlink(t.TempDir(), at("v/out")))
	must(os.MkdirAll(at("w/hard"), 0o750))
	must(os.WriteFile(at("w/hard/one.wav"), []byte("one"), 0o640))
	must(os.Link(at("w/hard/one.wav"), at("v/f10b.wav")))
	must(syscall.Mkfifo(at("v/f15b.wav"), 0o600))
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { _, err := d.Put(context.Background(), "v/f20b.wav", pr, -1); done <- err }()
	pw.Write([]byte("the first bytes")) // returns once the Dir has read them
	t.Cleanup(func() { pw.CloseWithError(errors.New("stop")); <-done })
	return d, root
}

// TestDirListPageAsList: Dir's own ListPage pages exactly what ListPage
// over its List does, in every directory of a messy tree, with and
// without hard links allowed and for both ways of staging: no link,
// no pipe, no hard-linked file (unless allowed), no Put in progress, no
// staging directory, nothing through a linked directory.
func TestDirListPageAsList(t *testing.T) {
	for _, c := range []struct {
		name string
		opts []store.DirOption
	}{{"Default", nil}, {"NamedStaging", []store.DirOption{store.NamedStaging()}}, {"AllowHardLinks", []store.DirOption{store.AllowHardLinks()}}} {
		t.Run(c.name, func(t *testing.T) {
			d, _ := messyTree(t, c.opts...)
			for _, dir := range []string{"", "v", "v/", "v/sub", "w", "w/hard", "v/linked-dir", "linked-w", "v/out", "missing", "v/f00.wav"} {
				for _, limit := range []int{1, 10, 100} {
					for _, after := range []string{"", "v/f09.wav", "v/f10", "v/sub/x.wav", "z"} {
						got, gotMore, err := d.ListPage(context.Background(), dir, after, limit)
						want, wantMore, werr := store.ListPage(context.Background(), dirListOnly{d}, dir, after, limit)
						if err != nil || werr != nil {
							t.Fatalf("ListPage(%q, %q, %d): %v; over List: %v", dir, after, limit, err, werr)
						}
						if fmt.Sprint(got, gotMore) != fmt.Sprint(want, wantMore) {
							t.Errorf("ListPage(%q, %q, %d):\n%v, more %v\nover List:\n%v, more %v", dir, after, limit, got, gotMore, want, wantMore)
						}
					}
				}
			}
			files, _, err := d.ListPage(context.Background(), "v", "", 100)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, f := range files {
				names = append(names, f.Name)
			}
			want := numbered("v", 25)
			if c.name == "AllowHardLinks" {
				want = append(want, "v/f10b.wav")
				slices.Sort(want)
			}
			if !slices.Equal(names, want) {
				t.Errorf("ListPage(v): %v, want %v", names, want)
			}
			if files, _, err := d.ListPage(context.Background(), "", "", 100); err != nil || len(files) != 2 || files[0].Name != "top.wav" || files[1].Name != "v.wav" {
				t.Errorf("ListPage of the root: %v, %v; want top.wav and v.wav alone", files, err)
			}
		})
	}
}

// TestDirListPageRefuses: a name that is not one, and the staging
// directory, are ErrInvalidName; a limit below 1 is ErrLimit.
func TestDirListPageRefuses(t *testing.T) {
	d, err := store.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for _, dir := range []string{"../x", "/abs", "a//b", ".ccfs-staging", ".ccfs-staging/x", "a\\b"} {
		if _, _, err := d.ListPage(context.Background(), dir, "", 10); !errors.Is(err, store.ErrInvalidName) {
			t.Errorf("ListPage(%q): %v, want ErrInvalidName", dir, err)
		}
	}
	if _, _, err := d.ListPage(context.Background(), "v", "", 0); !errors.Is(err, store.ErrLimit) {
		t.Errorf("limit 0: %v, want ErrLimit", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	putAll(t, d, "v/a.wav")
	if _, _, err := d.ListPage(ctx, "v", "", 10); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled context: %v", err)
	}
}

// TestDirListPageMemoryBounded: a page of 10 of a directory of 3000
// files keeps at most 11 at any time, and they are the right 10.
func TestDirListPageMemoryBounded(t *testing.T) {
	d, err := store.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var names []string
	for i := range 3000 {
		names = append(names, fmt.Sprintf("big/%04d.wav", i))
	}
	putAll(t, d, names...)
	most, kept := 0, 0
	stop := store.WatchPages(func(n int) { most = max(most, n); kept++ })
	files, more, err := d.ListPage(context.Background(), "big", "big/1499.wav", 10)
	stop()
	if err != nil {
		t.Fatal(err)
	}
	if kept == 0 || most > 11 {
		t.Errorf("the page kept up to %d files (%d kept in all); want at most 11", most, kept)
	}
	var got []string
	for _, f := range files {
		got = append(got, f.Name)
	}
	if !slices.Equal(got, names[1500:1510]) || !more {
		t.Errorf("page: %v, more %v; want %v, more true", got, more, names[1500:1510])
	}
	if !strings.HasPrefix(files[0].Name, "big/") || files[0].Size != int64(len(files[0].Name)) {
		t.Errorf("first file: %+v", files[0])
	}
}

// BenchmarkListPage pages a Dir of 10 000 files, a page of 1 000 after
// the middle name, alternating between the Dir's own ListPage (one
// directory read, a stat only for what would enter the page) and
// ListPage over its List (a stat of every file), and reports each one's
// time and bytes allocated per page, and the native one's as a multiple
// of the generic one's (x-generic, below 1 when it costs less).
func BenchmarkListPage(b *testing.B) {
	root := b.TempDir()
	d, err := store.NewDir(root)
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	if err := os.Mkdir(filepath.Join(root, "v"), 0o750); err != nil {
		b.Fatal(err)
	}
	const n = 10_000
	for i := range n { // written directly: 10 000 Puts' fsyncs are not what is measured
		if err := os.WriteFile(filepath.Join(root, "v", fmt.Sprintf("%05d.wav", i)), []byte("RIFF"), 0o640); err != nil {
			b.Fatal(err)
		}
	}
	after := fmt.Sprintf("v/%05d.wav", n/2-1)
	ctx := context.Background()
	pagers := []store.Store{d, dirListOnly{d}}
	var took [2]time.Duration
	var alloc [2]uint64
	var ms runtime.MemStats
	for b.Loop() {
		for j, s := range pagers {
			runtime.ReadMemStats(&ms)
			a0, t0 := ms.TotalAlloc, time.Now()
			files, more, err := store.ListPage(ctx, s, "v", after, 1000)
			took[j] += time.Since(t0)
			runtime.ReadMemStats(&ms)
			alloc[j] += ms.TotalAlloc - a0
			if err != nil || len(files) != 1000 || !more || files[0].Name != fmt.Sprintf("v/%05d.wav", n/2) {
				b.Fatalf("%T: %d files, more %v, %v", s, len(files), more, err)
			}
		}
	}
	per := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(b.N) }
	b.ReportMetric(per(took[0]), "µs/page")
	b.ReportMetric(per(took[1]), "generic-µs/page")
	b.ReportMetric(float64(took[0])/float64(took[1]), "x-generic")
	b.ReportMetric(float64(alloc[0])/float64(b.N), "B/page")
	b.ReportMetric(float64(alloc[1])/float64(b.N), "generic-B/page")
	b.ReportMetric(float64(alloc[0])/float64(alloc[1]), "x-generic-B")
}
