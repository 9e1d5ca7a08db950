package store_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/ccfs-go/ccfs/store"
)

// listOnly is a store that can list but not page: store.ListPage then
// pages over its List.
type listOnly struct{ m *store.Memory }

func (l listOnly) Put(ctx context.Context, name string, r io.Reader, size int64) ([]string, error) {
	return l.m.Put(ctx, name, r, size)
}
func (l listOnly) List(ctx context.Context, dir string, fn func(store.FileInfo) error) error {
	return l.m.List(ctx, dir, fn)
}

// putAll stores each name, its name as its bytes, in a shuffled order.
func putAll(t testing.TB, s store.Store, names ...string) {
	t.Helper()
	names = slices.Clone(names)
	rand.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
	for _, n := range names {
		if _, err := s.Put(context.Background(), n, strings.NewReader(n), int64(len(n))); err != nil {
			t.Fatal(err)
		}
	}
}

// pageNames returns a page's names, and fails t if a page's sizes are not
// its names' lengths (what putAll stores).
func pageNames(t *testing.T, s store.Store, dir, after string, limit int) ([]string, bool) {
	t.Helper()
	files, more, err := store.ListPage(context.Background(), s, dir, after, limit)
	if err != nil {
		t.Fatalf("ListPage(%q, %q, %d): %v", dir, after, limit, err)
	}
	var names []string
	for _, f := range files {
		if f.Size != int64(len(f.Name)) {
			t.Errorf("ListPage(%q, %q, %d): %s has size %d, want %d", dir, after, limit, f.Name, f.Size, len(f.Name))
		}
		names = append(names, f.Name)
	}
	return names, more
}

// numbered returns dir/f00.wav … for n files.
func numbered(dir string, n int) []string {
	var names []string
	for i := range n {
		names = append(names, fmt.Sprintf("%s/f%02d.wav", dir, i))
	}
	return names
}

// TestListPageByList: over a store that can only List, pages of 10 of a
// directory of 25 files give each file once, in order, and say more
// follow until the last; files in a subdirectory or another directory,
// or in a directory whose name begins the same, are never listed.
func TestListPageByList(t *testing.T) {
	s := listOnly{store.NewMemory()}
	want := numbered("v/53", 25)
	putAll(t, s, want...)
	putAll(t, s, "v/53/sub/x.wav", "v/53/sub/deeper/y.wav", "v/530/z.wav", "v/5/w.wav", "v/53.wav", "top.wav")
	checkPages(t, s, "v/53", want)
	checkPages(t, s, "v/53/", want) // a trailing slash is the same directory
	checkPages(t, s, "", []string{"top.wav"})
	checkPages(t, s, "v/53/sub", []string{"v/53/sub/x.wav"})
	checkPages(t, s, "nothing/here", nil)
}

// checkPages pages dir of s 10 at a time and checks that the pages
// together are want, in order, and that only the last says none follow.
func checkPages(t *testing.T, s store.Store, dir string, want []string) {
	t.Helper()
	var got []string
	after := ""
	for pages := 0; ; pages++ {
		names, more := pageNames(t, s, dir, after, 10)
		if len(names) > 10 {
			t.Fatalf("ListPage(%q, %q, 10): %d files", dir, after, len(names))
		}
		if more && len(names) != 10 {
			t.Errorf("ListPage(%q, %q, 10): %d files and more to follow", dir, after, len(names))
		}
		got = append(got, names...)
		if !more {
			break
		}
		if pages > 10 {
			t.Fatalf("ListPage(%q): more than 10 pages of %d files", dir, len(want))
		}
		after = names[len(names)-1]
	}
	if !slices.Equal(got, want) {
		t.Errorf("pages of %q: %v, want %v", dir, got, want)
	}
}

// TestListPageAfter: after is the last name of the page before, exclusive;
// a name between two files, or before them all, starts where it falls;
// after the last file, the page is empty and nothing follows.
func TestListPageAfter(t *testing.T) {
	s := listOnly{store.NewMemory()}
	all := numbered("d", 25)
	putAll(t, s, all...)
	for _, c := range []struct {
		after string
		want  []string
	}{
		{"d/f09.wav", all[10:20]},
		{"d/f09", all[9:19]},          // between f08.wav and f09.wav
		{"d/f24.wav", nil},            // the last
		{"e", nil},                    // past them all
		{"d/f23.wav", all[24:]},       // one left
		{"a", all[:10]},               // before them all
		{"d/f09.wav\x00", all[10:20]}, // just after f09.wav
	} {
		names, more := pageNames(t, s, "d", c.after, 10)
		if !slices.Equal(names, c.want) || more != (len(c.want) == 10 && c.want[9] != all[24]) {
			t.Errorf("after %q: %v, more %v; want %v", c.after, names, more, c.want)
		}
	}
}

// TestListPageLimitOne: pages of one file each walk the directory.
func TestListPageLimitOne(t *testing.T) {
	s := listOnly{store.NewMemory()}
	all := numbered("d", 5)
	putAll(t, s, all...)
	after := ""
	for i, want := range all {
		names, more := pageNames(t, s, "d", after, 1)
		if !slices.Equal(names, []string{want}) || more != (i < len(all)-1) {
			t.Fatalf("page %d: %v, more %v; want [%s], more %v", i, names, more, want, i < len(all)-1)
		}
		after = want
	}
}

// TestListPageErrLimit: a limit below 1 is ErrLimit, before the store is
// asked anything.
func TestListPageErrLimit(t *testing.T) {
	for _, limit := range []int{0, -1} {
		if files, more, err := store.ListPage(context.Background(), panicking{}, "d", "", limit); !errors.Is(err, store.ErrLimit) || files != nil || more {
			t.Errorf("limit %d: %v, %v, %v; want ErrLimit", limit, files, more, err)
		}
	}
	if _, _, err := store.ListPage(context.Background(), putOnlyStore{}, "d", "", 1); err == nil {
		t.Error("a store that can neither list nor page: no error")
	}
}

// putOnlyStore can only Put.
type putOnlyStore struct{}

func (putOnlyStore) Put(context.Context, string, io.Reader, int64) ([]string, error) {
	return nil, nil
}

// manyNames is a Lister of n files in one directory, in a shuffled order,
// that counts how many it yielded.
type manyNames struct {
	putOnlyStore
	names   []string
	yielded int
}

func (m *manyNames) List(ctx context.Context, dir string, fn func(store.FileInfo) error) error {
	for _, n := range m.names {
		m.yielded++
		if err := fn(store.FileInfo{Name: n, Size: int64(len(n))}); err != nil {
			return err
		}
	}
	return nil
}

// TestListPageMemoryBounded: over a List of 100 000 files, a page of 10
// keeps at most 11 files at any time, and is the 10 smallest names after
// after, with more following.
func TestListPageMemoryBounded(t *testing.T) {
	const n = 100_000
	m := &manyNames{}
	for i := range n {
		m.names = append(m.names, fmt.Sprintf("big/%06d.wav", i))
	}
	rand.Shuffle(n, func(i, j int) { m.names[i], m.names[j] = m.names[j], m.names[i] })
	most, offers := 0, 0
	defer store.WatchPages(func(kept int) { most = max(most, kept); offers++ })()
	files, more, err := store.ListPage(context.Background(), m, "big", "big/049999.wav", 10)
	if err != nil {
		t.Fatal(err)
	}
	if m.yielded != n {
		t.Fatalf("the List yielded %d names, want %d", m.yielded, n)
	}
	if offers == 0 || most > 11 {
		t.Errorf("the page kept up to %d files (%d kept in all); want at most limit+1 = 11", most, offers)
	}
	var got []string
	for _, f := range files {
		got = append(got, f.Name)
	}
	want := []string{}
	for i := 50_000; i < 50_010; i++ {
		want = append(want, fmt.Sprintf("big/%06d.wav", i))
	}
	if !slices.Equal(got, want) || !more || cap(files) > 10 {
		t.Errorf("page: %v (cap %d), more %v; want %v, more true", got, cap(files), more, want)
	}
}

// TestListPageListError: the List's error comes back.
func TestListPageListError(t *testing.T) {
	if _, _, err := store.ListPage(context.Background(), failingList{}, "d", "", 10); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("ListPage over a failing List: %v", err)
	}
}

// failingList is a Lister whose List fails.
type failingList struct{ putOnlyStore }

func (failingList) List(context.Context, string, func(store.FileInfo) error) error {
	return errors.New("connection refused")
}
