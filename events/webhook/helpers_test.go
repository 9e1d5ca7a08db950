package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs/events"
)

// clock is a fake Options.Now that moves only when told.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 12, 5, 19, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// event returns the JSON form of a prompt.uploaded event for vdn at t,
// and its ID; n tells events apart in their file names.
func event(t *testing.T, vdn int, at time.Time, n int) ([]byte, string) {
	t.Helper()
	ev := events.New(events.PromptUploaded, at)
	ev.VDN = vdn
	ev.FileName = "Y:/3rdfile/" + strconv.Itoa(vdn) + "/f_" + strconv.Itoa(n) + ".wav"
	ev.Size = 1234
	ev.Codec = "alaw"
	ev.AccessKey = "key"
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b, ev.ID
}

// delivery is a request a receiver took.
type delivery struct {
	method string
	id     string
	vdn    int
	header http.Header
	body   []byte
	err    error // the signature's check, with secret at now()
}

// receiver answers deliveries and records those it answers with a 2xx,
// verifying each signature with secret at now(). answer, if set, decides
// each status; otherwise it is 204. A delivery is recorded before it is
// answered, so the records are in the order the deliverer saw the
// answers.
type receiver struct {
	secret events.Secret
	now    func() time.Time
	answer func(r *http.Request, ev events.Event) int

	mu       sync.Mutex
	got      []delivery // answered with a 2xx
	requests int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	var ev events.Event
	decodeErr := json.Unmarshal(body, &ev)
	rc.mu.Lock()
	rc.requests++
	rc.mu.Unlock()
	code := http.StatusNoContent
	if rc.answer != nil {
		code = rc.answer(r, ev)
	}
	if code/100 == 2 {
		err := events.Verify(rc.secret, r.Header, body, rc.now(), 0)
		if decodeErr != nil {
			err = decodeErr
		}
		rc.mu.Lock()
		rc.got = append(rc.got, delivery{method: r.Method, id: ev.ID, vdn: ev.VDN, header: r.Header.Clone(), body: body, err: err})
		rc.mu.Unlock()
	}
	w.WriteHeader(code)
}

func (rc *receiver) deliveries() []delivery {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]delivery(nil), rc.got...)
}

func (rc *receiver) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.got)
}

func (rc *receiver) requested() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.requests
}

// start runs d until the test ends, or until the returned stop is called;
// stop waits for Run to return, and fails the test if it returns an
// error.
func start(t testing.TB, d *Deliverer) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(time.Minute):
				t.Errorf("Run did not return within a minute of its ctx's end")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// waitFor polls cond until it holds, failing the test after a generous
// deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// logBuffer is a Logger's output, safe to read while it is written.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newLogger(b *logBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// fast are options for tests: small backoffs, a window and workers of
// the defaults.
func fast(o Options) Options {
	if o.MinBackoff == 0 {
		o.MinBackoff = time.Millisecond
	}
	if o.MaxBackoff == 0 {
		o.MaxBackoff = 10 * time.Millisecond
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// serve starts an httptest server for h, closed when the test ends.
func serve(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// newDeliverer returns New's Deliverer, failing the test on an error.
func newDeliverer(t *testing.T, url string, q events.Queue, o Options, secrets ...events.Secret) *Deliverer {
	t.Helper()
	d, err := New(Endpoint{URL: url, Secrets: secrets}, q, o)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// noMisuse fails the test if the deliverer settled an item it did not
// hold.
func noMisuse(t *testing.T, q *memQueue) {
	t.Helper()
	for _, m := range q.misuses() {
		t.Error(m)
	}
}
