package redisquota_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/auth/redisreplay/redistest"
	"github.com/ccfs-go/ccfs/ccfstest"
	"github.com/ccfs-go/ccfs/quota"
	"github.com/ccfs-go/ccfs/store"
	"github.com/ccfs-go/ccfs/wavcheck"
)

// TestRefusalSaysWhichLimit: through a handler on this ledger, an upload
// past its VDN's quota is refused naming the limit the claim script found
// it would pass: the bytes, the files, or both.
func TestRefusalSaysWhichLimit(t *testing.T) {
	srv := redistest.Start(t)
	wav := ccfstest.WAV(time.Second, wavcheck.ALaw) // 8044 bytes
	for i, tt := range []struct {
		limits string
		stored int // uploads that fit
		want   string
	}{
		{"53=20KiB", 2, "quota reached for VDN 53: 15.7 KiB of 20 KiB stored; this file needs 7.9 KiB; delete files to make room"},
		{"53=none/2", 2, "quota reached for VDN 53: 2 of 2 files stored; delete files to make room"},
		{"53=10KiB/1", 1, "quota reached for VDN 53: 7.9 KiB of 10 KiB stored; this file needs 7.9 KiB; 1 of 1 files stored; delete files to make room"},
	} {
		ctx := context.Background()
		l := newLedger(t, srv.Client)
		if err := l.Set(ctx, map[int]quota.Usage{}); err != nil { // a fresh count of an empty store
			t.Fatal(err)
		}
		lim, err := quota.ParseLimits(tt.limits)
		if err != nil {
			t.Fatal(err)
		}
		creds, _ := auth.NewStatic(auth.Key{AccessKey: "tenant-a", SecretKey: "secret-a", VDNs: []int{53}})
		h, err := ccfs.NewHandler(ccfs.Options{Credentials: creds, Store: store.NewMemory(), Quota: lim, Usage: l,
			Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		web := httptest.NewTLSServer(h)
		defer web.Close()
		a := &ccfs.Client{BaseURL: web.URL, AccessKey: "tenant-a", SecretKey: "secret-a", HTTPClient: web.Client(), Retries: -1}
		for j := range tt.stored {
			if _, err := a.Upload(ctx, 53, wav); err != nil {
				t.Fatalf("case %d, upload %d: %v", i, j+1, err)
			}
		}
		_, err = a.Upload(ctx, 53, wav)
		var ce ccfs.Error
		if !errors.As(err, &ce) || ce.Code() != ccfs.ErrQuota.Code() || ce.Desc() != tt.want {
			t.Fatalf("%s: %v\nwant %s: %s", tt.limits, err, ccfs.ErrQuota.Code(), tt.want)
		}
	}
}
