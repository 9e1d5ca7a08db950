package auth_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/internal/testkit/refclient"
)

var deleteRequest = refclient.Request{
	Path:    "/CCFS/resource/ccfs/ivr/deleteFile",
	Headers: [][2]string{{"Host", "10.22.26.181"}, {"Content-Type", "application/json;charset=UTF-8"}},
	Body:    []byte(`{"request":{"version":"2.0"},"msgBody":{"fileName":"Y:/3rdfile/53/thirdvoicebotfile/a.wav"}}`),
}

// verifyReference verifies r, signed by the reference client with sk as
// v says, on a verifier that knows key "ak" with secret "right" (and,
// if previous is set, the previous secret "before").
func verifyReference(t *testing.T, r refclient.Request, sk string, v refclient.Variant, previous bool) (*auth.Verification, refclient.Signed, error) {
	t.Helper()
	key := auth.Key{AccessKey: "ak", SecretKey: "right", AnyVDN: true}
	if previous {
		key.PreviousSecretKey, key.PreviousUntil = "before", t0.Add(time.Hour)
	}
	creds, _ := auth.NewStatic(key)
	ver, err := auth.NewVerifier(auth.VerifierOptions{Credentials: creds, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	authorization, signed := refclient.Sign("ak", sk, t0, r, v)
	target := r.Path
	if r.Query != "" {
		target += "?" + r.Query
	}
	s := httptest.NewRequest("POST", target, strings.NewReader(string(r.Body)))
	s.Header.Del("Host")
	for _, h := range r.Headers {
		if strings.EqualFold(h[0], "host") {
			s.Host = h[1]
		} else {
			s.Header.Add(h[0], h[1])
		}
	}
	s.Header.Set("Content-Length", strconv.Itoa(len(r.Body)))
	s.Header.Set("Authorization", authorization)
	x, err := ver.BeginVDNInBody(context.Background(), s)
	if err != nil {
		t.Fatalf("Begin: %v", err)
	}
	x.Write(r.Body)
	return x, signed, x.Verify(context.Background())
}

// A request without a query verifies whether or not its client wrote the
// empty query line, with either secret during a rotation, and the
// Verification says which form held.
func TestEmptyQueryLine(t *testing.T) {
	for _, previous := range []bool{false, true} {
		sk := "right"
		if previous {
			sk = "before"
		}
		for _, v := range []refclient.Variant{refclient.Demo, refclient.EmptyQuery} {
			x, _, err := verifyReference(t, deleteRequest, sk, v, previous)
			if err != nil {
				t.Fatalf("%s, secret %s: %v", v.Name, sk, err)
			}
			if x.EmptyQueryLine() != v.EmptyQueryLine || x.UsedPreviousSecret() != previous {
				t.Fatalf("%s, secret %s: EmptyQueryLine %v, UsedPreviousSecret %v", v.Name, sk, x.EmptyQueryLine(), x.UsedPreviousSecret())
			}
		}
	}
}

// A signature that does not match says what the server signed: byte for
// byte what the reference client signed for the same request, and the
// same as the client-side ExplainRequest.
func TestMismatchExplains(t *testing.T) {
	for _, v := range []refclient.Variant{refclient.Demo, refclient.Page, refclient.EmptyQuery} {
		_, signed, err := verifyReference(t, deleteRequest, "wrong", v, false)
		var me *auth.MismatchError
		if !errors.Is(err, auth.ErrSignatureMismatch) || !errors.As(err, &me) {
			t.Fatalf("%s: %v, want a MismatchError", v.Name, err)
		}
		e := me.Explanation
		head := signed.Head
		if v.EmptyQueryLine { // the server shows the vendor's form, and says the other is accepted too
			head = strings.Replace(head, "/deleteFile\n\n", "/deleteFile\n", 1)
		}
		if e.AuthStringPrefix != signed.Prefix || e.CanonicalRequest != head || !e.EmptyQueryLineAlsoAccepted ||
			e.BodyLength != int64(len(signed.Body)) || !strings.HasPrefix(signed.Body, e.BodyStart) || len(e.BodyStart) != 96 {
			t.Fatalf("%s: the server explained\n%s\nthe client signed prefix %s, head %q, body %d bytes", v.Name, e.String(), signed.Prefix, signed.Head, len(signed.Body))
		}
		for _, secret := range []string{"right", "wrong", "before"} {
			if strings.Contains(e.String(), secret) {
				t.Fatalf("%s: the explanation holds %q", v.Name, secret)
			}
		}
	}
	// The client's side, from a Signer: the same layout, line for line.
	s := auth.Signer{AccessKey: "ak", SecretKey: "wrong", SignedHeaders: []string{"host"}, OmitMillis: true, Now: func() time.Time { return t0 }}
	c := httptest.NewRequest("POST", "https://10.22.26.181/CCFS/resource/ccfs/ivr/deleteFile", strings.NewReader(string(deleteRequest.Body)))
	c.RequestURI = ""
	if err := s.Sign(c, deleteRequest.Body); err != nil {
		t.Fatal(err)
	}
	mine, err := auth.ExplainRequest(c, strings.NewReader(string(deleteRequest.Body)), "wrong")
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = verifyReference(t, deleteRequest, "wrong", refclient.Demo, false)
	var me *auth.MismatchError
	errors.As(err, &me)
	me.Explanation.EmptyQueryLineAlsoAccepted = false
	if mine.String() != me.Explanation.String() {
		t.Fatalf("client:\n%s\nserver:\n%s", mine, &me.Explanation)
	}
}

// A 401 shows the values only of the headers a client sets itself. A
// caller who knows only an access key may sign any header a proxy adds
// (a token, its address); the explanation shows its length and a hash
// keyed with the secret instead, which the client's own ExplainRequest
// computes the same way for a value it did send.
func TestMismatchHidesHeadersAClientDoesNotSet(t *testing.T) {
	const token, requestID = "s3cr3t-internal-0123", "req-42"
	creds, _ := auth.NewStatic(auth.Key{AccessKey: "ak", SecretKey: "right", AnyVDN: true})
	ver, err := auth.NewVerifier(auth.VerifierOptions{Credentials: creds, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	signed := []string{"host", "content-type", "x-request-id", "x-internal-token", "x-forwarded-for"}
	c := httptest.NewRequest("POST", "https://10.22.26.181/CCFS/resource/ccfs/ivr/deleteFile", strings.NewReader(string(deleteRequest.Body)))
	c.RequestURI = ""
	c.Header.Set("Content-Type", "application/json")
	c.Header.Set("X-Request-Id", requestID)
	c.Header.Set("X-Internal-Token", "")
	c.Header.Set("X-Forwarded-For", "")
	s := auth.Signer{AccessKey: "ak", SecretKey: "right", SignedHeaders: signed, Now: func() time.Time { return t0 }}
	if err := s.Sign(c, deleteRequest.Body); err != nil {
		t.Fatal(err)
	}
	mine, err := auth.ExplainRequest(c, strings.NewReader(string(deleteRequest.Body)), "right")
	if err != nil {
		t.Fatal(err)
	}

	// What the server receives: a proxy added a token and the address.
	r := httptest.NewRequest("POST", "/CCFS/resource/ccfs/ivr/deleteFile", strings.NewReader(string(deleteRequest.Body)))
	r.Host = "10.22.26.181"
	r.Header = c.Header.Clone()
	r.Header.Set("X-Internal-Token", token)
	r.Header.Set("X-Forwarded-For", "10.9.8.7")
	x, err := ver.BeginVDNInBody(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	x.Write(deleteRequest.Body)
	var me *auth.MismatchError
	if err := x.Verify(context.Background()); !errors.As(err, &me) {
		t.Fatalf("a header changed on the way: %v, want a mismatch", err)
	}
	me.Explanation.EmptyQueryLineAlsoAccepted = false // a server's word alone
	server := me.Explanation.String()
	for _, secret := range []string{token, "10.9.8.7", "10.9.8", requestID, "right"} {
		if strings.Contains(server, secret) || strings.Contains(server, refclient.Norm([]byte(secret))) {
			t.Errorf("the explanation holds %q:\n%s", secret, server)
		}
	}
	for _, want := range []string{
		"|host:10.22.26.181|", "|content-type:application%2Fjson|",
		"|x-internal-token:" + auth.HiddenValue(refclient.Norm([]byte(token)), "right") + "|",
		"|x-internal-token:(hidden: 20 bytes, hmac ",
		"|x-request-id:" + auth.HiddenValue(requestID, "right") + "|",
	} {
		if !strings.Contains(server, want) {
			t.Errorf("the explanation lacks %q:\n%s", want, server)
		}
	}
	// The client's side differs in the lines the proxy changed, and only
	// there.
	var differ []string
	ml, sl := strings.Split(mine.String(), "\n"), strings.Split(server, "\n")
	for i := range min(len(ml), len(sl)) {
		if ml[i] != sl[i] {
			differ = append(differ, strings.Split(strings.Trim(ml[i], "|"), ":")[0])
		}
	}
	if len(ml) != len(sl) || !slices.Equal(differ, []string{"x-forwarded-for", "x-internal-token"}) {
		t.Fatalf("the lines that differ: %v\nclient:\n%s\nserver:\n%s", differ, mine, server)
	}
}
