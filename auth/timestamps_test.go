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

// Signing faster than one a unit builds a lead over the clock, never more
// than MaxLead (and one unit): past it, Next waits for the clock once, and
// a clock that stands still does not make it wait for ever.
func TestTimestampsLeadIsBounded(t *testing.T) {
	var ts auth.Timestamps
	frozen := func() time.Time { return t0 }
	unit := time.Millisecond
	units := int(auth.MaxLead / unit)
	var last time.Time
	start := time.Now()
	for range 3 * units {
		got := ts.Next(t0, unit, frozen)
		if lead := got.Sub(t0); lead > auth.MaxLead+unit {
			t.Fatalf("lead %v past MaxLead %v", lead, auth.MaxLead)
		}
		if got.Equal(last) {
			t.Fatalf("%v handed out twice in a row", got)
		}
		last = got
	}
	// On a frozen clock, each wait is at most a unit and happens at most
	// once a call; about units of the calls wait.
	if d := time.Since(start); d > time.Duration(units+2)*unit {
		t.Fatalf("%d calls took %v", 3*units, d)
	}
}
