package ccfstest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs/store"
)

// TestStore checks that s keeps the store.Store contract: a round trip
// keeps the bytes; a reader that fails at any of several offsets, or a
// cancelled context, leaves nothing under the name and no new directory
// (Open of the directory the name would have been in fails with
// fs.ErrNotExist); an existing name is not
// overwritten; concurrent Puts of different names all land; size -1 and an
// exact size both work; a large stream is not a problem. It needs s to be
// a store.Opener to read files back, and removes what it wrote when s is a
// store.Remover. A directory must open as an fs.ReadDirFile; a
// store.Remover must remove files, refuse directories, say
// fs.ErrNotExist for what is not there, and let exactly one of concurrent
// Removes of a file succeed. A store.Lister must list the
// files under a directory, at any depth, with their sizes and times, and
// not a file still being written. store.Stat (a store.Stater's own, or
// by opening) must give a file's size and time, and fs.ErrNotExist for a
// directory or a missing name. A store.Lister or store.PageLister must
// page a directory's files as store.ListPage says: each once, in order,
// never a subdirectory's, while files come and go. All names are under
// "ccfstest/<random>/". With LinksUnder, it also checks that the store
// follows no link, in listings too.
func TestStore(t *testing.T, s store.Store, opts ...StoreOption) {
	t.Helper()
	op, ok := s.(store.Opener)
	if !ok {
		t.Fatalf("ccfstest.TestStore: %T does not implement store.Opener, so files cannot be read back", s)
	}
	c := &storeCheck{s: s, op: op, base: "ccfstest/" + strings.ToLower(rand.Text()[:10]) + "/"}
	for _, o := range opts {
		o(c)
	}
	if rm, ok := s.(store.Remover); ok {
		t.Cleanup(func() {
			for _, n := range c.written {
				rm.Remove(context.Background(), n)
			}
		})
	}
	t.Run("RoundTrip", c.roundTrip)
	t.Run("ExactSize", c.exactSize)
	t.Run("ReaderFailure", c.readerFailure)
	t.Run("CancelledContext", c.cancelled)
	t.Run("NoDirectoryLeftBehind", c.noDirectory)
	t.Run("NoOverwrite", c.noOverwrite)
	t.Run("Concurrent", c.concurrent)
	t.Run("LargeStream", c.large)
	t.Run("OpenDirectory", c.openDir)
	t.Run("Stat", c.stat)
	if rm, ok := s.(store.Remover); ok {
		t.Run("Remove", func(t *testing.T) { c.remove(t, rm) })
		t.Run("ConcurrentRemove", func(t *testing.T) { c.concurrentRemove(t, rm) })
	}
	if l, ok := s.(store.Lister); ok {
		t.Run("List", func(t *testing.T) { c.list(t, l) })
	}
	_, ls := s.(store.Lister)
	if _, pl := s.(store.PageLister); pl || ls {
		t.Run("Paging", c.paging)
	}
	if c.linkRoot != "" {
		t.Run("NoLinkFollowed", c.links)
	}
}

// stat checks store.Stat on the store: a file's size and a time about
// when it was stored; fs.ErrNotExist for its directory and for a name
// that is not there.
func (c *storeCheck) stat(t *testing.T) {
	ctx := context.Background()
	name := c.name("stat/dir/file.wav")
	data := pattern(3000, 9)
	before := time.Now().Add(-2 * time.Second) // S3 keeps whole seconds
	if _, err := c.s.Put(ctx, name, bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatal(err)
	}
	c.written = append(c.written, name)
	after := time.Now().Add(2 * time.Second)
	info, err := store.Stat(ctx, c.s, name)
	if err != nil || info.Size != int64(len(data)) || info.ModTime.Before(before) || info.ModTime.After(after) {
		t.Fatalf("Stat(%s): %+v, %v; want %d bytes, modified between %v and %v", name, info, err, len(data), before, after)
	}
	for _, n := range []string{c.name("stat/dir"), c.name("stat/dir/missing.wav"), c.name("stat/nothing/file.wav")} {
		if info, err := store.Stat(ctx, c.s, n); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Stat(%s): %+v, %v; want an error wrapping fs.ErrNotExist", n, info, err)
		}
	}
}

// list checks a store.Lister: the files under a directory, at any depth,
// each with its size and a modification time about when it was stored;
// a subdirectory alone; nothing for a directory that is not there; not a
// file still being written; and fn's error ends the listing and comes
// back from List.
func (c *storeCheck) list(t *testing.T, l store.Lister) {
	ctx := context.Background()
	before := time.Now().Add(-2 * time.Second) // a store's clock may count whole seconds
	want := map[string]int64{}
	for i, n := range []string{"list/a.wav", "list/b.wav", "list/sub/c.wav", "list/sub/deeper/d.wav"} {
		size := 100 + 37*i
		name := c.name(n)
		if _, err := c.s.Put(ctx, name, bytes.NewReader(pattern(size, byte(i))), -1); err != nil {
			t.Fatal(err)
		}
		want[name] = int64(size)
	}
	after := time.Now().Add(2 * time.Second)
	pr, pw := io.Pipe()
	writing := make(chan error, 1)
	go func() {
		_, err := c.s.Put(ctx, c.name("list/writing.wav"), pr, -1)
		writing <- err
	}()
	pw.Write(pattern(3000, 9)) // returns once the store has read it
	defer func() {
		pw.CloseWithError(errors.New("ccfstest: the upload stops here"))
		<-writing
	}()
	listed := func(dir string) map[string]int64 {
		t.Helper()
		got := map[string]int64{}
		if err := l.List(ctx, dir, func(f store.FileInfo) error {
			if _, dup := got[f.Name]; dup {
				t.Errorf("List(%q) listed %s twice", dir, f.Name)
			}
			got[f.Name] = f.Size
			if f.ModTime.Before(before) || f.ModTime.After(after) {
				t.Errorf("List(%q): %s modified at %v, not between %v and %v", dir, f.Name, f.ModTime, before, after)
			}
			return nil
		}); err != nil {
			t.Fatalf("List(%q): %v", dir, err)
		}
		return got
	}
	if got := listed(c.base + "list"); !maps.Equal(got, want) {
		t.Errorf("List of the directory: %v, want %v (and not the file still being written)", got, want)
	}
	maps.DeleteFunc(want, func(n string, _ int64) bool { return !strings.Contains(n, "/list/sub/") })
	if got := listed(c.base + "list/sub"); !maps.Equal(got, want) {
		t.Errorf("List of a subdirectory: %v, want %v", got, want)
	}
	if got := listed(c.base + "nothing-here"); len(got) != 0 {
		t.Errorf("List of a directory that is not there: %v", got)
	}
	stop := errors.New("ccfstest: enough")
	calls := 0
	if err := l.List(ctx, c.base+"list", func(store.FileInfo) error { calls++; return stop }); !errors.Is(err, stop) || calls != 1 {
		t.Errorf("fn's error: List returned %v after %d calls; want it back after 1", err, calls)
	}
}

// A StoreOption adds checks to TestStore.
type StoreOption func(*storeCheck)

// LinksUnder says the store keeps its files as a directory tree under
// root, where an operator or another system can make links. TestStore then
// makes them, as they might, and checks that none is followed: a symbolic
// link to another file, to another directory and out of the root, and a
// hard link, are each refused by Open (and Remove, which leaves both
// names), with an error wrapping fs.ErrNotExist; a Put does not land in a
// directory a link points to; and opening a named pipe fails at once
// rather than blocking.
func LinksUnder(root string) StoreOption { return func(c *storeCheck) { c.linkRoot = root } }

// openDir checks that a directory opens as an fs.ReadDirFile listing what
// is directly inside it, a page at a time (downloadFile's folder mode).
func (c *storeCheck) openDir(t *testing.T) {
	for _, n := range []string{"dir/b.wav", "dir/a.wav", "dir/sub/c.wav"} {
		if _, err := c.s.Put(context.Background(), c.name(n), bytes.NewReader(pattern(100, 3)), -1); err != nil {
			t.Fatal(err)
		}
	}
	list := func(pageSize int) []string {
		t.Helper()
		f, err := c.op.Open(c.base + "dir")
		if err != nil {
			t.Fatalf("Open of a directory: %v", err)
		}
		defer f.Close()
		d, ok := f.(fs.ReadDirFile)
		if !ok {
			t.Fatalf("Open of a directory returned a %T, not an fs.ReadDirFile", f)
		}
		var names []string
		for {
			entries, err := d.ReadDir(pageSize)
			for _, e := range entries {
				n := e.Name()
				if e.IsDir() {
					n += "/"
				}
				names = append(names, n)
			}
			if pageSize <= 0 || err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("ReadDir(%d): %v", pageSize, err)
			}
		}
		slices.Sort(names)
		return names
	}
	want := []string{"a.wav", "b.wav", "sub/"}
	for _, pageSize := range []int{-1, 1, 2} {
		if got := list(pageSize); !slices.Equal(got, want) {
			t.Errorf("ReadDir(%d) pages list %q, want %q", pageSize, got, want)
		}
	}
	if _, err := c.op.Open(c.base + "dir/none"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open of a missing name: %v, want fs.ErrNotExist", err)
	}
}

// remove checks Remove: the file is gone, a second Remove and the Remove
// of a directory say fs.ErrNotExist, and the directory's files stay.
func (c *storeCheck) remove(t *testing.T, rm store.Remover) {
	ctx := context.Background()
	gone, kept := c.name("rm/gone.wav"), c.name("rm/kept.wav")
	for _, n := range []string{gone, kept} {
		if _, err := c.s.Put(ctx, n, bytes.NewReader(pattern(1000, 4)), -1); err != nil {
			t.Fatal(err)
		}
	}
	if err := rm.Remove(ctx, gone); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if _, err := c.read(gone); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("after Remove, Open says %v; want fs.ErrNotExist", err)
	}
	if err := rm.Remove(ctx, gone); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a second Remove: %v; want fs.ErrNotExist", err)
	}
	if err := rm.Remove(ctx, c.base+"rm"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Remove of a directory: %v; want fs.ErrNotExist", err)
	}
	c.mustHave(t, kept, pattern(1000, 4))
	if _, err := c.s.Put(ctx, gone, bytes.NewReader(pattern(10, 5)), -1); err != nil {
		t.Errorf("Put of a removed name: %v", err)
	}
}

// concurrentRemove checks that of concurrent Removes of one name exactly
// one succeeds, and the others say fs.ErrNotExist: each file's size is
// given back to its quota once, and a second deleteFile is told the file
// does not exist.
func (c *storeCheck) concurrentRemove(t *testing.T, rm store.Remover) {
	const rounds, removers = 8, 6
	ctx := context.Background()
	for round := range rounds {
		name := c.name(fmt.Sprintf("rm/concurrent-%d.wav", round))
		if _, err := c.s.Put(ctx, name, bytes.NewReader(pattern(1000, 6)), -1); err != nil {
			t.Fatal(err)
		}
		start := make(chan struct{})
		errs := make(chan error, removers)
		var wg sync.WaitGroup
		for range removers {
			wg.Go(func() {
				<-start
				errs <- rm.Remove(ctx, name)
			})
		}
		close(start)
		wg.Wait()
		close(errs)
		removed := 0
		for err := range errs {
			switch {
			case err == nil:
				removed++
			case !errors.Is(err, fs.ErrNotExist):
				t.Errorf("round %d: a concurrent Remove: %v; want nil or fs.ErrNotExist", round, err)
			}
		}
		if removed != 1 {
			t.Fatalf("round %d: %d of %d concurrent Removes of one file succeeded; want exactly 1", round, removed, removers)
		}
	}
}

type storeCheck struct {
	s        store.Store
	op       store.Opener
	base     string
	linkRoot string // the store's files live under it, LinksUnder
	mu       sync.Mutex
	written  []string
}

func (c *storeCheck) name(n string) string {
	name := c.base + n
	c.mu.Lock()
	c.written = append(c.written, name)
	c.mu.Unlock()
	return name
}

// pattern returns n deterministic bytes.
func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7) ^ seed ^ byte(i>>8)
	}
	return b
}

func (c *storeCheck) read(name string) ([]byte, error) { return readAll(c.op, name) }

func (c *storeCheck) mustHave(t *testing.T, name string, want []byte) {
	t.Helper()
	got, err := c.read(name)
	if err != nil {
		t.Fatalf("reading %s back: %v", name, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s holds %d bytes (sha256 %x), want %d (sha256 %x)", name, len(got), sha256.Sum256(got), len(want), sha256.Sum256(want))
	}
}

func (c *storeCheck) mustNotHave(t *testing.T, name string) {
	t.Helper()
	if _, err := c.read(name); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("%s: want nothing there after a failed Put, Open says %v", name, err)
	}
}

func (c *storeCheck) roundTrip(t *testing.T) {
	data := pattern(100_003, 1)
	name := c.name("3rdfile/53/thirdvoicebotfile/round.wav")
	if _, err := c.s.Put(context.Background(), name, bytes.NewReader(data), -1); err != nil {
		t.Fatalf("Put(size -1): %v", err)
	}
	c.mustHave(t, name, data)
}

func (c *storeCheck) exactSize(t *testing.T) {
	for _, n := range []int{1, 4096, 65537} {
		data := pattern(n, 2)
		name := c.name(fmt.Sprintf("size/%d.wav", n))
		if _, err := c.s.Put(context.Background(), name, bytes.NewReader(data), int64(n)); err != nil {
			t.Fatalf("Put(size %d): %v", n, err)
		}
		c.mustHave(t, name, data)
	}
}

// failingReader returns data up to off, then an error.
type failingReader struct {
	data []byte
	off  int
	pos  int
}

var errInjected = errors.New("ccfstest: injected read error")

func (f *failingReader) Read(p []byte) (int, error) {
	if f.pos >= f.off {
		return 0, errInjected
	}
	n := copy(p, f.data[f.pos:f.off])
	f.pos += n
	return n, nil
}

func (c *storeCheck) readerFailure(t *testing.T) {
	data := pattern(200_000, 3)
	for _, off := range []int{0, 1, 4095, 4096, 65536, 199_999} {
		name := c.name(fmt.Sprintf("fail/at-%d.wav", off))
		for _, size := range []int64{-1, int64(len(data))} {
			_, err := c.s.Put(context.Background(), name, &failingReader{data: data, off: off}, size)
			if err == nil {
				t.Fatalf("Put succeeded though its reader failed at byte %d (size %d)", off, size)
			}
			c.mustNotHave(t, name)
		}
	}
}

// cancellingReader cancels the context after some bytes.
type cancellingReader struct {
	r      io.Reader
	after  int
	n      int
	cancel context.CancelFunc
}

func (c *cancellingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if c.n += n; c.n >= c.after {
		c.cancel()
	}
	return n, err
}

func (c *storeCheck) cancelled(t *testing.T) {
	data := pattern(300_000, 4)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	name := c.name("cancel/before.wav")
	if _, err := c.s.Put(ctx, name, bytes.NewReader(data), -1); err == nil {
		t.Fatal("Put succeeded with a cancelled context")
	}
	c.mustNotHave(t, name)

	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	name = c.name("cancel/during.wav")
	r := &cancellingReader{r: bytes.NewReader(data), after: 100_000, cancel: cancel}
	if _, err := c.s.Put(ctx, name, r, -1); err == nil {
		t.Fatal("Put succeeded though its context was cancelled while it read")
	}
	c.mustNotHave(t, name)
}

// noDirectory checks that failed Puts leave no directory behind: a
// request that never proved itself must not change the store's tree.
func (c *storeCheck) noDirectory(t *testing.T) {
	data := pattern(100_000, 9)
	top := c.base + "nodir"
	for i, off := range []int{0, 5000, 99_999} {
		name := c.name(fmt.Sprintf("nodir/%d/deep/x.wav", i))
		if _, err := c.s.Put(context.Background(), name, &failingReader{data: data, off: off}, -1); err == nil {
			t.Fatalf("Put succeeded though its reader failed at byte %d", off)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.s.Put(ctx, c.name("nodir/cancelled/x.wav"), bytes.NewReader(data), -1); err == nil {
		t.Fatal("Put succeeded with a cancelled context")
	}
	f, err := c.op.Open(top)
	if err == nil {
		f.Close()
		t.Fatalf("failed Puts left the directory %q behind", top)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Open(%q) after failed Puts: %v, want fs.ErrNotExist", top, err)
	}
}

func (c *storeCheck) noOverwrite(t *testing.T) {
	first, second := pattern(5000, 5), pattern(7000, 6)
	name := c.name("exists/a.wav")
	if _, err := c.s.Put(context.Background(), name, bytes.NewReader(first), -1); err != nil {
		t.Fatal(err)
	}
	if _, err := c.s.Put(context.Background(), name, bytes.NewReader(second), -1); err == nil {
		t.Fatal("a second Put of the same name succeeded")
	} else if !errors.Is(err, store.ErrExist) {
		t.Errorf("a second Put of the same name: %v; want an error wrapping store.ErrExist", err)
	}
	c.mustHave(t, name, first)
}

func (c *storeCheck) concurrent(t *testing.T) {
	const n = 16
	names := make([]string, n)
	for i := range names {
		names[i] = c.name(fmt.Sprintf("concurrent/%02d.wav", i))
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			if _, err := c.s.Put(context.Background(), names[i], bytes.NewReader(pattern(10_000+i, byte(i))), -1); err != nil {
				errs <- fmt.Errorf("%s: %w", names[i], err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i, name := range names {
		c.mustHave(t, name, pattern(10_000+i, byte(i)))
	}
}

// patternReader streams n pattern bytes without holding them.
type patternReader struct {
	n, pos int
}

func (p *patternReader) Read(b []byte) (int, error) {
	if p.pos == p.n {
		return 0, io.EOF
	}
	k := min(len(b), p.n-p.pos)
	for i := range k {
		j := p.pos + i
		b[i] = byte(j*7) ^ 9 ^ byte(j>>8)
	}
	p.pos += k
	return k, nil
}

func (c *storeCheck) large(t *testing.T) {
	const size = 24 << 20
	name := c.name("large/24MiB.wav")
	if _, err := c.s.Put(context.Background(), name, &patternReader{n: size}, -1); err != nil {
		t.Fatalf("Put of a %d-byte stream: %v", size, err)
	}
	f, err := c.op.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, want := sha256.New(), sha256.New()
	io.Copy(got, f)
	io.Copy(want, &patternReader{n: size})
	if !bytes.Equal(got.Sum(nil), want.Sum(nil)) {
		t.Fatal("the large stream came back different")
	}
}
