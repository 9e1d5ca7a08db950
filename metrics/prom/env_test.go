package prom_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/ccfstest"
	"github.com/ccfs-go/ccfs/metrics/prom"
	"github.com/ccfs-go/ccfs/store"
	"github.com/ccfs-go/ccfs/wavcheck"
)

type server struct {
	c   *ccfs.Client
	wav []byte
}

// newServer runs a handler whose OnRequest feeds m, with a recording to
// download.
func newServer(t *testing.T, m *prom.Metrics) *server { return newServerWith(t, m, nil) }

// newServerWith is newServer with its Options edited by edit, if not nil.
func newServerWith(t *testing.T, m *prom.Metrics, edit func(*ccfs.Options)) *server {
	mem := store.NewMemory()
	mem.Put(context.Background(), "voice/53/IVRrecordFile/r.wav", bytes.NewReader(ccfstest.WAV(time.Second, wavcheck.ALaw)), -1)
	creds, _ := auth.NewStatic(auth.Key{AccessKey: "bot", SecretKey: "sk", VDNs: []int{53}})
	opts := ccfs.Options{Credentials: creds, Store: mem, RatePerKey: rate.Inf,
		Logger: slog.New(slog.DiscardHandler), OnRequest: m.Observe}
	if edit != nil {
		edit(&opts)
	}
	h, err := ccfs.NewHandler(opts)
	if err != nil {
		t.Fatal(err)
	}
	m.Track(h)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &server{
		c:   &ccfs.Client{BaseURL: srv.URL, AccessKey: "bot", SecretKey: "sk", HTTPClient: srv.Client()},
		wav: ccfstest.WAV(2*time.Second, wavcheck.ALaw),
	}
}
