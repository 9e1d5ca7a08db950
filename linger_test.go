package ccfs_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/internal/testkit/refclient"
	"github.com/ccfs-go/ccfs/internal/wavfile"
	"github.com/ccfs-go/ccfs/store"
)

// lingerServer is a handler on the system clock served over plain HTTP
// and TLS.
type lingerServer struct {
	h          *ccfs.Handler
	plain, tls *httptest.Server
}

func newLingerServer(t *testing.T, edit func(*ccfs.Options)) *lingerServer {
	keys, _ := auth.NewStatic(auth.Key{AccessKey: testAK, SecretKey: testSK, VDNs: []int{53}})
	opts := ccfs.Options{Credentials: keys, Store: store.NewMemory(), Logger: slog.New(slog.DiscardHandler)}
	if edit != nil {
		edit(&opts)
	}
	h, err := ccfs.NewHandler(opts)
	if err != nil {
		t.Fatal(err)
	}
	s := &lingerServer{h: h, plain: httptest.NewServer(h), tls: httptest.NewTLSServer(h)}
	t.Cleanup(s.plain.Close)
	t.Cleanup(s.tls.Close)
	return s
}

// earlyRequest is a request the handler refuses before it reads the body.
type earlyRequest struct {
	name   string
	method string
	path   string
	query  string
	ctype  string
	ak     string        // the key it signs with
	at     time.Duration // its signing time, from now
	authz  string        // an Authorization header instead of a signature
	expect string
}

func (er earlyRequest) wire(host string, body []byte) []byte {
	r := refclient.Request{Method: er.method, Path: er.path, Query: er.query, Body: body,
		Headers: [][2]string{{"Host", host}, {"Content-Type", er.ctype}}}
	if er.expect != "" {
		r.Headers = append(r.Headers, [2]string{"Expect", er.expect})
	}
	authz := er.authz
	if authz == "" {
		authz, _ = refclient.Sign(er.ak, testSK, time.Now().Add(er.at), r, refclient.Page)
	}
	return r.Wire(refclient.Page, authz)
}

// sendAll writes the whole request, then reads the answer's code.
func sendAll(t *testing.T, srv *httptest.Server, er earlyRequest, body []byte) (int, string, error) {
	return sendWire(t, srv, er.wire(srv.Listener.Addr().String(), body))
}

// sendWire writes wire, a whole request, then reads the answer's code.
func sendWire(t *testing.T, srv *httptest.Server, wire []byte) (int, string, error) {
	conn, _ := dial(t, srv)
	defer conn.Close()
	resp, raw, err := refclient.Send(conn, wire)
	if err != nil {
		return 0, "", err
	}
	var out ccfs.Response
	if err := json.Unmarshal(raw, &out); err != nil {
		return resp.StatusCode, "", fmt.Errorf("%w: %q", err, raw)
	}
	return resp.StatusCode, out.ResultCode, nil
}

func upload(name string) earlyRequest {
	return earlyRequest{name: name, method: "POST", path: ccfs.UploadPath, query: "vdnId=53", ctype: "application/json;charset=UTF-8", ak: testAK}
}

// Every refusal made before the body reaches a client that writes its
// whole request before it reads, whatever the body's size, over plain
// HTTP and TLS, every time. 1 KB and 300 KB (past the 256 KB Go's server
// reads on its own before it closes) fit in loopback's buffers; 6 MB does
// not, so the drain goes on over many reads while the client still
// writes: with the drain turned off, every 6 MB case fails on its first
// try. Small bodies are cheap, so they are tried several times over, where
// a race between the answer and the close would show; 6 MB twice. At most
// a few requests are in flight at a time, so each is answered well inside
// its connection's deadline however busy the machine is.
func TestEarlyRefusalsReachWriteAllClients(t *testing.T) {
	const (
		triesSmall = 6
		triesLarge = 2
		inFlight   = 4
	)
	sizes := []int{1 << 10, 300 << 10, 6 << 20}
	if testing.Short() {
		sizes = sizes[:2]
	}
	window, ctype, method, path := upload("the window"), upload("the content type"), upload("the method"), upload("the path")
	window.at = -time.Hour
	ctype.ctype = "text/plain"
	method.method = "PUT"
	path.path = ccfs.InterfacePrefix + "renameFile"

	plain := newLingerServer(t, nil)
	// A key whose rate is spent: its only token went to a genuine upload.
	limited := newLingerServer(t, func(o *ccfs.Options) { o.RatePerKey, o.Burst = rate.Every(time.Hour), 1 })
	if _, err := (&ccfs.Client{BaseURL: limited.plain.URL, AccessKey: testAK, SecretKey: testSK}).Upload(context.Background(), 53, validWAV); err != nil {
		t.Fatal(err)
	}
	// Every slot held by an upload whose body has not come yet.
	busy := newLingerServer(t, func(o *ccfs.Options) { o.MaxInFlight, o.MinBodyRate = 1, -1 })
	for _, srv := range []*httptest.Server{busy.plain, busy.tls} {
		conn, host := dial(t, srv)
		defer conn.Close()
		w := upload("").wire(host, make([]byte, 1000))
		conn.Write(w[:len(w)-500])
	}
	waitFor(t, "the busy server's slot taken", func() bool { return busy.h.InFlight() == 1 })
	// A file over the limit (4 MB: a body of at most about 5.8 MB).
	small := newLingerServer(t, func(o *ccfs.Options) { o.MaxFileMB = 4 })

	cases := []struct {
		er    earlyRequest
		srv   *lingerServer
		sizes []int
		code  string
	}{
		{window, plain, sizes, ccfs.ErrTimestamp.Code()},
		{ctype, plain, sizes, ccfs.ErrFormat.Code()},
		{method, plain, sizes, ccfs.ErrMethod.Code()},
		{path, plain, sizes, ccfs.ErrNotFound.Code()},
		{upload("the rate"), limited, sizes, ccfs.ErrRateLimited.Code()},
		{upload("busy"), busy, sizes, ccfs.ErrBusy.Code()},
		{upload("the size"), small, sizes[len(sizes)-1:], ccfs.ErrTooLong.Code()}, // only a large body can be too long
	}
	bodies := map[int][]byte{}
	for _, size := range sizes {
		bodies[size] = bytes.Repeat([]byte("x"), size)
	}
	slots := make(chan struct{}, inFlight)
	var wg sync.WaitGroup
	sent := 0
	for _, c := range cases {
		for _, size := range c.sizes {
			tries := triesSmall
			if size > 1<<20 {
				tries = triesLarge
			}
			for _, srv := range []*httptest.Server{c.srv.plain, c.srv.tls} {
				// Every try sends the same bytes: each is refused before
				// its signature could be checked, and signing 6 MB under
				// the race detector takes seconds.
				wire := c.er.wire(srv.Listener.Addr().String(), bodies[size])
				for i := range tries {
					sent++
					wg.Go(func() {
						slots <- struct{}{}
						defer func() { <-slots }()
						status, code, err := sendWire(t, srv, wire)
						if err != nil || code != c.code {
							t.Errorf("%s, %d bytes, %s, try %d: %d %q %v; want %s", c.er.name, size, srv.URL[:5], i, status, code, err, c.code)
						}
					})
				}
			}
		}
	}
	wg.Wait()
	t.Logf("%d requests refused before their bodies, each heard by its client", sent)
	if busy.h.InFlight() != 1 || plain.h.InFlight() != 0 {
		t.Fatalf("draining took slots: busy %d, plain %d", busy.h.InFlight(), plain.h.InFlight())
	}
}

// While a refused request's body is drained it holds a draining slot, not
// a request slot; a made-up key is cut off at once; the drain is held to
// the minimum rate; past MaxDraining, refusals are closed at once.
func TestDrainingIsBounded(t *testing.T) {
	s := newLingerServer(t, func(o *ccfs.Options) { o.MaxDraining, o.BodyRateGrace = 1, 500*time.Millisecond })
	late := upload("the window")
	late.at = -time.Hour
	conn, host := dial(t, s.plain)
	defer conn.Close()
	w := late.wire(host, make([]byte, 1<<20))
	conn.Write(w[:len(w)-(1<<20)+100]) // the headers and 100 bytes of the body, then nothing
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil || !resp.Close {
		t.Fatalf("answer before the body: %v %v", resp, err)
	}
	waitFor(t, "the body to drain", func() bool { return s.h.Draining() == 1 })
	if s.h.InFlight() != 0 {
		t.Fatalf("a draining request holds %d request slots", s.h.InFlight())
	}
	// The draining slot is taken: another refusal is closed at once.
	start := time.Now()
	status, code, err := sendAll(t, s.plain, late, make([]byte, 1000))
	if err != nil || code != ccfs.ErrTimestamp.Code() || s.h.Draining() != 1 {
		t.Fatalf("a small refusal while the slot is taken: %d %s %v", status, code, err)
	}
	// The stalled body falls below the minimum rate after the grace: its
	// drain ends, and the connection is closed.
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.Copy(io.Discard, conn); err != nil {
		t.Fatalf("the stalled drain's connection: %v", err)
	}
	// Its reads are due within the grace and their own bytes' time (2.5 s
	// here); with no rate it would last as long as the client stays.
	if d := time.Since(start); d > 8*time.Second {
		t.Fatalf("a stalled drain lasted %v", d)
	}
	waitFor(t, "the draining slot to free", func() bool { return s.h.Draining() == 0 })

	// A made-up key is cut off: its body is not drained.
	madeUp := upload("a made-up key")
	madeUp.ak = "no-such-key"
	conn2, _ := dial(t, s.plain)
	defer conn2.Close()
	w = madeUp.wire(host, make([]byte, 1<<20))
	conn2.Write(w[:len(w)-(1<<20)+100])
	resp, err = http.ReadResponse(bufio.NewReader(conn2), nil)
	if err != nil || resp.StatusCode != 401 {
		t.Fatalf("made-up key: %v %v", resp, err)
	}
	time.Sleep(50 * time.Millisecond)
	if s.h.Draining() != 0 {
		t.Fatal("a made-up key's body is being drained")
	}
}

// trickler is a stranger that declares a large body (12 MB: a drain reads
// up to twice the largest body) and sends it at a trickle, 20 KiB a second (above the minimum body rate), to hold a
// draining slot for as long as it can.
func trickler(t *testing.T, srv *httptest.Server, authorization string, stop <-chan struct{}) (answered <-chan error) {
	t.Helper()
	conn, host := dial(t, srv)
	t.Cleanup(func() { conn.Close() })
	head := fmt.Sprintf("POST %srenameFile HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n", ccfs.InterfacePrefix, host, 12<<20)
	if authorization != "" {
		head += "Authorization: " + authorization + "\r\n"
	}
	chunk := make([]byte, 20<<10)
	if _, err := conn.Write(append([]byte(head+"\r\n"), chunk...)); err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			select {
			case <-stop:
				conn.Close()
				return
			case <-time.After(time.Second):
				if _, err := conn.Write(chunk); err != nil {
					return
				}
			}
		}
	}()
	done := make(chan error, 1)
	go func() {
		_, err := http.ReadResponse(bufio.NewReader(conn), nil)
		done <- err
	}()
	return done
}

// Draining is for clients that may be genuine. Sixty-four strangers
// trickling 12 MB bodies to a wrong path, with no Authorization header or
// a malformed one, are answered and cut off: they hold no draining slot.
// Sixty-four that claim one key's name hold that key's share (a quarter),
// not another key's. Either way a write-all client of another key,
// refused for its clock, hears every one of its answers.
func TestStrangersCannotTakeTheDrain(t *testing.T) {
	s := newLingerServer(t, func(o *ccfs.Options) {
		o.Credentials, _ = auth.NewStatic(auth.Key{AccessKey: testAK, SecretKey: testSK, VDNs: []int{53}},
			auth.Key{AccessKey: "genuine", SecretKey: testSK, VDNs: []int{54}})
	})
	genuine := earlyRequest{name: "refused for its clock", method: "POST", path: ccfs.UploadPath, query: "vdnId=54",
		ctype: "application/json;charset=UTF-8", ak: "genuine", at: -time.Hour}
	wire := genuine.wire(s.plain.Listener.Addr().String(), make([]byte, 6<<20))
	claimed := fmt.Sprintf("auth-v2/%s/2026-11-23T19:00:00Z/host/%064x", testAK, 0)
	for _, phase := range []struct {
		name         string
		authz        func(i int) string
		mostDraining int
	}{
		{"no Authorization, or a malformed one", func(i int) string {
			return []string{"", "Basic Y2hhdGJvdDpzZWNyZXQ=", "auth-v2/" + testAK}[i%3]
		}, 0},
		{"one key's name claimed", func(int) string { return claimed }, ccfs.DefaultMaxDraining / 4},
	} {
		stop := make(chan struct{})
		var answers []<-chan error
		for i := range ccfs.DefaultMaxDraining {
			answers = append(answers, trickler(t, s.plain, phase.authz(i), stop))
		}
		for i, a := range answers {
			select {
			case err := <-a:
				if err != nil {
					t.Fatalf("%s: stranger %d heard no answer: %v", phase.name, i, err)
				}
			case <-time.After(20 * time.Second):
				t.Fatalf("%s: stranger %d not answered in 20 s", phase.name, i)
			}
		}
		if n := s.h.Draining(); n != phase.mostDraining {
			t.Errorf("%s: %d strangers draining, want %d", phase.name, n, phase.mostDraining)
		}
		heard := 0
		for range 4 {
			if _, code, err := sendWire(t, s.plain, wire); err == nil && code == ccfs.ErrTimestamp.Code() {
				heard++
			} else {
				t.Logf("%s: the genuine client: %q %v", phase.name, code, err)
			}
		}
		if heard != 4 {
			t.Errorf("%s: the genuine client heard %d of its 4 answers", phase.name, heard)
		}
		close(stop)
		waitFor(t, "the strangers' drains to end", func() bool { return s.h.Draining() == 0 })
	}
}

// A client that asks to be told before it sends its body (Expect:
// 100-continue) gets the refusal without sending a byte of it.
func TestExpectContinueIsAnsweredBeforeTheBody(t *testing.T) {
	s := newLingerServer(t, nil)
	for _, srv := range []*httptest.Server{s.plain, s.tls} {
		late := upload("the window")
		late.at, late.expect = -time.Hour, "100-continue"
		conn, host := dial(t, srv)
		w := late.wire(host, make([]byte, 6<<20))
		conn.Write(w[:len(w)-(6<<20)]) // the headers only
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil || resp.StatusCode != 401 {
			t.Fatalf("%s: %v %v", srv.URL, resp, err)
		}
		var out ccfs.Response
		json.NewDecoder(resp.Body).Decode(&out)
		if out.ResultCode != ccfs.ErrTimestamp.Code() || s.h.Draining() != 0 {
			t.Fatalf("%s: %+v, draining %d", srv.URL, out, s.h.Draining())
		}
		conn.Close()
	}
}

// The Go Client reports an early refusal of a large upload by its code.
func TestClientHearsEarlyRefusal(t *testing.T) {
	s := newLingerServer(t, func(o *ccfs.Options) { o.RatePerKey, o.Burst = rate.Every(time.Hour), 1 })
	c := &ccfs.Client{BaseURL: s.tls.URL, AccessKey: testAK, SecretKey: testSK, HTTPClient: s.tls.Client(), Retries: -1}
	if _, err := c.Upload(context.Background(), 53, validWAV); err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat(validWAV, 40)
	if _, err := c.Upload(context.Background(), 53, big); !errors.Is(err, ccfs.ErrRateLimited) {
		t.Fatalf("rate spent: %v", err)
	}
	if !strings.Contains(fmt.Sprint(ccfs.ErrRateLimited), ccfs.ErrRateLimited.Code()) {
		t.Fatal()
	}
}

// midwayFailure reads part of a file, then fails, as an object store that
// goes away mid-upload does.
type midwayFailure struct{ after int64 }

func (f midwayFailure) Put(_ context.Context, _ string, r io.Reader, _ int64) ([]string, error) {
	if _, err := io.CopyN(io.Discard, r, f.after); err != nil {
		return nil, err
	}
	return nil, errors.New("the bucket went away")
}

// A store that fails in the middle of an upload is answered 0300016 to a
// client that writes its whole request before it reads: the rest of the
// body is read through the signature check first.
func TestStoreFailureReachesWriteAllClients(t *testing.T) {
	s := newLingerServer(t, func(o *ccfs.Options) { o.Store = midwayFailure{after: 1 << 20} })
	wav := wavfile.File(wavfile.ALaw8k, 4<<20) // about 5.6 MB of body
	body := []byte(`{"request":{"version":"2.0"},"msgBody":{"data":"` + base64.StdEncoding.EncodeToString(wav) + `"}}`)
	for _, srv := range []*httptest.Server{s.plain, s.tls} {
		for i := range 5 {
			status, code, err := sendAll(t, srv, upload("a store failure"), body)
			if err != nil || code != ccfs.ErrStorage.Code() {
				t.Fatalf("%s, try %d: %d %q %v", srv.URL, i, status, code, err)
			}
		}
	}
}
