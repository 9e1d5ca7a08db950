package ccfstest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/store"
	"github.com/ccfs-go/ccfs/wavcheck"
)

// DefaultVDN is the VDN the server's own key may upload to.
const DefaultVDN = 53

// A Server is a CC-FS server on 127.0.0.1 over TLS, running the real
// handler (uploadFile, deleteFile and downloadFile, NewServer) or an
// http.Handler of the caller's that mounts it (Serve).
type Server struct {
	// URL is the base URL, "https://127.0.0.1:port", without a path.
	URL string
	// AccessKey and SecretKey are a key the server accepts for VDN.
	AccessKey string
	SecretKey string
	VDN       int
	// RootPrefix is what the server puts before a stored name in the
	// paths it answers and accepts, such as "Y:"; "" unless WithRootPrefix.
	RootPrefix string
	// Store holds what was uploaded and what AddFile put there; its names
	// have no root prefix. It is nil where the handler runs over a store
	// of the caller's (WithStore, Serve).
	Store *store.Memory
	// Files is the store the handler runs over: Store, or the caller's
	// (WithStore); nil for Serve, whose handler is the caller's.
	Files store.Store

	t      testing.TB
	srv    *httptest.Server
	mu     sync.Mutex
	faults []fault
}

type fault struct {
	err   ccfs.Error // the answer, if fail
	fail  bool
	delay time.Duration
}

// An Option changes the server NewServer starts.
type Option func(*config)

type config struct {
	opts  ccfs.Options
	keys  []auth.Key
	store store.Store // the caller's, if WithStore
}

// WithStore runs the handler over s instead of a new store.Memory:
// uploads land in s, AddFile puts files there, and Server.Store is nil.
// Give it the store your server uses (a store.Dir in a temporary
// directory, your own adapter) to test them together with a client.
func WithStore(s store.Store) Option { return func(c *config) { c.store = s } }

// WithKey adds a key the server accepts.
func WithKey(k auth.Key) Option { return func(c *config) { c.keys = append(c.keys, k) } }

// WithPathRule sets the path rule.
func WithPathRule(rule string) Option { return func(c *config) { c.opts.PathRule = rule } }

// WithRootPrefix sets the prefix of fileName, such as "Y:".
func WithRootPrefix(p string) Option { return func(c *config) { c.opts.RootPrefix = p } }

// WithDownloadPathRule sets the Third-Party Recording Download Path Rule.
func WithDownloadPathRule(rule string) Option {
	return func(c *config) { c.opts.DownloadPathRule = rule }
}

// WithMaxFileMB sets the file size limit.
func WithMaxFileMB(mb int) Option { return func(c *config) { c.opts.MaxFileMB = mb } }

// WithCodecs sets the accepted codecs.
func WithCodecs(codecs ...wavcheck.Codec) Option {
	return func(c *config) { c.opts.Codecs = codecs }
}

// WithOptions edits the handler's options directly; Credentials and Store
// are set by NewServer after it (use WithKey and WithStore for them).
func WithOptions(edit func(*ccfs.Options)) Option { return func(c *config) { edit(&c.opts) } }

// NewServer starts a server and stops it when the test ends. It has no
// rate limit unless an option sets one, and logs nothing.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	key := NewKey()
	s := &Server{AccessKey: key.AccessKey, SecretKey: key.SecretKey, VDN: DefaultVDN, t: t}
	c := &config{
		opts: ccfs.Options{RatePerKey: rate.Inf, Logger: discardLogger},
		keys: []auth.Key{key},
	}
	for _, opt := range opts {
		opt(c)
	}
	if c.store == nil {
		s.Store = store.NewMemory()
		c.store = s.Store
	}
	s.Files = c.store
	creds, err := auth.NewStatic(c.keys...)
	if err != nil {
		t.Fatalf("ccfstest: %v", err)
	}
	c.opts.Credentials, c.opts.Store = creds, c.store
	s.RootPrefix = c.opts.RootPrefix
	h, err := ccfs.NewHandler(c.opts)
	if err != nil {
		t.Fatalf("ccfstest: %v", err)
	}
	s.start(h)
	return s
}

// NewKey returns a key for Serve and for the Credentials of the handler
// it serves: access key "ccfstest", a new random secret, VDN DefaultVDN.
// NewServer's server accepts one like it.
func NewKey() auth.Key {
	return auth.Key{AccessKey: "ccfstest", SecretKey: rand.Text(), VDNs: []int{DefaultVDN}}
}

// Serve serves h — your own mux or middleware, with a ccfs.Handler
// mounted at its path — on 127.0.0.1 over TLS, and stops it when the
// test ends. key is a key h accepts (NewKey, given to the handler's
// Credentials): the Server's Client signs with it, for its first VDN
// (DefaultVDN if it lists none). The Server has no Store or Files (the
// handler is yours), so AddFile fails the test; FailNext and DelayNext
// act on uploads to ccfs.UploadPath before they reach h.
func Serve(t testing.TB, h http.Handler, key auth.Key) *Server {
	t.Helper()
	s := &Server{AccessKey: key.AccessKey, SecretKey: key.SecretKey, VDN: DefaultVDN, t: t}
	if len(key.VDNs) > 0 {
		s.VDN = key.VDNs[0]
	}
	s.start(h)
	return s
}

// start serves h, with the faults injected, until the test ends.
func (s *Server) start(h http.Handler) {
	s.srv = httptest.NewTLSServer(s.inject(h))
	s.URL = s.srv.URL
	s.t.Cleanup(s.Close)
}

// Close shuts the server down. NewServer's cleanup calls it.
func (s *Server) Close() { s.srv.Close() }

// HTTPClient returns an *http.Client that trusts the server's certificate.
func (s *Server) HTTPClient() *http.Client { return s.srv.Client() }

// Client returns a ccfs.Client configured with the server's URL and key.
func (s *Server) Client() *ccfs.Client {
	return &ccfs.Client{BaseURL: s.URL, AccessKey: s.AccessKey, SecretKey: s.SecretKey, HTTPClient: s.HTTPClient()}
}

// AddFile puts a file in the server's store, such as a recording for a
// chatbot to download: name is the store's name for it, without the root
// prefix ("voice/53/IVRrecordFile/call-1.wav"). It returns the path a
// request names it by (RootPrefix + "/" + name). It fails the test if
// name is invalid or taken, or if the Server has no store (Serve).
func (s *Server) AddFile(name string, data []byte) string {
	s.t.Helper()
	if s.Files == nil {
		s.t.Fatalf("ccfstest: AddFile: the server serves a handler of the test's own (Serve): put the file in its store")
	}
	if _, err := s.Files.Put(context.Background(), name, bytes.NewReader(data), int64(len(data))); err != nil {
		s.t.Fatalf("ccfstest: AddFile: %v", err)
	}
	return s.RootPrefix + "/" + name
}

// FailNext makes the next n uploads fail with err (for example
// ccfs.ErrBusy or ccfs.ErrStorage), after their bodies are read, whatever
// they hold.
func (s *Server) FailNext(n int, err ccfs.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, fault{err: err, fail: true})
	}
}

// DelayNext makes the next n uploads wait d before they are handled.
func (s *Server) DelayNext(n int, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, fault{delay: d})
	}
}

func (s *Server) nextFault() (fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.faults) == 0 {
		return fault{}, false
	}
	f := s.faults[0]
	s.faults = s.faults[1:]
	return f, true
}

// inject applies the queued faults to upload requests; deleteFile and
// downloadFile are never faulted.
func (s *Server) inject(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != ccfs.UploadPath || r.Method != http.MethodPost {
			h.ServeHTTP(w, r)
			return
		}
		f, ok := s.nextFault()
		if !ok {
			h.ServeHTTP(w, r)
			return
		}
		if f.delay > 0 {
			select {
			case <-time.After(f.delay):
			case <-r.Context().Done():
				return
			}
		}
		if !f.fail {
			h.ServeHTTP(w, r)
			return
		}
		io.Copy(io.Discard, io.LimitReader(r.Body, 64<<20))
		writeAnswer(w, f.err)
	})
}

// writeAnswer writes e as the handler would: its status and the JSON
// {"resultCode", "resultDesc"}.
func writeAnswer(w http.ResponseWriter, e ccfs.Error) {
	b, _ := json.Marshal(ccfs.Response{ResultCode: e.Code(), ResultDesc: e.Desc()})
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(e.Status())
	w.Write(b)
}
