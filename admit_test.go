package ccfs_test

// Admission (admit.go): the per-key rate and the in-flight slots.

import (
	"context"
	"io"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/store"
)

func TestRateLimitAndBusy(t *testing.T) {
	e := newEnv(t, func(o *ccfs.Options) { o.RatePerKey, o.Burst = rate.Every(time.Hour), 2 })
	for i, want := range []string{"0", "0", ccfs.ErrRateLimited.Code()} {
		_, resp, h := e.do(req{body: body(b64(validWAV))})
		if resp.ResultCode != want {
			t.Fatalf("upload %d: %+v", i+1, resp)
		}
		if want == ccfs.ErrRateLimited.Code() && h.Get("Retry-After") == "" {
			t.Fatal("no Retry-After")
		}
	}
	// Another key has its own bucket.
	_, resp, _ := e.do(req{ak: "other", sk: "sk-other", query: "vdnId=99", body: body(b64(validWAV))})
	if resp.ResultCode != "0" {
		t.Fatalf("other key: %+v", resp)
	}

	block := make(chan struct{})
	started := make(chan struct{})
	e = newEnv(t, func(o *ccfs.Options) { o.MaxInFlight = 1 })
	e.st = blockingStore{e.mem, started, block}
	done := make(chan ccfs.Response)
	go func() { _, r, _ := e.do(req{body: body(b64(validWAV))}); done <- r }()
	<-started
	_, resp, h := e.do(req{body: body(b64(validWAV))})
	if resp.ResultCode != ccfs.ErrBusy.Code() || h.Get("Retry-After") != "1" {
		t.Fatalf("second upload while one is in flight: %+v", resp)
	}
	close(block)
	if r := <-done; r.ResultCode != "0" {
		t.Fatalf("first upload: %+v", r)
	}
}

type blockingStore struct {
	store.Store
	started chan struct{}
	block   chan struct{}
}

func (b blockingStore) Put(ctx context.Context, name string, r io.Reader, size int64) ([]string, error) {
	close(b.started)
	<-b.block
	return b.Store.Put(ctx, name, r, size)
}
