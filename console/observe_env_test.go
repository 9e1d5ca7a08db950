package console

// The harness the tests of the Recorder's pages (overview, tenants,
// refusals) share: a real ccfs.Handler over a store.Dir in a temporary
// directory, its OnRequest feeding a Recorder, and a console that trusts
// the operator "alice".

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/ccfstest"
	"github.com/ccfs-go/ccfs/quota"
	"github.com/ccfs-go/ccfs/store"
	"github.com/ccfs-go/ccfs/wavcheck"
)

const (
	obsAKa   = "chatbot-a"
	obsSKa   = "sk-chatbot-a-0123456789-secret"
	obsAKb   = "chatbot-b"
	obsSKb   = "sk-chatbot-b-9876543210-secret"
	obsAKany = "ops-every-vdn"
	obsSKany = "sk-ops-every-vdn-secret-42"
	obsWrong = "sk-a-wrong-secret-nobody-holds"
)

// obsEnv is a handler, its Recorder and a console over them.
type obsEnv struct {
	t     *testing.T
	h     *ccfs.Handler
	rec   *Recorder
	con   *Console
	srv   *httptest.Server
	creds *auth.Static
	mu    sync.Mutex
	now   time.Time // the Recorder's and the console's clock
}

// newObsEnv builds an obsEnv; limits, if not "", turns quotas on
// (quota.ParseLimits), and edit may change the console's options.
func newObsEnv(t *testing.T, limits string, edit func(*Options)) *obsEnv {
	t.Helper()
	e := &obsEnv{t: t, now: time.Now().UTC()}
	creds, err := auth.NewStatic(
		auth.Key{AccessKey: obsAKa, SecretKey: obsSKa, VDNs: []int{53, 54}},
		auth.Key{AccessKey: obsAKb, SecretKey: obsSKb, VDNs: []int{55}},
		auth.Key{AccessKey: obsAKany, SecretKey: obsSKany, AnyVDN: true},
	)
	if err != nil {
		t.Fatal(err)
	}
	e.creds = creds
	dir, err := store.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dir.Close() })
	e.rec = NewRecorder(e.clock)
	opts := ccfs.Options{
		Credentials: creds, Store: dir, RootPrefix: "Y:",
		Logger:    slog.New(slog.DiscardHandler),
		OnRequest: e.rec.Observe,
	}
	if limits != "" {
		l, err := quota.ParseLimits(limits)
		if err != nil {
			t.Fatal(err)
		}
		opts.Quota, opts.Usage = l, quota.NewMemory()
	}
	e.h, err = ccfs.NewHandler(opts)
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(e.h)
	t.Cleanup(e.srv.Close)
	copts := Options{
		Handler: e.h, Recorder: e.rec, Credentials: creds, Now: e.clock,
		Operator: func(*http.Request) (string, bool) { return "alice", true },
		Logger:   slog.New(slog.DiscardHandler),
	}
	if edit != nil {
		edit(&copts)
	}
	e.con, err = New(copts)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *obsEnv) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

// advance moves the Recorder's and the console's clock.
func (e *obsEnv) advance(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.now = e.now.Add(d)
}

// client returns a ccfs.Client for ak with secret sk.
func (e *obsEnv) client(ak, sk string) *ccfs.Client {
	return &ccfs.Client{BaseURL: e.srv.URL, AccessKey: ak, SecretKey: sk}
}

// upload uploads a prompt of d to vdn as ak, and fails the test if it
// is refused.
func (e *obsEnv) upload(ak, sk string, vdn int, d time.Duration) *ccfs.ResultData {
	e.t.Helper()
	res, err := e.client(ak, sk).Upload(context.Background(), vdn, ccfstest.WAV(d, wavcheck.ALaw))
	if err != nil {
		e.t.Fatalf("upload to VDN %d as %s: %v", vdn, ak, err)
	}
	return res
}

// refusedUpload uploads as ak with secret sk and returns the refusal.
func (e *obsEnv) refusedUpload(ak, sk string, vdn int) ccfs.Error {
	e.t.Helper()
	_, err := e.client(ak, sk).Upload(context.Background(), vdn, ccfstest.WAV(100*time.Millisecond, wavcheck.ALaw))
	var ce ccfs.Error
	if !errors.As(err, &ce) {
		e.t.Fatalf("upload as %s: want a refusal, got %v", ak, err)
	}
	return ce
}

// get serves path on the console and returns the status and the body.
func (e *obsEnv) get(path string) (int, string) {
	e.t.Helper()
	w := httptest.NewRecorder()
	e.con.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
	b, _ := io.ReadAll(w.Result().Body)
	return w.Code, string(b)
}

// page gets path and fails the test unless it is a 200.
func (e *obsEnv) page(path string) string {
	e.t.Helper()
	code, body := e.get(path)
	if code != http.StatusOK {
		e.t.Fatalf("GET %s: %d\n%s", path, code, body)
	}
	return body
}

// waitFor polls cond until it holds, failing the test after a generous
// deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// noSecrets fails the test if html holds any key's secret.
func noSecrets(t *testing.T, html string) {
	t.Helper()
	for _, sk := range []string{obsSKa, obsSKb, obsSKany, obsWrong} {
		if strings.Contains(html, sk) {
			t.Fatalf("a page shows the secret %q", sk)
		}
	}
}
