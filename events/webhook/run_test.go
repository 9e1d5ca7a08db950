package webhook

import (
	"bytes"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs/events"
)

// Every event is delivered once, signed with every secret, as the queue
// holds it, and acknowledged.
func TestDeliversAll(t *testing.T) {
	old, cur := events.NewSecret(), events.NewSecret()
	rc := &receiver{secret: cur, now: time.Now}
	srv := serve(t, rc)
	q := newMemQueue()
	bodies := map[string][]byte{}
	for i := range 200 {
		b, id := event(t, 1+i%7, time.Now(), i)
		q.add(b)
		bodies[id] = b
	}
	d := newDeliverer(t, srv.URL+"/hook?token=abc", q, fast(Options{}), old, cur)
	start(t, d)
	waitFor(t, "every event acknowledged", func() bool { return q.count(acked) == 200 })

	seen := map[string]int{}
	for _, dl := range rc.deliveries() {
		seen[dl.id]++
		if dl.err != nil {
			t.Errorf("%s: with the current secret: %v", dl.id, dl.err)
		}
		if err := events.Verify(old, dl.header, dl.body, time.Now(), 0); err != nil {
			t.Errorf("%s: with the old secret: %v", dl.id, err)
		}
		if !bytes.Equal(dl.body, bodies[dl.id]) {
			t.Errorf("%s: body %s, want %s", dl.id, dl.body, bodies[dl.id])
		}
		if dl.method != http.MethodPost || dl.header.Get("Content-Type") != "application/json" || dl.header.Get("User-Agent") != "ccfs-webhook" {
			t.Errorf("%s: %s, Content-Type %q, User-Agent %q", dl.id, dl.method, dl.header.Get("Content-Type"), dl.header.Get("User-Agent"))
		}
		if got := dl.header.Get(events.HeaderID); got != dl.id {
			t.Errorf("webhook-id %q, want %q", got, dl.id)
		}
	}
	for id := range bodies {
		if seen[id] != 1 {
			t.Errorf("%s delivered %d times", id, seen[id])
		}
	}
	if s := d.Stats(); s.Delivered != 200 || s.Retried != 0 || s.Dead != 0 {
		t.Errorf("Stats %+v", s)
	}
	noMisuse(t, q)
}

// A receiver that answers 503, then is not there at all (connection
// refused), then comes back, gets every event.
func TestReceiverDownThenUp(t *testing.T) {
	secret := events.NewSecret()
	var up atomic.Bool
	rc := &receiver{secret: secret, now: time.Now, answer: func(*http.Request, events.Event) int {
		if up.Load() {
			return http.StatusOK
		}
		return http.StatusServiceUnavailable
	}}
	down := httptest.NewServer(rc)
	addr := down.Listener.Addr().String()
	q := newMemQueue()
	ids := map[string]bool{}
	for i := range 100 {
		b, id := event(t, 1+i%10, time.Now(), i)
		q.add(b)
		ids[id] = true
	}
	d := newDeliverer(t, "http://"+addr+"/hook", q, fast(Options{}), secret)
	start(t, d)

	waitFor(t, "failures on 503", func() bool { return d.Stats().Retried >= 30 })
	down.Close()
	r := d.Stats().Retried
	waitFor(t, "failures on a closed port", func() bool { return d.Stats().Retried >= r+30 })
	if rc.count() != 0 {
		t.Fatalf("%d deliveries while down", rc.count())
	}

	up.Store(true)
	var ln net.Listener
	waitFor(t, "the port again", func() bool {
		var err error
		ln, err = net.Listen("tcp", addr)
		return err == nil
	})
	back := httptest.NewUnstartedServer(rc)
	back.Listener.Close()
	back.Listener = ln
	back.Start()
	t.Cleanup(back.Close)

	waitFor(t, "every event acknowledged", func() bool { return q.count(acked) == 100 })
	for _, dl := range rc.deliveries() {
		if dl.err != nil {
			t.Errorf("%s: %v", dl.id, dl.err)
		}
		delete(ids, dl.id)
	}
	if len(ids) != 0 {
		t.Errorf("%d events never delivered", len(ids))
	}
	if s := d.Stats(); s.Dead != 0 || s.Delivered != 100 {
		t.Errorf("Stats %+v", s)
	}
	noMisuse(t, q)
}

// Once RetryFor has passed since an event's Time, a failing event is
// moved aside, with a reason that says why and names no secret nor the
// URL's query.
func TestDeadAfterRetryFor(t *testing.T) {
	secret := events.NewSecret()
	clk := newClock()
	rc := &receiver{secret: secret, now: clk.Now, answer: func(*http.Request, events.Event) int { return http.StatusServiceUnavailable }}
	srv := serve(t, rc)
	q := newMemQueue()
	for i := range 6 {
		b, _ := event(t, 1+i%2, clk.Now(), i)
		q.add(b)
	}
	var logs logBuffer
	d := newDeliverer(t, srv.URL+"/hook?token=hushhush", q, fast(Options{RetryFor: time.Hour, Now: clk.Now, Logger: newLogger(&logs)}), secret)
	start(t, d)
	waitFor(t, "failures", func() bool { return d.Stats().Retried >= 20 })
	if n := q.count(buried); n != 0 {
		t.Fatalf("%d dead letters before RetryFor", n)
	}
	clk.Add(time.Hour)
	waitFor(t, "dead letters", func() bool { return q.count(buried) == 6 })

	want := regexp.MustCompile(`^undelivered for 1h0m0s after \d+ attempts?; last: HTTP 503 Service Unavailable$`)
	q.mu.Lock()
	for ref, reason := range q.reasons {
		if !want.MatchString(reason) {
			t.Errorf("%s: reason %q", ref, reason)
		}
	}
	q.mu.Unlock()
	if s := d.Stats(); s.Dead != 6 || s.Delivered != 0 {
		t.Errorf("Stats %+v", s)
	}
	out := logs.String()
	if n := strings.Count(out, "level=ERROR"); n != 6 {
		t.Errorf("%d ERROR lines, want one per dead letter:\n%s", n, out)
	}
	if warns, fails := strings.Count(out, "level=WARN"), d.Stats().Retried; uint64(warns) > 6 || fails < 20 {
		t.Errorf("%d WARN lines for %d failed attempts of 6 events: want at most one per event", warns, fails)
	}
	for _, leak := range []string{"hushhush", secret.Text()} {
		if strings.Contains(out, leak) {
			t.Errorf("the log holds %q:\n%s", leak, out)
		}
	}
	noMisuse(t, q)
}

// A queue item that is not an event is moved aside at once, never sent;
// the events after it are delivered.
func TestNotAnEvent(t *testing.T) {
	secret := events.NewSecret()
	rc := &receiver{secret: secret, now: time.Now}
	srv := serve(t, rc)
	q := newMemQueue()
	good, id := event(t, 5, time.Now(), 0)
	refs := q.add([]byte("not json"), []byte(`{"type":"prompt.uploaded","time":"2026-12-05T19:00:00.000Z","vdn":5}`), good)
	d := newDeliverer(t, srv.URL, q, fast(Options{}), secret)
	start(t, d)
	waitFor(t, "settled", q.settled)
	q.mu.Lock()
	for _, ref := range refs[:2] {
		if r := q.reasons[ref]; !strings.HasPrefix(r, "not an event: ") {
			t.Errorf("%s: reason %q", ref, r)
		}
	}
	q.mu.Unlock()
	if got := rc.deliveries(); len(got) != 1 || got[0].id != id || rc.requested() != 1 {
		t.Errorf("%d requests, deliveries %+v; want only %s", rc.requested(), got, id)
	}
	if s := d.Stats(); s.Dead != 2 || s.Delivered != 1 {
		t.Errorf("Stats %+v", s)
	}
}

// Under random failures, each VDN's events reach the receiver one at a
// time, in queue order.
func TestOrderPerVDN(t *testing.T) {
	secret := events.NewSecret()
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(39, 1))
	inflight := map[int]int{}
	var overlaps atomic.Int32
	rc := &receiver{secret: secret, now: time.Now, answer: func(_ *http.Request, ev events.Event) int {
		mu.Lock()
		inflight[ev.VDN]++
		if inflight[ev.VDN] > 1 {
			overlaps.Add(1)
		}
		code := http.StatusAccepted
		if rng.IntN(10) < 3 {
			code = []int{http.StatusInternalServerError, http.StatusServiceUnavailable, http.StatusGone, http.StatusFound}[rng.IntN(4)]
		}
		pause := time.Duration(rng.IntN(200)) * time.Microsecond
		mu.Unlock()
		time.Sleep(pause) // let another of the VDN's events overlap, if one were sent
		mu.Lock()
		inflight[ev.VDN]--
		mu.Unlock()
		return code
	}}
	srv := serve(t, rc)
	q := newMemQueue()
	want := map[int][]string{}
	for i := range 400 {
		vdn := 1 + rng.IntN(12)
		b, id := event(t, vdn, time.Now(), i)
		q.add(b)
		want[vdn] = append(want[vdn], id)
	}
	d := newDeliverer(t, srv.URL, q, fast(Options{Window: 64}), secret)
	start(t, d)
	waitFor(t, "every event acknowledged", func() bool { return q.count(acked) == 400 })
	got := map[int][]string{}
	for _, dl := range rc.deliveries() {
		got[dl.vdn] = append(got[dl.vdn], dl.id)
	}
	for vdn, ids := range want {
		if strings.Join(got[vdn], " ") != strings.Join(ids, " ") {
			t.Errorf("VDN %d: delivered\n%v\nwant\n%v", vdn, got[vdn], ids)
		}
	}
	if n := overlaps.Load(); n > 0 {
		t.Errorf("%d times two events of one VDN were in flight at once", n)
	}
	if d.Stats().Retried == 0 {
		t.Error("no failures: the test proves nothing")
	}
	noMisuse(t, q)
}

// A VDN whose receiver hangs keeps its own later events back, and no
// other VDN's.
func TestSlowVDNHoldsOnlyItself(t *testing.T) {
	secret := events.NewSecret()
	entered := make(chan string, 10)
	release := make(chan struct{})
	rc := &receiver{secret: secret, now: time.Now, answer: func(r *http.Request, ev events.Event) int {
		if ev.VDN == 1 {
			entered <- ev.ID
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
		return http.StatusNoContent
	}}
	srv := serve(t, rc)
	q := newMemQueue()
	var slow []string
	for i := range 3 {
		b, id := event(t, 1, time.Now(), i)
		q.add(b)
		slow = append(slow, id)
	}
	for i := range 20 {
		b, _ := event(t, 2+i%4, time.Now(), i)
		q.add(b)
	}
	d := newDeliverer(t, srv.URL, q, fast(Options{Timeout: time.Hour}), secret)
	start(t, d)
	select {
	case id := <-entered:
		if id != slow[0] {
			t.Fatalf("VDN 1's first request is %s, want %s", id, slow[0])
		}
	case <-time.After(30 * time.Second):
		t.Fatal("VDN 1's first event never reached the receiver")
	}
	waitFor(t, "the other VDNs' events", func() bool { return rc.count() == 20 })
	select {
	case id := <-entered:
		t.Fatalf("VDN 1's %s sent while its first event hangs", id)
	default:
	}
	close(release)
	waitFor(t, "every event acknowledged", func() bool { return q.count(acked) == 23 })
	for i := 1; i < 3; i++ {
		if id := <-entered; id != slow[i] {
			t.Errorf("VDN 1's request %d is %s, want %s", i, id, slow[i])
		}
	}
}

// When Run ends, the events it holds and has not delivered (waiting for
// a retry, or in flight) go back to the queue, and Run returns.
func TestRunReleases(t *testing.T) {
	secret := events.NewSecret()
	var hung atomic.Bool
	rc := &receiver{secret: secret, now: time.Now, answer: func(r *http.Request, ev events.Event) int {
		if ev.VDN == 1 {
			hung.Store(true)
			<-r.Context().Done()
		}
		return http.StatusServiceUnavailable
	}}
	srv := serve(t, rc)
	q := newMemQueue()
	for i := range 10 {
		b, _ := event(t, 1+i%5, time.Now(), i)
		q.add(b)
	}
	d := newDeliverer(t, srv.URL, q, fast(Options{Timeout: time.Hour}), secret)
	stop := start(t, d)
	waitFor(t, "retries and one attempt in flight", func() bool {
		return q.count(out) == 10 && d.Stats().Retried >= 10 && hung.Load()
	})
	stop()
	if n := q.count(pending); n != 10 {
		t.Errorf("%d events back in the queue, want 10", n)
	}
	q.mu.Lock()
	released := q.released
	q.mu.Unlock()
	if released != 10 {
		t.Errorf("%d released, want 10", released)
	}
	if s := d.Stats(); !s.Oldest.IsZero() {
		t.Errorf("Oldest %v after Run", s.Oldest)
	}
	noMisuse(t, q)
}

// An event delivered is acknowledged when Run ends, if not before.
func TestRunAcknowledges(t *testing.T) {
	secret := events.NewSecret()
	rc := &receiver{secret: secret, now: time.Now}
	srv := serve(t, rc)
	q := newMemQueue()
	b, _ := event(t, 1, time.Now(), 0)
	q.add(b)
	d := newDeliverer(t, srv.URL, q, fast(Options{}), secret)
	stop := start(t, d)
	waitFor(t, "the delivery", func() bool { return d.Stats().Delivered == 1 })
	stop()
	if q.count(acked) != 1 {
		t.Errorf("not acknowledged")
	}
	noMisuse(t, q)
}

// The deliverer never holds more than Window events, however long the
// receiver is down.
func TestWindow(t *testing.T) {
	secret := events.NewSecret()
	var up atomic.Bool
	rc := &receiver{secret: secret, now: time.Now, answer: func(*http.Request, events.Event) int {
		if up.Load() {
			return http.StatusOK
		}
		return http.StatusBadGateway
	}}
	srv := serve(t, rc)
	q := newMemQueue()
	for i := range 100 {
		b, _ := event(t, 1+i%20, time.Now(), i)
		q.add(b)
	}
	d := newDeliverer(t, srv.URL, q, fast(Options{Window: 8, Workers: 3}), secret)
	start(t, d)
	waitFor(t, "failures", func() bool { return d.Stats().Retried >= 50 })
	q.mu.Lock()
	held := q.maxOut
	q.mu.Unlock()
	if held != 8 {
		t.Errorf("held %d events at most while the receiver was down, want 8 (the window)", held)
	}
	up.Store(true)
	waitFor(t, "every event acknowledged", func() bool { return q.count(acked) == 100 })
	q.mu.Lock()
	held = q.maxOut
	q.mu.Unlock()
	if held > 8 {
		t.Errorf("held %d events at most, window 8", held)
	}
	noMisuse(t, q)
}

// Events in a long retry are held, every HoldEvery.
func TestHold(t *testing.T) {
	secret := events.NewSecret()
	rc := &receiver{secret: secret, now: time.Now, answer: func(*http.Request, events.Event) int { return http.StatusServiceUnavailable }}
	srv := serve(t, rc)
	q := newMemQueue()
	var refs []string
	for i := range 3 {
		b, _ := event(t, 1, time.Now(), i)
		refs = append(refs, q.add(b)...)
	}
	d := newDeliverer(t, srv.URL, q, fast(Options{HoldEvery: 5 * time.Millisecond, MinBackoff: time.Second, MaxBackoff: time.Second}), secret)
	start(t, d)
	waitFor(t, "holds", func() bool {
		q.mu.Lock()
		defer q.mu.Unlock()
		for _, ref := range refs {
			if q.holds[ref] < 3 {
				return false
			}
		}
		return true
	})
	noMisuse(t, q)
}

// Acknowledgements go in batches, not one call per event.
func TestAcksBatched(t *testing.T) {
	secret := events.NewSecret()
	srv := serve(t, &receiver{secret: secret, now: time.Now})
	q := newMemQueue()
	for i := range 256 {
		b, _ := event(t, 1+i%16, time.Now(), i)
		q.add(b)
	}
	d := newDeliverer(t, srv.URL, q, fast(Options{}), secret)
	start(t, d)
	waitFor(t, "every event acknowledged", func() bool { return q.count(acked) == 256 })
	q.mu.Lock()
	calls := q.ackCalls
	q.mu.Unlock()
	if calls > 256/4 {
		t.Errorf("%d Ack calls for 256 events", calls)
	}
}

// A queue that fails to read, acknowledge or move aside is tried again,
// with a log line when it begins to fail, not one per try.
func TestQueueFailures(t *testing.T) {
	secret := events.NewSecret()
	rc := &receiver{secret: secret, now: time.Now}
	srv := serve(t, rc)
	q := newMemQueue()
	var down atomic.Bool
	down.Store(true)
	var nexts, ackFails atomic.Int32
	q.fail = func(method string) bool {
		switch {
		case method == "Next":
			return nexts.Add(1) <= 3
		case method == "Ack" && down.Load():
			ackFails.Add(1)
		}
		return down.Load()
	}
	q.add([]byte("{}"))
	for i := range 20 {
		b, _ := event(t, 1+i%3, time.Now(), i)
		q.add(b)
	}
	var logs logBuffer
	d := newDeliverer(t, srv.URL, q, fast(Options{Logger: newLogger(&logs)}), secret)
	start(t, d)
	waitFor(t, "the deliveries", func() bool { return rc.count() == 20 })
	waitFor(t, "a few flushes, all failing", func() bool { return ackFails.Load() >= 3 })
	if q.count(acked) != 0 || q.count(buried) != 0 {
		t.Fatal("settled while the queue is down")
	}
	down.Store(false)
	waitFor(t, "settled", q.settled)
	if q.count(buried) != 1 {
		t.Errorf("%d dead letters, want 1", q.count(buried))
	}
	out := logs.String()
	for _, s := range []string{"cannot be read", "cannot acknowledge", "is read again", "acknowledges deliveries again"} {
		if n := strings.Count(out, s); n != 1 {
			t.Errorf("%d lines %q, want 1:\n%s", n, s, out)
		}
	}
	noMisuse(t, q)
}
