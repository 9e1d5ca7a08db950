package ccfstest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs/store"
)

// paging checks store.ListPage on the store (its own ListPage if it is a
// store.PageLister, else over its List): 25 files in pages of 10 come
// each once, in the byte order of their names, with their sizes and
// times, and only the last page says none follow; a subdirectory's and a
// neighbouring directory's files never; with files added and removed
// between pages, every file there throughout is listed exactly once;
// after past the last name is an empty page; a limit below 1 is
// store.ErrLimit; a directory that is not there is an empty page.
func (c *storeCheck) paging(t *testing.T) {
	ctx := context.Background()
	dir := c.base + "page"
	size := func(i int) int { return 50 + 3*i }
	var names []string
	for i := range 25 {
		names = append(names, c.name(fmt.Sprintf("page/f%02d.wav", i)))
	}
	order := rand.Perm(len(names))
	before := time.Now().Add(-2 * time.Second) // a store's clock may count whole seconds
	for _, i := range order {
		if _, err := c.s.Put(ctx, names[i], bytes.NewReader(pattern(size(i), byte(i))), -1); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []string{"page/sub/x.wav", "page/sub/deeper/y.wav", "page-other/z.wav", "pagex/w.wav", "page.wav"} {
		if _, err := c.s.Put(ctx, c.name(n), bytes.NewReader(pattern(10, 1)), -1); err != nil {
			t.Fatal(err)
		}
	}
	after := time.Now().Add(2 * time.Second)
	page := func(from string, limit int) ([]store.FileInfo, bool) {
		t.Helper()
		files, more, err := store.ListPage(ctx, c.s, dir, from, limit)
		if err != nil {
			t.Fatalf("ListPage(%q, %q, %d): %v", dir, from, limit, err)
		}
		if len(files) > limit {
			t.Fatalf("ListPage(%q, %q, %d): %d files", dir, from, limit, len(files))
		}
		if more && len(files) < limit {
			t.Errorf("ListPage(%q, %q, %d): %d files, and more to follow", dir, from, limit, len(files))
		}
		last := from
		for _, f := range files {
			if f.Name <= last {
				t.Errorf("ListPage(%q, %q, %d): %s after %s: not in order, or not after %q", dir, from, limit, f.Name, last, from)
			}
			last = f.Name
			if rest, ok := strings.CutPrefix(f.Name, dir+"/"); !ok || strings.Contains(rest, "/") {
				t.Errorf("ListPage(%q): %s is not directly in it", dir, f.Name)
			}
		}
		return files, more
	}
	check := func(f store.FileInfo) {
		t.Helper()
		var i int
		if _, err := fmt.Sscanf(strings.TrimPrefix(f.Name, dir+"/"), "f%02d.wav", &i); err != nil || names[i] != f.Name {
			return // not one of the 25
		}
		if f.Size != int64(size(i)) || f.ModTime.Before(before) || f.ModTime.After(after) {
			t.Errorf("ListPage: %s has %d bytes, modified at %v; want %d, between %v and %v", f.Name, f.Size, f.ModTime, size(i), before, after)
		}
	}

	// The 25, in pages of 10, 10 and 5.
	var listed []string
	from := ""
	for p, want := range []int{10, 10, 5} {
		files, more := page(from, 10)
		if len(files) != want || more != (p < 2) {
			t.Fatalf("page %d: %d files, more %v; want %d, more %v", p+1, len(files), more, want, p < 2)
		}
		for _, f := range files {
			check(f)
			listed = append(listed, f.Name)
		}
		from = files[len(files)-1].Name
	}
	if fmt.Sprint(listed) != fmt.Sprint(names) {
		t.Fatalf("pages of 10: %v, want %v", listed, names)
	}

	// Past the end; one by one at the end; limits below 1; nowhere.
	if files, more := page(dir+"/zzz", 10); len(files) != 0 || more {
		t.Errorf("ListPage after past the last name: %v, more %v; want an empty page", files, more)
	}
	if files, more := page(names[23], 1); len(files) != 1 || files[0].Name != names[24] || more {
		t.Errorf("ListPage(after the 24th, 1): %v, more %v; want the 25th alone", files, more)
	}
	if _, _, err := store.ListPage(ctx, c.s, dir, "", 0); !errors.Is(err, store.ErrLimit) {
		t.Errorf("ListPage with limit 0: %v, want store.ErrLimit", err)
	}
	if pl, ok := c.s.(store.PageLister); ok {
		if _, _, err := pl.ListPage(ctx, dir, "", 0); !errors.Is(err, store.ErrLimit) {
			t.Errorf("the store's own ListPage with limit 0: %v, want store.ErrLimit", err)
		}
	}
	if files, more := page("", 10); len(files) != 10 || !more {
		t.Errorf("the first page again: %d files, more %v", len(files), more)
	}
	if files, more, err := store.ListPage(ctx, c.s, c.base+"nothing-here", "", 10); err != nil || len(files) != 0 || more {
		t.Errorf("ListPage of a directory that is not there: %v, %v, %v; want an empty page", files, more, err)
	}

	// Files come and go between pages: those there throughout are listed
	// exactly once.
	throughout := map[string]bool{}
	for _, n := range names {
		throughout[n] = true
	}
	seen := map[string]int{}
	files, _ := page("", 10)
	for _, f := range files {
		seen[f.Name]++
	}
	from = files[len(files)-1].Name
	for _, n := range []string{"page/a-new.wav", "page/f15b.wav", "page/zz-new.wav"} {
		if _, err := c.s.Put(ctx, c.name(n), bytes.NewReader(pattern(20, 2)), -1); err != nil {
			t.Fatal(err)
		}
	}
	if rm, ok := c.s.(store.Remover); ok {
		for _, i := range []int{3, 12, 24} { // behind the cursor, ahead, the last
			if err := rm.Remove(ctx, names[i]); err != nil {
				t.Fatal(err)
			}
			delete(throughout, names[i])
		}
	}
	for pages := 0; ; pages++ {
		files, more := page(from, 10)
		for _, f := range files {
			seen[f.Name]++
			check(f)
		}
		if !more || len(files) == 0 {
			break
		}
		if pages > 5 {
			t.Fatal("ListPage: more than 5 pages after files came and went")
		}
		from = files[len(files)-1].Name
	}
	for n := range throughout {
		if seen[n] != 1 {
			t.Errorf("files came and went: %s, there throughout, listed %d times", n, seen[n])
		}
	}
	for n, times := range seen {
		if times > 1 {
			t.Errorf("files came and went: %s listed %d times", n, times)
		}
	}
	if seen[c.base+"page/a-new.wav"] != 0 {
		t.Errorf("files came and went: %s, added before the cursor, was listed", c.base+"page/a-new.wav")
	}
}
