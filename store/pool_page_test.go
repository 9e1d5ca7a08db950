package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ccfs-go/ccfs/store"
)

// locationsOf lists how a Pool's page says where each file is.
func locationsOf(files []store.FileInfo) string {
	var b strings.Builder
	for _, f := range files {
		fmt.Fprintf(&b, "%s@%s:%d ", f.Name, strings.Join(f.Locations, ","), f.Size)
	}
	return b.String()
}

// poolOfThree is a Pool of three locations, "0" and "512" paging natively
// and "256" by its List, each holding some of v/f00…v/f24:
// every file at 0 but f05 and f06, f06 at 512 alone, f05 at 256 alone,
// f10 to f19 at 256 too, and every fifth at 512 too, with other bytes.
func poolOfThree(t *testing.T) *store.Pool {
	t.Helper()
	a, b, c := store.NewMemory(), store.NewMemory(), store.NewMemory()
	ctx := context.Background()
	for i, n := range numbered("v", 25) {
		if i != 5 && i != 6 {
			putAll(t, a, n)
		}
		if i == 5 || i >= 10 && i < 20 {
			putAll(t, b, n)
		}
		if i%5 == 0 || i == 6 {
			if _, err := c.Put(ctx, n, strings.NewReader("other bytes"), -1); err != nil {
				t.Fatal(err)
			}
		}
	}
	putAll(t, a, "v/sub/x.wav", "w/y.wav")
	putAll(t, b, "v/sub/z.wav")
	p, err := store.NewPool(1, store.Location{ID: "0", Store: a}, store.Location{ID: "256", Store: listOnly{b}}, store.Location{ID: "512", Store: c})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// wantLocations is where poolOfThree holds v/fNN.wav, in the pool's
// order, and the size the first of them gives.
func wantLocations(i int) ([]string, int64) {
	var locs []string
	if i != 5 && i != 6 {
		locs = append(locs, "0")
	}
	if i == 5 || i >= 10 && i < 20 {
		locs = append(locs, "256")
	}
	if i%5 == 0 || i == 6 {
		locs = append(locs, "512")
	}
	if i == 6 {
		return locs, int64(len("other bytes"))
	}
	return locs, int64(len(fmt.Sprintf("v/f%02d.wav", i)))
}

// TestPoolListPage: pages of a Pool give each file once, in order, with
// every location that holds it in the pool's order, the first one's size,
// and only the last page says none follow; a file one location alone
// holds is there too.
func TestPoolListPage(t *testing.T) {
	p := poolOfThree(t)
	for _, limit := range []int{1, 7, 10, 25, 100} {
		var got []store.FileInfo
		after := ""
		for pages := 0; ; pages++ {
			files, more, err := p.ListPage(context.Background(), "v", after, limit)
			if err != nil {
				t.Fatal(err)
			}
			if len(files) > limit || more && len(files) != limit {
				t.Fatalf("limit %d: a page of %d, more %v", limit, len(files), more)
			}
			got = append(got, files...)
			if !more {
				break
			}
			if pages > 25 {
				t.Fatalf("limit %d: too many pages", limit)
			}
			after = files[len(files)-1].Name
		}
		var want []store.FileInfo
		for i, n := range numbered("v", 25) {
			locs, size := wantLocations(i)
			want = append(want, store.FileInfo{Name: n, Size: size, Locations: locs})
		}
		if locationsOf(got) != locationsOf(want) {
			t.Errorf("limit %d:\n got %s\nwant %s", limit, locationsOf(got), locationsOf(want))
		}
	}
}

// TestPoolListFillsLocations: List names every location that holds each
// file, in the pool's order, once per file.
func TestPoolListFillsLocations(t *testing.T) {
	p := poolOfThree(t)
	var got []store.FileInfo
	if err := p.List(context.Background(), "v", func(f store.FileInfo) error {
		if !strings.Contains(f.Name, "/sub/") {
			got = append(got, f)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(got, func(a, b store.FileInfo) int { return strings.Compare(a.Name, b.Name) })
	var want []store.FileInfo
	for i, n := range numbered("v", 25) {
		locs, size := wantLocations(i)
		want = append(want, store.FileInfo{Name: n, Size: size, Locations: locs})
	}
	if locationsOf(got) != locationsOf(want) {
		t.Errorf("List:\n got %s\nwant %s", locationsOf(got), locationsOf(want))
	}
}

// failingPager is a location that cannot list, whether asked to page or
// to list.
type failingPager struct{ putOnlyStore }

func (failingPager) List(context.Context, string, func(store.FileInfo) error) error {
	return errors.New("connection refused")
}
func (failingPager) ListPage(context.Context, string, string, int) ([]store.FileInfo, bool, error) {
	return nil, false, errors.New("connection refused")
}

// TestPoolListPageFailure: as with List, a location that cannot list, or
// is neither a Lister nor a PageLister, fails the page, named; a limit
// below 1 is ErrLimit.
func TestPoolListPageFailure(t *testing.T) {
	ctx := context.Background()
	var le *store.LocationError
	broken, _ := store.NewPool(1, store.Location{ID: "0", Store: store.NewMemory()}, store.Location{ID: "256", Store: failingPager{}})
	if _, _, err := broken.ListPage(ctx, "v", "", 10); !errors.As(err, &le) || le.Location != "256" || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("a location that cannot list: %v, want a LocationError naming 256", err)
	}
	mute, _ := store.NewPool(1, store.Location{ID: "0", Store: store.NewMemory()}, store.Location{ID: "512", Store: panicking{}})
	if _, _, err := mute.ListPage(ctx, "v", "", 10); !errors.As(err, &le) || le.Location != "512" {
		t.Errorf("a location that can neither list nor page: %v, want a LocationError naming 512", err)
	}
	if _, _, err := broken.ListPage(ctx, "v", "", 0); !errors.Is(err, store.ErrLimit) {
		t.Errorf("limit 0: %v, want ErrLimit", err)
	}
}
