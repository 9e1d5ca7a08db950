package main

// The quota wiring of serve (quota.go): --quota, --quota-file, with a pool.

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs"
)

// TestServeQuota: with --quota a VDN stores up to its limit and is
// refused past it, with 0300024; after a restart, which counts the files
// again, it is still refused.
func TestServeQuota(t *testing.T) {
	data := t.TempDir()
	wav := alaw(16000)
	limit := "--quota=1=" + strconv.Itoa(2*len(wav)) + ",*=none"
	served := startServe(t, "--data", data, limit)
	base := served.base
	ak, sk := served.devKey(t)
	hc := insecureClient() // the dev server's own certificate
	upload := func(base string) error {
		c := &ccfs.Client{BaseURL: base, AccessKey: ak, SecretKey: sk, HTTPClient: hc, Retries: -1}
		_, err := c.Upload(context.Background(), 1, wav)
		return err
	}
	for i := range 3 {
		if err := upload(base); i < 2 && err != nil || i == 2 && !errors.Is(err, ccfs.ErrQuota) {
			t.Fatalf("upload %d of 2 allowed: %v", i+1, err)
		}
	}
	if err := upload(base); !errors.Is(err, ccfs.ErrQuota) {
		t.Fatalf("again: %v", err)
	}
	base2 := startServe(t, "--data", data, limit).base
	if err := upload(base2); !errors.Is(err, ccfs.ErrQuota) {
		t.Fatalf("after a restart: %v", err)
	}
	if err := upload(base2); !errors.Is(err, ccfs.ErrQuota) {
		t.Fatalf("after a restart, once more: %v", err)
	}
}

// TestServeQuotaFile: --quota-file is reloaded when it changes (polled
// at --credentials-poll); a file that no longer parses keeps the limits
// in use, and says so in the log; --quota and --quota-file together are
// refused.
func TestServeQuotaFile(t *testing.T) {
	data := t.TempDir()
	wav := alaw(16000)
	file := filepath.Join(t.TempDir(), "quota")
	os.WriteFile(file, []byte("# one prompt each\n*=none/1\n"), 0o600)
	n := startNode(t, nil, "--data", data, "--quota-file", file, "--credentials-poll", "20ms")
	c := n.client(n.ak, n.sk)
	c.Retries = -1
	ctx := context.Background()
	if _, err := c.Upload(ctx, 1, wav); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Upload(ctx, 1, wav); !errors.Is(err, ccfs.ErrQuota) {
		t.Fatalf("past the file's quota: %v", err)
	}
	os.WriteFile(file, []byte("*=none/2\n"), 0o600)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		_, err := c.Upload(ctx, 1, wav)
		if err == nil {
			break
		}
		if !errors.Is(err, ccfs.ErrQuota) || time.Now().After(deadline) {
			t.Fatalf("after the file raised the quota: %v", err)
		}
	}
	os.WriteFile(file, []byte("*=lots\n"), 0o600)
	n.waitLog(t, "quota file not reloaded")
	if _, err := c.Upload(ctx, 1, wav); !errors.Is(err, ccfs.ErrQuota) {
		t.Fatalf("with a file that does not parse, the limits before stay: %v", err)
	}
	if code, _, errs := runCmd(t, "serve", "--data", data, "--quota", "*=1GiB", "--quota-file", file); code != 2 || !strings.Contains(errs, "do not go together") {
		t.Fatalf("--quota and --quota-file: %d %s", code, errs)
	}
}

// TestServePoolQuota: with --pool, --quota and --retain start; a prompt
// is one file to its quota however many copies, and deleting one copy
// gives nothing back, the last one its size.
func TestServePoolQuota(t *testing.T) {
	data := t.TempDir()
	wav := alaw(16000)
	pool := "0=" + filepath.Join(data, "a") + ",256=" + filepath.Join(data, "b")
	served := startServe(t, "--data", data, "--pool", pool, "--quota=1="+strconv.Itoa(2*len(wav)), "--retain", "30d")
	ak, sk := served.devKey(t)
	c := &ccfs.Client{BaseURL: served.base, AccessKey: ak, SecretKey: sk, HTTPClient: insecureClient(), Retries: -1} // the dev server's own certificate
	ctx := context.Background()
	var first *ccfs.ResultData
	for i := range 3 {
		res, err := c.Upload(ctx, 1, wav)
		if i < 2 && (err != nil || len(res.LocationID) != 2) || i == 2 && !errors.Is(err, ccfs.ErrQuota) {
			t.Fatalf("upload %d of 2 allowed, to a pool of two: %+v %v", i+1, res, err)
		}
		if i == 0 {
			first = res
		}
	}
	if err := c.Delete(ctx, first.FileName, "256"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Upload(ctx, 1, wav); !errors.Is(err, ccfs.ErrQuota) {
		t.Fatalf("with one copy of a file deleted, the other kept: %v, want %s", err, ccfs.ErrQuota.Code())
	}
	if err := c.Delete(ctx, first.FileName, "0"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Upload(ctx, 1, wav); err != nil {
		t.Fatalf("with both copies deleted: %v", err)
	}
}
