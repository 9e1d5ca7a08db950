package ccfs_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/internal/wavfile"
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
