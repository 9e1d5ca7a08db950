package ccfs_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/ccfstest"
	"github.com/ccfs-go/ccfs/quota"
	"github.com/ccfs-go/ccfs/store"
	"github.com/ccfs-go/ccfs/wavcheck"
)

// TestQuota: the quota checks of ccfstest on a Dir (with its unnamed
// staging) and on a Memory store.
func TestQuota(t *testing.T) {
	d, _ := newDirStore(t)
	t.Run("Dir", func(t *testing.T) { ccfstest.TestQuota(t, d) })
	t.Run("Memory", func(t *testing.T) { ccfstest.TestQuota(t, store.NewMemory()) })
	t.Run("Pool", func(t *testing.T) {
		d2, _ := newDirStore(t)
		p, err := store.NewPool(0, store.Location{ID: "0", Store: d}, store.Location{ID: "256", Store: d2})
		if err != nil {
			t.Fatal(err)
		}
		ccfstest.TestQuota(t, p)
	})
}

// quotaClient serves a handler on a Memory store with the quota lim, and
// returns a client of VDN 53.
func quotaClient(t *testing.T, lim quota.Source) *ccfs.Client {
	t.Helper()
	creds, _ := auth.NewStatic(auth.Key{AccessKey: "tenant-a", SecretKey: "secret-a", VDNs: []int{53}})
	h, err := ccfs.NewHandler(ccfs.Options{Credentials: creds, Store: store.NewMemory(), Quota: lim, Usage: quota.NewMemory(),
		RatePerKey: rate.Inf, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	return &ccfs.Client{BaseURL: srv.URL, AccessKey: "tenant-a", SecretKey: "secret-a", HTTPClient: srv.Client(), Retries: -1}
}

// TestQuotaOfFiles: a limit in files alone.
func TestQuotaOfFiles(t *testing.T) {
	lim, _ := quota.ParseLimits("53=none/2")
	a := quotaClient(t, lim)
	wav := ccfstest.WAV(time.Second, wavcheck.ALaw)
	for i := range 3 {
		_, err := a.Upload(context.Background(), 53, wav)
		if i < 2 && err != nil || i == 2 && !errors.Is(err, ccfs.ErrQuota) {
			t.Fatalf("upload %d of a 2-file quota: %v", i+1, err)
		}
	}
}

// TestQuotaFileReload: with a quota.File, a reload changes the limit the
// next upload is held to.
func TestQuotaFileReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "quota")
	os.WriteFile(path, []byte("53=none/1\n"), 0o600)
	lim, err := quota.NewFile(path)
	if err != nil {
		t.Fatal(err)
	}
	a := quotaClient(t, lim)
	wav := ccfstest.WAV(time.Second, wavcheck.ALaw)
	ctx := context.Background()
	if _, err := a.Upload(ctx, 53, wav); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Upload(ctx, 53, wav); !errors.Is(err, ccfs.ErrQuota) {
		t.Fatalf("past a 1-file quota: %v", err)
	}
	os.WriteFile(path, []byte("# raised\n53=none/2\n"), 0o600)
	if changed, err := lim.Reload(); !changed || err != nil {
		t.Fatalf("Reload: %v, %v", changed, err)
	}
	if _, err := a.Upload(ctx, 53, wav); err != nil {
		t.Fatalf("after the quota was raised: %v", err)
	}
	if _, err := a.Upload(ctx, 53, wav); !errors.Is(err, ccfs.ErrQuota) {
		t.Fatalf("past the raised quota: %v", err)
	}
}

// TestQuotaOptions: what a quota needs is checked when the handler is made.
func TestQuotaOptions(t *testing.T) {
	creds, _ := auth.NewStatic(auth.Key{AccessKey: "k", SecretKey: "s", AnyVDN: true})
	lim, _ := quota.ParseLimits("*=1GiB")
	for what, o := range map[string]ccfs.Options{
		"no Usage":             {Credentials: creds, Store: store.NewMemory(), Quota: lim},
		"a rule without VDN":   {Credentials: creds, Store: store.NewMemory(), Quota: lim, Usage: quota.NewMemory(), PathRule: "/prompts/"},
		"a remover, no opener": {Credentials: creds, Store: removeOnly{store.NewMemory()}, Quota: lim, Usage: quota.NewMemory()},
	} {
		if _, err := ccfs.NewHandler(o); err == nil {
			t.Errorf("%s: NewHandler accepted a quota", what)
		}
	}
}

// removeOnly is a store that removes files but cannot open them.
type removeOnly struct{ m *store.Memory }

func (r removeOnly) Put(ctx context.Context, name string, rd io.Reader, size int64) ([]string, error) {
	return r.m.Put(ctx, name, rd, size)
}
func (r removeOnly) Remove(ctx context.Context, name string) error { return r.m.Remove(ctx, name) }

// stuckLedger is a quota.Memory whose Release fails while stuck is set,
// as a ledger in a Redis that went away does.
type stuckLedger struct {
	*quota.Memory
	stuck atomic.Bool
}

func (l *stuckLedger) Release(ctx context.Context, vdn int, size int64) error {
	if l.stuck.Load() {
		return errors.New("redis: connection refused")
	}
	return l.Memory.Release(ctx, vdn, size)
}

// failAtEnd reads the whole file, then fails to keep it: after the claim.
type failAtEnd struct{}

func (failAtEnd) Put(_ context.Context, _ string, r io.Reader, _ int64) ([]string, error) {
	io.Copy(io.Discard, r)
	return nil, errors.New("disk full")
}

// TestQuotaGivesBack: a store that fails after the claim gives the size
// back; a ledger that cannot take a size back, after a failed store or a
// delete, is logged, and the caller's answer is what it would have been.
func TestQuotaGivesBack(t *testing.T) {
	lim, _ := quota.ParseLimits("*=1GiB")
	usage := &stuckLedger{Memory: quota.NewMemory()}
	e := newEnv(t, func(o *ccfs.Options) { o.Quota, o.Usage = lim, usage })
	ctx := context.Background()
	upload := func(want string) string {
		t.Helper()
		_, resp, _ := e.do(req{body: body(b64(validWAV))})
		if resp.ResultCode != want {
			t.Fatalf("upload: %+v, want %s", resp, want)
		}
		if resp.ResultData == nil {
			return ""
		}
		return resp.ResultData.FileName
	}
	const warning = "could not be given back"

	e.st = failAtEnd{}
	upload(ccfs.ErrStorage.Code())
	if u, _ := usage.Usage(ctx, 53); u != (quota.Usage{}) {
		t.Fatalf("after a failed store VDN 53 uses %+v", u)
	}
	if strings.Contains(e.logs.String(), warning) {
		t.Fatalf("a size given back was logged as not:\n%s", e.logs.String())
	}
	usage.stuck.Store(true)
	upload(ccfs.ErrStorage.Code())
	if !strings.Contains(e.logs.String(), warning) {
		t.Fatalf("a size not given back after a failed store is not logged:\n%s", e.logs.String())
	}

	e.st = e.mem
	usage.stuck.Store(false)
	usage.Set(ctx, nil)
	e.logs.Reset()
	name := upload(ccfs.SuccessCode)
	usage.stuck.Store(true)
	if _, resp, _ := e.do(req{path: ccfs.DeletePath, body: deleteBody(`{"fileName":"` + name + `"}`)}); resp.ResultCode != ccfs.SuccessCode {
		t.Fatalf("delete: %+v", resp)
	}
	if !strings.Contains(e.logs.String(), warning) {
		t.Fatalf("a size not given back after a delete is not logged:\n%s", e.logs.String())
	}
}

// hookedPool is a Pool whose RemoveAt runs after, once the copy is gone
// and before the handler looks for the others.
type hookedPool struct {
	*store.Pool
	after func()
}

func (p hookedPool) RemoveAt(ctx context.Context, location, name string) error {
	err := p.Pool.RemoveAt(ctx, location, name)
	if p.after != nil {
		p.after()
	}
	return err
}

// TestTwoNodesGiveBackOnce: two servers share a pool, a ledger and a
// Fence (Options.Fence, as the docs ask of servers sharing a store). One
// removes a copy at a location; between its removal and its look for the
// other copies, the other server deletes the file whole, removing the
// last copy. Both then see no copy left, and the size must still be given
// back once: the shared Fence decides which. (With a Fence each, it is
// given back twice: the quota checks on two nodes, ccfstest.SharedLedger,
// failed so now and then.)
func TestTwoNodesGiveBackOnce(t *testing.T) {
	d1, _ := newDirStore(t)
	d2, _ := newDirStore(t)
	pool, err := store.NewPool(0, store.Location{ID: "0", Store: d1}, store.Location{ID: "256", Store: d2})
	if err != nil {
		t.Fatal(err)
	}
	creds, _ := auth.NewStatic(auth.Key{AccessKey: "tenant-a", SecretKey: "secret-a", VDNs: []int{53}})
	lim, _ := quota.ParseLimits("53=1MiB")
	usage, fence := quota.NewMemory(), new(store.MemoryFence)
	node := func(s store.Store) *ccfs.Client {
		h, err := ccfs.NewHandler(ccfs.Options{Credentials: creds, Store: s, Quota: lim, Usage: usage, Fence: fence,
			RatePerKey: rate.Inf, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewTLSServer(h)
		t.Cleanup(srv.Close)
		return &ccfs.Client{BaseURL: srv.URL, AccessKey: "tenant-a", SecretKey: "secret-a", HTTPClient: srv.Client(), Retries: -1}
	}
	hooked := &hookedPool{Pool: pool}
	a, b := node(pool), node(hooked)
	ctx := context.Background()
	// A file that stays, so that a size given back twice shows (a ledger
	// does not count below nothing).
	if _, err := a.Upload(ctx, 53, ccfstest.WAV(time.Second, wavcheck.ALaw)); err != nil {
		t.Fatal(err)
	}
	stays, _ := usage.Usage(ctx, 53)
	rd, err := a.Upload(ctx, 53, ccfstest.WAV(time.Second, wavcheck.ALaw))
	if err != nil {
		t.Fatal(err)
	}
	hooked.after = func() {
		hooked.after = nil
		if err := a.Delete(ctx, rd.FileName, ""); err != nil {
			t.Errorf("the whole delete on the other node: %v", err)
		}
	}
	if err := b.Delete(ctx, rd.FileName, "0"); err != nil {
		t.Fatal(err)
	}
	if u, _ := usage.Usage(ctx, 53); u != stays {
		t.Fatalf("after the file's two removals the ledger says %+v; want %+v: its size given back once", u, stays)
	}
}
