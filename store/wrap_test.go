package store_test

import (
	"context"
	"io"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ccfs-go/ccfs/ccfstest"
	"github.com/ccfs-go/ccfs/store"
)

// allCapabilities is a store with every optional interface.
type allCapabilities struct {
	*store.Memory
	removedAt *atomic.Int64
}

func (a allCapabilities) RemoveAt(ctx context.Context, _, name string) error {
	a.removedAt.Add(1)
	return a.Remove(ctx, name)
}
func (allCapabilities) Ping(context.Context) error { return nil }

// putOnly is a store with Put alone.
type putOnly struct{ all allCapabilities }

func (p putOnly) Put(ctx context.Context, name string, r io.Reader, size int64) ([]string, error) {
	return p.all.Put(ctx, name, r, size)
}

// capabilities returns the optional interfaces s has, as storeWith's bits.
func capabilities(s store.Store) int {
	set := 0
	for i, ok := range []bool{
		is[store.Opener](s), is[store.Remover](s), is[store.LocationRemover](s),
		is[store.Lister](s), is[store.Stater](s), is[store.Pinger](s), is[store.PageLister](s),
	} {
		if ok {
			set |= 1 << i
		}
	}
	return set
}

func is[T any](s store.Store) bool { _, ok := s.(T); return ok }

// TestWrapForwardsExactly: for every set of optional interfaces a store
// may have, Wrap's store has that set, no more and no fewer, and its
// methods reach the wrapped store.
func TestWrapForwardsExactly(t *testing.T) {
	ctx := context.Background()
	for set := range 1 << 7 {
		all := allCapabilities{store.NewMemory(), new(atomic.Int64)}
		inner := storeWith(set, all)
		if got := capabilities(inner); got != set {
			t.Fatalf("the test's store %d has %07b", set, got)
		}
		w := store.Wrap(inner, nil)
		if got := capabilities(w); got != set {
			t.Errorf("Wrap of a store with %07b has %07b", set, got)
			continue
		}
		if u, ok := w.(interface{ Unwrap() store.Store }); !ok || u.Unwrap() != inner {
			t.Errorf("Wrap of %07b: no Unwrap to the wrapped store", set)
		}
		if _, err := w.Put(ctx, "a/b.wav", strings.NewReader("RIFF"), 4); err != nil {
			t.Fatal(err)
		}
		if _, ok := all.Get("a/b.wav"); !ok {
			t.Errorf("Wrap of %07b: Put did not reach the wrapped store", set)
		}
		if op, ok := w.(store.Opener); ok {
			f, err := op.Open("a/b.wav")
			if err != nil {
				t.Errorf("Wrap of %07b: Open: %v", set, err)
			} else {
				f.Close()
			}
		}
		if pl, ok := w.(store.PageLister); ok {
			if files, more, err := pl.ListPage(ctx, "a", "", 10); err != nil || len(files) != 1 || files[0].Name != "a/b.wav" || more {
				t.Errorf("Wrap of %07b: ListPage: %v, %v, %v", set, files, more, err)
			}
		}
		if lr, ok := w.(store.LocationRemover); ok {
			if err := lr.RemoveAt(ctx, "1", "a/b.wav"); err != nil || all.removedAt.Load() != 1 {
				t.Errorf("Wrap of %07b: RemoveAt: %v", set, err)
			}
		} else if rm, ok := w.(store.Remover); ok {
			if err := rm.Remove(ctx, "a/b.wav"); err != nil {
				t.Errorf("Wrap of %07b: Remove: %v", set, err)
			}
		}
	}
}

// A wrapper that counts uploads overrides Put alone, and the store it
// makes passes the whole Store contract.
func TestWrapOverridesPut(t *testing.T) {
	mem := store.NewMemory()
	var puts atomic.Int64
	counted := store.Wrap(mem, func(ctx context.Context, name string, r io.Reader, size int64) ([]string, error) {
		puts.Add(1)
		return mem.Put(ctx, name, r, size)
	})
	ccfstest.TestStore(t, counted)
	if puts.Load() == 0 {
		t.Fatal("the wrapper's Put was never called")
	}
	d, err := store.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	ccfstest.TestStore(t, store.Wrap(d, nil))
}
