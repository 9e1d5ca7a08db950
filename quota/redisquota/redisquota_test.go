package redisquota_test

import (
	"context"
	"errors"
	"maps"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ccfs-go/ccfs/auth/redisreplay/redistest"
	"github.com/ccfs-go/ccfs/ccfstest"
	"github.com/ccfs-go/ccfs/pathrule"
	"github.com/ccfs-go/ccfs/quota"
	"github.com/ccfs-go/ccfs/quota/redisquota"
	"github.com/ccfs-go/ccfs/store"
)

func newLedger(t testing.TB, client redis.UniversalClient) *redisquota.Ledger {
	t.Helper()
	l, err := redisquota.New(client, redisquota.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestClaimRelease: a claim adds a file while it fits the bytes and the
// files of its limit, and only then; a release takes it off, never below
// zero; All reports every VDN and when the counts were taken.
func TestClaimRelease(t *testing.T) {
	ctx := context.Background()
	l := newLedger(t, redistest.Start(t).Client)
	counted := time.Now()
	if err := l.Set(ctx, map[int]quota.Usage{53: {Bytes: 100, Files: 1}, 54: {}}); err != nil {
		t.Fatal(err)
	}
	lim := quota.Limit{Bytes: 300, Files: 3}
	// Each claim returns the usage it found; of a refused one, that says
	// which limit refused it: the bytes, the files, or both.
	for _, step := range []struct {
		size         int64
		ok           bool
		found        quota.Usage
		bytes, files bool
	}{
		{150, true, quota.Usage{Bytes: 100, Files: 1}, false, false},
		{51, false, quota.Usage{Bytes: 250, Files: 2}, true, false},
		{50, true, quota.Usage{Bytes: 250, Files: 2}, false, false},
		{0, false, quota.Usage{Bytes: 300, Files: 3}, false, true},
		{1, false, quota.Usage{Bytes: 300, Files: 3}, true, true},
	} {
		found, ok, err := l.Claim(ctx, 53, step.size, lim)
		if err != nil || ok != step.ok || found != step.found {
			t.Fatalf("Claim(%d): %+v, %v, %v; want %+v, %v", step.size, found, ok, err, step.found, step.ok)
		}
		if bytes, files := found.Passes(step.size, lim); !ok && (bytes != step.bytes || files != step.files) {
			t.Fatalf("Claim(%d) refused: bytes %v, files %v; want %v, %v", step.size, bytes, files, step.bytes, step.files)
		}
	}
	// A lease's claim says the same.
	if found, ok, err := l.ClaimLease(ctx, 53, "3rdfile/53/thirdvoicebotfile/x.wav", 1, lim, time.Minute); ok || err != nil ||
		found != (quota.Usage{Bytes: 300, Files: 3}) {
		t.Fatalf("ClaimLease past the limit: %+v, %v, %v", found, ok, err)
	}
	// A VDN that keeps nothing yet is found empty.
	if found, ok, err := l.Claim(ctx, 56, 301, lim); ok || err != nil || found != (quota.Usage{}) {
		t.Fatalf("Claim on an empty VDN: %+v, %v, %v", found, ok, err)
	}
	if u, _ := l.Usage(ctx, 53); u != (quota.Usage{Bytes: 300, Files: 3}) {
		t.Fatalf("usage %+v", u)
	}
	// No limit, and one near 2^62: the sizes stay exact integers.
	for _, lim := range []quota.Limit{{}, {Bytes: 1 << 62}} {
		if _, ok, err := l.Claim(ctx, 55, 1<<40+1, lim); !ok || err != nil {
			t.Fatalf("Claim under %+v: %v, %v", lim, ok, err)
		}
	}
	if u, _ := l.Usage(ctx, 55); u != (quota.Usage{Bytes: 2<<40 + 2, Files: 2}) {
		t.Fatalf("usage of 55: %+v", u)
	}
	if err := l.Release(ctx, 53, 1000); err != nil { // more than it holds
		t.Fatal(err)
	}
	if u, _ := l.Usage(ctx, 53); u != (quota.Usage{Bytes: 0, Files: 2}) {
		t.Fatalf("after an over-release: %+v", u)
	}
	l.Release(ctx, 53, 0)
	l.Release(ctx, 53, 0)
	l.Release(ctx, 53, 0) // one more than there are
	all, at, err := l.All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[int]quota.Usage{55: {Bytes: 2<<40 + 2, Files: 2}}; !maps.Equal(all, want) {
		t.Fatalf("All: %v, want %v (a VDN with no file is not kept)", all, want)
	}
	if at.Before(counted.Add(-time.Second)) || at.After(time.Now()) {
		t.Fatalf("counted at %v", at)
	}
}

// TestUncounted: before any node has counted, and after Redis lost the
// counts, a claim fails with quota.ErrUncounted and a release does
// nothing; when Redis is down, a claim fails (closed) with another error.
func TestUncounted(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	l := newLedger(t, srv.Client)
	uncounted := func(when string) {
		t.Helper()
		if _, ok, err := l.Claim(ctx, 53, 10, quota.Limit{}); ok || !errors.Is(err, quota.ErrUncounted) {
			t.Fatalf("%s: Claim %v, %v; want quota.ErrUncounted", when, ok, err)
		}
		if err := l.Release(ctx, 53, 10); err != nil {
			t.Fatal(err)
		}
		if n := srv.Client.Exists(ctx, redisquota.DefaultPrefix+"bytes", redisquota.DefaultPrefix+"files").Val(); n != 0 {
			t.Fatalf("%s: a release wrote counts", when)
		}
		if c, err := l.Counted(ctx); c || err != nil {
			t.Fatalf("%s: Counted %v, %v", when, c, err)
		}
	}
	uncounted("never counted")
	if err := l.Set(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := l.Claim(ctx, 53, 10, quota.Limit{}); !ok || err != nil {
		t.Fatalf("counted: %v, %v", ok, err)
	}
	srv.Client.FlushAll(ctx)
	uncounted("counts lost")
	srv.Stop()
	if _, _, err := l.Claim(ctx, 53, 10, quota.Limit{}); err == nil || errors.Is(err, quota.ErrUncounted) {
		t.Fatalf("Redis down: %v, want an error that is not ErrUncounted", err)
	}
}

// countingLister counts its listings.
type countingLister struct {
	store.Lister
	lists atomic.Int32
}

func (c *countingLister) List(ctx context.Context, dir string, fn func(store.FileInfo) error) error {
	c.lists.Add(1)
	return c.Lister.List(ctx, dir, fn)
}

func seedStore(t *testing.T, files map[string]int) *store.Memory {
	t.Helper()
	m := store.NewMemory()
	for name, size := range files {
		if _, err := m.Put(context.Background(), name, strings.NewReader(strings.Repeat("x", size)), int64(size)); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

// TestLoadCountsOnce: the first node to start counts the store; a node
// that starts while the ledger holds counts keeps them, without listing
// the store (its count would miss others' claims in flight); a reconcile
// (Set) replaces them.
func TestLoadCountsOnce(t *testing.T) {
	ctx := context.Background()
	client := redistest.Start(t).Client
	rule := pathrule.MustParse(pathrule.Default)
	st := &countingLister{Lister: seedStore(t, map[string]int{
		"3rdfile/53/thirdvoicebotfile/a.wav": 10,
		"3rdfile/53/thirdvoicebotfile/b.wav": 20,
		"3rdfile/53/IVRrecordFile/rec.wav":   40,
	})}
	first := newLedger(t, client)
	counts, err := quota.Load(ctx, first, st, rule)
	if err != nil || !maps.Equal(counts, map[int]quota.Usage{53: {Bytes: 30, Files: 2}}) || st.lists.Load() != 1 {
		t.Fatalf("first Load: %v, %v after %d listings", counts, err, st.lists.Load())
	}
	if _, ok, _ := first.Claim(ctx, 53, 5, quota.Limit{}); !ok {
		t.Fatal("claim refused")
	}
	second := newLedger(t, client)
	counts, err = quota.Load(ctx, second, st, rule)
	if err != nil || counts != nil || st.lists.Load() != 1 {
		t.Fatalf("second Load: %v, %v after %d listings; want the counts kept, unlisted", counts, err, st.lists.Load())
	}
	if u, _ := second.Usage(ctx, 53); u != (quota.Usage{Bytes: 35, Files: 3}) {
		t.Fatalf("the second node sees %+v", u)
	}
	if set, err := second.SetIfUncounted(ctx, map[int]quota.Usage{53: {Bytes: 1, Files: 1}}); set || err != nil {
		t.Fatalf("SetIfUncounted over counts: %v, %v", set, err)
	}
	// A reconcile replaces whatever the nodes count, and drops VDNs the
	// store no longer holds.
	counts, _ = quota.Count(ctx, st, rule)
	if err := second.Set(ctx, counts); err != nil {
		t.Fatal(err)
	}
	if all, _, _ := first.All(ctx); !maps.Equal(all, map[int]quota.Usage{53: {Bytes: 30, Files: 2}}) {
		t.Fatalf("after a reconcile: %v", all)
	}
}

// TestKeepCounted: after Redis lost the counts, a node watching them
// counts the store again, and claims succeed.
func TestKeepCounted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := redistest.Start(t)
	rule := pathrule.MustParse(pathrule.Default)
	st := seedStore(t, map[string]int{"3rdfile/53/thirdvoicebotfile/a.wav": 10})
	l := newLedger(t, srv.Client)
	if _, err := quota.Load(ctx, l, st, rule); err != nil {
		t.Fatal(err)
	}
	recounts := make(chan map[int]quota.Usage, 1)
	go quota.KeepCounted(ctx, l, st, rule, 10*time.Millisecond, func(counts map[int]quota.Usage, err error) {
		if err != nil {
			t.Error(err)
		}
		recounts <- counts
	})
	srv.Client.FlushAll(ctx)
	select {
	case counts := <-recounts:
		if !maps.Equal(counts, map[int]quota.Usage{53: {Bytes: 10, Files: 1}}) {
			t.Fatalf("recounted %v", counts)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the lost counts were not counted again")
	}
	if _, ok, err := l.Claim(ctx, 53, 5, quota.Limit{Bytes: 15}); !ok || err != nil {
		t.Fatalf("after the recount: %v, %v", ok, err)
	}
	if u, _ := l.Usage(ctx, 53); u != (quota.Usage{Bytes: 15, Files: 2}) {
		t.Fatalf("after the recount: %+v", u)
	}
}

// TestTwoNodes: ccfstest's quota checks on two nodes sharing the ledger
// in Redis: a directory store, and a pool of two (whose copies are
// deleted one node after the other).
func TestTwoNodes(t *testing.T) {
	client := redistest.Start(t).Client
	shared := ccfstest.SharedLedger(func(t *testing.T) quota.Shared {
		// Each node its own connection, as separate servers have.
		c := redis.NewClient(&redis.Options{Addr: client.Options().Addr})
		t.Cleanup(func() { c.Close() })
		return newLedger(t, c)
	})
	dir := func(t *testing.T) *store.Dir {
		d, err := store.NewDir(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		return d
	}
	t.Run("Dir", func(t *testing.T) { ccfstest.TestQuota(t, dir(t), shared) })
	t.Run("Pool", func(t *testing.T) {
		p, err := store.NewPool(0, store.Location{ID: "0", Store: dir(t)}, store.Location{ID: "256", Store: dir(t)})
		if err != nil {
			t.Fatal(err)
		}
		ccfstest.TestQuota(t, p, shared)
	})
}

// slowLister lists a store a file at a time, slowly, as a large bucket
// lists, so that uploads go on while it counts.
type slowLister struct{ store.Lister }

func (s slowLister) List(ctx context.Context, dir string, fn func(store.FileInfo) error) error {
	return s.Lister.List(ctx, dir, func(f store.FileInfo) error {
		time.Sleep(100 * time.Microsecond)
		return fn(f)
	})
}

// Recounts while sixteen uploaders claim and store files (and some
// delete theirs) never leave the ledger below what the store holds, so
// no VDN gets past its quota; a recount at a quiet time is exact. (When
// this test was written, a recount that Set the plain count instead let
// the ledger fall behind the store: the check below is what caught it.)
func TestRecountUnderLoad(t *testing.T) {
	ctx := context.Background()
	l := newLedger(t, redistest.Start(t).Client)
	d, err := store.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	rule := pathrule.MustParse(pathrule.Default)
	lister := slowLister{d}
	seed := map[string]int{}
	for i := range 100 {
		seed[rule.Dir(53+i%2)+"/seed-"+strings.Repeat("x", 1+i%7)+"-"+time.Duration(i).String()+".wav"] = 1000 + i
	}
	for name, size := range seed {
		if _, err := d.Put(ctx, name, strings.NewReader(strings.Repeat("a", size)), -1); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := quota.Load(ctx, l, d, rule); err != nil {
		t.Fatal(err)
	}
	var stored atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		var wg sync.WaitGroup
		for w := range 16 {
			wg.Go(func() {
				for i := range 100 {
					vdn, size := 53+w%2, int64(500+w*10+i%50)
					if _, ok, err := l.Claim(ctx, vdn, size, quota.Limit{}); err != nil || !ok {
						t.Errorf("claim: %v %v", ok, err)
						return
					}
					name := rule.Dir(vdn) + "/" + strings.Repeat("w", 1+w) + "-" + time.Duration(i).String() + ".wav"
					if _, err := d.Put(ctx, name, strings.NewReader(strings.Repeat("b", int(size))), -1); err != nil {
						t.Errorf("put: %v", err)
						return
					}
					stored.Add(1)
					time.Sleep(3 * time.Millisecond)
					if i%5 == 4 { // and a delete now and then
						if d.Remove(ctx, name) == nil {
							l.Release(ctx, vdn, size)
						}
					}
				}
			})
		}
		wg.Wait()
	}()
	// Recounts one after another while the uploaders work, three at least.
	recounts := 0
	for ; recounts < 3 || !closed(done); recounts++ {
		if _, err := quota.Recount(ctx, l, lister, rule); err != nil {
			t.Fatalf("recount %d: %v", recounts, err)
		}
	}
	<-done
	truth, err := quota.Count(ctx, d, rule)
	if err != nil {
		t.Fatal(err)
	}
	for _, vdn := range []int{53, 54} {
		got, _ := l.Usage(ctx, vdn)
		if got.Bytes < truth[vdn].Bytes || got.Files < truth[vdn].Files {
			t.Errorf("VDN %d: after recounts under load the ledger says %+v, below the store's %+v", vdn, got, truth[vdn])
		}
	}
	t.Logf("%d files stored during %d recounts", stored.Load(), recounts)
	// At a quiet time a recount is exact.
	if _, err := quota.Recount(ctx, l, lister, rule); err != nil {
		t.Fatal(err)
	}
	for _, vdn := range []int{53, 54} {
		if got, _ := l.Usage(ctx, vdn); got != truth[vdn] {
			t.Errorf("VDN %d: a quiet recount says %+v, the store %+v", vdn, got, truth[vdn])
		}
	}
}

// A node that dies between claiming a file's size and storing the file
// (kill -9) leaves a lease, not a count that lasts: once it expires, the
// claim of a file the store holds stands and the others are given back.
// A lease reaped before its file was committed is claimed again by the
// commit.
func TestLeasesOutliveNoCrash(t *testing.T) {
	ctx := context.Background()
	l := newLedger(t, redistest.Start(t).Client)
	if err := l.Set(ctx, map[int]quota.Usage{}); err != nil {
		t.Fatal(err)
	}
	mem := store.NewMemory()
	claim := func(name string, size int64, ttl time.Duration) {
		t.Helper()
		if _, ok, err := l.ClaimLease(ctx, 53, name, size, quota.Limit{}, ttl); !ok || err != nil {
			t.Fatalf("ClaimLease %s: %v %v", name, ok, err)
		}
	}
	usage := func() quota.Usage { u, _ := l.Usage(ctx, 53); return u }
	claim("died-before-storing.wav", 100, time.Millisecond)
	claim("died-after-storing.wav", 200, time.Millisecond)
	mem.Put(ctx, "died-after-storing.wav", strings.NewReader("RIFF"), -1)
	claim("in-flight.wav", 300, time.Hour)
	if u := usage(); u != (quota.Usage{Bytes: 600, Files: 3}) {
		t.Fatalf("three claims: %+v", u)
	}
	time.Sleep(5 * time.Millisecond)
	kept, given, err := quota.ReapLeases(ctx, l, mem)
	if err != nil || kept != 1 || given != 1 {
		t.Fatalf("reaping: kept %d, gave back %d, %v; want 1 and 1", kept, given, err)
	}
	if u := usage(); u != (quota.Usage{Bytes: 500, Files: 2}) {
		t.Fatalf("after the reap: %+v, want the stored file and the one in flight", u)
	}
	if err := l.Commit(ctx, 53, "in-flight.wav", 300); err != nil {
		t.Fatal(err)
	}
	if u := usage(); u != (quota.Usage{Bytes: 500, Files: 2}) {
		t.Fatalf("after the commit: %+v", u)
	}
	if left, _ := l.Expired(ctx); len(left) != 0 {
		t.Fatalf("leases left: %v", left)
	}
	// Reaped while its store was slow, then stored: the commit counts it.
	claim("slow.wav", 50, time.Millisecond)
	time.Sleep(5 * time.Millisecond)
	if _, given, _ := quota.ReapLeases(ctx, l, mem); given != 1 {
		t.Fatalf("a lease past its time with no file: %d given back", given)
	}
	if err := l.Commit(ctx, 53, "slow.wav", 50); err != nil {
		t.Fatal(err)
	}
	if u := usage(); u != (quota.Usage{Bytes: 550, Files: 3}) {
		t.Fatalf("a late commit: %+v", u)
	}
	// A failed store gives its claim back at once.
	claim("failed.wav", 70, time.Hour)
	if err := l.Abandon(ctx, "failed.wav"); err != nil {
		t.Fatal(err)
	}
	if u := usage(); u != (quota.Usage{Bytes: 550, Files: 3}) {
		t.Fatalf("after an abandoned claim: %+v", u)
	}
}

// closed reports whether c is closed.
func closed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
