package ccfstest_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/ccfstest"
	"github.com/ccfs-go/ccfs/store"
	"github.com/ccfs-go/ccfs/wavcheck"
)

func TestServerRoundTrip(t *testing.T) {
	s := ccfstest.NewServer(t, ccfstest.WithRootPrefix("Y:"))
	if !strings.HasPrefix(s.URL, "https://127.0.0.1:") {
		t.Fatalf("URL %s", s.URL)
	}
	wav := ccfstest.WAV(500*time.Millisecond, wavcheck.ALaw)
	rd, err := s.Client().Upload(context.Background(), s.VDN, wav)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := s.Store.Get(strings.TrimPrefix(rd.FileName, "Y:/"))
	if !ok || !bytes.Equal(got, wav) || len(wav) != 44+4000 {
		t.Fatalf("stored %d bytes under %s", len(got), rd.FileName)
	}
}

func TestBrokenFixturesAreRefused(t *testing.T) {
	s := ccfstest.NewServer(t)
	for name, tc := range map[string]struct {
		wav  []byte
		desc string
	}{
		"stereo":    {ccfstest.Stereo(), "2 channels (stereo); need mono"},
		"16 kHz":    {ccfstest.Rate16k(), "16000 Hz; need 8000 Hz"},
		"16-bit":    {ccfstest.PCM16(), "16-bit PCM; need 8-bit A-law"},
		"truncated": {ccfstest.Truncated(), "data chunk declares 8000 bytes but the file ends after"},
		"µ-law":     {ccfstest.WAV(time.Second, wavcheck.MuLaw), "8-bit µ-law; need 8-bit A-law"},
	} {
		_, err := s.Client().Upload(context.Background(), s.VDN, tc.wav)
		var ce ccfs.Error
		if !errors.As(err, &ce) || ce.Code() != ccfs.ErrFormat.Code() || !strings.Contains(ce.Desc(), tc.desc) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if n := len(s.Store.Names()); n != 0 {
		t.Fatalf("stored %d", n)
	}
}

func TestServerOptions(t *testing.T) {
	s := ccfstest.NewServer(t,
		ccfstest.WithKey(auth.Key{AccessKey: "vendor", SecretKey: "vendor-secret", VDNs: []int{7}}),
		ccfstest.WithCodecs(wavcheck.ALaw, wavcheck.MuLaw),
		ccfstest.WithPathRule("/prompts/%VDNNO%/"),
		ccfstest.WithMaxFileMB(1),
	)
	c := s.Client()
	c.AccessKey, c.SecretKey = "vendor", "vendor-secret"
	rd, err := c.Upload(context.Background(), 7, ccfstest.WAV(time.Second, wavcheck.MuLaw))
	if err != nil || !strings.HasPrefix(rd.FileName, "/prompts/7/") {
		t.Fatalf("%v %v", rd, err)
	}
	if _, err := c.Upload(context.Background(), 7, ccfstest.WAV(140*time.Second, wavcheck.ALaw)); !errors.Is(err, ccfs.ErrTooLong) {
		t.Fatalf("over 1 MB: %v", err)
	}
	if _, err := c.Upload(context.Background(), s.VDN, ccfstest.WAV(time.Second, wavcheck.ALaw)); !errors.Is(err, ccfs.ErrVDNForbidden) {
		t.Fatalf("vendor key on the server's VDN: %v", err)
	}
}

func TestFaults(t *testing.T) {
	s := ccfstest.NewServer(t)
	wav := ccfstest.WAV(time.Second, wavcheck.ALaw)
	// Refused for now twice: the Client tries again, signed anew, and the
	// third try is stored.
	s.FailNext(2, ccfs.ErrBusy)
	if _, err := s.Client().Upload(context.Background(), s.VDN, wav); err != nil {
		t.Fatalf("after two refusals for now: %v", err)
	}
	// A Client that does not retry sees each refusal.
	noRetry := s.Client()
	noRetry.Retries = -1
	s.FailNext(2, ccfs.ErrBusy)
	for i := range 2 {
		if _, err := noRetry.Upload(context.Background(), s.VDN, wav); !errors.Is(err, ccfs.ErrBusy) {
			t.Fatalf("upload %d: %v", i+1, err)
		}
	}
	if _, err := noRetry.Upload(context.Background(), s.VDN, wav); err != nil {
		t.Fatalf("after the faults: %v", err)
	}
	s.FailNext(1, ccfs.ErrAuth)
	var ce ccfs.Error
	if _, err := s.Client().Upload(context.Background(), s.VDN, wav); !errors.As(err, &ce) || ce.Status() != 401 {
		t.Fatalf("injected auth failure: %v", err)
	}

	s.DelayNext(1, 2*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := s.Client().Upload(ctx, s.VDN, wav); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("delayed upload with a short deadline: %v", err)
	}
	if time.Since(start) > time.Second {
		t.Fatal("the deadline did not cut the delay short")
	}
	if n := len(s.Store.Names()); n != 2 { // the retried one, and the one after the faults
		t.Fatalf("stored %d files, want 2", n)
	}
}

// TestServerOverOwnStore: WithStore runs the handler over the test's own
// store: uploads land there, AddFile puts files there, and a file the
// client deletes is gone from it.
func TestServerOverOwnStore(t *testing.T) {
	d, err := store.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	s := ccfstest.NewServer(t, ccfstest.WithStore(d), ccfstest.WithRootPrefix("Y:"))
	if s.Store != nil || s.Files != d {
		t.Fatalf("Store %v, Files %v: want nil and the Dir", s.Store, s.Files)
	}
	c, ctx := s.Client(), context.Background()
	wav := ccfstest.WAV(time.Second, wavcheck.ALaw)
	rd, err := c.Upload(ctx, s.VDN, wav)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(rd.FileName, "Y:/")
	if got := readAll(t, d, name); !bytes.Equal(got, wav) {
		t.Fatalf("the Dir holds %d bytes under %s, want the %d uploaded", len(got), name, len(wav))
	}
	path := s.AddFile("voice/53/IVRrecordFile/call-1.wav", wav)
	if got := readAll(t, d, "voice/53/IVRrecordFile/call-1.wav"); !bytes.Equal(got, wav) {
		t.Fatal("AddFile did not put the file in the Dir")
	}
	var rec bytes.Buffer
	if _, err := c.Download(ctx, path, &rec); err != nil || !bytes.Equal(rec.Bytes(), wav) {
		t.Fatalf("download: %v", err)
	}
	if err := c.Delete(ctx, rd.FileName, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Open(name); err == nil {
		t.Fatal("the deleted file is still in the Dir")
	}
}

func readAll(t *testing.T, op store.Opener, name string) []byte {
	t.Helper()
	f, err := op.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestServeOwnHandler: Serve serves the test's own mux, with its own
// routes and middleware around the handler, and its Client signs with
// the key given; the faults act on uploads before they reach the mux.
func TestServeOwnHandler(t *testing.T) {
	key := ccfstest.NewKey()
	creds, _ := auth.NewStatic(key)
	files := store.NewMemory()
	h, err := ccfs.NewHandler(ccfs.Options{Credentials: creds, Store: files, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	var seen atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })
	mux.Handle(ccfs.InterfacePrefix, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.Add(1)
		h.ServeHTTP(w, r)
	}))
	s := ccfstest.Serve(t, mux, key)
	if s.VDN != ccfstest.DefaultVDN || s.AccessKey != key.AccessKey || s.Store != nil || s.Files != nil {
		t.Fatalf("%+v", s)
	}

	rd, err := s.Client().Upload(context.Background(), s.VDN, ccfstest.WAV(time.Second, wavcheck.ALaw))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := files.Get(strings.TrimPrefix(rd.FileName, "/")); !ok || seen.Load() != 1 {
		t.Fatalf("stored %v, %d requests through the middleware", ok, seen.Load())
	}
	resp, err := s.HTTPClient().Get(s.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "ok" {
		t.Fatalf("/healthz: %q", b)
	}
	c := s.Client()
	c.Retries = -1
	s.FailNext(1, ccfs.ErrBusy)
	if _, err := c.Upload(context.Background(), s.VDN, ccfstest.WAV(time.Second, wavcheck.ALaw)); !errors.Is(err, ccfs.ErrBusy) {
		t.Fatalf("injected busy: %v", err)
	}
	if seen.Load() != 1 {
		t.Fatalf("the faulted upload reached the mux: %d requests", seen.Load())
	}

	// A key of a VDN of its own is the Client's VDN.
	other := auth.Key{AccessKey: "vendor", SecretKey: "vendor-secret", VDNs: []int{7}}
	if s := ccfstest.Serve(t, mux, other); s.VDN != 7 {
		t.Fatalf("VDN %d, want 7", s.VDN)
	}
}
