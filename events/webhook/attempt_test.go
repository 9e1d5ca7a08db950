package webhook

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs/events"
)

// Each attempt is signed anew, at its own time: a retry's
// webhook-timestamp is the retry's, and its signature matches it.
func TestAttemptSignedAnew(t *testing.T) {
	secret := events.NewSecret()
	clk := newClock()
	t0 := clk.Now().Unix()
	rc := &receiver{secret: secret, now: clk.Now, answer: func(r *http.Request, _ events.Event) int {
		if r.Header.Get(events.HeaderTimestamp) == strconv.FormatInt(t0, 10) {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	}}
	srv := serve(t, rc)
	q := newMemQueue()
	b, _ := event(t, 1, clk.Now(), 0)
	q.add(b)
	d := newDeliverer(t, srv.URL, q, fast(Options{Now: clk.Now}), secret)
	start(t, d)
	waitFor(t, "a failed attempt", func() bool { return d.Stats().Retried >= 1 })
	clk.Add(time.Minute)
	waitFor(t, "the delivery", func() bool { return d.Stats().Delivered == 1 })
	dl := rc.deliveries()[0]
	if got, want := dl.header.Get(events.HeaderTimestamp), strconv.FormatInt(t0+60, 10); got != want {
		t.Errorf("webhook-timestamp %s, want %s", got, want)
	}
	if dl.err != nil {
		t.Error(dl.err)
	}
}

// A redirect is never followed, with the default client or one given
// that would follow it: the redirect's target gets nothing, and the event
// ends as a dead letter that says so.
func TestRedirectNotFollowed(t *testing.T) {
	for _, tc := range []struct {
		name   string
		code   int
		client *http.Client
	}{
		{"302", http.StatusFound, nil},
		{"307", http.StatusTemporaryRedirect, nil},
		{"308, a client that follows", http.StatusPermanentRedirect, &http.Client{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			secret := events.NewSecret()
			clk := newClock()
			var hits atomic.Int32
			target := serve(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
			redirect := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, target.URL, tc.code)
			}))
			q := newMemQueue()
			b, _ := event(t, 1, clk.Now(), 0)
			q.add(b)
			d := newDeliverer(t, redirect.URL, q, fast(Options{Now: clk.Now, RetryFor: time.Hour, Client: tc.client}), secret)
			start(t, d)
			waitFor(t, "failed attempts", func() bool { return d.Stats().Retried >= 3 })
			clk.Add(time.Hour)
			waitFor(t, "the dead letter", q.settled)
			if n := hits.Load(); n != 0 {
				t.Errorf("the redirect's target got %d requests", n)
			}
			q.mu.Lock()
			reason := q.reasons["0"]
			q.mu.Unlock()
			if want := "HTTP " + strconv.Itoa(tc.code) + " " + http.StatusText(tc.code) + " (redirects are not followed)"; !strings.HasSuffix(reason, want) {
				t.Errorf("reason %q, want it to end %q", reason, want)
			}
		})
	}
}

// countingTransport counts the response body bytes its caller reads.
type countingTransport struct {
	read atomic.Int64
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil {
		resp.Body = &countingBody{resp.Body, &c.read}
	}
	return resp, err
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

// A receiver that answers with a body that never ends has its first 64
// KiB read, and its connection closed: the delivery is done.
func TestResponseCap(t *testing.T) {
	secret := events.NewSecret()
	ended := make(chan error, 1)
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		chunk := make([]byte, 32<<10)
		for {
			if _, err := w.Write(chunk); err != nil {
				ended <- err
				return
			}
		}
	}))
	q := newMemQueue()
	b, _ := event(t, 1, time.Now(), 0)
	q.add(b)
	ct := &countingTransport{}
	d := newDeliverer(t, srv.URL, q, fast(Options{Client: &http.Client{Transport: ct}}), secret)
	start(t, d)
	select {
	case <-ended: // the deliverer closed the connection: the write failed
	case <-time.After(30 * time.Second):
		t.Fatal("the endless answer is still being written")
	}
	waitFor(t, "the delivery", func() bool { return q.count(acked) == 1 })
	if n := ct.read.Load(); n > MaxResponseBody {
		t.Errorf("read %d bytes of the answer, cap %d", n, MaxResponseBody)
	}
	if s := d.Stats(); s.Delivered != 1 || s.Retried != 0 {
		t.Errorf("Stats %+v", s)
	}
}

// An attempt that outlasts Timeout is given up (the receiver sees its
// request cancelled), logged as a timeout, and retried.
func TestTimeout(t *testing.T) {
	secret := events.NewSecret()
	var calls atomic.Int32
	cancelled := make(chan struct{})
	rc := &receiver{secret: secret, now: time.Now, answer: func(r *http.Request, _ events.Event) int {
		if calls.Add(1) == 1 {
			<-r.Context().Done() // only the client's giving up ends this
			close(cancelled)
			return http.StatusOK
		}
		return http.StatusOK
	}}
	srv := serve(t, rc)
	q := newMemQueue()
	b, _ := event(t, 1, time.Now(), 0)
	q.add(b)
	var logs logBuffer
	d := newDeliverer(t, srv.URL, q, fast(Options{Timeout: 20 * time.Millisecond, Logger: newLogger(&logs)}), secret)
	start(t, d)
	waitFor(t, "the delivery", func() bool { return q.count(acked) == 1 })
	select {
	case <-cancelled:
	case <-time.After(30 * time.Second):
		t.Fatal("the first request was never cancelled")
	}
	if s := d.Stats(); s.Delivered != 1 || s.Retried != 1 {
		t.Errorf("Stats %+v", s)
	}
	if out := logs.String(); !strings.Contains(out, "timeout after 20ms") {
		t.Errorf("log does not say timeout:\n%s", out)
	}
}

// A connection error is told without the URL (a *url.Error quotes it):
// neither its userinfo nor its query reaches a log line or a dead
// letter's reason.
func TestErrorHidesURL(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // connection refused from now on
	secret := events.NewSecret()
	clk := newClock()
	q := newMemQueue()
	b, _ := event(t, 1, clk.Now(), 0)
	q.add(b)
	var logs logBuffer
	d := newDeliverer(t, "http://alice:pw-in-url@"+addr+"/hook?token=tok-in-url", q,
		fast(Options{Now: clk.Now, RetryFor: time.Hour, Logger: newLogger(&logs)}), secret)
	start(t, d)
	waitFor(t, "failed attempts", func() bool { return d.Stats().Retried >= 2 })
	clk.Add(time.Hour)
	waitFor(t, "the dead letter", q.settled)
	q.mu.Lock()
	reason := q.reasons["0"]
	q.mu.Unlock()
	if !strings.Contains(reason, "connection refused") {
		t.Errorf("reason %q does not say why", reason)
	}
	out := logs.String()
	if !strings.Contains(out, "endpoint=http://"+addr+"/hook ") {
		t.Errorf("the log does not name the endpoint:\n%s", out)
	}
	for _, leak := range []string{"pw-in-url", "tok-in-url", "alice", secret.Text()} {
		if strings.Contains(reason+out, leak) {
			t.Errorf("%q leaked: reason %q, log:\n%s", leak, reason, out)
		}
	}
}

// A receiver that refuses the signature (401, 403) is told apart in the
// attempt's error: the operator is pointed at the secrets.
func TestUnauthorizedSaysSecret(t *testing.T) {
	for _, code := range []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusInternalServerError} {
		srv := serve(t, &receiver{secret: events.NewSecret(), answer: func(*http.Request, events.Event) int { return code }})
		d := newDeliverer(t, srv.URL, newMemQueue(), fast(Options{}), events.NewSecret())
		b, _ := event(t, 1, time.Now(), 0)
		err := d.post(t.Context(), "evt_x", b)
		says := strings.Contains(fmt.Sprint(err), "secret")
		if err == nil || says != (code != http.StatusInternalServerError) {
			t.Errorf("HTTP %d: %v", code, err)
		}
	}
}
