package ccfs_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/internal/wavfile"
	"golang.org/x/time/rate"
)

func TestClient(t *testing.T) {
	e := newEnv(t, nil)
	c := &ccfs.Client{BaseURL: e.srv.URL, AccessKey: testAK, SecretKey: testSK, HTTPClient: e.srv.Client(), Now: e.clock}
	for _, n := range []int{1, 2, 3, 3071, 3072, 3073, 100000} {
		wav := wavfile.File(wavfile.ALaw8k, n)
		rd, err := c.Upload(context.Background(), 53, wav)
		if err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
		got, _ := e.mem.Get(strings.TrimPrefix(rd.FileName, "Y:/"))
		if !bytes.Equal(got, wav) {
			t.Fatalf("%d bytes: stored %d", n, len(got))
		}
	}
	// A refusal comes back as ccfs.Error with the server's code.
	_, err := c.Upload(context.Background(), 53, wavfile.File(wavfile.Fmt{Tag: wavfile.TagALaw, Channels: 2, Rate: 8000, Bits: 8}, 100))
	var ce ccfs.Error
	if !errors.As(err, &ce) || !errors.Is(err, ccfs.ErrFormat) || !strings.Contains(ce.Desc(), "stereo") {
		t.Fatalf("stereo: %v", err)
	}
	bad := *c
	bad.SecretKey = "wrong"
	_, err = bad.Upload(context.Background(), 53, wavfile.File(wavfile.ALaw8k, 100))
	if !errors.Is(err, ccfs.ErrAuth) || !errors.As(err, &ce) || ce.Status() != http.StatusUnauthorized {
		t.Fatalf("wrong key: %v", err)
	}
	// A reader that fails while signing never reaches the server.
	_, err = c.UploadFrom(context.Background(), 53, readerAtFunc(func(p []byte, off int64) (int, error) {
		return iotest.ErrReader(errors.New("disk")).Read(p)
	}), 1000)
	if err == nil || !strings.Contains(err.Error(), "disk") {
		t.Fatalf("failing reader: %v", err)
	}
}

type readerAtFunc func(p []byte, off int64) (int, error)

func (f readerAtFunc) ReadAt(p []byte, off int64) (int, error) { return f(p, off) }

func TestClientDeleteAndDownload(t *testing.T) {
	e := newEnv(t, nil)
	seed(t, e.mem)
	c := &ccfs.Client{BaseURL: e.srv.URL, AccessKey: testAK, SecretKey: testSK, HTTPClient: e.srv.Client(), Now: e.clock}
	ctx := context.Background()
	var got bytes.Buffer
	if n, err := c.Download(ctx, "Y:/"+recording53, &got); err != nil || got.String() != "RIFF "+recording53 || n != int64(got.Len()) {
		t.Fatalf("Download: %d %q %v", n, got.String(), err)
	}
	got.Reset()
	if _, err := c.DownloadFolder(ctx, "Y:/voice/53/IVRrecordFile/single", &got); err != nil || got.String() != "RIFF "+single53 {
		t.Fatalf("DownloadFolder: %q %v", got.String(), err)
	}
	if _, err := c.DownloadFolder(ctx, "Y:/3rdfile/53/thirdvoicebotfile", io.Discard); !errors.Is(err, ccfs.ErrNotOneFile) {
		t.Fatalf("DownloadFolder of two files: %v", err)
	}
	if _, err := c.Download(ctx, "Y:/"+recording99, io.Discard); !errors.Is(err, ccfs.ErrVDNForbidden) {
		t.Fatalf("another tenant's: %v", err)
	}
	if err := c.Delete(ctx, "Y:/"+prompt53, ""); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if err := c.Delete(ctx, "Y:/"+prompt53, ""); !errors.Is(err, ccfs.ErrNoSuchFile) {
		t.Fatalf("Delete again: %v", err)
	}
	// A download cut off midway is an error, not a shorter file.
	e.st = genStore{size: 1 << 20, failAt: 500_000, failErr: io.EOF}
	n, err := c.Download(ctx, "Y:/"+recording53, io.Discard)
	if err == nil || n >= 1<<20 {
		t.Fatalf("cut-off download: %d bytes, %v", n, err)
	}
}

// A Client on the system clock never signs two requests alike: the same
// download and the same delete, sent back to back many times a
// millisecond, each get their own answer, never 0300012 (the replay of
// another). Example_lifecycle downloads one file twice in a row.
func TestClientRepeatsARequestWithoutReplaying(t *testing.T) {
	e := newEnv(t, func(o *ccfs.Options) { o.Now, o.RatePerKey, o.MaxInFlightPerKey = nil, rate.Inf, 64 })
	seed(t, e.mem)
	c := &ccfs.Client{BaseURL: e.srv.URL, AccessKey: testAK, SecretKey: testSK, HTTPClient: e.srv.Client()}
	ctx := context.Background()
	for i := range 300 {
		if _, err := c.Download(ctx, "Y:/"+recording53, io.Discard); err != nil {
			t.Fatalf("download %d: %v", i, err)
		}
	}
	// Deletes of a file that is gone, from several goroutines at once.
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 50 {
				if err := c.Delete(ctx, "Y:/3rdfile/53/thirdvoicebotfile/gone.wav", ""); !errors.Is(err, ccfs.ErrNoSuchFile) {
					t.Errorf("delete: %v, want %s", err, ccfs.ErrNoSuchFile.Code())
					return
				}
			}
		})
	}
	wg.Wait()
}
