package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/auth/redisreplay/redistest"
	"github.com/ccfs-go/ccfs/pathrule"
	"github.com/ccfs-go/ccfs/quota"
	"github.com/ccfs-go/ccfs/quota/redisquota"
	"github.com/ccfs-go/ccfs/retention"
	"github.com/ccfs-go/ccfs/store"
	"github.com/ccfs-go/ccfs/store/s3store"
	"github.com/ccfs-go/ccfs/store/s3store/s3test"
)

// Two nodes on one bucket, each with a store, a ledger and a Fence of its
// own over one versitygw and one redis-server, as two processes have:
// of six deletes of one file spread over both, one removes it, the others
// are told it does not exist, and its size comes back once; two sweepers
// running at once remove, count and give back each expired file once. An
// object store's DELETE succeeds for a key already gone, so without the
// shared Fence two of six deletes answered 0 and gave the size back twice.
func TestNodesSharingABucketRemoveOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("starts servers")
	}
	gw := s3test.Start(t)
	rd := redistest.Start(t)
	ctx := context.Background()
	key := auth.Key{AccessKey: "fence-a", SecretKey: "fence-secret", VDNs: []int{53}}
	creds, _ := auth.NewStatic(key)
	rule := pathrule.MustParse(pathrule.Default)
	limits, _ := quota.ParseLimits("53=100MiB")
	logger := slog.New(slog.DiscardHandler)
	type node struct {
		st     *s3store.Store
		ledger *redisquota.Ledger
		fence  *redisquota.Fence
		client *ccfs.Client
	}
	var nodes []node
	for i := range 2 {
		n := node{st: gw.Store(t, s3store.Options{}), fence: redisquota.NewFence(rd.Client, "")}
		var err error
		if n.ledger, err = redisquota.New(rd.Client, redisquota.Options{}); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if _, err := quota.Load(ctx, n.ledger, n.st, rule); err != nil {
				t.Fatal(err)
			}
		}
		h, err := ccfs.NewHandler(ccfs.Options{Credentials: creds, Store: n.st, Quota: limits, Usage: n.ledger,
			Fence: n.fence, RatePerKey: rate.Inf, Logger: logger})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		n.client = &ccfs.Client{BaseURL: srv.URL, AccessKey: key.AccessKey, SecretKey: key.SecretKey, Retries: -1}
		nodes = append(nodes, n)
	}
	usage := func() quota.Usage {
		t.Helper()
		u, err := nodes[0].ledger.Usage(ctx, 53)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	wav := alaw(8000)

	for round := range 5 {
		rd, err := nodes[round%2].client.Upload(ctx, 53, wav)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		deleted, missing := 0, 0
		for i := range 6 {
			wg.Go(func() {
				err := nodes[i%2].client.Delete(ctx, rd.FileName, "")
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					deleted++
				case errors.Is(err, ccfs.ErrNoSuchFile):
					missing++
				default:
					t.Errorf("round %d, delete %d: %v", round, i, err)
				}
			})
		}
		wg.Wait()
		if deleted != 1 || missing != 5 {
			t.Fatalf("round %d: of six deletes over two nodes %d answered 0 and %d that the file does not exist; want 1 and 5", round, deleted, missing)
		}
		if u := usage(); u != (quota.Usage{}) {
			t.Fatalf("round %d: after the deletes the ledger says %+v, want nothing (the size given back once)", round, u)
		}
	}

	const expiring = 12
	for range expiring {
		if _, err := nodes[0].client.Upload(ctx, 53, wav); err != nil {
			t.Fatal(err)
		}
	}
	policy, _ := retention.ParsePolicy("*=1d")
	later := func() time.Time { return time.Now().Add(48 * time.Hour) }
	var wg sync.WaitGroup
	results := make([]retention.Result, 2)
	for i, n := range nodes {
		sw := &retention.Sweeper{Store: n.st, Rule: rule, Policy: policy, Usage: n.ledger, Fence: n.fence, Batch: 3, Logger: logger, Now: later}
		wg.Go(func() {
			var err error
			if results[i], err = sw.Sweep(ctx); err != nil {
				t.Errorf("sweeper %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if files := results[0].Files + results[1].Files; files != expiring || results[0].Failed+results[1].Failed != 0 {
		t.Fatalf("two sweepers removed %d and %d files (%d failed) of %d expired", results[0].Files, results[1].Files, results[0].Failed+results[1].Failed, expiring)
	}
	if u := usage(); u != (quota.Usage{}) {
		t.Fatalf("after two sweeps the ledger says %+v, want nothing", u)
	}
	left := 0
	nodes[0].st.List(ctx, "", func(store.FileInfo) error { left++; return nil })
	if left != 0 {
		t.Fatalf("%d files left after the sweeps", left)
	}
}
