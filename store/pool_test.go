package store_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/ccfs-go/ccfs/ccfstest"
	"github.com/ccfs-go/ccfs/store"
)

func newPool(t *testing.T, min int, extra ...store.Location) (*store.Pool, []*store.Memory) {
	t.Helper()
	mems := []*store.Memory{store.NewMemory(), store.NewMemory()}
	locs := []store.Location{{ID: "0", Store: mems[0]}, {ID: "256", Store: mems[1]}}
	p, err := store.NewPool(min, append(locs, extra...)...)
	if err != nil {
		t.Fatal(err)
	}
	return p, mems
}

func TestPoolConformance(t *testing.T) {
	d, err := store.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	p, err := store.NewPool(0, store.Location{ID: "0", Store: d}, store.Location{ID: "256", Store: store.NewMemory()})
	if err != nil {
		t.Fatal(err)
	}
	ccfstest.TestStore(t, p)
}

func TestPoolCopies(t *testing.T) {
	p, mems := newPool(t, 0)
	data := bytes.Repeat([]byte("wav!"), 50_000)
	ids, err := p.Put(context.Background(), "a/b.wav", bytes.NewReader(data), -1)
	if err != nil || strings.Join(ids, ",") != "0,256" {
		t.Fatalf("ids %v, %v", ids, err)
	}
	for i, m := range mems {
		if got, _ := m.Get("a/b.wav"); !bytes.Equal(got, data) {
			t.Fatalf("location %d holds %d bytes", i, len(got))
		}
	}
	if err := p.RemoveAt(context.Background(), "256", "a/b.wav"); err != nil {
		t.Fatal(err)
	}
	if _, ok := mems[1].Get("a/b.wav"); ok {
		t.Fatal("RemoveAt left the copy")
	}
	if _, ok := mems[0].Get("a/b.wav"); !ok {
		t.Fatal("RemoveAt removed another location's copy")
	}
	// StatAt sees each location's copy alone.
	if info, err := p.StatAt(context.Background(), "0", "a/b.wav"); err != nil || info.Size != int64(len(data)) {
		t.Fatalf("StatAt(0) = %+v, %v", info, err)
	}
	if _, err := p.StatAt(context.Background(), "256", "a/b.wav"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("StatAt(256) of a removed copy = %v", err)
	}
	if _, err := p.StatAt(context.Background(), "7", "a/b.wav"); !errors.Is(err, store.ErrNoLocation) {
		t.Fatalf("StatAt(7) = %v", err)
	}
}

// brokenLocation fails after some bytes, or keeps a prefix and says yes.
type brokenLocation struct {
	*store.Memory
	after int
	lies  bool
}

func (b brokenLocation) Put(ctx context.Context, name string, r io.Reader, size int64) ([]string, error) {
	if b.lies {
		return b.Memory.Put(ctx, name, io.LimitReader(r, int64(b.after)), -1)
	}
	return b.Memory.Put(ctx, name, io.MultiReader(io.LimitReader(r, int64(b.after)), failing{}), size)
}

type failing struct{}

func (failing) Read([]byte) (int, error) { return 0, errors.New("location down") }

type panicking struct{}

func (panicking) Put(context.Context, string, io.Reader, int64) ([]string, error) {
	panic("disk on fire")
}

func TestPoolPartialFailure(t *testing.T) {
	data := bytes.Repeat([]byte("wav!"), 50_000)
	bad := brokenLocation{Memory: store.NewMemory(), after: 70_000}

	// All copies needed: one fails, so none is kept.
	p, mems := newPool(t, 0, store.Location{ID: "512", Store: bad})
	if _, err := p.Put(context.Background(), "x.wav", bytes.NewReader(data), -1); err == nil || !strings.Contains(err.Error(), "location 512") {
		t.Fatalf("err = %v", err)
	}
	for i, m := range append(mems, bad.Memory) {
		if n := len(m.Names()); n != 0 {
			t.Fatalf("location %d kept %d files", i, n)
		}
	}

	// Two of three needed: the two good copies stay, and are named.
	p, mems = newPool(t, 2, store.Location{ID: "512", Store: bad})
	ids, err := p.Put(context.Background(), "x.wav", bytes.NewReader(data), -1)
	if err != nil || strings.Join(ids, ",") != "0,256" {
		t.Fatalf("ids %v, %v", ids, err)
	}
	if len(bad.Memory.Names()) != 0 {
		t.Fatal("the failed location kept a copy")
	}
	for i, m := range mems {
		if names := m.Names(); len(names) != 1 || names[0] != "x.wav" {
			t.Fatalf("good location %d holds %v, want x.wav", i, names)
		}
	}

	// A location that says yes without taking every byte holds no copy.
	liar := brokenLocation{Memory: store.NewMemory(), after: 1000, lies: true}
	p, _ = newPool(t, 2, store.Location{ID: "768", Store: liar})
	ids, err = p.Put(context.Background(), "y.wav", bytes.NewReader(data), -1)
	if err != nil || strings.Join(ids, ",") != "0,256" {
		t.Fatalf("ids %v, %v", ids, err)
	}
	if len(liar.Memory.Names()) != 0 {
		t.Fatal("the partial copy was kept")
	}

	// A location that panics fails alone; the process goes on.
	p, mems = newPool(t, 2, store.Location{ID: "1024", Store: panicking{}})
	ids, err = p.Put(context.Background(), "p.wav", bytes.NewReader(data), -1)
	if err != nil || strings.Join(ids, ",") != "0,256" {
		t.Fatalf("ids %v, %v", ids, err)
	}
	for i, m := range mems {
		if names := m.Names(); len(names) != 1 || names[0] != "p.wav" {
			t.Fatalf("beside a panicking location, good location %d holds %v, want p.wav", i, names)
		}
	}
	p, mems = newPool(t, 0, store.Location{ID: "1024", Store: panicking{}})
	if _, err := p.Put(context.Background(), "p.wav", bytes.NewReader(data), -1); err == nil || !strings.Contains(err.Error(), "location 1024: store panicked: disk on fire") {
		t.Fatalf("err = %v", err)
	}
	for _, m := range mems {
		if len(m.Names()) != 0 {
			t.Fatal("a copy was kept though a needed location panicked")
		}
	}

	// The source failing: nothing anywhere.
	p, mems = newPool(t, 0)
	if _, err := p.Put(context.Background(), "z.wav", io.MultiReader(bytes.NewReader(data[:5000]), failing{}), -1); err == nil {
		t.Fatal("Put succeeded though its reader failed")
	}
	for _, m := range mems {
		if len(m.Names()) != 0 {
			t.Fatal("a copy of a failed upload was kept")
		}
	}
	if _, err := p.Open("z.wav"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Open: %v", err)
	}
}

func TestNewPoolRefuses(t *testing.T) {
	m := store.NewMemory()
	for _, tc := range []struct {
		min  int
		locs []store.Location
	}{
		{0, nil},
		{0, []store.Location{{ID: "", Store: m}}},
		{0, []store.Location{{ID: "0", Store: m}, {ID: "0", Store: m}}},
		{3, []store.Location{{ID: "0", Store: m}, {ID: "1", Store: m}}},
		{-1, []store.Location{{ID: "0", Store: m}}},
		{0, []store.Location{{ID: "0"}}},
	} {
		if _, err := store.NewPool(tc.min, tc.locs...); err == nil {
			t.Errorf("NewPool(%d, %v) accepted", tc.min, tc.locs)
		}
	}
}

// TestPoolLifecycle: the file is gone from both locations after a delete.
func TestPoolLifecycle(t *testing.T) {
	d, err := store.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	m := store.NewMemory()
	p, err := store.NewPool(0, store.Location{ID: "0", Store: d}, store.Location{ID: "256", Store: m})
	if err != nil {
		t.Fatal(err)
	}
	ccfstest.TestLifecycle(t, p, d, m)
}

type pingStore struct {
	store.Store
	err error
}

func (p pingStore) Ping(context.Context) error { return p.err }

// TestPing: a Dir answers while its staging directory is there; a pool is
// ready while Min of its locations answer, and says which do not.
func TestPing(t *testing.T) {
	root := t.TempDir()
	d, err := store.NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Ping(context.Background()); err != nil {
		t.Fatalf("Dir.Ping: %v", err)
	}
	down := pingStore{store.NewMemory(), errors.New("connection refused")}
	up := pingStore{store.NewMemory(), nil}
	p, _ := store.NewPool(1, store.Location{ID: "0", Store: up}, store.Location{ID: "256", Store: down})
	if err := p.Ping(context.Background()); err != nil {
		t.Fatalf("one of two up, one needed: %v", err)
	}
	p, _ = store.NewPool(2, store.Location{ID: "0", Store: up}, store.Location{ID: "256", Store: down})
	err = p.Ping(context.Background())
	var le *store.LocationError
	if err == nil || !errors.As(err, &le) || le.Location != "256" {
		t.Fatalf("one of two up, two needed: %v", err)
	}
	if err := os.RemoveAll(root); err != nil {
		t.Fatal(err)
	}
	if err := d.Ping(context.Background()); err == nil {
		t.Fatal("Dir.Ping after its root was removed: nil")
	}
}

// brokenLister is a location whose listing fails.
type brokenLister struct{ *store.Memory }

func (brokenLister) List(context.Context, string, func(store.FileInfo) error) error {
	return errors.New("connection refused")
}

// TestPoolList: a file is listed once whatever locations hold it, the one
// only a later location holds included; a location that cannot list
// fails the listing, named.
func TestPoolList(t *testing.T) {
	ctx := context.Background()
	p, mems := newPool(t, 0)
	for _, name := range []string{"v/1/a.wav", "v/1/b.wav", "v/2/c.wav"} {
		if _, err := p.Put(ctx, name, strings.NewReader(name), int64(len(name))); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.RemoveAt(ctx, "0", "v/1/b.wav"); err != nil { // a copy left at 256 only
		t.Fatal(err)
	}
	if err := mems[0].Remove(ctx, "v/2/c.wav"); err != nil {
		t.Fatal(err)
	}
	if _, err := mems[0].Put(ctx, "v/2/d.wav", strings.NewReader("only at 0"), 9); err != nil {
		t.Fatal(err)
	}
	listed := map[string]int64{}
	if err := p.List(ctx, "v", func(f store.FileInfo) error {
		if _, twice := listed[f.Name]; twice {
			t.Errorf("%s listed twice", f.Name)
		}
		listed[f.Name] = f.Size
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"v/1/a.wav": 9, "v/1/b.wav": 9, "v/2/c.wav": 9, "v/2/d.wav": 9}
	if len(listed) != len(want) {
		t.Fatalf("listed %v, want %v", listed, want)
	}
	for name, size := range want {
		if listed[name] != size {
			t.Errorf("%s: listed %v, want size %d", name, listed, size)
		}
	}

	stop := errors.New("enough")
	calls := 0
	if err := p.List(ctx, "", func(store.FileInfo) error { calls++; return stop }); err != stop || calls != 1 {
		t.Errorf("fn's error: List returned %v after %d calls, want it as it is after 1", err, calls)
	}

	broken, _ := store.NewPool(1, store.Location{ID: "0", Store: store.NewMemory()}, store.Location{ID: "256", Store: brokenLister{store.NewMemory()}})
	var le *store.LocationError
	if err := broken.List(ctx, "", func(store.FileInfo) error { return nil }); !errors.As(err, &le) || le.Location != "256" {
		t.Errorf("a location that cannot list: %v, want a LocationError naming 256", err)
	}
	mute, _ := store.NewPool(1, store.Location{ID: "0", Store: store.NewMemory()}, store.Location{ID: "512", Store: panicking{}})
	if err := mute.List(ctx, "", func(store.FileInfo) error { return nil }); !errors.As(err, &le) || le.Location != "512" {
		t.Errorf("a location that is not a Lister: %v, want a LocationError naming 512", err)
	}
}
