package ccfstest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"io/fs"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/store"
	"github.com/ccfs-go/ccfs/wavcheck"
)

// TestLifecycle runs the whole life of a prompt through the real handler
// over s, a store.Store that is also a store.Remover and a store.Opener:
// an upload lands (in every location it names), downloads back the same,
// a delete removes it from every location that held it, a second delete
// answers ccfs.ErrNoSuchFile, a download too, and later uploads never get
// its name again. locations are the stores to look in for the file, such
// as a pool's members; none means s itself. It uploads under VDN
// DefaultVDN's path, and deletes what it made.
func TestLifecycle(t *testing.T, s store.Store, locations ...store.Opener) {
	t.Helper()
	if _, ok := s.(store.Remover); !ok {
		t.Fatalf("ccfstest.TestLifecycle: %T is not a store.Remover", s)
	}
	if len(locations) == 0 {
		op, ok := s.(store.Opener)
		if !ok {
			t.Fatalf("ccfstest.TestLifecycle: %T is not a store.Opener", s)
		}
		locations = []store.Opener{op}
	}
	sk := rand.Text()
	creds, err := auth.NewStatic(auth.Key{AccessKey: "lifecycle", SecretKey: sk, VDNs: []int{DefaultVDN}})
	if err != nil {
		t.Fatal(err)
	}
	// The server's clock stands still, so every name it makes carries
	// the same millisecond: only the random part can keep a later upload
	// from getting a deleted file's name.
	start := time.Now()
	h, err := ccfs.NewHandler(ccfs.Options{
		Credentials: creds, Store: s, RootPrefix: "Y:", RatePerKey: rate.Inf, Logger: discardLogger,
		Now: func() time.Time { return start },
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(h)
	defer srv.Close()
	// The client signs on the system clock: it never signs two requests
	// alike, so the second download of the same file is no replay.
	c := &ccfs.Client{BaseURL: srv.URL, AccessKey: "lifecycle", SecretKey: sk, HTTPClient: srv.Client()}
	ctx := context.Background()

	wav := WAV(3*time.Second, wavcheck.ALaw)
	rd, err := c.Upload(ctx, DefaultVDN, wav)
	if err != nil {
		t.Fatalf("upload: %v", err)
	}
	name := strings.TrimPrefix(rd.FileName, "Y:/")
	for i, op := range locations {
		if got, err := readAll(op, name); err != nil || !bytes.Equal(got, wav) {
			t.Fatalf("location #%d: after the upload, reading %s gives %d bytes, %v; want the %d uploaded", i, name, len(got), err, len(wav))
		}
	}
	var got bytes.Buffer
	if _, err := c.Download(ctx, rd.FileName, &got); err != nil || !bytes.Equal(got.Bytes(), wav) {
		t.Fatalf("download: %d bytes, %v; want the %d uploaded", got.Len(), err, len(wav))
	}

	if err := c.Delete(ctx, rd.FileName, ""); err != nil {
		t.Fatalf("delete: %v", err)
	}
	for i, op := range locations {
		if _, err := readAll(op, name); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("location #%d: after the delete, reading %s gives %v; want fs.ErrNotExist", i, name, err)
		}
	}
	if err := c.Delete(ctx, rd.FileName, ""); !errors.Is(err, ccfs.ErrNoSuchFile) {
		t.Errorf("a second delete: %v; want ccfs.ErrNoSuchFile", err)
	}
	if _, err := c.Download(ctx, rd.FileName, io.Discard); !errors.Is(err, ccfs.ErrNoSuchFile) {
		t.Errorf("a download after the delete: %v; want ccfs.ErrNoSuchFile", err)
	}
	// Names carry the upload's time in milliseconds and 8 random
	// characters: a later upload does not get a deleted file's name, even
	// in the same millisecond.
	for range 20 {
		later, err := c.Upload(ctx, DefaultVDN, wav)
		if err != nil {
			t.Fatalf("a later upload: %v", err)
		}
		if later.FileName == rd.FileName {
			t.Fatalf("a later upload reused the deleted name %s", rd.FileName)
		}
		if err := c.Delete(ctx, later.FileName, ""); err != nil {
			t.Fatalf("deleting a later upload: %v", err)
		}
	}
}

func readAll(op store.Opener, name string) ([]byte, error) {
	f, err := op.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}
