package ccfs_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/store"
)

// embedsStore is the usual wrapper gone wrong: it embeds only
// store.Store, so its Remove and Open are hidden.
type embedsStore struct{ store.Store }

// TestStoreWithoutRemoverOrOpenerIsSaid: a store that can neither remove
// nor open files turns deleteFile and downloadFile off with one WARN
// each, naming the store and what it lacks, and Interfaces says so;
// store.Wrap keeps every interface, without a WARN.
func TestStoreWithoutRemoverOrOpenerIsSaid(t *testing.T) {
	creds, _ := auth.NewStatic(auth.Key{AccessKey: testAK, SecretKey: testSK, VDNs: []int{53}})
	newHandler := func(s store.Store) (*ccfs.Handler, string) {
		t.Helper()
		var logs bytes.Buffer
		h, err := ccfs.NewHandler(ccfs.Options{Credentials: creds, Store: s, Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
		if err != nil {
			t.Fatal(err)
		}
		return h, logs.String()
	}

	h, logs := newHandler(embedsStore{store.NewMemory()})
	if got := h.Interfaces(); !slices.Equal(got, []string{ccfs.InterfaceUpload}) {
		t.Errorf("Interfaces() = %q, want upload alone", got)
	}
	for _, want := range []string{
		"deleteFile is not served: the store (ccfs_test.embedsStore) has no Remove method (store.Remover)",
		"downloadFile is not served: the store (ccfs_test.embedsStore) has no Open method (store.Opener)",
	} {
		if n := strings.Count(logs, `"level":"WARN","msg":"`+want+`"`); n != 1 {
			t.Errorf("%d WARN lines %q in:\n%s", n, want, logs)
		}
	}
	if n := strings.Count(logs, "\n"); n != 2 {
		t.Errorf("%d log lines, want the 2 WARN:\n%s", n, logs)
	}
	for _, path := range []string{ccfs.DeletePath, ccfs.DownloadPath} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("POST", path, strings.NewReader("{}")))
		if w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), `"resultCode":"`+ccfs.ErrNotFound.Code()+`"`) {
			t.Errorf("%s: %d %s, want 404 and %s", path, w.Code, w.Body, ccfs.ErrNotFound.Code())
		}
	}

	d, _ := newDirStore(t)
	h, logs = newHandler(store.Wrap(d, nil))
	if got, want := h.Interfaces(), []string{ccfs.InterfaceUpload, ccfs.InterfaceDelete, ccfs.InterfaceDownload}; !slices.Equal(got, want) {
		t.Errorf("over store.Wrap: Interfaces() = %q, want %q", got, want)
	}
	if logs != "" {
		t.Errorf("over store.Wrap, NewHandler logged:\n%s", logs)
	}
	// Interfaces is the Handler's to keep: a caller cannot change it.
	h.Interfaces()[0] = "changed"
	if h.Interfaces()[0] != ccfs.InterfaceUpload {
		t.Error("Interfaces returns the Handler's own slice")
	}
}

// hidesWriter is middleware whose ResponseWriter hides the connection:
// no Unwrap, so http.ResponseController can set no deadline through it.
type hidesWriter struct{ http.ResponseWriter }

// TestResponseWriterWithoutDeadlinesIsSaid: behind middleware whose
// ResponseWriter cannot set deadlines the handler says, once, that a
// stalled body is no longer cut off; behind middleware with Unwrap it
// says nothing, and a stalled body is still cut off.
func TestResponseWriterWithoutDeadlinesIsSaid(t *testing.T) {
	const warn = `"level":"WARN","msg":"the ResponseWriter (ccfs_test.hidesWriter) cannot set read or write deadlines: a stalled request body or download is no longer cut off`
	e := newEnv(t, nil)
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.h.ServeHTTP(hidesWriter{w}, r)
	}))
	t.Cleanup(e.srv.Close)
	for range 2 {
		if status, resp, _ := e.do(req{body: body(b64(validWAV))}); resp.ResultCode != "0" {
			t.Fatalf("%d %+v", status, resp)
		}
	}
	if n := strings.Count(e.logs.String(), warn); n != 1 {
		t.Fatalf("%d WARN lines after 2 uploads, want 1:\n%s", n, e.logs.String())
	}

	e = newEnv(t, func(o *ccfs.Options) { o.MinBodyRate, o.BodyRateGrace = 1<<20, 300*time.Millisecond })
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.h.ServeHTTP(&statusRecorder{ResponseWriter: w}, r) // the middleware mounting.md shows, with Unwrap
	}))
	t.Cleanup(e.srv.Close)
	if status, resp, _ := e.do(req{body: body(b64(validWAV))}); resp.ResultCode != "0" {
		t.Fatalf("%d %+v", status, resp)
	}
	expectStallCutOff(t, e, "a stalled body behind middleware with Unwrap")
	if strings.Contains(e.logs.String(), "cannot set read or write deadlines") {
		t.Fatalf("behind middleware with Unwrap:\n%s", e.logs.String())
	}
}

// TestOnRequestDelaysTheAnswer holds Options.OnRequest's documentation to
// the truth: it runs before the answer reaches the client, so a slow one
// delays every chatbot.
func TestOnRequestDelaysTheAnswer(t *testing.T) {
	const slow = 300 * time.Millisecond
	e := newEnv(t, func(o *ccfs.Options) { o.OnRequest = func(ccfs.Event) { time.Sleep(slow) } })
	start := time.Now()
	if status, resp, _ := e.do(req{body: body(b64(validWAV))}); resp.ResultCode != "0" {
		t.Fatalf("%d %+v", status, resp)
	}
	if took := time.Since(start); took < slow {
		t.Fatalf("the answer came after %v, before OnRequest's %v ended: its documentation is wrong", took, slow)
	}
}
