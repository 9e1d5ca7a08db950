package auth_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs/auth"
)

// signDelete signs the same deleteFile request, byte for byte, with s.
func signDelete(t testing.TB, s *auth.Signer) *http.Request {
	const body = `{"request":{"version":"2.0"},"msgBody":{"fileName":"Y:/3rdfile/53/thirdvoicebotfile/a.wav"}}`
	r, _ := http.NewRequest("POST", "https://127.0.0.1:28443/CCFS/resource/ccfs/ivr/deleteFile", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json;charset=UTF-8")
	if err := s.Sign(r, []byte(body)); err != nil {
		t.Fatal(err)
	}
	return r
}

// The same request signed over and over on the system clock, faster than
// one a millisecond, is signed differently every time, and a server takes
// every one: none is a replay of another.
func TestSignerNeverRepeatsItself(t *testing.T) {
	creds, _ := auth.NewStatic(auth.Key{AccessKey: "ak", SecretKey: "sk", AnyVDN: true})
	v, err := auth.NewVerifier(auth.VerifierOptions{Credentials: creds})
	if err != nil {
		t.Fatal(err)
	}
	const n = 1000
	seen := map[string]bool{}
	for i := range n {
		c := signDelete(t, &auth.Signer{AccessKey: "ak", SecretKey: "sk"}) // a new Signer each time, as a Client makes
		a := c.Header.Get("Authorization")
		if seen[a] {
			t.Fatalf("request %d is signed as an earlier one was: %s", i, a)
		}
		seen[a] = true
		body, _ := c.GetBody()
		s := httptest.NewRequest("POST", c.URL.RequestURI(), body)
		s.Host, s.Header = c.URL.Host, c.Header.Clone()
		s.Header.Set("Content-Length", strconv.FormatInt(c.ContentLength, 10))
		x, err := v.BeginVDNInBody(context.Background(), s)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := c.GetBody()
		raw, _ := io.ReadAll(b)
		x.Write(raw)
		if err := x.Verify(context.Background()); err != nil {
			t.Fatalf("request %d of %d: %v", i, n, err)
		}
	}
}

// Signers on the system clock keep apart from each other when they sign
// at once.
func TestSignerNeverRepeatsItselfConcurrently(t *testing.T) {
	const workers, each = 8, 300
	var (
		mu   sync.Mutex
		seen = map[string]bool{}
		wg   sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			for range each {
				a := signDelete(t, &auth.Signer{AccessKey: "ak", SecretKey: "sk"}).Header.Get("Authorization")
				mu.Lock()
				if seen[a] {
					t.Errorf("signed twice: %s", a)
				}
				seen[a] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != workers*each {
		t.Fatalf("%d distinct signatures, want %d", len(seen), workers*each)
	}
}

// A Signer given its own clock signs at that clock's time, as it is: the
// test vectors depend on it.
func TestSignerOwnClockIsTakenAsIs(t *testing.T) {
	s := auth.Signer{AccessKey: "ak", SecretKey: "sk", Now: func() time.Time { return t0 }}
	a, b := signDelete(t, &s).Header.Get("Authorization"), signDelete(t, &s).Header.Get("Authorization")
	if a != b || !strings.Contains(a, "/2026-11-23T19:00:00.000Z/") {
		t.Fatalf("own clock moved: %s then %s", a, b)
	}
	// With Timestamps as well, even a clock that stands still gives each
	// request its own millisecond.
	s.Timestamps = new(auth.Timestamps)
	a, b = signDelete(t, &s).Header.Get("Authorization"), signDelete(t, &s).Header.Get("Authorization")
	if !strings.Contains(a, "/2026-11-23T19:00:00.000Z/") || !strings.Contains(b, "/2026-11-23T19:00:00.001Z/") {
		t.Fatalf("with Timestamps: %s then %s", a, b)
	}
}

func TestTimestampsNext(t *testing.T) {
	ms := time.Millisecond
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	var ts auth.Timestamps
	steps := []struct {
		now, unit, want time.Duration
	}{
		{0, ms, 0},
		{0, ms, 1 * ms},                      // taken: the next millisecond
		{300 * time.Microsecond, ms, 2 * ms}, // the same millisecond, later in it
		{5 * ms, ms, 5 * ms},                 // the clock is ahead again
		{5 * ms, time.Second, 1005 * ms},     // to the second: a second after the last
		{2 * time.Second, time.Second, 2 * time.Second},
		{-time.Hour, ms, -time.Hour}, // set back far: start again from it
		{-time.Hour, ms, -time.Hour + ms},
	}
	for i, s := range steps {
		if got := ts.Next(at(s.now), s.unit, nil); !got.Equal(at(s.want)) {
			t.Fatalf("step %d: Next(t0%+v, %v) = t0%+v, want t0%+v", i, s.now, s.unit, got.Sub(t0), s.want)
		}
	}
}

// On a clock that stands still (a fixed one, in a test), the lead builds
// to MaxLead; past it each call waits once, for at most its lead's excess,
// and hands out the next time anyway: never the same time twice, and never
// a wait for ever.
func TestTimestampsOnAClockThatStandsStill(t *testing.T) {
	var ts auth.Timestamps
	frozen := func() time.Time { return t0 }
	unit := time.Millisecond
	units := int(auth.MaxLead / unit)
	const past = 20
	var last time.Time
	start := time.Now()
	for i := range units + past {
		got := ts.Next(t0, unit, frozen)
		if !got.After(last) {
			t.Fatalf("call %d: %v after %v", i, got, last)
		}
		last = got
	}
	if lead := last.Sub(t0); lead != auth.MaxLead+(past-1)*unit {
		t.Fatalf("lead %v after %d calls", lead, units+past)
	}
	// The calls past MaxLead wait 1, 2, … 19 units: 190 ms in all.
	if d := time.Since(start); d < 150*time.Millisecond || d > 5*time.Second {
		t.Fatalf("%d calls took %v", units+past, d)
	}
}

// distinctTimes has goroutines ask ts for times on clock, at precision
// unit, for d, and reports how many they got, how many were handed out
// more than once, and the largest lead over the clock any had when Next
// returned it.
func distinctTimes(ts *auth.Timestamps, goroutines int, unit, d time.Duration, clock func() time.Time) (n, repeats int, lead time.Duration) {
	var (
		mu   sync.Mutex
		seen = map[int64]bool{}
		wg   sync.WaitGroup
	)
	stop := time.Now().Add(d)
	for range goroutines {
		wg.Go(func() {
			for time.Now().Before(stop) {
				got := ts.Next(clock(), unit, clock)
				l := got.Sub(clock())
				mu.Lock()
				n++
				if seen[got.UnixNano()] {
					repeats++
				}
				seen[got.UnixNano()] = true
				lead = max(lead, l)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return n, repeats, lead
}

// Goroutines signing as fast as they can, with the lead already near
// MaxLead (as after ten seconds at two thousand signatures a second), are
// never handed one time twice, and the lead stays within MaxLead: past
// it, they wait for the clock in turn. To the millisecond, and to the
// second.
func TestTimestampsNeverRepeatConcurrently(t *testing.T) {
	for _, c := range []struct {
		unit       time.Duration
		goroutines int
		d          time.Duration
	}{
		{time.Millisecond, 16, 3 * time.Second},
		{time.Second, 4, 2 * time.Second},
	} {
		var ts auth.Timestamps
		ts.Next(time.Now(), c.unit, time.Now)
		// A clock just less than MaxLead behind the last time handed out.
		behind := auth.MaxLead - 100*time.Millisecond
		clock := func() time.Time { return time.Now().Add(-behind) }
		n, repeats, lead := distinctTimes(&ts, c.goroutines, c.unit, c.d, clock)
		t.Logf("to the %v, %d goroutines for %v: %d times, %d handed out more than once, lead at most %v", c.unit, c.goroutines, c.d, n, repeats, lead)
		if repeats > 0 || lead > auth.MaxLead {
			t.Errorf("to the %v: %d of %d times handed out more than once; lead up to %v (MaxLead %v)", c.unit, repeats, n, lead, auth.MaxLead)
		}
		// The clock moves 3 s: about that many units past the lead left.
		if want := int((100*time.Millisecond + c.d) / c.unit); n < want/2 {
			t.Errorf("to the %v: %d times in %v, want about %d", c.unit, n, c.d, want)
		}
	}
}

// A clock set back by less than twice DefaultWindow is waited for (a time
// handed out before could still meet a later one at a server); one set
// back further starts again from it.
func TestTimestampsClockSetBack(t *testing.T) {
	var ts auth.Timestamps
	ms := time.Millisecond
	ts.Next(t0, ms, nil)
	start := time.Now()
	// Set back 10.3 s: 300 ms past MaxLead, waited for in real time.
	back := t0.Add(-auth.MaxLead - 300*ms)
	clock := func() time.Time { return back.Add(time.Since(start)) }
	got := ts.Next(clock(), ms, clock)
	if waited := time.Since(start); !got.Equal(t0.Add(ms)) || waited < 290*ms || waited > 5*time.Second {
		t.Fatalf("set back 10.3 s: %v after %v, want t0+1ms after about 300 ms", got.Sub(t0), waited)
	}
	far := t0.Add(-2*auth.DefaultWindow - time.Minute)
	if got := ts.Next(far, ms, nil); !got.Equal(far) {
		t.Fatalf("set back past twice the window: t0%+v, want t0%+v", got.Sub(t0), far.Sub(t0))
	}
}
