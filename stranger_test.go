package ccfs_test

// The tests in this file play a caller without a secret: what can it cost
// the server, and what can it leave behind? Each is named after the finding
// of the hardening issue it closes.

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/store"
)

// countingWriter counts what a logger writes and keeps the longest line.
type countingWriter struct {
	mu      sync.Mutex
	n       int
	longest int
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n += len(p)
	c.longest = max(c.longest, len(p))
	return len(p), nil
}

// TestForgedKeysLeaveNoState (finding 1): 30,000 forged requests, each
// claiming a different 4 KB access key, leave the heap within a small
// fixed bound, log a bounded line each, and are never echoed unclipped.
func TestForgedKeysLeaveNoState(t *testing.T) {
	creds, _ := auth.NewStatic(auth.Key{AccessKey: testAK, SecretKey: testSK, VDNs: []int{53}})
	logs := &countingWriter{}
	h, err := ccfs.NewHandler(ccfs.Options{
		Credentials: creds, Store: store.NewMemory(), Now: func() time.Time { return t0 },
		Logger: slog.New(slog.NewJSONHandler(logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	pad := strings.Repeat("k", 3900) // the Authorization header stays under its 4096-byte limit
	send := func(i int) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, forgedRequest(fmt.Sprintf("%s%08d", pad, i), t0))
		return w
	}
	for i := range 1000 { // warm up pools and maps
		send(i)
	}
	before := heapInUse()
	const n = 30_000
	for i := range n {
		w := send(1000 + i)
		if w.Code != http.StatusUnauthorized {
			t.Fatalf("forged request %d: HTTP %d %s", i, w.Code, w.Body.String())
		}
		if w.Body.Len() > 512 {
			t.Fatalf("forged request %d: a %d-byte answer echoes the claim: %.200s…", i, w.Body.Len(), w.Body.String())
		}
	}
	after := heapInUse()
	runtime.KeepAlive(h) // the handler's state is what is measured
	grew := int64(after) - int64(before)
	t.Logf("%d forged requests: heap %d → %d bytes (%+d), %d bytes of log, longest line %d", n, before, after, grew, logs.n, logs.longest)
	if grew > 1<<20 {
		t.Errorf("the heap grew by %d bytes after %d forged requests; want under 1 MiB", grew, n)
	}
	if logs.longest > 1024 {
		t.Errorf("a log line of %d bytes for one forged request; want the claimed key clipped", logs.longest)
	}
}

// TestForgedRequestsCannotLockOutAKey (finding 2): requests that name a
// real access key but cannot sign neither drain its rate limit nor get
// anything but 401.
func TestForgedRequestsCannotLockOutAKey(t *testing.T) {
	e := newEnv(t, func(o *ccfs.Options) { o.RatePerKey, o.Burst = rate.Every(time.Hour), 2 })
	for i := range 10 {
		status, resp, _ := e.do(req{body: body(b64(validWAV)), ak: testAK, sk: "not the secret"})
		if status != 401 || resp.ResultCode != ccfs.ErrAuth.Code() {
			t.Fatalf("forged request %d: %d %+v", i+1, status, resp)
		}
		if e.event.KeyVerified || e.event.AccessKey != testAK {
			t.Fatalf("forged request %d: event %+v, want the claimed key, not verified", i+1, e.event)
		}
	}
	for i, want := range []string{"0", "0", ccfs.ErrRateLimited.Code()} {
		if _, resp, _ := e.do(req{body: body(b64(validWAV))}); resp.ResultCode != want {
			t.Fatalf("genuine upload %d after the forgeries: %+v, want %s", i+1, resp, want)
		}
		if want == "0" && !e.event.KeyVerified {
			t.Fatalf("genuine upload %d: event %+v, want KeyVerified", i+1, e.event)
		}
	}
}

// stall opens a connection and sends the headers of an upload that claims
// a Content-Length of n, then a few body bytes, then nothing.
func stall(t *testing.T, addr string, authorization string, n int) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(c, "POST %s?vdnId=53 HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json;charset=UTF-8\r\nContent-Length: %d\r\nAuthorization: %s\r\n\r\n{\"request\":",
		ccfs.UploadPath, addr, n, authorization)
	return c
}

// TestStrangersCannotHoldSlots (finding 3): connections that claim made-up
// keys and then stall hold no in-flight slot, and neither do stalled
// connections that claim one real key: a genuine upload from another key
// still goes through.
func TestStrangersCannotHoldSlots(t *testing.T) {
	for _, claim := range []string{"made-up", "known"} {
		t.Run(claim, func(t *testing.T) {
			e := newEnv(t, nil)
			addr := e.srv.Listener.Addr().String()
			for i := range ccfs.DefaultMaxInFlight {
				ak := fmt.Sprintf("stranger-%d", i)
				if claim == "known" {
					ak = testAK
				}
				a := "auth-v2/" + ak + "/" + e.clock().UTC().Format(auth.TimestampFormat) + "/content-length;content-type;host/" + strings.Repeat("0", 64)
				c := stall(t, addr, a, 1_000_000)
				defer c.Close()
			}
			time.Sleep(200 * time.Millisecond) // let the server take them all in
			_, resp, _ := e.do(req{ak: "other", sk: "sk-other", query: "vdnId=99", body: body(b64(validWAV))})
			if resp.ResultCode != "0" {
				t.Fatalf("a genuine upload while %d strangers stall: %+v", ccfs.DefaultMaxInFlight, resp)
			}
		})
	}
}

// TestForgedRequestLeavesNoDirectory (finding 4): a forged request whose
// body is a valid upload creates nothing on disk: no VDN directory, owned
// or not.
func TestForgedRequestLeavesNoDirectory(t *testing.T) {
	e := newEnv(t, nil)
	d, root := newDirStore(t)
	e.st = d
	before := strings.Join(treeUnder(t, root), " ")
	for _, vdn := range []string{"53", "54", "99", "12345", "2147483647"} {
		status, resp, _ := e.do(req{query: "vdnId=" + vdn, body: body(b64(validWAV)), ak: testAK, sk: "not the secret"})
		if status != 401 {
			t.Fatalf("vdnId %s: %d %+v", vdn, status, resp)
		}
	}
	if after := strings.Join(treeUnder(t, root), " "); after != before {
		t.Fatalf("forged requests changed the store's tree:\nbefore %s\nafter  %s", before, after)
	}
}

// TestReplayAfterTheWindow (finding 5): one captured request, sent three
// times at once so that every copy's headers arrive inside its signing
// window and every body ends after it, is refused every time, and nothing
// is stored.
func TestReplayAfterTheWindow(t *testing.T) {
	e := newEnv(t, func(o *ccfs.Options) { o.Window = 5 * time.Second })
	const copies = 3
	started := make(chan struct{}, copies)
	e.onPut = func() { started <- struct{}{} }
	raw := signedRaw(e, body(b64(validWAV)))
	head, rest := raw[:len(raw)-200], raw[len(raw)-200:]
	var conns []net.Conn
	for range copies {
		conn, _ := dial(t, e.srv)
		defer conn.Close()
		conn.Write(head)
		conns = append(conns, conn)
	}
	for range copies {
		select {
		case <-started: // the headers were accepted and the body is streaming
		case <-time.After(5 * time.Second):
			t.Fatal("the uploads did not all start")
		}
	}
	e.advance(10 * time.Second) // past the window before the bodies end
	for i, conn := range conns {
		conn.Write(rest)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		var out ccfs.Response
		decodeJSON(resp.Body, &out)
		if resp.StatusCode != 401 || out.ResultCode != ccfs.ErrTimestamp.Code() {
			t.Errorf("copy %d, its body ended after its window: %d %+v, want 401 0300011", i+1, resp.StatusCode, out)
		}
	}
	if names := e.mem.Names(); len(names) != 0 {
		t.Fatalf("stored %v", names)
	}
}

// fussyReplay is a replay cache that, like a network one, takes a while and
// gives up when its context ends.
type fussyReplay struct{ mem *auth.MemoryReplay }

func (f fussyReplay) Add(ctx context.Context, e auth.ReplayEntry) error {
	select {
	case <-time.After(100 * time.Millisecond):
	case <-ctx.Done():
		return fmt.Errorf("%w: %v", auth.ErrReplayUnavailable, ctx.Err())
	}
	return f.mem.Add(ctx, e)
}

// TestReplayCheckSurvivesHalfClose (finding 6): a client that half-closes
// its connection right after its last byte, as many do, is not refused
// because the replay check outlived the request's context.
func TestReplayCheckSurvivesHalfClose(t *testing.T) {
	e := newEnv(t, func(o *ccfs.Options) {
		o.Replay = fussyReplay{auth.NewMemoryReplay(auth.MemoryReplayOptions{Now: o.Now})}
	})
	for i := range 3 {
		status, resp := sendRaw(t, e, signedRaw(e, body(b64(validWAV))))
		if status != 200 || resp.ResultCode != "0" {
			t.Fatalf("upload %d from a half-closing client: %d %+v", i+1, status, resp)
		}
	}
	if n := len(e.mem.Names()); n != 3 {
		t.Fatalf("%d files stored, want 3", n)
	}
}

// TestOneKeyCannotFillTheReplayCache (finding 7): one key with no rate
// limit, signing in the future so that its entries live longest, cannot
// fill the in-memory replay cache for every other key.
func TestOneKeyCannotFillTheReplayCache(t *testing.T) {
	var replay *auth.MemoryReplay
	e := newEnv(t, func(o *ccfs.Options) {
		o.RatePerKey = rate.Inf
		replay = auth.NewMemoryReplay(auth.MemoryReplayOptions{Capacity: 40, Now: o.Now})
		o.Replay = replay
	})
	var refused atomic.Int32
	for i := range 40 {
		_, resp, _ := e.do(req{body: body(b64(validWAV)), signedAt: t0.Add(14*time.Minute + time.Duration(i)*time.Millisecond)})
		if resp.ResultCode != "0" {
			refused.Add(1)
		}
	}
	_, resp, _ := e.do(req{ak: "other", sk: "sk-other", query: "vdnId=99", body: body(b64(validWAV))})
	if resp.ResultCode != "0" {
		t.Fatalf("another key, after one key's %d future-dated uploads (%d refused): %+v", 40, refused.Load(), resp)
	}
}
