package ccfs_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/internal/wavfile"
)

// cuttingProxy forwards HTTP/1.1 connections to a server, and cuts a
// connection instead of forwarding an answer while drop is above zero
// (one answer dropped per count): the server did the work, the client
// never hears of it.
type cuttingProxy struct {
	ln       net.Listener
	backend  string
	drop     atomic.Int32
	conns    atomic.Int32 // client connections accepted
	requests atomic.Int32 // requests forwarded
	wg       sync.WaitGroup
	mu       sync.Mutex
	open     []net.Conn // closed when the test ends
}

func newCuttingProxy(t *testing.T, backend string) *cuttingProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(backend)
	p := &cuttingProxy{ln: ln, backend: u.Host}
	p.wg.Go(p.serve)
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		for _, c := range p.open {
			c.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	return p
}

func (p *cuttingProxy) URL() string { return "http://" + p.ln.Addr().String() }

func (p *cuttingProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.conns.Add(1)
		p.wg.Go(func() { p.relay(c) })
	}
}

func (p *cuttingProxy) relay(c net.Conn) {
	defer c.Close()
	b, err := net.Dial("tcp", p.backend)
	if err != nil {
		return
	}
	defer b.Close()
	p.mu.Lock()
	p.open = append(p.open, c, b)
	p.mu.Unlock()
	go func() { // requests, as they are
		br := bufio.NewReader(c)
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				b.Close()
				return
			}
			p.requests.Add(1)
			if req.Write(b) != nil {
				return
			}
		}
	}()
	br := bufio.NewReader(b)
	for {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			return
		}
		if p.drop.Load() > 0 {
			p.drop.Add(-1)
			io.Copy(io.Discard, resp.Body) // the server answered: the file is stored
			c.(*net.TCPConn).SetLinger(0)  // a reset, not an answer
			return
		}
		if resp.Write(c) != nil {
			return
		}
	}
}

// The Go client's upload survives a connection cut after the server
// stored the file: it retries with the same Idempotency-Key, signed anew,
// and gets the first upload's name; the server holds one file. On a
// kept-alive connection too, where Go's transport would resend the
// request with its first signature (a replay) if the Client let it.
func TestClientUploadSurvivesALostAnswer(t *testing.T) {
	for _, warm := range []bool{false, true} {
		name := "fresh connection"
		if warm {
			name = "kept-alive connection"
		}
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, nil)
			p := newCuttingProxy(t, e.srv.URL)
			c := &ccfs.Client{BaseURL: p.URL(), AccessKey: testAK, SecretKey: testSK, Now: e.clock,
				HTTPClient: &http.Client{Transport: &http.Transport{}}}
			ctx := context.Background()
			before := 0
			if warm {
				if _, err := c.Upload(ctx, 53, wavfile.File(wavfile.ALaw8k, 100)); err != nil {
					t.Fatal(err)
				}
				before = 1
			}
			p.drop.Store(1)
			rd, err := c.Upload(ctx, 53, validWAV)
			if err != nil {
				t.Fatalf("upload with its first answer lost: %v", err)
			}
			names := e.mem.Names()
			if len(names) != before+1 || !slices.Contains(names, strings.TrimPrefix(rd.FileName, "Y:/")) {
				t.Fatalf("answered %s; stored %v, want %d files", rd.FileName, names, before+1)
			}
			if ev := e.waitEvent(t); !ev.IdempotencyReplayed || ev.FileName != rd.FileName {
				t.Fatalf("the retry's Event: %+v", ev)
			}
			if n := p.requests.Load(); n != int32(before+2) {
				t.Fatalf("%d requests reached the server, want %d", n, before+2)
			}
		})
	}
}

// A Client with NoIdempotencyKey sends no key and does not retry a lost
// answer; the Client's other requests are not retried on one either.
func TestClientNoIdempotencyKey(t *testing.T) {
	e := newEnv(t, nil)
	p := newCuttingProxy(t, e.srv.URL)
	c := &ccfs.Client{BaseURL: p.URL(), AccessKey: testAK, SecretKey: testSK, Now: e.clock,
		HTTPClient: &http.Client{Transport: &http.Transport{}}, NoIdempotencyKey: true}
	p.drop.Store(1)
	if _, err := c.Upload(context.Background(), 53, validWAV); err == nil {
		t.Fatal("a lost answer without a key: no error")
	}
	if p.requests.Load() != 1 || len(e.mem.Names()) != 1 {
		t.Fatalf("%d requests, %d files; want one each", p.requests.Load(), len(e.mem.Names()))
	}
	seed(t, e.mem)
	c.NoIdempotencyKey = false
	p.drop.Store(1)
	if err := c.Delete(context.Background(), "Y:/"+prompt53, ""); err == nil || errors.Is(err, ccfs.ErrNoSuchFile) {
		t.Fatalf("a delete's lost answer: %v, want the network error", err)
	}
	if p.requests.Load() != 2 {
		t.Fatalf("%d requests, want 2: a delete is not retried on a lost answer", p.requests.Load())
	}
}

// Each upload carries its own key, signed; the retries of one carry the
// same.
func TestClientSendsASignedKey(t *testing.T) {
	var mu sync.Mutex
	var keys, signed []string
	e := newEnv(t, nil)
	inner := e.srv.Config.Handler
	e.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		keys = append(keys, r.Header.Get(ccfs.HeaderIdempotencyKey))
		signed = append(signed, strings.Split(r.Header.Get("Authorization"), "/")[3])
		mu.Unlock()
		inner.ServeHTTP(w, r)
	})
	c := &ccfs.Client{BaseURL: e.srv.URL, AccessKey: testAK, SecretKey: testSK, Now: e.clock, HTTPClient: e.srv.Client()}
	for range 2 {
		if _, err := c.Upload(context.Background(), 53, validWAV); err != nil {
			t.Fatal(err)
		}
	}
	if len(keys) != 2 || len(keys[0]) != 26 || keys[0] == keys[1] {
		t.Fatalf("keys %q, want two different keys of 26 characters", keys)
	}
	for _, s := range signed {
		if !strings.Contains(s, "idempotency-key") {
			t.Fatalf("signed headers %q lack idempotency-key", s)
		}
	}
}
