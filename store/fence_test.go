package store_test

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs/store"
)

func TestMemoryFence(t *testing.T) {
	ctx := context.Background()
	var f store.MemoryFence
	if ok, _ := f.Claim(ctx, "a", time.Hour); !ok {
		t.Fatal("a first claim was refused")
	}
	if ok, _ := f.Claim(ctx, "a", time.Hour); ok {
		t.Fatal("a second claim of a held key was granted")
	}
	if ok, _ := f.Claim(ctx, "b", time.Hour); !ok {
		t.Fatal("another key's claim was refused")
	}
	f.Unclaim(ctx, "a")
	if ok, _ := f.Claim(ctx, "a", 10*time.Millisecond); !ok {
		t.Fatal("a claim given up was not granted again")
	}
	time.Sleep(20 * time.Millisecond)
	if ok, _ := f.Claim(ctx, "a", time.Hour); !ok {
		t.Fatal("an expired claim was not granted again")
	}
	// Expired claims are dropped as new ones come.
	for i := range 1000 {
		f.Claim(ctx, strings.Repeat("x", i), time.Nanosecond)
	}
	if n := f.Held(); n > 200 {
		t.Fatalf("after 1000 claims that expired at once, %d are held: expired claims are not dropped", n)
	}
	if ok, _ := f.Claim(ctx, "b", time.Hour); ok {
		t.Fatal("pruning dropped a claim that holds")
	}
}

// failingRemover fails every Remove with err, counting them.
type failingRemover struct {
	err   error
	calls int
}

func (r *failingRemover) Remove(context.Context, string) error { r.calls++; return r.err }

func TestRemoveFenced(t *testing.T) {
	ctx := context.Background()
	var f store.MemoryFence
	m := store.NewMemory()
	m.Put(ctx, "a.wav", strings.NewReader("RIFF"), -1)
	if err := store.RemoveFenced(ctx, m, &f, "a.wav"); err != nil {
		t.Fatal(err)
	}
	// Put back under the name: the claim stands for FenceTTL, so another
	// remover is told it is gone without asking the store.
	m.Put(ctx, "a.wav", strings.NewReader("RIFF"), -1)
	if err := store.RemoveFenced(ctx, m, &f, "a.wav"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a removal claimed by another: %v, want fs.ErrNotExist", err)
	}
	// A removal that fails gives its claim up: a retry reaches the store.
	broken := &failingRemover{err: errors.New("the bucket went away")}
	for range 2 {
		if err := store.RemoveFenced(ctx, broken, &f, "b.wav"); err == nil || errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("a failing removal: %v", err)
		}
	}
	if broken.calls != 2 {
		t.Fatalf("a retry after a failed removal reached the store %d times of 2", broken.calls)
	}
	// Without a Fence it is Remove.
	if err := store.RemoveFenced(ctx, m, nil, "a.wav"); err != nil {
		t.Fatal(err)
	}
	// The first to give a size back is the only one.
	if first, _ := store.ClaimOnce(ctx, &f, "released:c.wav"); !first {
		t.Fatal("the first claim was refused")
	}
	if again, _ := store.ClaimOnce(ctx, &f, "released:c.wav"); again {
		t.Fatal("a size was given back twice")
	}
}
