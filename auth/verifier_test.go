package auth_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs/auth"
)

var t0 = time.Date(2026, 11, 23, 19, 0, 0, 0, time.UTC)

// fixture signs requests with a known key and verifies them on a clock
// the test moves.
type fixture struct {
	signer   auth.Signer
	verifier *auth.Verifier
	now      time.Time
}

func newFixture(t *testing.T, opts auth.VerifierOptions) *fixture {
	f := &fixture{now: t0}
	f.signer = auth.Signer{AccessKey: "chatbot-a", SecretKey: "sk-A-very-secret", Now: func() time.Time { return t0 }}
	if opts.Credentials == nil {
		creds, err := auth.NewStatic(
			auth.Key{AccessKey: "chatbot-a", SecretKey: "sk-A-very-secret", VDNs: []int{53, 54}},
			auth.Key{AccessKey: "nowhere", SecretKey: "sk-nowhere"},
			auth.Key{AccessKey: "operator", SecretKey: "sk-op", AnyVDN: true},
		)
		if err != nil {
			t.Fatal(err)
		}
		opts.Credentials = creds
	}
	opts.Now = func() time.Time { return f.now }
	v, err := auth.NewVerifier(opts)
	if err != nil {
		t.Fatal(err)
	}
	f.verifier = v
	return f
}

const body = `{"request":{"version":"2.0"},"msgBody":{"data":"UklGRg=="}}`

// request returns a server-side request signed by s.
func (f *fixture) request(t *testing.T, s auth.Signer, vdn string) *http.Request {
	target := "/CCFS/resource/ccfs/ivr/uploadFile?vdnId=" + vdn
	c, _ := http.NewRequest("POST", "https://127.0.0.1:28443"+target, strings.NewReader(body))
	c.Header.Set("Content-Type", "application/json;charset=UTF-8")
	c.Header.Set("Accept", "*/*")
	if err := s.Sign(c, []byte(body)); err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("POST", target, strings.NewReader(body))
	r.Host = "127.0.0.1:28443"
	r.Header.Set("Content-Type", c.Header.Get("Content-Type"))
	r.Header.Set("Content-Length", strconv.Itoa(len(body)))
	r.Header.Set("Accept", "*/*")
	r.Header.Set("Authorization", c.Header.Get("Authorization"))
	return r
}

func (f *fixture) verify(r *http.Request, vdn int) error {
	x, err := f.verifier.Begin(context.Background(), r, vdn)
	if err != nil {
		return err
	}
	x.Write([]byte(body))
	return x.Verify(context.Background())
}

func TestVerifierOutcomes(t *testing.T) {
	signer := func(ak, sk string, at time.Time) auth.Signer {
		return auth.Signer{AccessKey: ak, SecretKey: sk, Now: func() time.Time { return at }}
	}
	good := signer("chatbot-a", "sk-A-very-secret", t0)
	withAccept := good
	withAccept.SignedHeaders = []string{"Content-Type", "content-length", "HOST", "accept"}
	tests := []struct {
		name  string
		s     auth.Signer
		vdn   int
		edit  func(r *http.Request)
		begin bool // the error comes from Begin
		want  error
	}{
		{name: "ok", s: good, vdn: 53},
		{name: "ok second vdn", s: good, vdn: 54},
		{name: "operator any vdn", s: signer("operator", "sk-op", t0), vdn: 999999},
		{name: "vdn not owned", s: good, vdn: 55, want: auth.ErrVDNNotAllowed},
		{name: "key with no vdns", s: signer("nowhere", "sk-nowhere", t0), vdn: 53, want: auth.ErrVDNNotAllowed},
		{name: "wrong secret", s: signer("chatbot-a", "sk-wrong", t0), vdn: 53, want: auth.ErrSignatureMismatch},
		{name: "unknown key", s: signer("ghost", "sk-A-very-secret", t0), vdn: 53, begin: true, want: auth.ErrUnknownKey},
		{name: "unknown key, vdn it could not own", s: signer("ghost", "x", t0), vdn: 55, begin: true, want: auth.ErrUnknownKey},
		{name: "wrong secret, vdn not owned", s: signer("chatbot-a", "x", t0), vdn: 55, want: auth.ErrSignatureMismatch},
		{name: "window edge past", s: signer("chatbot-a", "sk-A-very-secret", t0.Add(-15*time.Minute)), vdn: 53},
		{name: "window edge future", s: signer("chatbot-a", "sk-A-very-secret", t0.Add(15*time.Minute)), vdn: 53},
		{name: "beyond window past", s: signer("chatbot-a", "sk-A-very-secret", t0.Add(-15*time.Minute-time.Millisecond)), vdn: 53, begin: true, want: auth.ErrTimestampWindow},
		{name: "beyond window future", s: signer("chatbot-a", "sk-A-very-secret", t0.Add(15*time.Minute+time.Millisecond)), vdn: 53, begin: true, want: auth.ErrTimestampWindow},
		{name: "no authorization", s: good, vdn: 53, edit: func(r *http.Request) { r.Header.Del("Authorization") }, begin: true, want: auth.ErrMissingHeader},
		{name: "two authorization headers", s: good, vdn: 53, edit: func(r *http.Request) { r.Header.Add("Authorization", r.Header.Get("Authorization")) }, begin: true, want: auth.ErrMalformedHeader},
		{name: "signed content-type missing", s: good, vdn: 53, edit: func(r *http.Request) { r.Header.Del("Content-Type") }, begin: true, want: auth.ErrMissingHeader},
		{name: "signed content-length missing", s: good, vdn: 53, edit: func(r *http.Request) { r.Header.Del("Content-Length") }, begin: true, want: auth.ErrMissingHeader},
		{name: "signed header twice", s: good, vdn: 53, edit: func(r *http.Request) { r.Header.Add("Content-Type", "application/json") }, begin: true, want: auth.ErrMalformedHeader},
		{name: "host alone signed, as the vendor's demo does", s: auth.Signer{AccessKey: "chatbot-a", SecretKey: "sk-A-very-secret", SignedHeaders: []string{"host"}, Now: func() time.Time { return t0 }}, vdn: 53},
		{name: "extra signed header", s: withAccept, vdn: 53},
		{name: "extra signed header removed", s: withAccept, vdn: 53, edit: func(r *http.Request) { r.Header.Del("Accept") }, begin: true, want: auth.ErrMissingHeader},
		{name: "extra signed header changed", s: withAccept, vdn: 53, edit: func(r *http.Request) { r.Header.Set("Accept", "*/* ") }, want: auth.ErrSignatureMismatch},
		{name: "unsigned header changed", s: good, vdn: 53, edit: func(r *http.Request) { r.Header.Set("Accept", "text/html") }},
		{name: "bad query", s: good, vdn: 53, edit: func(r *http.Request) { r.URL.RawQuery = "vdnId=%zz" }, begin: true, want: auth.ErrMalformedRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, auth.VerifierOptions{})
			r := f.request(t, tt.s, strconv.Itoa(tt.vdn))
			if tt.edit != nil {
				tt.edit(r)
			}
			x, err := f.verifier.Begin(context.Background(), r, tt.vdn)
			if err == nil {
				if tt.begin {
					t.Fatalf("Begin accepted; want %v", tt.want)
				}
				x.Write([]byte(body))
				err = x.Verify(context.Background())
				if x.Proven() == errors.Is(err, auth.ErrSignatureMismatch) {
					t.Fatalf("Proven() = %v after Verify returned %v", x.Proven(), err)
				}
			} else if !tt.begin {
				t.Fatalf("Begin: %v", err)
			}
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if err != nil {
				for _, secret := range []string{"sk-A-very-secret", "sk-op", "sk-nowhere", "sk-wrong"} {
					if strings.Contains(err.Error(), secret) {
						t.Fatalf("error text %q contains a secret", err)
					}
				}
			}
		})
	}
}

// TestWindowCheckedAtTheEnd: a body that ends after the window is refused
// even though its headers arrived inside it, and nothing is recorded; the
// signature was proven all the same.
func TestWindowCheckedAtTheEnd(t *testing.T) {
	f := newFixture(t, auth.VerifierOptions{})
	s := auth.Signer{AccessKey: "chatbot-a", SecretKey: "sk-A-very-secret", Now: func() time.Time { return t0.Add(-14 * time.Minute) }}
	r := f.request(t, s, "53")
	x, err := f.verifier.Begin(context.Background(), r.Clone(context.Background()), 53)
	if err != nil {
		t.Fatal(err)
	}
	x.Write([]byte(body))
	f.now = t0.Add(2 * time.Minute) // the body took three minutes
	if err := x.Verify(context.Background()); !errors.Is(err, auth.ErrTimestampWindow) {
		t.Fatalf("Verify after the window: %v, want ErrTimestampWindow", err)
	}
	if !x.Proven() {
		t.Fatal("Proven() = false for a right signature")
	}
}

func TestReplay(t *testing.T) {
	f := newFixture(t, auth.VerifierOptions{})
	s := auth.Signer{AccessKey: "chatbot-a", SecretKey: "sk-A-very-secret", Now: func() time.Time { return t0 }}
	r := f.request(t, s, "53")
	if err := f.verify(r.Clone(context.Background()), 53); err != nil {
		t.Fatal(err)
	}
	f.now = t0.Add(14 * time.Minute)
	if err := f.verify(r.Clone(context.Background()), 53); !errors.Is(err, auth.ErrReplay) {
		t.Fatalf("replay: err = %v", err)
	}
	// A failed signature is never recorded: a later good one is not a replay.
	bad := f.request(t, auth.Signer{AccessKey: "chatbot-a", SecretKey: "x", Now: func() time.Time { return t0.Add(time.Minute) }}, "53")
	if err := f.verify(bad.Clone(context.Background()), 53); !errors.Is(err, auth.ErrSignatureMismatch) {
		t.Fatal(err)
	}
	if err := f.verify(bad, 53); !errors.Is(err, auth.ErrSignatureMismatch) {
		t.Fatalf("second bad signature: %v", err)
	}
	// Past the window the timestamp check refuses it first.
	f.now = t0.Add(15*time.Minute + time.Second)
	if _, err := f.verifier.Begin(context.Background(), r, 53); !errors.Is(err, auth.ErrTimestampWindow) {
		t.Fatalf("after window: %v", err)
	}
}

func TestMemoryReplay(t *testing.T) {
	now := t0
	// This test is about the capacity; TestMemoryReplayKeyShare about shares.
	c := auth.NewMemoryReplay(auth.MemoryReplayOptions{Capacity: 2, KeyShare: -1, Now: func() time.Time { return now }})
	sig := func(i byte) [sha256.Size]byte { return [sha256.Size]byte{i} }
	ctx := context.Background()
	add := func(i byte, expires time.Time) error {
		return c.Add(ctx, auth.ReplayEntry{AccessKey: "ak", Signature: sig(i), Expires: expires})
	}
	must := func(err, want error) {
		t.Helper()
		if !errors.Is(err, want) || (want == nil) != (err == nil) {
			t.Fatalf("err = %v, want %v", err, want)
		}
	}
	must(add(1, now.Add(time.Minute)), nil)
	must(add(1, now.Add(time.Minute)), auth.ErrReplay)
	must(add(2, now.Add(2*time.Minute)), nil)
	// Full: refuses rather than forgetting sig 1 or 2 early.
	must(add(3, now.Add(time.Minute)), auth.ErrReplayUnavailable)
	must(add(1, now.Add(time.Minute)), auth.ErrReplay)
	must(add(2, now.Add(time.Minute)), auth.ErrReplay)
	// Already expired: it cannot be kept, so it is refused as a replay.
	must(add(4, now), auth.ErrReplay)
	// sig 1 expires; its place is free; sig 2 is still live.
	now = now.Add(time.Minute)
	must(add(3, now.Add(time.Minute)), nil)
	must(add(2, now.Add(time.Minute)), auth.ErrReplay)
	must(add(1, now.Add(time.Minute)), auth.ErrReplayUnavailable)
	if c.Len() != 2 {
		t.Fatalf("Len = %d", c.Len())
	}
	now = now.Add(time.Hour)
	must(add(1, now.Add(time.Minute)), nil)
	if c.Len() != 1 {
		t.Fatalf("Len after expiry = %d", c.Len())
	}
}

// TestMemoryReplayKeyShare: one key fills its share, not the cache; its
// share frees up as its entries expire.
func TestMemoryReplayKeyShare(t *testing.T) {
	now := t0
	c := auth.NewMemoryReplay(auth.MemoryReplayOptions{Capacity: 8, Now: func() time.Time { return now }})
	ctx := context.Background()
	n := byte(0)
	add := func(ak string, expires time.Time) error {
		n++
		return c.Add(ctx, auth.ReplayEntry{AccessKey: ak, Signature: [sha256.Size]byte{n}, Expires: expires})
	}
	for i := range 2 { // a quarter of 8
		if err := add("greedy", now.Add(time.Hour)); err != nil {
			t.Fatalf("greedy entry %d: %v", i+1, err)
		}
	}
	if err := add("greedy", now.Add(time.Hour)); !errors.Is(err, auth.ErrReplayUnavailable) {
		t.Fatalf("greedy past its share: %v, want ErrReplayUnavailable", err)
	}
	for i := range 2 {
		if err := add("other", now.Add(time.Minute)); err != nil {
			t.Fatalf("other key, entry %d: %v", i+1, err)
		}
	}
	now = now.Add(2 * time.Hour)
	if err := add("greedy", now.Add(time.Hour)); err != nil {
		t.Fatalf("greedy after its entries expired: %v", err)
	}
	if c.Len() != 1 {
		t.Fatalf("Len = %d, want 1", c.Len())
	}
}

type failingReplay struct{}

func (failingReplay) Add(context.Context, auth.ReplayEntry) error {
	return errors.New("connection refused")
}

func TestReplayOutageFailsClosed(t *testing.T) {
	f := newFixture(t, auth.VerifierOptions{Replay: failingReplay{}})
	err := f.verify(f.request(t, f.signer, "53"), 53)
	if !errors.Is(err, auth.ErrReplayUnavailable) {
		t.Fatalf("err = %v", err)
	}
}

type brokenCreds struct{}

func (brokenCreds) Lookup(context.Context, string) (auth.Key, error) {
	return auth.Key{}, errors.New("database down")
}

func TestCredentialsFailure(t *testing.T) {
	f := newFixture(t, auth.VerifierOptions{Credentials: brokenCreds{}})
	_, err := f.verifier.Begin(context.Background(), f.request(t, f.signer, "53"), 53)
	if err == nil || errors.Is(err, auth.ErrSignatureMismatch) {
		t.Fatalf("err = %v; want the lookup failure", err)
	}
}

func TestVerifyTwice(t *testing.T) {
	f := newFixture(t, auth.VerifierOptions{})
	x, err := f.verifier.Begin(context.Background(), f.request(t, f.signer, "53"), 53)
	if err != nil {
		t.Fatal(err)
	}
	x.Write([]byte(body))
	if err := x.Verify(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := x.Verify(context.Background()); err == nil {
		t.Fatal("second Verify succeeded")
	}
}

func TestNewVerifierOptions(t *testing.T) {
	creds, _ := auth.NewStatic()
	for _, o := range []auth.VerifierOptions{
		{},
		{Credentials: creds, Window: -time.Second},
		{Credentials: creds, SignedHeaders: []string{"bad header"}},
	} {
		if _, err := auth.NewVerifier(o); err == nil {
			t.Errorf("NewVerifier(%+v) accepted", o)
		}
	}
	v, err := auth.NewVerifier(auth.VerifierOptions{Credentials: creds})
	if err != nil || v.Window() != auth.DefaultWindow {
		t.Fatalf("defaults: %v %v", v, err)
	}
}

func TestParseAuthorization(t *testing.T) {
	sig := strings.Repeat("0a", 32)
	good := "auth-v2/ak/2021-08-31T09:38:50.872Z/content-length;content-type;host/" + sig
	a, err := auth.ParseAuthorization(good)
	if err != nil {
		t.Fatal(err)
	}
	if a.AccessKey != "ak" || a.String() != good || len(a.SignedHeaders) != 3 ||
		!a.Timestamp.Equal(time.Date(2021, 8, 31, 9, 38, 50, 872e6, time.UTC)) {
		t.Fatalf("parsed %+v", a)
	}
	if _, err := auth.ParseAuthorization("auth-v2/ak/2021-08-31T09:38:50Z/host/" + sig); err != nil {
		t.Fatalf("seconds form: %v", err)
	}
	bad := map[string]string{
		"four fields":          "auth-v2/ak/2021-08-31T09:38:50Z/" + sig,
		"six fields":           "auth-v2/a/k/2021-08-31T09:38:50Z/host/" + sig,
		"scheme case":          "Auth-v2/ak/2021-08-31T09:38:50Z/host/" + sig,
		"scheme v1":            "auth-v1/ak/2021-08-31T09:38:50Z/host/" + sig,
		"empty ak":             "auth-v2//2021-08-31T09:38:50Z/host/" + sig,
		"ak with space":        "auth-v2/a k/2021-08-31T09:38:50Z/host/" + sig,
		"ak non-ascii":         "auth-v2/ä/2021-08-31T09:38:50Z/host/" + sig,
		"local time":           "auth-v2/ak/2021-08-31T09:38:50+08:00/host/" + sig,
		"no zone":              "auth-v2/ak/2021-08-31T09:38:50/host/" + sig,
		"one-digit hour":       "auth-v2/ak/2021-08-31T9:38:50.87Z/host/" + sig,
		"micros":               "auth-v2/ak/2021-08-31T09:38:50.872123Z/host/" + sig,
		"two-digit millis":     "auth-v2/ak/2021-08-31T09:38:50.87Z/host/" + sig,
		"month 13":             "auth-v2/ak/2021-13-31T09:38:50Z/host/" + sig,
		"hour 24":              "auth-v2/ak/2021-08-31T24:38:50Z/host/" + sig,
		"space for T":          "auth-v2/ak/2021-08-31 09:38:50Z/host/" + sig,
		"unix time":            "auth-v2/ak/1630402730/host/" + sig,
		"no signed headers":    "auth-v2/ak/2021-08-31T09:38:50Z//" + sig,
		"uppercase header":     "auth-v2/ak/2021-08-31T09:38:50Z/Host/" + sig,
		"unsorted headers":     "auth-v2/ak/2021-08-31T09:38:50Z/host;content-type/" + sig,
		"duplicate header":     "auth-v2/ak/2021-08-31T09:38:50Z/host;host/" + sig,
		"empty header name":    "auth-v2/ak/2021-08-31T09:38:50Z/content-type;;host/" + sig,
		"trailing semicolon":   "auth-v2/ak/2021-08-31T09:38:50Z/host;/" + sig,
		"header with space":    "auth-v2/ak/2021-08-31T09:38:50Z/ho st/" + sig,
		"uppercase signature":  "auth-v2/ak/2021-08-31T09:38:50Z/host/" + strings.ToUpper(sig),
		"short signature":      "auth-v2/ak/2021-08-31T09:38:50Z/host/" + sig[:62],
		"long signature":       "auth-v2/ak/2021-08-31T09:38:50Z/host/" + sig + "00",
		"non-hex signature":    "auth-v2/ak/2021-08-31T09:38:50Z/host/" + sig[:63] + "g",
		"space after":          good + " ",
		"space before":         " " + good,
		"huge":                 "auth-v2/" + strings.Repeat("a", 5000) + "/2021-08-31T09:38:50Z/host/" + sig,
		"bearer":               "Bearer abc",
		"signature with colon": "auth-v2/ak/2021-08-31T09:38:50Z/host/" + sig[:63] + ":",
	}
	for name, h := range bad {
		if _, err := auth.ParseAuthorization(h); !errors.Is(err, auth.ErrMalformedHeader) {
			t.Errorf("%s: err = %v, want ErrMalformedHeader", name, err)
		}
	}
	if _, err := auth.ParseAuthorization(""); !errors.Is(err, auth.ErrMissingHeader) {
		t.Errorf("empty: err = %v", err)
	}
}

func TestKeyNeverPrintsSecret(t *testing.T) {
	k := auth.Key{AccessKey: "chatbot-a", SecretKey: "TOPSECRET", VDNs: []int{53}}
	for _, s := range []string{fmt.Sprint(k), fmt.Sprintf("%v %+v %#v %s", k, k, k, k), fmt.Sprint(&k)} {
		if strings.Contains(s, "TOPSECRET") {
			t.Fatalf("printed key contains its secret: %s", s)
		}
	}
}

func TestBeginVDNInBody(t *testing.T) {
	f := newFixture(t, auth.VerifierOptions{})
	for _, tt := range []struct {
		signer  auth.Signer
		allowed map[int]bool
	}{
		{f.signer, map[int]bool{53: true, 54: true, 55: false, 0: false}},
		{auth.Signer{AccessKey: "operator", SecretKey: "sk-op", Now: f.signer.Now}, map[int]bool{53: true, 1: true, 0: true}},
		{auth.Signer{AccessKey: "nowhere", SecretKey: "sk-nowhere", Now: f.signer.Now}, map[int]bool{53: false, 0: false}},
	} {
		x, err := f.verifier.BeginVDNInBody(context.Background(), f.request(t, tt.signer, "1"))
		if err != nil {
			t.Fatal(err)
		}
		x.Write([]byte(body))
		// No VDN is checked by Verify: even a key that may use none passes.
		if err := x.Verify(context.Background()); err != nil {
			t.Fatalf("%s: Verify: %v", tt.signer.AccessKey, err)
		}
		for vdn, want := range tt.allowed {
			if got := x.Allows(vdn); got != want {
				t.Errorf("%s: Allows(%d) = %v, want %v", tt.signer.AccessKey, vdn, got, want)
			}
		}
	}
	// A wrong signature still fails.
	x, err := f.verifier.BeginVDNInBody(context.Background(), f.request(t, auth.Signer{AccessKey: "chatbot-a", SecretKey: "wrong", Now: f.signer.Now}, "1"))
	if err != nil {
		t.Fatal(err)
	}
	x.Write([]byte(body))
	if err := x.Verify(context.Background()); !errors.Is(err, auth.ErrSignatureMismatch) {
		t.Fatalf("wrong secret: %v", err)
	}
}

// TestPreviousSecret: during a rotation a request signed with either
// secret holds, until the previous one's time is up.
func TestPreviousSecret(t *testing.T) {
	creds, err := auth.NewStatic(auth.Key{AccessKey: "chatbot-a", SecretKey: "sk-new", PreviousSecretKey: "sk-old",
		PreviousUntil: t0.Add(time.Hour), VDNs: []int{53}})
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, auth.VerifierOptions{Credentials: creds})
	for _, tt := range []struct {
		sk       string
		at       time.Time
		previous bool
		err      error
	}{
		{"sk-new", t0, false, nil},
		{"sk-old", t0, true, nil},
		{"sk-other", t0, false, auth.ErrSignatureMismatch},
		{"sk-new", t0.Add(time.Hour), false, nil},
		{"sk-old", t0.Add(time.Hour), false, auth.ErrSignatureMismatch},
	} {
		f.now = tt.at
		s := auth.Signer{AccessKey: "chatbot-a", SecretKey: tt.sk, Now: func() time.Time { return tt.at }}
		x, err := f.verifier.Begin(context.Background(), f.request(t, s, "53"), 53)
		if err != nil {
			t.Fatal(err)
		}
		x.Write([]byte(body))
		if err := x.Verify(context.Background()); !errors.Is(err, tt.err) || err == nil != (tt.err == nil) {
			t.Errorf("%s at %s: %v, want %v", tt.sk, tt.at.Format(time.TimeOnly), err, tt.err)
		}
		if x.UsedPreviousSecret() != tt.previous {
			t.Errorf("%s at %s: UsedPreviousSecret %v", tt.sk, tt.at.Format(time.TimeOnly), x.UsedPreviousSecret())
		}
	}
	if _, err := auth.NewStatic(auth.Key{AccessKey: "a", SecretKey: "s", PreviousSecretKey: "p"}); err == nil {
		t.Error("a previousSk without previousSkUntil was accepted")
	}
	k := auth.Key{AccessKey: "a", SecretKey: "s-secret", PreviousSecretKey: "p-secret", PreviousUntil: t0}
	for _, s := range []string{k.String(), fmt.Sprintf("%v %+v %#v", k, k, k)} {
		if strings.Contains(s, "secret") {
			t.Errorf("a secret printed: %s", s)
		}
	}
}

// Only host must be signed unless the operator requires more; then a
// request that signs less is refused before its body, naming the header.
func TestRequiredHeaders(t *testing.T) {
	hostOnly := auth.Signer{AccessKey: "chatbot-a", SecretKey: "sk-A-very-secret", SignedHeaders: []string{"host"}, Now: func() time.Time { return t0 }}
	f := newFixture(t, auth.VerifierOptions{})
	if err := f.verify(f.request(t, hostOnly, "53"), 53); err != nil {
		t.Fatalf("host alone, by default: %v", err)
	}
	f = newFixture(t, auth.VerifierOptions{SignedHeaders: []string{"Content-Type"}})
	_, err := f.verifier.Begin(context.Background(), f.request(t, hostOnly, "53"), 53)
	if !errors.Is(err, auth.ErrMalformedHeader) || !strings.Contains(err.Error(), "content-type must be signed") {
		t.Fatalf("content-type required: %v", err)
	}
	if err := f.verify(f.request(t, f.signer, "53"), 53); err != nil {
		t.Fatalf("content-type required and signed: %v", err)
	}
}

// TestWindowRefusalSaysWhichWay: a signing time outside the window is
// refused naming it, the server's time, how far apart they are and which
// way (a time signed in the past is behind the server's clock), and the
// window; one just inside it on either side is accepted.
func TestWindowRefusalSaysWhichWay(t *testing.T) {
	f := newFixture(t, auth.VerifierOptions{})
	f.now = time.Date(2026, 11, 23, 12, 21, 38, 0, time.UTC)
	tests := []struct {
		name   string
		signed time.Time
		want   string // "" for accepted
	}{
		{"behind", time.Date(2026, 11, 23, 12, 1, 38, 0, time.UTC),
			"signed at 12:01:38Z, 20m0s behind the server's clock (12:21:38Z); the window is ±15m"},
		{"ahead", time.Date(2026, 11, 23, 12, 41, 38, 0, time.UTC),
			"signed at 12:41:38Z, 20m0s ahead of the server's clock (12:21:38Z); the window is ±15m"},
		{"just inside, behind", f.now.Add(-15 * time.Minute), ""},
		{"just inside, ahead", f.now.Add(15 * time.Minute), ""},
		{"sub-second past the window, behind", f.now.Add(-15*time.Minute - 400*time.Millisecond),
			"signed at 12:06:37.6Z, 15m1s behind the server's clock (12:21:38Z); the window is ±15m"},
		{"sub-second past the window, ahead", f.now.Add(15*time.Minute + time.Millisecond),
			"signed at 12:36:38.001Z, 15m1s ahead of the server's clock (12:21:38Z); the window is ±15m"},
		{"rounded to the second", f.now.Add(-20*time.Minute - 600*time.Millisecond),
			"signed at 12:01:37.4Z, 20m1s behind the server's clock (12:21:38Z); the window is ±15m"},
		{"another day", f.now.Add(-24 * time.Hour),
			"signed at 2026-11-22T12:21:38Z, 24h0m0s behind the server's clock (2026-11-23T12:21:38Z); the window is ±15m"},
		// Further apart than a time.Duration holds (292 years): still the
		// right way round and the whole distance, never a negative or a
		// saturated one.
		{"centuries ahead", time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
			"signed at 9999-12-31T23:59:59Z, 69890795h38m21s ahead of the server's clock (2026-11-23T12:21:38Z); the window is ±15m"},
		{"centuries behind", time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
			"signed at 0001-01-01T00:00:00Z, 17758620h21m38s behind the server's clock (2026-11-23T12:21:38Z); the window is ±15m"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := auth.Signer{AccessKey: "chatbot-a", SecretKey: "sk-A-very-secret", Now: func() time.Time { return tc.signed }}
			err := f.verify(f.request(t, s, "53"), 53)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want == "":
			case !errors.Is(err, auth.ErrTimestampWindow):
				t.Fatalf("err = %v, want ErrTimestampWindow", err)
			case err.Error() != "auth: timestamp outside the accepted window: "+tc.want:
				t.Fatalf("err = %q\nwant %q", err, tc.want)
			}
		})
	}
}

// TestWindowRefusalServerTimeToTheSecond: the server's time is quoted to
// the second, and a window of hours without its zero tail.
func TestWindowRefusalServerTimeToTheSecond(t *testing.T) {
	f := newFixture(t, auth.VerifierOptions{Window: time.Hour})
	f.now = time.Date(2026, 11, 23, 12, 21, 38, 900_000_000, time.UTC)
	s := auth.Signer{AccessKey: "chatbot-a", SecretKey: "sk-A-very-secret", OmitMillis: true,
		Now: func() time.Time { return f.now.Add(90 * time.Minute) }}
	err := f.verify(f.request(t, s, "53"), 53)
	want := "auth: timestamp outside the accepted window: signed at 13:51:38Z, 1h29m59s ahead of the server's clock (12:21:38Z); the window is ±1h"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
}
