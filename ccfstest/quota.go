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

// TestQuota checks per-VDN quotas through the handler on s, which must be
// a store.Lister, Opener and Remover: a VDN at its quota is refused with
// ccfs.ErrQuota and keeps nothing of the refused file, while another VDN
// still uploads; a delete makes room; a new handler whose usage is
// counted from s (a restart) refuses where the old one did; and 64
// uploads racing at the edge of a quota store exactly as many files as
// fit. On a store of several locations (a store.LocationRemover, such as
// a store.Pool), a file is one file to its quota however many copies it
// has, and deleting its copies one location at a time gives its size back
// with the last. It uses two VDNs of its own, chosen at random, and
// removes what it stored.
func TestQuota(t *testing.T, s store.Store) {
	t.Helper()
	l, lok := s.(store.Lister)
	rm, rok := s.(store.Remover)
	if _, ook := s.(store.Opener); !lok || !ook || !rok {
		t.Fatalf("ccfstest.TestQuota: %T is not a store.Lister, Opener and Remover", s)
	}
	rule := pathrule.MustParse(pathrule.Default)
	a := 1_000_000 + rand.IntN(1<<30)
	b := a + 1
	t.Cleanup(func() {
		counted := map[string]bool{}
		l.List(context.Background(), rule.Prefix(), func(f store.FileInfo) error {
			if vdn, ok := rule.MatchFile(f.Name); ok && (vdn == a || vdn == b) {
				counted[f.Name] = true
			}
			return nil
		})
		for name := range counted {
			rm.Remove(context.Background(), name)
		}
	})
	wav := WAV(time.Second, wavcheck.ALaw)
	size := int64(len(wav))
	ctx := context.Background()
	usageOf := func(vdn int) quota.Usage {
		t.Helper()
		counts, err := quota.Count(ctx, l, rule)
		if err != nil {
			t.Fatal(err)
		}
		return counts[vdn]
	}

	t.Run("Share", func(t *testing.T) {
		limits := strconv.Itoa(a) + "=" + strconv.FormatInt(3*size, 10) + ",*=none"
		ca, cb, usage := quotaClients(t, s, l, limits, a, b)
		var names []string
		for range 3 {
			rd, err := ca.Upload(ctx, a, wav)
			if err != nil {
				t.Fatal(err)
			}
			names = append(names, rd.FileName)
		}
		_, err := ca.Upload(ctx, a, wav)
		var ce ccfs.Error
		if !errors.Is(err, ccfs.ErrQuota) || !errors.As(err, &ce) || !strings.Contains(ce.Desc(), "VDN "+strconv.Itoa(a)) {
			t.Fatalf("past the quota: %v, want %s naming the VDN", err, ccfs.ErrQuota.Code())
		}
		if u := usageOf(a); u.Files != 3 {
			t.Fatalf("after a refusal the store holds %d files of the VDN, want 3", u.Files)
		}
		for range 4 {
			if _, err := cb.Upload(ctx, b, wav); err != nil {
				t.Fatalf("another VDN, beside a full one: %v", err)
			}
		}
		if err := ca.Delete(ctx, names[0], ""); err != nil {
			t.Fatal(err)
		}
		if u, _ := usage.Usage(ctx, a); u != (quota.Usage{Bytes: 2 * size, Files: 2}) {
			t.Fatalf("after a delete the VDN uses %+v", u)
		}
		if _, err := ca.Upload(ctx, a, wav); err != nil {
			t.Fatalf("after a delete made room: %v", err)
		}
		// A restart: a new ledger, counted from the store.
		ca2, _, usage2 := quotaClients(t, s, l, limits, a, b)
		for vdn, files := range map[int]int64{a: 3, b: 4} {
			if u, _ := usage2.Usage(ctx, vdn); u != (quota.Usage{Bytes: files * size, Files: files}) {
				t.Errorf("after a restart VDN %d uses %+v, want %d files of %d bytes", vdn, u, files, size)
			}
		}
		if _, err := ca2.Upload(ctx, a, wav); !errors.Is(err, ccfs.ErrQuota) {
			t.Fatalf("after a restart, past the quota: %v", err)
		}
	})

	if _, ok := s.(store.LocationRemover); ok {
		t.Run("Copies", func(t *testing.T) {
			limits := strconv.Itoa(a) + "=" + strconv.FormatInt(usageOf(a).Bytes+size, 10)
			ca, _, usage := quotaClients(t, s, l, limits, a, b)
			before, _ := usage.Usage(ctx, a)
			rd, err := ca.Upload(ctx, a, wav)
			if err != nil {
				t.Fatal(err)
			}
			if len(rd.LocationID) < 2 {
				t.Fatalf("ccfstest.TestQuota: the file landed at %v; Copies needs a store that keeps two copies or more", rd.LocationID)
			}
			for i, loc := range rd.LocationID {
				if err := ca.Delete(ctx, rd.FileName, loc); err != nil {
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

	t.Run("Race", func(t *testing.T) {
		before := usageOf(b)
		limits := strconv.Itoa(b) + "=" + strconv.FormatInt(before.Bytes+10*size+size/2, 10)
		_, cb, usage := quotaClients(t, s, l, limits, a, b)
		var wg sync.WaitGroup
		var mu sync.Mutex
		codes := map[string]int{}
		for range 64 {
			wg.Go(func() {
				_, err := cb.Upload(ctx, b, wav)
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
			t.Fatalf("64 racing uploads: %v, want 10 stored and 54 refused for the quota", codes)
		}
		want := quota.Usage{Bytes: before.Bytes + 10*size, Files: before.Files + 10}
		if got := usageOf(b); got != want {
			t.Fatalf("the store holds %+v of the VDN, want %+v", got, want)
		}
		if got, _ := usage.Usage(ctx, b); got != want {
			t.Fatalf("the ledger says %+v, want %+v", got, want)
		}
	})
}

// quotaClients serves a handler on s with limits, its usage counted from
// s, and returns clients for VDN a and VDN b and the usage.
func quotaClients(t *testing.T, s store.Store, l store.Lister, limits string, a, b int) (ca, cb *ccfs.Client, usage *quota.Memory) {
	t.Helper()
	lim, err := quota.ParseLimits(limits)
	if err != nil {
		t.Fatal(err)
	}
	usage = quota.NewMemory()
	if _, err := quota.Load(context.Background(), usage, l, pathrule.MustParse(pathrule.Default)); err != nil {
		t.Fatal(err)
	}
	creds, err := auth.NewStatic(
		auth.Key{AccessKey: "quota-a", SecretKey: "secret-a", VDNs: []int{a}},
		auth.Key{AccessKey: "quota-b", SecretKey: "secret-b", VDNs: []int{b}})
	if err != nil {
		t.Fatal(err)
	}
	h, err := ccfs.NewHandler(ccfs.Options{
		Credentials: creds, Store: s, Quota: lim, Usage: usage,
		RatePerKey: rate.Inf, MaxInFlight: 256, MaxInFlightPerKey: 128, Logger: discardLogger,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	ca = &ccfs.Client{BaseURL: srv.URL, AccessKey: "quota-a", SecretKey: "secret-a", HTTPClient: srv.Client(), Retries: -1}
	cb = &ccfs.Client{BaseURL: srv.URL, AccessKey: "quota-b", SecretKey: "secret-b", HTTPClient: srv.Client(), Retries: -1}
	return ca, cb, usage
}
