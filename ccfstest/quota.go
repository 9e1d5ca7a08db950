package ccfstest

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/pathrule"
	"github.com/ccfs-go/ccfs/quota"
	"github.com/ccfs-go/ccfs/store"
	"github.com/ccfs-go/ccfs/wavcheck"
)

// A QuotaOption changes what TestQuota checks.
type QuotaOption func(*quotaCheck)

// SharedLedger runs TestQuota across two nodes that share a quota.Shared
// ledger: newNode returns the ledger as one more node would open it (its
// own connection to the same place, say). Each node is a handler on the
// store with its own ledger, loaded with quota.Load; uploads and deletes
// alternate between the nodes, which share a Fence as servers sharing a
// store must (Options.Fence); 64 racing uploads are spread over both;
// and a restart is a node that starts while the ledger holds counts, and
// must keep them. Without it, each node has a quota.Memory of its own,
// and there is one node at a time.
func SharedLedger(newNode func(t *testing.T) quota.Shared) QuotaOption {
	return func(q *quotaCheck) { q.newShared = newNode }
}

// quotaCheck is one run of TestQuota.
type quotaCheck struct {
	s         store.Store
	l         store.Lister
	newShared func(t *testing.T) quota.Shared
	rule      *pathrule.Rule
	a, b      int // the test's own VDNs
}

// A quotaNode is one server: a handler with its ledger, and a client for
// each of the two VDNs.
type quotaNode struct {
	a, b  *ccfs.Client
	usage quota.Ledger
}

// TestQuota checks per-VDN quotas through the handler on s, which must be
// a store.Lister, Opener and Remover: a VDN at its quota is refused with
// ccfs.ErrQuota and keeps nothing of the refused file, while another VDN
// still uploads; a delete makes room; a new handler whose usage is
// counted from s (a restart) refuses where the old one did; and 64
// uploads racing at the edge of a quota store exactly as many files as
// fit. On a store of several locations (a store.LocationRemover, such as
// a store.Pool), a file is one file to its quota however many copies it
// has, and deleting its copies one location at a time gives its size back
// with the last. Of concurrent deletes of one file, one removes it and the
// others are told it does not exist; its size is given back once. A
// refusal says which limit was reached: the bytes (what is stored, the
// limit, what the file needs), the files, or both. It uses two VDNs of
// its own, chosen at random, and removes what it stored.
func TestQuota(t *testing.T, s store.Store, opts ...QuotaOption) {
	t.Helper()
	l, lok := s.(store.Lister)
	rm, rok := s.(store.Remover)
	if _, ook := s.(store.Opener); !lok || !ook || !rok {
		t.Fatalf("ccfstest.TestQuota: %T is not a store.Lister, Opener and Remover", s)
	}
	q := &quotaCheck{s: s, l: l, rule: pathrule.MustParse(pathrule.Default), a: 1_000_000 + rand.IntN(1<<30)}
	q.b = q.a + 1
	for _, o := range opts {
		o(q)
	}
	var shared quota.Shared
	if q.newShared != nil {
		shared = q.newShared(t)
	}
	ctx := context.Background()
	t.Cleanup(func() {
		stored := map[string]int64{}
		l.List(ctx, q.rule.Prefix(), func(f store.FileInfo) error {
			if vdn, ok := q.rule.MatchFile(f.Name); ok && (vdn == q.a || vdn == q.b) {
				stored[f.Name] = f.Size
			}
			return nil
		})
		for name, size := range stored {
			if rm.Remove(ctx, name) == nil && shared != nil {
				vdn, _ := q.rule.MatchFile(name)
				shared.Release(ctx, vdn, size)
			}
		}
	})
	wav := WAV(time.Second, wavcheck.ALaw)
	size := int64(len(wav))
	a, b := q.a, q.b

	// WhichLimit runs first, on VDN a while it is empty, and leaves it so.
	t.Run("WhichLimit", func(t *testing.T) {
		kib := func(n int64) string { return strconv.FormatFloat(float64(n)/1024, 'f', 1, 64) + " KiB" }
		vdn := "VDN " + strconv.Itoa(a)
		for _, tt := range []struct {
			limit  string
			stored int64 // uploads that fit
			want   string
		}{
			{strconv.FormatInt(2*size+size/2, 10), 2, "quota reached for " + vdn + ": " + kib(2*size) + " of " + kib(2*size+size/2) + " stored; this file needs " + kib(size) + "; delete files to make room"},
			{"none/2", 2, "quota reached for " + vdn + ": 2 of 2 files stored; delete files to make room"},
			{strconv.FormatInt(size+size/2, 10) + "/1", 1, "quota reached for " + vdn + ": " + kib(size) + " of " + kib(size+size/2) + " stored; this file needs " + kib(size) + "; 1 of 1 files stored; delete files to make room"},
		} {
			nodes := q.nodes(t, strconv.Itoa(a)+"="+tt.limit)
			var names []string
			for i := range tt.stored {
				rd, err := nodes[int(i)%len(nodes)].a.Upload(ctx, a, wav)
				if err != nil {
					t.Fatalf("%s: upload %d: %v", tt.limit, i+1, err)
				}
				names = append(names, rd.FileName)
			}
			_, err := nodes[len(nodes)-1].a.Upload(ctx, a, wav)
			var ce ccfs.Error
			if !errors.As(err, &ce) || ce.Code() != ccfs.ErrQuota.Code() || ce.Desc() != tt.want {
				t.Errorf("past a quota of %s: %v\nwant %s: %s", tt.limit, err, ccfs.ErrQuota.Code(), tt.want)
			}
			for _, name := range names {
				if err := nodes[0].a.Delete(ctx, name, ""); err != nil {
					t.Fatal(err)
				}
			}
		}
	})

	t.Run("Share", func(t *testing.T) {
		limits := strconv.Itoa(a) + "=" + strconv.FormatInt(3*size, 10) + ",*=none"
		nodes := q.nodes(t, limits)
		node := func(i int) *quotaNode { return nodes[i%len(nodes)] }
		var names []string
		for i := range 3 {
			rd, err := node(i).a.Upload(ctx, a, wav)
			if err != nil {
				t.Fatal(err)
			}
			names = append(names, rd.FileName)
		}
		_, err := node(3).a.Upload(ctx, a, wav)
		var ce ccfs.Error
		if !errors.Is(err, ccfs.ErrQuota) || !errors.As(err, &ce) || !strings.Contains(ce.Desc(), "VDN "+strconv.Itoa(a)) {
			t.Fatalf("past the quota: %v, want %s naming the VDN", err, ccfs.ErrQuota.Code())
		}
		if u := q.stored(t, a); u.Files != 3 {
			t.Fatalf("after a refusal the store holds %d files of the VDN, want 3", u.Files)
		}
		for i := range 4 {
			if _, err := node(i).b.Upload(ctx, b, wav); err != nil {
				t.Fatalf("another VDN, beside a full one: %v", err)
			}
		}
		if err := node(1).a.Delete(ctx, names[0], ""); err != nil {
			t.Fatal(err)
		}
		for _, n := range nodes {
			if u, _ := n.usage.Usage(ctx, a); u != (quota.Usage{Bytes: 2 * size, Files: 2}) {
				t.Fatalf("after a delete the VDN uses %+v", u)
			}
		}
		if _, err := node(0).a.Upload(ctx, a, wav); err != nil {
			t.Fatalf("after a delete made room: %v", err)
		}
		// A restart: new nodes, whose usage is counted from the store (or
		// kept, in a shared ledger that holds counts).
		restarted := q.nodes(t, limits)
		for vdn, files := range map[int]int64{a: 3, b: 4} {
			if u, _ := restarted[0].usage.Usage(ctx, vdn); u != (quota.Usage{Bytes: files * size, Files: files}) {
				t.Errorf("after a restart VDN %d uses %+v, want %d files of %d bytes", vdn, u, files, size)
			}
		}
		if _, err := restarted[len(restarted)-1].a.Upload(ctx, a, wav); !errors.Is(err, ccfs.ErrQuota) {
			t.Fatalf("after a restart, past the quota: %v", err)
		}
	})

	if _, ok := s.(store.LocationRemover); ok {
		t.Run("Copies", func(t *testing.T) {
			limits := strconv.Itoa(a) + "=" + strconv.FormatInt(q.stored(t, a).Bytes+size, 10)
			nodes := q.nodes(t, limits)
			usage := nodes[0].usage
			before, _ := usage.Usage(ctx, a)
			rd, err := nodes[0].a.Upload(ctx, a, wav)
			if err != nil {
				t.Fatal(err)
			}
			if len(rd.LocationID) < 2 {
				t.Fatalf("ccfstest.TestQuota: the file landed at %v; Copies needs a store that keeps two copies or more", rd.LocationID)
			}
			for i, loc := range rd.LocationID {
				if err := nodes[i%len(nodes)].a.Delete(ctx, rd.FileName, loc); err != nil {
					t.Fatalf("deleting the copy at %s: %v", loc, err)
				}
				want := quota.Usage{Bytes: before.Bytes + size, Files: before.Files + 1} // one file, however many copies
				if i == len(rd.LocationID)-1 {
					want = before
				}
				if got, _ := usage.Usage(ctx, a); got != want {
					t.Fatalf("after deleting %d of %d copies the VDN uses %+v, want %+v", i+1, len(rd.LocationID), got, want)
				}
			}
		})
	}

	t.Run("ConcurrentDeletes", func(t *testing.T) {
		limits := strconv.Itoa(a) + "=" + strconv.FormatInt(q.stored(t, a).Bytes+size, 10)
		nodes := q.nodes(t, limits)
		usage := nodes[0].usage
		before, _ := usage.Usage(ctx, a)
		_, pool := s.(store.LocationRemover)
		for round := range 8 {
			rd, err := nodes[0].a.Upload(ctx, a, wav)
			if err != nil {
				t.Fatal(err)
			}
			// Six deletes of the file at once: one removes it and gives
			// its size back, the others are told it does not exist. On a
			// pool, in every other round half of them name a location
			// (each copy's delete races the others').
			var wg sync.WaitGroup
			var mu sync.Mutex
			deleted, missing := 0, 0
			for i := range 6 {
				loc := ""
				if pool && round%2 == 1 && i%2 == 1 {
					loc = rd.LocationID[(i/2)%len(rd.LocationID)]
				}
				wg.Go(func() {
					err := nodes[i%len(nodes)].a.Delete(ctx, rd.FileName, loc)
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err == nil && loc == "":
						deleted++
					case err == nil: // a copy's: each location's may say so
					case errors.Is(err, ccfs.ErrNoSuchFile):
						missing++
					default:
						t.Errorf("round %d, delete %d: %v", round, i, err)
					}
				})
			}
			wg.Wait()
			if (!pool || round%2 == 0) && (deleted != 1 || missing != 5) {
				t.Errorf("round %d: of six concurrent deletes %d removed the file and %d were told it does not exist; want 1 and 5", round, deleted, missing)
			}
			if deleted > 1 {
				t.Errorf("round %d: %d of six concurrent deletes removed the whole file", round, deleted)
			}
			if got := q.stored(t, a); got.Files != before.Files {
				t.Fatalf("round %d: after the deletes the store holds %d files of the VDN, want %d", round, got.Files, before.Files)
			}
			for _, n := range nodes {
				if got, _ := n.usage.Usage(ctx, a); got != before {
					t.Fatalf("round %d: after six concurrent deletes the ledger says %+v, want %+v (the size given back once)", round, got, before)
				}
			}
		}
	})

	t.Run("Race", func(t *testing.T) {
		before := q.stored(t, b)
		limits := strconv.Itoa(b) + "=" + strconv.FormatInt(before.Bytes+10*size+size/2, 10)
		nodes := q.nodes(t, limits)
		var wg sync.WaitGroup
		var mu sync.Mutex
		codes := map[string]int{}
		for i := range 64 {
			wg.Go(func() {
				_, err := nodes[i%len(nodes)].b.Upload(ctx, b, wav)
				code := ccfs.SuccessCode
				if ce := (ccfs.Error{}); errors.As(err, &ce) {
					code = ce.Code()
				} else if err != nil {
					code = err.Error()
				}
				mu.Lock()
				codes[code]++
				mu.Unlock()
			})
		}
		wg.Wait()
		if codes[ccfs.SuccessCode] != 10 || codes[ccfs.ErrQuota.Code()] != 54 {
			t.Fatalf("64 racing uploads on %d nodes: %v, want 10 stored and 54 refused for the quota", len(nodes), codes)
		}
		want := quota.Usage{Bytes: before.Bytes + 10*size, Files: before.Files + 10}
		if got := q.stored(t, b); got != want {
			t.Fatalf("the store holds %+v of the VDN, want %+v", got, want)
		}
		for _, n := range nodes {
			if got, _ := n.usage.Usage(ctx, b); got != want {
				t.Fatalf("the ledger says %+v, want %+v", got, want)
			}
		}
	})
}

// stored is what the store holds of vdn, counted.
func (q *quotaCheck) stored(t *testing.T, vdn int) quota.Usage {
	t.Helper()
	counts, err := quota.Count(context.Background(), q.l, q.rule)
	if err != nil {
		t.Fatal(err)
	}
	return counts[vdn]
}

// nodes starts the servers of one step: one with a quota.Memory of its
// own, or two sharing a ledger. Each node's usage is loaded with
// quota.Load, as a server that starts does.
func (q *quotaCheck) nodes(t *testing.T, limits string) []*quotaNode {
	t.Helper()
	lim, err := quota.ParseLimits(limits)
	if err != nil {
		t.Fatal(err)
	}
	creds, err := auth.NewStatic(
		auth.Key{AccessKey: "quota-a", SecretKey: "secret-a", VDNs: []int{q.a}},
		auth.Key{AccessKey: "quota-b", SecretKey: "secret-b", VDNs: []int{q.b}})
	if err != nil {
		t.Fatal(err)
	}
	count := 1
	if q.newShared != nil {
		count = 2
	}
	// Servers that share a store share a Fence (Options.Fence): it is
	// what lets one of them give a removed file's size back. Two nodes in
	// one process share one MemoryFence, as servers share a redisquota.Fence.
	var fence store.Fence
	if q.newShared != nil {
		fence = new(store.MemoryFence)
	}
	var nodes []*quotaNode
	for range count {
		var usage quota.Ledger = quota.NewMemory()
		if q.newShared != nil {
			usage = q.newShared(t)
		}
		if _, err := quota.Load(context.Background(), usage, q.l, q.rule); err != nil {
			t.Fatal(err)
		}
		h, err := ccfs.NewHandler(ccfs.Options{
			Credentials: creds, Store: q.s, Quota: lim, Usage: usage, Fence: fence,
			RatePerKey: rate.Inf, MaxInFlight: 256, MaxInFlightPerKey: 128, Logger: discardLogger,
		})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewTLSServer(h)
		t.Cleanup(srv.Close)
		nodes = append(nodes, &quotaNode{
			a:     &ccfs.Client{BaseURL: srv.URL, AccessKey: "quota-a", SecretKey: "secret-a", HTTPClient: srv.Client(), Retries: -1},
			b:     &ccfs.Client{BaseURL: srv.URL, AccessKey: "quota-b", SecretKey: "secret-b", HTTPClient: srv.Client(), Retries: -1},
			usage: usage,
		})
	}
	return nodes
}
