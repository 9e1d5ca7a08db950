package ccfs_test

// The harness the handler's tests share: an env (a handler on a store the
// test can swap, a clock it moves, the log and the last Event), requests
// signed as a client would, the files every test of the small interfaces
// (deleteFile, downloadFile) starts with, and a store.Dir in a temporary
// directory.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/internal/wavfile"
	"github.com/ccfs-go/ccfs/store"
)

const (
	testAK = "chatbot-a"
	testSK = "sk-chatbot-a-0123456789"
)

var t0 = time.Date(2026, 11, 23, 19, 0, 0, 0, time.UTC)

type env struct {
	t     *testing.T
	h     *ccfs.Handler
	srv   *httptest.Server
	mem   *store.Memory
	st    store.Store
	now   time.Time
	mu    sync.Mutex
	logs  bytes.Buffer
	tick  time.Duration
	event ccfs.Event
	// onPut, if set, is called as each upload reaches the store.
	onPut func()
	// sent holds the Authorization headers and bodies sent, so tests can
	// look for them in the logs.
	sent [][2]string
}

func newEnv(t *testing.T, edit func(*ccfs.Options)) *env {
	e := &env{t: t, now: t0, mem: store.NewMemory()}
	e.st = e.mem
	creds, err := auth.NewStatic(
		auth.Key{AccessKey: testAK, SecretKey: testSK, VDNs: []int{53, 54}},
		auth.Key{AccessKey: "other", SecretKey: "sk-other", VDNs: []int{99}},
	)
	if err != nil {
		t.Fatal(err)
	}
	opts := ccfs.Options{
		Credentials: creds, Store: e, MaxFileMB: 1, RootPrefix: "Y:",
		Logger: slog.New(slog.NewJSONHandler(&e.logs, nil)),
		Now:    e.clock,
		OnRequest: func(ev ccfs.Event) {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.event = ev
		},
	}
	if edit != nil {
		edit(&opts)
	}
	e.h, err = ccfs.NewHandler(opts)
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(e.h)
	t.Cleanup(e.srv.Close)
	return e
}

// Put lets a test swap the store behind the handler.
func (e *env) Put(ctx context.Context, name string, r io.Reader, size int64) ([]string, error) {
	if e.onPut != nil {
		e.onPut()
	}
	return e.st.Put(ctx, name, r, size)
}

// Open lets downloads read the store behind the handler.
func (e *env) Open(name string) (fs.File, error) {
	if op, ok := e.st.(store.Opener); ok {
		return op.Open(name)
	}
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}

// Remove lets the handler take back what a broken store kept.
func (e *env) Remove(ctx context.Context, name string) error {
	if rm, ok := e.st.(store.Remover); ok {
		return rm.Remove(ctx, name)
	}
	return nil
}

// advance moves the handler's clock forward.
func (e *env) advance(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.now = e.now.Add(d)
}

func (e *env) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.tick += time.Millisecond // every signature differs
	return e.now.Add(e.tick)
}

// waitEvent returns the Event of the last request once it is out: a
// download's comes after its last byte, which the client may have read
// already.
func (e *env) waitEvent(t *testing.T) ccfs.Event {
	t.Helper()
	var ev ccfs.Event
	waitFor(t, "an Event", func() bool {
		e.mu.Lock()
		defer e.mu.Unlock()
		ev = e.event
		return ev.Code != ""
	})
	return ev
}

func body(data string) []byte {
	return []byte(`{"request":{"version":"2.0"},"msgBody":{"data":"` + data + `"}}`)
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

var validWAV = wavfile.File(wavfile.ALaw8k, 8000)

type req struct {
	method, path, query string
	contentType         string
	body                []byte
	ak, sk              string
	signedAt            time.Time
	edit                func(*http.Request)
}

func (e *env) do(r req) (int, ccfs.Response, http.Header) {
	e.t.Helper()
	resp := e.send(r)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json;charset=UTF-8" {
		e.t.Fatalf("Content-Type %q", ct)
	}
	var out ccfs.Response
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		e.t.Fatalf("response %q: %v", raw, err)
	}
	return resp.StatusCode, out, resp.Header
}

// send builds r, signs it and sends it; the caller closes the response's
// body.
func (e *env) send(r req) *http.Response {
	e.t.Helper()
	hr := e.request(r)
	e.sent = append(e.sent, [2]string{hr.Header.Get("Authorization"), string(r.body)})
	resp, err := e.srv.Client().Do(hr)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp
}

// request builds r for e's server and signs it, as send sends it.
func (e *env) request(r req) *http.Request {
	e.t.Helper()
	if r.method == "" {
		r.method = "POST"
	}
	if r.path == "" {
		r.path = ccfs.UploadPath
	}
	if r.query == "" {
		r.query = "vdnId=53"
	}
	if r.contentType == "" {
		r.contentType = "application/json;charset=UTF-8"
	}
	if r.ak == "" {
		r.ak, r.sk = testAK, testSK
	}
	if r.signedAt.IsZero() {
		r.signedAt = e.clock()
	}
	u := e.srv.URL + r.path
	if r.query != "-" {
		u += "?" + r.query
	}
	hr, err := http.NewRequest(r.method, u, bytes.NewReader(r.body))
	if err != nil {
		e.t.Fatal(err)
	}
	if r.contentType != "-" {
		hr.Header.Set("Content-Type", r.contentType)
	}
	s := auth.Signer{AccessKey: r.ak, SecretKey: r.sk, Now: func() time.Time { return r.signedAt }}
	if err := s.Sign(hr, r.body); err != nil {
		e.t.Fatal(err)
	}
	if r.edit != nil {
		r.edit(hr)
	}
	return hr
}

// The files every test of the small interfaces starts with: two of the test
// key's VDN 53, one of VDN 99 (another tenant's), and a recording.
var (
	prompt53    = "3rdfile/53/thirdvoicebotfile/aaaaaaaa_1.wav"
	prompt53b   = "3rdfile/53/thirdvoicebotfile/bbbbbbbb_2.wav"
	prompt99    = "3rdfile/99/thirdvoicebotfile/cccccccc_3.wav"
	recording53 = "voice/53/IVRrecordFile/20261125/call-1.wav"
	single53    = "voice/53/IVRrecordFile/single/only.wav"
	recording99 = "voice/99/IVRrecordFile/call-9.wav"
	seeded      = []string{prompt53, prompt53b, prompt99, recording53, single53, recording99}
)

// seed puts the files above into e's store, each holding its own name.
func seed(t *testing.T, s store.Store) {
	for _, n := range seeded {
		if _, err := s.Put(context.Background(), n, strings.NewReader("RIFF "+n), -1); err != nil {
			t.Fatal(err)
		}
	}
}

func deleteBody(msgBody string) []byte {
	return []byte(`{"request":{"version":"2.0"},"msgBody":` + msgBody + `}`)
}

func downloadBody(filePath string, mode string) []byte {
	m := `{"filePath":` + jsonString(filePath)
	if mode != "" {
		m += `,"mode":` + mode
	}
	return deleteBody(m + "}")
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// smallCase is one request to deleteFile or downloadFile.
type smallCase struct {
	name   string
	r      req
	status int
	code   string
	// gone lists the seeded files that must be gone afterwards; every
	// other one must still be there.
	gone []string
}

// commonCases are the cases both interfaces answer alike, given a valid
// msgBody for the interface.
func commonCases(path, valid string) []smallCase {
	ok := deleteBody(valid)
	short := time.Minute
	return []smallCase{
		{name: "GET", r: req{method: "GET", path: path, body: ok}, status: 405, code: ccfs.ErrMethod.Code()},
		{name: "no Content-Type", r: req{path: path, body: ok, edit: func(r *http.Request) { r.Header.Del("Content-Type") }}, status: 200, code: ccfs.ErrNull.Code()},
		{name: "text/plain", r: req{path: path, body: ok, contentType: "text/plain"}, status: 200, code: ccfs.ErrFormat.Code()},
		{name: "empty body", r: req{path: path, body: []byte{}}, status: 200, code: ccfs.ErrBodyNull.Code()},
		{name: "oversized body", r: req{path: path, body: deleteBody(`{"x":"` + strings.Repeat("a", 17<<10) + `"}`)}, status: 200, code: ccfs.ErrTooLong.Code()},
		{name: "not JSON", r: req{path: path, body: []byte("fileName=x")}, status: 200, code: ccfs.ErrFormat.Code()},
		{name: "JSON array", r: req{path: path, body: []byte(`[1]`)}, status: 200, code: ccfs.ErrFormat.Code()},
		{name: "text after the object", r: req{path: path, body: append(bytes.Clone(ok), "{}"...)}, status: 200, code: ccfs.ErrFormat.Code()},
		{name: "truncated JSON", r: req{path: path, body: ok[:len(ok)-2]}, status: 200, code: ccfs.ErrFormat.Code()},
		{name: "invalid UTF-8", r: req{path: path, body: deleteBody(`{"x":"` + "\xff" + `"}`)}, status: 200, code: ccfs.ErrFormat.Code()},
		{name: "version missing", r: req{path: path, body: []byte(`{"msgBody":` + valid + `}`)}, status: 200, code: ccfs.ErrNull.Code()},
		{name: "version null", r: req{path: path, body: []byte(`{"request":{"version":null},"msgBody":` + valid + `}`)}, status: 200, code: ccfs.ErrNull.Code()},
		{name: "version empty", r: req{path: path, body: []byte(`{"request":{"version":""},"msgBody":` + valid + `}`)}, status: 200, code: ccfs.ErrEmpty.Code()},
		{name: "version 1.0", r: req{path: path, body: []byte(`{"request":{"version":"1.0"},"msgBody":` + valid + `}`)}, status: 200, code: ccfs.ErrVersion.Code()},
		{name: "version too long", r: req{path: path, body: []byte(`{"request":{"version":"` + strings.Repeat("2", 33) + `"},"msgBody":` + valid + `}`)}, status: 200, code: ccfs.ErrTooLong.Code()},
		{name: "version a number", r: req{path: path, body: []byte(`{"request":{"version":2.0},"msgBody":` + valid + `}`)}, status: 200, code: ccfs.ErrFormat.Code()},
		{name: "request a string", r: req{path: path, body: []byte(`{"request":"2.0","msgBody":` + valid + `}`)}, status: 200, code: ccfs.ErrFormat.Code()},
		{name: "request twice", r: req{path: path, body: []byte(`{"request":{"version":"2.0"},"request":{"version":"2.0"},"msgBody":` + valid + `}`)}, status: 200, code: ccfs.ErrFormat.Code()},
		{name: "msgBody an array", r: req{path: path, body: deleteBody(`[]`)}, status: 200, code: ccfs.ErrFormat.Code()},
		{name: "unknown fields are skipped", r: req{path: path, body: []byte(`{"x":[1,{"y":null}],"request":{"version":"2.0","z":1},"msgBody":` + valid + `}`)}, status: 200, code: "0"},
		// Authentication: 401 wins over everything in the body.
		{name: "wrong secret", r: req{path: path, body: ok, ak: testAK, sk: "wrong"}, status: 401, code: ccfs.ErrAuth.Code()},
		{name: "wrong secret, bad body", r: req{path: path, body: []byte(`{"request":{"version":"9"}}`), ak: testAK, sk: "wrong"}, status: 401, code: ccfs.ErrAuth.Code()},
		{name: "another key's secret", r: req{path: path, body: ok, ak: testAK, sk: "sk-other"}, status: 401, code: ccfs.ErrAuth.Code()},
		{name: "unknown key", r: req{path: path, body: ok, ak: "nobody", sk: "x"}, status: 401, code: ccfs.ErrAuth.Code()},
		{name: "no Authorization", r: req{path: path, body: ok, edit: func(r *http.Request) { r.Header.Del("Authorization") }}, status: 401, code: ccfs.ErrAuth.Code()},
		{name: "body changed after signing", r: req{path: path, body: ok, edit: func(r *http.Request) {
			b := bytes.Replace(ok, []byte(`"2.0"`), []byte(`"2.1"`), 1)
			r.Body = io.NopCloser(bytes.NewReader(b))
		}}, status: 401, code: ccfs.ErrAuth.Code()},
		{name: "signed too long ago", r: req{path: path, body: ok, signedAt: t0.Add(-16 * time.Minute)}, status: 401, code: ccfs.ErrTimestamp.Code()},
		{name: "signed in the future", r: req{path: path, body: ok, signedAt: t0.Add(16*time.Minute + short)}, status: 401, code: ccfs.ErrTimestamp.Code()},
	}
}

// runSmallCases runs each case on a fresh handler over a seeded store,
// and checks its answer and what is left in the store.
func runSmallCases(t *testing.T, cases []smallCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, nil)
			seed(t, e.mem)
			resp := e.send(c.r)
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			code := "0" // a download's file
			if resp.Header.Get("Content-Type") == "application/json;charset=UTF-8" {
				var out ccfs.Response
				if err := json.Unmarshal(raw, &out); err != nil {
					t.Fatalf("answer %q: %v", raw, err)
				}
				code = out.ResultCode
			}
			if resp.StatusCode != c.status || code != c.code {
				t.Fatalf("got %d %s %q; want %d %s", resp.StatusCode, code, clipBytes(raw), c.status, c.code)
			}
			for _, n := range seeded {
				_, ok := e.mem.Get(n)
				if want := !slices.Contains(c.gone, n); ok != want {
					t.Errorf("%s: there %v, want %v", n, ok, want)
				}
			}
		})
	}
}

func clipBytes(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}

// newDirStore returns a store.Dir in a new temporary directory, closed when
// the test ends, and that directory.
func newDirStore(t testing.TB) (*store.Dir, string) {
	t.Helper()
	root := t.TempDir()
	return dirStoreIn(t, root), root
}

// dirStoreIn returns a store.Dir in dir, closed when the test ends.
func dirStoreIn(t testing.TB, dir string) *store.Dir {
	t.Helper()
	d, err := store.NewDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// dial opens a connection to srv, over TLS if it is the TLS one, with a
// 30 s deadline, and returns it with srv's host.
func dial(t *testing.T, srv *httptest.Server) (net.Conn, string) {
	t.Helper()
	u, _ := url.Parse(srv.URL)
	var (
		conn net.Conn
		err  error
	)
	if u.Scheme == "https" {
		conn, err = tls.Dial("tcp", u.Host, &tls.Config{InsecureSkipVerify: true})
	} else {
		conn, err = net.Dial("tcp", u.Host)
	}
	if err != nil {
		t.Fatal(err)
	}
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	return conn, u.Host
}

// waitFor waits up to 5 s for ok to hold, and fails the test, saying what
// it waited for, if it does not.
func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	waitUntil(t, 5*time.Second, what, ok)
}

// waitUntil is waitFor with a wait of d.
func waitUntil(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(d); !ok(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// signedRaw returns a correctly signed request in wire form, for cases
// that then break what an http.Client would not let them break.
func signedRaw(e *env, b []byte) []byte {
	hr := e.request(req{body: b})
	var w bytes.Buffer
	hr.Write(&w)
	return w.Bytes()
}

// sendRaw writes raw to the server, half-closes, and reads the response.
func sendRaw(t *testing.T, e *env, raw []byte) (int, ccfs.Response) {
	t.Helper()
	conn, _ := dial(t, e.srv)
	defer conn.Close()
	conn.Write(raw)
	conn.(*net.TCPConn).CloseWrite()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the response: %v", err)
	}
	defer resp.Body.Close()
	var out ccfs.Response
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("response body: %v", err)
	}
	return resp.StatusCode, out
}

func authz(edit func(string) string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", edit(r.Header.Get("Authorization"))) }
}

// filesUnder lists every non-directory under root.
func filesUnder(t *testing.T, root string) []string {
	return walkUnder(t, root, false)
}

// treeUnder lists every file and directory under root.
func treeUnder(t *testing.T, root string) []string {
	return walkUnder(t, root, true)
}

func decodeJSON(r io.Reader, v any) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// forgedRequest is a request from a stranger: a well-formed Authorization
// header for ak with a made-up signature, and a tiny body.
func forgedRequest(ak string, at time.Time) *http.Request {
	b := body("UklGRg==")
	r := httptest.NewRequest("POST", ccfs.UploadPath+"?vdnId=53", bytes.NewReader(b))
	r.Header.Set("Content-Type", "application/json;charset=UTF-8")
	r.Header.Set("Authorization", "auth-v2/"+ak+"/"+at.UTC().Format(auth.TimestampFormat)+"/content-length;content-type;host/"+strings.Repeat("ab", 32))
	r.Header.Set("Content-Length", strconv.Itoa(len(b)))
	return r
}

func heapInUse() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// expectStallCutOff sends all of an upload but its last 500 bytes to e's
// server over a real connection, and then nothing: the answer must be
// 0300020 within 3 s.
func expectStallCutOff(t *testing.T, e *env, what string) {
	t.Helper()
	raw := signedRaw(e, body(b64(validWAV)))
	conn, _ := dial(t, e.srv)
	defer conn.Close()
	start := time.Now()
	conn.Write(raw[:len(raw)-500]) // and then nothing
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	var out ccfs.Response
	decodeJSON(resp.Body, &out)
	if out.ResultCode != ccfs.ErrSlowBody.Code() || time.Since(start) > 3*time.Second {
		t.Fatalf("%s: %+v after %v, want 0300020 within 3 s", what, out, time.Since(start))
	}
}

// walkUnder lists what is under root, relative to it, directories too if
// dirs.
func walkUnder(t *testing.T, root string, dirs bool) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != root && (dirs || !d.IsDir()) {
			out = append(out, p[len(root):])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
