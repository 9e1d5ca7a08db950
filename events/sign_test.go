package events_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs/events"
)

// The Standard Webhooks specification's published test vector, from
// github.com/standard-webhooks/standard-webhooks, the Go library's test
// TestWebhookSign in libraries/go/webhook_test.go (the same values are
// in the other libraries' tests, e.g. libraries/javascript/src/webhook.test.ts
// and libraries/java/src/test/java/com/standardwebhooks/TestScenario.java).
const (
	vectorSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vectorID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorTimestamp = 1614265330
	vectorBody      = `{"test": 2432232314}`
	vectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func vector(t *testing.T) (events.Secret, http.Header, []byte, time.Time) {
	t.Helper()
	s, err := events.ParseSecret(vectorSecret)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set("webhook-id", vectorID)
	h.Set("webhook-timestamp", strconv.Itoa(vectorTimestamp))
	h.Set("webhook-signature", vectorSignature)
	return s, h, []byte(vectorBody), time.Unix(vectorTimestamp, 0)
}

func TestStandardWebhooksVector(t *testing.T) {
	s, h, body, ts := vector(t)
	if got := events.Sign(s, vectorID, ts, body); got != vectorSignature {
		t.Errorf("Sign = %s, want %s", got, vectorSignature)
	}
	if err := events.Verify(s, h, body, ts.Add(4*time.Minute), 0); err != nil {
		t.Errorf("Verify: %v", err)
	}
	if got := events.Headers(vectorID, ts, body, s); got.Get("Webhook-Id") != vectorID || got.Get("Webhook-Timestamp") != "1614265330" || got.Get("Webhook-Signature") != vectorSignature {
		t.Errorf("Headers = %v", got)
	}
	if s.Text() != vectorSecret {
		t.Errorf("Text = %s", s.Text())
	}
}

// Each part of the signed content is signed: change one and Verify
// refuses, saying no signature matches.
func TestVerifyRefusesTampering(t *testing.T) {
	s, h, _, now := vector(t)
	other, _ := events.ParseSecret("whsec_" + base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", 24))))
	for name, tc := range map[string]struct {
		secret events.Secret
		header func(http.Header)
		body   string
	}{
		"body":                 {s, nil, `{"test": 2432232315}`},
		"body with a space":    {s, nil, vectorBody + " "},
		"empty body":           {s, nil, ""},
		"id":                   {s, func(h http.Header) { h.Set("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJel") }, vectorBody},
		"timestamp":            {s, func(h http.Header) { h.Set("webhook-timestamp", "1614265331") }, vectorBody},
		"secret":               {other, nil, vectorBody},
		"signature":            {s, func(h http.Header) { h.Set("webhook-signature", "v1,g1hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=") }, vectorBody},
		"signature's pad bits": {s, func(h http.Header) { h.Set("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OF=") }, vectorBody},
		"signature cut":        {s, func(h http.Header) { h.Set("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1O") }, vectorBody},
		"signature not b64":    {s, func(h http.Header) { h.Set("webhook-signature", "v1,!!!") }, vectorBody},
		"moved across a dot": {s, func(h http.Header) {
			h.Set("webhook-id", vectorID+".1614265330")
			h.Set("webhook-timestamp", "1614265330")
		}, vectorBody},
	} {
		hh := h.Clone()
		if tc.header != nil {
			tc.header(hh)
		}
		err := events.Verify(tc.secret, hh, []byte(tc.body), now, 0)
		if !errors.Is(err, events.ErrSignature) {
			t.Errorf("%s: Verify = %v, want ErrSignature", name, err)
		}
	}
}

// A signature over content whose id holds a '.' could be replayed with
// bytes moved between the id, the timestamp and the body: Verify refuses
// such an id even when the signature holds.
func TestVerifyRefusesDotInID(t *testing.T) {
	s, _, _, now := vector(t)
	// id "a" at 1614265330 with body "5.{}" signs "a.1614265330.5.{}";
	// so does id "a.1614265330" at 5 with body "{}", except that 5 is far
	// from now: use ids and times that move cleanly.
	sig := events.Sign(s, "a", now, []byte(strconv.FormatInt(now.Unix(), 10)+".{}"))
	h := events.Headers("a."+strconv.FormatInt(now.Unix(), 10), now, []byte("{}"))
	h.Set("webhook-signature", sig)
	err := events.Verify(s, h, []byte("{}"), now, 0)
	if !errors.Is(err, events.ErrSignature) || !strings.Contains(err.Error(), "'.'") {
		t.Errorf("Verify = %v", err)
	}
}

// Several signatures, space-separated: one v1 that holds is enough, in
// any place; v1a, v2 and unknown versions are passed over, even when
// their bytes are the right HMAC.
func TestVerifySignatureList(t *testing.T) {
	s, h, body, now := vector(t)
	mac := strings.TrimPrefix(vectorSignature, "v1,")
	other := "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4="
	for _, tc := range []struct {
		sigs string
		ok   bool
		says string
	}{
		{vectorSignature, true, ""},
		{other + " " + vectorSignature, true, ""},
		{vectorSignature + " " + other, true, ""},
		{"v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg== " + vectorSignature, true, ""},
		{"v2," + mac + " junk " + other + " " + vectorSignature, true, ""},
		{other, false, "none of 1 v1 signatures"},
		{other + " " + other, false, "none of 2 v1 signatures"},
		{"v2," + mac, false, "no v1 signature"},
		{"v1a," + mac, false, "no v1 signature"},
		{"V1," + mac, false, "no v1 signature"},
		{mac, false, "no v1 signature"},
		{"v1, " + mac, false, "none of 1"},
	} {
		hh := h.Clone()
		hh.Set("webhook-signature", tc.sigs)
		err := events.Verify(s, hh, body, now, 0)
		if tc.ok && err != nil || !tc.ok && (!errors.Is(err, events.ErrSignature) || !strings.Contains(err.Error(), tc.says)) {
			t.Errorf("%q: Verify = %v", tc.sigs, err)
		}
	}
	// Headers signs with every secret given, so a receiver holding either
	// one of a rotation's two secrets verifies.
	next := events.NewSecret()
	both := events.Headers(vectorID, now, body, next, s)
	for _, sec := range []events.Secret{s, next} {
		if err := events.Verify(sec, both, body, now, 0); err != nil {
			t.Errorf("rotation: %v", err)
		}
	}
}

// The timestamp must be within the tolerance of now, either way; 0 is
// DefaultTolerance, five minutes.
func TestVerifyTolerance(t *testing.T) {
	s, h, body, ts := vector(t)
	for _, tc := range []struct {
		now       time.Duration // from the timestamp
		tolerance time.Duration
		says      string // "" for accepted
	}{
		{0, 0, ""},
		{5 * time.Minute, 0, ""},
		{-5 * time.Minute, 0, ""},
		{5*time.Minute + time.Second, 0, "5m1s old"},
		{-5*time.Minute - time.Second, 0, "5m1s in the future"},
		{time.Hour, 0, "1h0m0s old"},
		{-time.Hour, -time.Second, "in the future, beyond the tolerance of 5m0s"},
		{time.Hour, 2 * time.Hour, ""},
		{-time.Hour, 2 * time.Hour, ""},
		{11 * time.Second, 10 * time.Second, "11s old, beyond the tolerance of 10s"},
		{-11 * time.Second, 10 * time.Second, "11s in the future"},
	} {
		err := events.Verify(s, h, body, ts.Add(tc.now), tc.tolerance)
		if tc.says == "" && err != nil || tc.says != "" && (!errors.Is(err, events.ErrTimestamp) || !strings.Contains(err.Error(), tc.says)) {
			t.Errorf("now %v, tolerance %v: Verify = %v, want %q", tc.now, tc.tolerance, err, tc.says)
		}
	}
	// A timestamp that is not plain Unix seconds is refused before the
	// signature is looked at.
	for _, bad := range []string{"1614265330.0", "+1614265330", "01614265330", " 1614265330", "0x603", "1.6e9", "99999999999999999999"} {
		hh := h.Clone()
		hh.Set("webhook-timestamp", bad)
		if err := events.Verify(s, hh, body, ts, 0); !errors.Is(err, events.ErrTimestamp) || !strings.Contains(err.Error(), "not Unix seconds") {
			t.Errorf("timestamp %q: Verify = %v", bad, err)
		}
	}
}

func TestVerifyMissingHeaders(t *testing.T) {
	s, h, body, now := vector(t)
	for _, name := range []string{"webhook-id", "webhook-timestamp", "webhook-signature"} {
		hh := h.Clone()
		hh.Del(name)
		if err := events.Verify(s, hh, body, now, 0); !errors.Is(err, events.ErrMissingHeader) || !strings.HasSuffix(err.Error(), name) {
			t.Errorf("without %s: Verify = %v", name, err)
		}
	}
	if err := events.Verify(events.Secret{}, h, body, now, 0); err == nil {
		t.Error("Verify with the zero Secret passed")
	}
}

func TestParseSecret(t *testing.T) {
	key := func(n int) string { return base64.StdEncoding.EncodeToString(make([]byte, n)) }
	for _, ok := range []string{vectorSecret, vectorSecret + "\n", " " + vectorSecret + "\r\n", "whsec_" + key(24), "whsec_" + key(32), "whsec_" + key(64)} {
		s, err := events.ParseSecret(ok)
		if err != nil {
			t.Errorf("ParseSecret(%q): %v", ok, err)
		} else if s.Text() != strings.TrimSpace(ok) {
			t.Errorf("ParseSecret(%q).Text() = %q", ok, s.Text())
		}
	}
	for _, tc := range []struct{ text, says string }{
		{"", "empty"},
		{"  \n", "empty"},
		{"whsec_", "nothing after whsec_"},
		{"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", `does not begin with "whsec_"`},
		{"WHSEC_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", `does not begin with "whsec_"`},
		{"whsk_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "asymmetric"},
		{"whpk_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "asymmetric"},
		{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS", "not standard base64"},
		{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLa-w", "not standard base64"},
		{"whsec_" + strings.TrimRight(key(32), "="), "not standard base64"},
		{"whsec_" + key(32)[:20] + " " + key(32)[20:], "not standard base64"},
		{"whsec_" + key(23), "23 bytes"},
		{"whsec_" + key(65), "65 bytes"},
		{"whsec_" + key(1), "1 bytes"},
	} {
		_, err := events.ParseSecret(tc.text)
		if err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("ParseSecret(%q) = %v, want an error saying %q", tc.text, err, tc.says)
		}
	}
}

func TestNewSecret(t *testing.T) {
	a, b := events.NewSecret(), events.NewSecret()
	if a.Text() == b.Text() || a.IsZero() || !(events.Secret{}).IsZero() {
		t.Fatalf("NewSecret: %s, %s", a.Text(), b.Text())
	}
	back, err := events.ParseSecret(a.Text())
	if err != nil || back.Text() != a.Text() {
		t.Fatalf("ParseSecret(NewSecret().Text()) = %v, %v", back, err)
	}
	if n := base64.StdEncoding.DecodedLen(len(strings.TrimPrefix(a.Text(), "whsec_"))); n < 24 || n > 33 {
		t.Errorf("NewSecret's key is about %d bytes", n)
	}
	// Printing a Secret does not show it.
	for _, f := range []string{"%v", "%s", "%+v", "%#v"} {
		if got := strings.TrimSpace(fmt.Sprintf(f, a)); strings.Contains(got, strings.TrimPrefix(a.Text(), "whsec_")[:8]) || got != "whsec_…" {
			t.Errorf("%s prints %q", f, got)
		}
	}
}

// FuzzVerify: Verify never panics on any header or body, and accepts
// whatever Sign signed with the same secret (an id without a '.').
func FuzzVerify(f *testing.F) {
	f.Add([]byte(strings.Repeat("k", 24)), vectorID, int64(vectorTimestamp), []byte(vectorBody), vectorSignature, int64(0))
	f.Add([]byte(strings.Repeat("k", 64)), "evt_01kbr3n5g0aaaaaaaaaaaaaaaa", int64(-1), []byte{}, "v1, v2,x v1,=", int64(300))
	f.Fuzz(func(t *testing.T, key []byte, id string, ts int64, body []byte, sigs string, skew int64) {
		if len(key) < 24 || len(key) > 64 {
			key = append(make([]byte, 24), key...)[:24+len(key)%41]
		}
		s, err := events.ParseSecret("whsec_" + base64.StdEncoding.EncodeToString(key))
		if err != nil {
			t.Fatal(err)
		}
		at := time.Unix(ts%(1<<40), 0)
		now := at.Add(time.Duration(skew%600) * time.Second)
		h := http.Header{}
		h.Set("webhook-id", id)
		h.Set("webhook-timestamp", strconv.FormatInt(at.Unix(), 10))
		h.Set("webhook-signature", sigs)
		_ = events.Verify(s, h, body, now, 0) // no panic

		h = events.Headers(id, at, body, s)
		err = events.Verify(s, h, body, now, 0)
		withinTolerance := now.Sub(at) <= events.DefaultTolerance && at.Sub(now) <= events.DefaultTolerance
		switch {
		case id == "" || strings.Contains(id, "."):
			if err == nil {
				t.Errorf("id %q verified", id)
			}
		case !withinTolerance:
			if !errors.Is(err, events.ErrTimestamp) {
				t.Errorf("at %v, now %v: %v", at, now, err)
			}
		case err != nil:
			t.Errorf("Verify(Sign(%q, %v, %q)): %v", id, at, body, err)
		}
	})
}
