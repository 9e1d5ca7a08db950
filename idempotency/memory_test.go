package idempotency_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs/idempotency"
)

var t0 = time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)

// clock is a clock a test moves.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newMemory(max int) (*idempotency.Memory, *clock) {
	c := &clock{now: t0}
	m := idempotency.NewMemory(max)
	m.Now = c.Now
	return m, c
}

var ctx = context.Background()

func scope(key string) idempotency.Scope {
	return idempotency.Scope{AccessKey: "ak", VDN: 53, Key: key}
}

func hash(b byte) idempotency.Hash { return idempotency.Hash{b} }

func begin(t *testing.T, m idempotency.Store, s idempotency.Scope, h idempotency.Hash) (idempotency.State, idempotency.Record) {
	t.Helper()
	st, rec, err := m.Begin(ctx, s, h, idempotency.InFlightLease)
	if err != nil {
		t.Fatal(err)
	}
	return st, rec
}

func TestMemoryStates(t *testing.T) {
	m, _ := newMemory(0)
	s := scope("k1")
	if st, _ := begin(t, m, s, hash(1)); st != idempotency.Fresh {
		t.Fatalf("first Begin: %v, want Fresh", st)
	}
	if st, _ := begin(t, m, s, hash(1)); st != idempotency.InFlight {
		t.Fatalf("same file in flight: %v, want InFlight", st)
	}
	if st, _ := begin(t, m, s, hash(2)); st != idempotency.Mismatch {
		t.Fatalf("another file in flight: %v, want Mismatch", st)
	}
	rec := idempotency.Record{Hash: hash(1), FileName: "Y:/a.wav", LocationIDs: []string{"1", "2"}}
	if err := m.Finish(ctx, s, rec, idempotency.DefaultTTL); err != nil {
		t.Fatal(err)
	}
	st, got := begin(t, m, s, hash(1))
	if st != idempotency.Repeat || got.FileName != "Y:/a.wav" || fmt.Sprint(got.LocationIDs) != "[1 2]" || got.Hash != hash(1) {
		t.Fatalf("repeat: %v %+v", st, got)
	}
	got.LocationIDs[0] = "changed"
	if _, again := begin(t, m, s, hash(1)); again.LocationIDs[0] != "1" {
		t.Fatal("a Record returned shares its LocationIDs with the store")
	}
	if st, _ := begin(t, m, s, hash(2)); st != idempotency.Mismatch {
		t.Fatalf("another file, finished: %v, want Mismatch", st)
	}
	// Abort forgets an upload in flight, not a finished one.
	if err := m.Abort(ctx, s, hash(1)); err != nil {
		t.Fatal(err)
	}
	if st, _ := begin(t, m, s, hash(1)); st != idempotency.Repeat {
		t.Fatalf("after Abort of a finished key: %v, want Repeat", st)
	}
	s2 := scope("k2")
	begin(t, m, s2, hash(1))
	m.Abort(ctx, s2, hash(2)) // another file's: kept
	if st, _ := begin(t, m, s2, hash(2)); st != idempotency.Mismatch {
		t.Fatalf("after another file's Abort: %v, want Mismatch (still in flight)", st)
	}
	m.Abort(ctx, s2, hash(1))
	if st, _ := begin(t, m, s2, hash(2)); st != idempotency.Fresh {
		t.Fatalf("after Abort: %v, want Fresh", st)
	}
}

// The same key text under another access key or VDN is another key.
func TestMemoryScopes(t *testing.T) {
	m, _ := newMemory(0)
	for _, s := range []idempotency.Scope{
		{AccessKey: "a", VDN: 53, Key: "k"},
		{AccessKey: "b", VDN: 53, Key: "k"},
		{AccessKey: "a", VDN: 54, Key: "k"},
		{AccessKey: "a", VDN: 53, Key: "K"},
	} {
		if st, _ := begin(t, m, s, hash(byte(len(s.AccessKey)+s.VDN))); st != idempotency.Fresh {
			t.Fatalf("%+v: %v, want Fresh", s, st)
		}
	}
}

func TestMemoryExpiry(t *testing.T) {
	m, c := newMemory(0)
	s := scope("k")
	begin(t, m, s, hash(1))
	c.advance(idempotency.InFlightLease - time.Second)
	if st, _ := begin(t, m, s, hash(1)); st != idempotency.InFlight {
		t.Fatalf("within the lease: %v", st)
	}
	c.advance(time.Second)
	if st, _ := begin(t, m, s, hash(2)); st != idempotency.Fresh {
		t.Fatalf("a lease run out: %v, want Fresh", st)
	}
	m.Finish(ctx, s, idempotency.Record{Hash: hash(2), FileName: "f"}, time.Hour)
	c.advance(time.Hour - time.Nanosecond)
	if st, _ := begin(t, m, s, hash(2)); st != idempotency.Repeat {
		t.Fatalf("within the TTL: %v", st)
	}
	c.advance(time.Nanosecond)
	if st, _ := begin(t, m, s, hash(3)); st != idempotency.Fresh {
		t.Fatalf("past the TTL: %v, want Fresh", st)
	}
}

// At most max entries, the least recently used dropped first.
func TestMemoryBound(t *testing.T) {
	m, _ := newMemory(3)
	for _, k := range []string{"a", "b", "c"} {
		begin(t, m, scope(k), hash(1))
		m.Finish(ctx, scope(k), idempotency.Record{Hash: hash(1), FileName: k}, time.Hour)
	}
	begin(t, m, scope("a"), hash(1)) // a is used: b is now the least recent
	begin(t, m, scope("d"), hash(1))
	if m.Len() != 3 {
		t.Fatalf("%d entries, bound 3", m.Len())
	}
	for k, want := range map[string]idempotency.State{"a": idempotency.Repeat, "c": idempotency.Repeat, "d": idempotency.InFlight} {
		if st, _ := begin(t, m, scope(k), hash(1)); st != want {
			t.Errorf("%s: %v, want %v", k, st, want)
		}
	}
	if st, _ := begin(t, m, scope("b"), hash(1)); st != idempotency.Fresh {
		t.Errorf("b, the least recently used: %v, want Fresh (dropped)", st)
	}
	for i := range 1000 {
		begin(t, m, scope(fmt.Sprint("x", i)), hash(1))
		if m.Len() > 3 {
			t.Fatalf("%d entries, bound 3", m.Len())
		}
	}
	if idempotency.NewMemory(0).Len() != 0 || idempotency.DefaultMaxEntries != 100000 {
		t.Fatal("NewMemory(0)")
	}
}

// Many goroutines beginning the same key: exactly one gets Fresh.
func TestMemoryConcurrent(t *testing.T) {
	m, _ := newMemory(50)
	for round := range 20 {
		var fresh atomic.Int32
		var wg sync.WaitGroup
		s := scope(fmt.Sprint("k", round))
		for range 16 {
			wg.Go(func() {
				st, _, err := m.Begin(ctx, s, hash(1), time.Minute)
				if err != nil {
					t.Error(err)
				}
				if st == idempotency.Fresh {
					fresh.Add(1)
					m.Finish(ctx, s, idempotency.Record{Hash: hash(1)}, time.Hour)
				}
			})
			wg.Go(func() { m.Len(); m.Abort(ctx, scope("other"), hash(1)) })
		}
		wg.Wait()
		if fresh.Load() != 1 {
			t.Fatalf("round %d: %d Fresh, want 1", round, fresh.Load())
		}
	}
	if m.Len() > 50 {
		t.Fatalf("%d entries, bound 50", m.Len())
	}
}
