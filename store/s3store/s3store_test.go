package s3store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ccfs-go/ccfs/ccfstest"
	"github.com/ccfs-go/ccfs/pathrule"
	"github.com/ccfs-go/ccfs/retention"
	"github.com/ccfs-go/ccfs/store"
	"github.com/ccfs-go/ccfs/store/s3store"
	"github.com/ccfs-go/ccfs/store/s3store/s3test"
)

// TestContract runs the store contract against a real versitygw.
func TestContract(t *testing.T) {
	g := s3test.Start(t)
	ccfstest.TestStore(t, g.Store(t, s3store.Options{}))
	t.Run("Prefix", func(t *testing.T) {
		ccfstest.TestStore(t, g.Store(t, s3store.Options{Prefix: "tenant-a/ccfs/"}))
	})
	// Whatever the contract tests made or abandoned, no multipart upload
	// is left behind.
	assertNoUploads(t, g)
}

// streamOf returns n deterministic bytes as a reader that fails with
// failErr after failAt bytes (failAt < 0: never).
type streamOf struct {
	n, pos, failAt int
	failErr        error
	onFail         func()
}

func (s *streamOf) Read(p []byte) (int, error) {
	if s.failAt >= 0 && s.pos >= s.failAt {
		if s.onFail != nil {
			s.onFail()
			return 0, io.EOF // the reader itself looks fine; ctx ended
		}
		return 0, s.failErr
	}
	if s.pos == s.n {
		return 0, io.EOF
	}
	k := min(len(p), s.n-s.pos)
	if s.failAt >= 0 {
		k = min(k, s.failAt-s.pos)
	}
	for i := range k {
		p[i] = byte((s.pos + i) * 31 >> 3)
	}
	s.pos += k
	return k, nil
}

func assertNoUploads(t *testing.T, g *s3test.Gateway) {
	t.Helper()
	out, err := g.Client(t).ListMultipartUploads(context.Background(), &s3.ListMultipartUploadsInput{Bucket: aws.String(g.Bucket)})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range out.Uploads {
		t.Errorf("multipart upload of %s (id %s) left behind", aws.ToString(u.Key), aws.ToString(u.UploadId))
	}
}

// TestMultipartFailureLeavesNothing: a read error or a cancelled context
// in the second or third part aborts the upload on the real server: no
// object, no upload, no part.
func TestMultipartFailureLeavesNothing(t *testing.T) {
	g := s3test.Start(t)
	s := g.Store(t, s3store.Options{})
	ctx := context.Background()
	for _, at := range []int{s3store.MinPartSize, s3store.MinPartSize + 1, 2*s3store.MinPartSize + 12345} {
		if _, err := s.Put(ctx, "mp/read.wav", &streamOf{n: 3 * s3store.MinPartSize, failAt: at, failErr: errors.New("client went away")}, -1); err == nil {
			t.Fatalf("Put succeeded though the reader failed at %d", at)
		}
		cctx, cancel := context.WithCancel(ctx)
		if _, err := s.Put(cctx, "mp/cancel.wav", &streamOf{n: 3 * s3store.MinPartSize, failAt: at, onFail: cancel}, -1); err == nil {
			t.Fatalf("Put succeeded though its context ended at %d", at)
		}
		cancel()
		for _, name := range []string{"mp/read.wav", "mp/cancel.wav"} {
			if _, err := s.Open(name); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("%s after a failed multipart Put: %v", name, err)
			}
		}
		assertNoUploads(t, g)
	}
}

// TestMultipartNoOverwrite: a multipart upload onto an existing key fails
// with store.ErrExist, keeps the first object and leaves no upload.
func TestMultipartNoOverwrite(t *testing.T) {
	g := s3test.Start(t)
	s := g.Store(t, s3store.Options{})
	ctx := context.Background()
	first := []byte("RIFF first")
	if _, err := s.Put(ctx, "x/a.wav", bytes.NewReader(first), -1); err != nil {
		t.Fatal(err)
	}
	_, err := s.Put(ctx, "x/a.wav", &streamOf{n: 2*s3store.MinPartSize + 7, failAt: -1}, -1)
	if !errors.Is(err, store.ErrExist) {
		t.Fatalf("multipart Put onto an existing key: %v, want store.ErrExist", err)
	}
	f, err := s.Open("x/a.wav")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(f)
	f.Close()
	if !bytes.Equal(got, first) {
		t.Fatalf("the existing object was replaced: %q", got)
	}
	assertNoUploads(t, g)
}

// TestExactPartBoundaries: lengths at and around the part size land
// intact (a full first part followed by nothing is the tricky one).
func TestExactPartBoundaries(t *testing.T) {
	g := s3test.Start(t)
	s := g.Store(t, s3store.Options{})
	for _, n := range []int{0, s3store.MinPartSize - 1, s3store.MinPartSize, s3store.MinPartSize + 1, 2 * s3store.MinPartSize} {
		name := fmt.Sprintf("edge/%d.wav", n)
		if _, err := s.Put(context.Background(), name, &streamOf{n: n, failAt: -1}, int64(n)); err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
		f, err := s.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.New()
		io.Copy(h, f)
		st, _ := f.Stat()
		f.Close()
		w := sha256.New()
		io.Copy(w, &streamOf{n: n, failAt: -1})
		if !bytes.Equal(h.Sum(nil), w.Sum(nil)) || st.Size() != int64(n) {
			t.Fatalf("%d bytes came back different (size %d)", n, st.Size())
		}
	}
}

// TestLifecycle: upload, download, delete and delete again through the
// handler, against versitygw.
func TestLifecycle(t *testing.T) {
	g := s3test.Start(t)
	ccfstest.TestLifecycle(t, g.Store(t, s3store.Options{Prefix: "tenant-a/"}))
}

// TestQuota: per-VDN quotas through the handler, their usage counted by
// listing the bucket, against versitygw.
func TestQuota(t *testing.T) {
	g := s3test.Start(t)
	ccfstest.TestQuota(t, g.Store(t, s3store.Options{Prefix: "tenant-a/"}))
}

// TestRetention: a sweep lists the bucket and removes the expired
// prompts, and nothing else, against versitygw.
func TestRetention(t *testing.T) {
	g := s3test.Start(t)
	s := g.Store(t, s3store.Options{Prefix: "tenant-a/"})
	ctx := context.Background()
	for _, name := range []string{"3rdfile/53/thirdvoicebotfile/a.wav", "3rdfile/53/thirdvoicebotfile/b.wav", "3rdfile/53/IVRrecordFile/rec.wav"} {
		if _, err := s.Put(ctx, name, strings.NewReader("RIFF"), 4); err != nil {
			t.Fatal(err)
		}
	}
	policy, _ := retention.ParsePolicy("1d")
	sw := &retention.Sweeper{Store: s, Rule: pathrule.MustParse(pathrule.Default), Policy: policy, Batch: 1,
		Now: func() time.Time { return time.Now().Add(48 * time.Hour) }}
	if res, err := sw.Sweep(ctx); err != nil || res.Files != 2 {
		t.Fatalf("swept %+v, %v", res, err)
	}
	var left []string
	s.List(ctx, "", func(f store.FileInfo) error { left = append(left, f.Name); return nil })
	if len(left) != 1 || left[0] != "3rdfile/53/IVRrecordFile/rec.wav" {
		t.Fatalf("left %q: want only the recording", left)
	}
}

// TestPing: the store answers while the gateway runs, and not once it
// stops.
func TestPing(t *testing.T) {
	g := s3test.Start(t)
	s := g.Store(t, s3store.Options{})
	if err := s.Ping(context.Background()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	g.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Ping(ctx); err == nil {
		t.Fatal("Ping after the gateway stopped: nil")
	}
}
