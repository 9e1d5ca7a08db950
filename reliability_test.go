package ccfs_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/internal/wavfile"
	"github.com/ccfs-go/ccfs/store"
)

// soakDuration is how long TestIntegrityUnderLoad runs: a couple of
// seconds in go test, longer when CCFS_SOAK (a Go duration) says so.
func soakDuration(t *testing.T) time.Duration {
	if s := os.Getenv("CCFS_SOAK"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			t.Fatalf("CCFS_SOAK=%q: %v", s, err)
		}
		return d
	}
	return 2 * time.Second
}

// TestIntegrityUnderLoad runs concurrent clients over HTTPS against the
// handler on a store.Dir, mixing valid uploads, invalid ones, auth
// failures and disconnects. Afterwards every success names a file with the
// bytes that were sent, the directory holds nothing else, and the
// goroutines are back to where they started.
func TestIntegrityUnderLoad(t *testing.T) {
	startGoroutines := runtime.NumGoroutine()
	d, root := newDirStore(t)
	creds, _ := auth.NewStatic(auth.Key{AccessKey: testAK, SecretKey: testSK, VDNs: []int{53, 54}})
	h, err := ccfs.NewHandler(ccfs.Options{
		Credentials: creds, Store: d, MaxFileMB: 1, RatePerKey: rate.Inf, MaxInFlight: 32,
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(h)
	client := srv.Client()

	var (
		mu       sync.Mutex
		stored   = map[string][32]byte{} // name under root → sha256 of the WAV
		codes    = map[string]int{}
		requests atomic.Int64
	)
	deadline := time.Now().Add(soakDuration(t))
	var wg sync.WaitGroup
	for worker := range 16 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(worker), 7))
			for time.Now().Before(deadline) {
				requests.Add(1)
				kind := rng.IntN(10)
				wav := wavfile.File(wavfile.ALaw8k, 1+rng.IntN(200_000))
				sk, payload := testSK, b64(wav)
				switch kind {
				case 7: // invalid: stereo (of a random length, so no two are the same request)
					wav = wavfile.File(wavfile.Fmt{Tag: wavfile.TagALaw, Channels: 2, Rate: 8000, Bits: 8}, 2*(1+rng.IntN(100_000)))
					payload = b64(wav)
				case 8: // auth failure
					sk = "wrong"
				case 9: // invalid base64 somewhere in the middle
					i := rng.IntN(len(payload))
					payload = payload[:i] + "*" + payload[i+1:]
				}
				b := body(payload)
				ctx, cancel := context.WithCancel(context.Background())
				var rd io.Reader = bytes.NewReader(b)
				if kind == 6 { // disconnect at a random offset
					rd = &cancelAfter{r: rd, n: rng.IntN(len(b)), cancel: cancel}
				}
				req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+ccfs.UploadPath+"?vdnId=53", rd)
				req.ContentLength = int64(len(b))
				req.Header.Set("Content-Type", "application/json;charset=UTF-8")
				(&auth.Signer{AccessKey: testAK, SecretKey: sk}).Sign(req, b)
				resp, err := client.Do(req)
				if err != nil {
					cancel()
					mu.Lock()
					codes["disconnected"]++
					mu.Unlock()
					continue
				}
				var out ccfs.Response
				decodeErr := decodeJSON(resp.Body, &out)
				resp.Body.Close()
				cancel()
				mu.Lock()
				codes[out.ResultCode]++
				if decodeErr == nil && out.ResultCode == "0" {
					stored[strings.TrimPrefix(out.ResultData.FileName, "/")] = sha256.Sum256(wav)
					if kind >= 7 {
						t.Errorf("a bad request (kind %d) was accepted", kind)
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	srv.Close()
	client.CloseIdleConnections()

	files := filesUnder(t, root)
	verified := 0
	for _, f := range files {
		name := strings.TrimPrefix(filepath.ToSlash(f), "/")
		want, ok := stored[name]
		if !ok {
			t.Errorf("the store holds %s, which no success named", name)
			continue
		}
		got, err := os.ReadFile(filepath.Join(root, f))
		if err != nil || sha256.Sum256(got) != want {
			t.Errorf("%s does not hold the bytes sent", name)
			continue
		}
		verified++
	}
	if verified != len(stored) {
		t.Errorf("%d successes, %d files verified: %d lost", len(stored), verified, len(stored)-verified)
	}
	if codes[ccfs.ErrReplay.Code()] != 0 {
		t.Errorf("%d requests refused as replays, though every request was signed anew", codes[ccfs.ErrReplay.Code()])
	}
	if codes["0"] == 0 || codes[ccfs.ErrAuth.Code()] == 0 || codes[ccfs.ErrFormat.Code()] == 0 {
		t.Errorf("the mix did not happen: %v", codes)
	}
	waitGoroutines(t, startGoroutines)
	t.Logf("soak: %d requests in %v; results %v; %d files verified by SHA-256; lost 0", requests.Load(), soakDuration(t), codes, verified)
}

// cancelAfter cancels a request's context after n bytes of its body.
type cancelAfter struct {
	r      io.Reader
	n      int
	cancel context.CancelFunc
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	if c.n <= 0 {
		c.cancel()
		return 0, errors.New("client hung up")
	}
	k, err := c.r.Read(p[:min(len(p), c.n)])
	c.n -= k
	return k, err
}

// waitGoroutines waits until the goroutine count is back to start.
func waitGoroutines(t *testing.T, start int) {
	t.Helper()
	var n int
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if n = runtime.NumGoroutine(); n <= start {
			return
		}
	}
	buf := make([]byte, 1<<20)
	t.Errorf("%d goroutines, %d at the start:\n%s", n, start, buf[:runtime.Stack(buf, true)])
}

// enospcStore reads part of the file, then fails as a full disk does.
type enospcStore struct{ after int }

func (s enospcStore) Put(_ context.Context, _ string, r io.Reader, _ int64) ([]string, error) {
	io.CopyN(io.Discard, r, int64(s.after))
	return nil, fmt.Errorf("write /data/x.wav: %w", syscall.ENOSPC)
}

func TestDiskFull(t *testing.T) {
	e := newEnv(t, nil)
	e.st = enospcStore{after: 3000}
	_, resp, _ := e.do(req{body: body(b64(validWAV))})
	if resp.ResultCode != ccfs.ErrStorage.Code() || strings.Contains(resp.ResultDesc, "space") {
		t.Fatalf("%+v", resp)
	}
	if !strings.Contains(e.logs.String(), "no space left on device") {
		t.Fatal("the cause is not in the log")
	}
}

// smallDisk returns a Dir on a 64 KiB tmpfs the test mounts, and its
// directory; it skips the test where it cannot mount one.
func smallDisk(t *testing.T) (*store.Dir, string) {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=64k"); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v); TestDiskFull covers the simulated case", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, 0) })
	return dirStoreIn(t, dir), dir
}

// TestRealDiskFull mounts a 64 KiB tmpfs and fills it.
func TestRealDiskFull(t *testing.T) {
	d, dir := smallDisk(t)
	e := newEnv(t, nil)
	e.st = d
	_, resp, _ := e.do(req{body: body(b64(wavfile.File(wavfile.ALaw8k, 200_000)))})
	if resp.ResultCode != ccfs.ErrStorage.Code() {
		t.Fatalf("200 KB onto a 64 KiB disk: %+v", resp)
	}
	if files := filesUnder(t, dir); len(files) != 0 {
		t.Fatalf("left behind: %v", files)
	}
	// The space was given back: a small file fits.
	if _, resp, _ := e.do(req{body: body(b64(validWAV))}); resp.ResultCode != "0" {
		t.Fatalf("8 KB after the failure: %+v", resp)
	}
}

// On a full file system every upload fails, while reads still work: the
// handler says the store is not writable (for /readyz) until an upload is
// stored again, and logs the failures at ERROR once per kind and ten
// seconds, with the count of those since, the rest at WARN.
func TestFullDiskIsNotReady(t *testing.T) {
	d, _ := smallDisk(t)
	e := newEnv(t, nil)
	e.st = d
	ctx := context.Background()
	if err := e.h.StoreWritable(ctx); err != nil {
		t.Fatalf("before any write: %v", err)
	}
	big := body(b64(wavfile.File(wavfile.ALaw8k, 200_000)))
	upload := func() string {
		_, resp, _ := e.do(req{body: big})
		return resp.ResultCode
	}
	for i := range 5 {
		if code := upload(); code != ccfs.ErrStorage.Code() {
			t.Fatalf("upload %d onto a full disk: %s", i, code)
		}
	}
	if err := e.h.StoreWritable(ctx); err == nil || !strings.Contains(err.Error(), "no space left on device") {
		t.Fatalf("after five refused writes: %v, want the store not writable for want of space", err)
	}
	if n := strings.Count(e.logs.String(), `"level":"ERROR"`); n != 1 {
		t.Fatalf("five failures alike logged %d ERROR lines, want 1:\n%s", n, e.logs.String())
	}
	e.advance(11 * time.Second)
	upload()
	if !strings.Contains(e.logs.String(), `"alikeSinceLastError":4`) || strings.Count(e.logs.String(), `"level":"ERROR"`) != 2 {
		t.Fatalf("ten seconds on, the next failure's ERROR line does not count the four before:\n%s", e.logs.String())
	}
	// A refusal is forgotten after 30 s without writes: a node out of
	// the rotation gets no upload to prove the store writable again.
	e.advance(31 * time.Second)
	if err := e.h.StoreWritable(ctx); err != nil {
		t.Fatalf("30 s after the last refused write: %v", err)
	}
	upload()
	if e.h.StoreWritable(ctx) == nil {
		t.Fatal("a refused write after the pause went unnoticed")
	}
	// A small file fits: the store is writable again.
	if _, resp, _ := e.do(req{body: body(b64(validWAV))}); resp.ResultCode != "0" {
		t.Fatalf("8 KB: %+v", resp)
	}
	if err := e.h.StoreWritable(ctx); err != nil {
		t.Fatalf("after a stored upload: %v", err)
	}
}

// TestSlowClient: the server's read timeout cuts a client that trickles
// its body, and nothing is stored.
func TestSlowClient(t *testing.T) {
	e := newEnv(t, nil)
	d, root := newDirStore(t)
	e.st = d
	slow := httptest.NewUnstartedServer(e.h)
	slow.Config.ReadTimeout = 300 * time.Millisecond
	slow.Start()
	defer slow.Close()
	raw := signedRaw(e, body(b64(validWAV)))
	conn, err := net.Dial("tcp", slow.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	var werr error
	for i := 0; i < len(raw) && werr == nil && time.Since(start) < 5*time.Second; i += 100 {
		_, werr = conn.Write(raw[i:min(len(raw), i+100)])
		time.Sleep(20 * time.Millisecond)
	}
	conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	io.Copy(io.Discard, conn) // the server closes the connection
	if time.Since(start) > 4*time.Second {
		t.Fatal("the server did not cut the slow client")
	}
	time.Sleep(50 * time.Millisecond)
	if files := filesUnder(t, root); len(files) != 0 {
		t.Fatalf("left behind: %v", files)
	}
}

// TestRandomStoreFailures fails the store at random offsets over many
// uploads.
func TestRandomStoreFailures(t *testing.T) {
	e := newEnv(t, func(o *ccfs.Options) { o.RatePerKey = rate.Inf })
	rng := rand.New(rand.NewPCG(1, 2))
	for range 40 {
		wav := wavfile.File(wavfile.ALaw8k, 1+rng.IntN(50_000))
		e.st = failingStore{e.mem, rng.IntN(len(wav) + 1)}
		_, resp, _ := e.do(req{body: body(b64(wav))})
		if resp.ResultCode != ccfs.ErrStorage.Code() {
			t.Fatalf("%+v", resp)
		}
	}
	if n := len(e.mem.Names()); n != 0 {
		t.Fatalf("%d files kept", n)
	}
}

// TestContextCancelledMidBody: a request context that ends while the body
// is still arriving (a timeout middleware, say) leaves nothing stored,
// while one that ends after the whole body arrived does not undo a good
// upload.
func TestContextCancelledMidBody(t *testing.T) {
	for _, tc := range []struct {
		name  string
		after int    // body bytes read before the context is cancelled
		want  string // result codes, "|"-separated: which of the two aborts wins is a race
	}{
		{"mid-body", 2000, "0300004|0300016"},
		{"after the body", 1 << 30, "0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			inner := e.h
			wrapped := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				ctx, cancel := context.WithCancel(r.Context())
				defer cancel()
				r = r.WithContext(ctx)
				r.Body = io.NopCloser(&cancelAfterRead{r: r.Body, n: tc.after, cancel: cancel})
				inner.ServeHTTP(w, r)
			})
			srv := httptest.NewServer(wrapped)
			defer srv.Close()
			e.srv = srv
			// Larger than one read of the handler's, so that body bytes are
			// still due when the context ends.
			_, resp, _ := e.do(req{body: body(b64(wavfile.File(wavfile.ALaw8k, 100_000)))})
			if !slices.Contains(strings.Split(tc.want, "|"), resp.ResultCode) {
				t.Fatalf("%+v", resp)
			}
			if n := len(e.mem.Names()); (n == 1) != (tc.want == "0") {
				t.Fatalf("%d files stored", n)
			}
		})
	}
}

// cancelAfterRead cancels once n bytes have been read through it, or at
// its EOF.
type cancelAfterRead struct {
	r      io.Reader
	n      int
	cancel context.CancelFunc
}

func (c *cancelAfterRead) Read(p []byte) (int, error) {
	k, err := c.r.Read(p[:min(len(p), 1000)])
	if c.n -= k; c.n <= 0 || err == io.EOF {
		c.cancel()
	}
	return k, err
}
