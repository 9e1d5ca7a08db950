package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"
)

// DefaultWindow is how far a signing time may be from the server's clock,
// either way, unless VerifierOptions.Window says otherwise.
const DefaultWindow = 15 * time.Minute

// VerifierOptions configures NewVerifier. A zero field means its default.
type VerifierOptions struct {
	// Credentials looks access keys up. Required.
	Credentials Credentials
	// Replay remembers accepted signatures. Default: a MemoryReplay of
	// DefaultReplayCapacity entries on the same clock.
	Replay ReplayCache
	// Window is the accepted distance between the signing time and Now,
	// either way. Default: DefaultWindow (15 minutes).
	Window time.Duration
	// SignedHeaders must be among the signed headers of every request (the
	// same setting as ccfs.Options.SignedHeaders).
	// host is always required. Default: host alone, as the vendor's demo
	// signs: the body is inside the signature whatever the list says, so
	// requiring more secures nothing and shuts such clients out.
	SignedHeaders []string
	// Now returns the server's time. Default: time.Now.
	Now func() time.Time
}

// A Verifier checks auth-v2 signatures. It is safe for concurrent use.
type Verifier struct {
	creds    Credentials
	replay   ReplayCache
	window   time.Duration
	required []string
	now      func() time.Time
}

// NewVerifier returns a Verifier, or an error if opts are invalid.
func NewVerifier(opts VerifierOptions) (*Verifier, error) {
	if opts.Credentials == nil {
		return nil, errors.New("auth: VerifierOptions.Credentials is required")
	}
	if opts.Window < 0 {
		return nil, errors.New("auth: VerifierOptions.Window is negative")
	}
	v := &Verifier{creds: opts.Credentials, replay: opts.Replay, window: opts.Window, now: opts.Now}
	if v.now == nil {
		v.now = time.Now
	}
	if v.window == 0 {
		v.window = DefaultWindow
	}
	if v.replay == nil {
		v.replay = NewMemoryReplay(MemoryReplayOptions{Now: v.now})
	}
	v.required = []string{"host"}
	for _, h := range opts.SignedHeaders {
		h = strings.ToLower(h)
		if !isHeaderName(h) {
			return nil, fmt.Errorf("auth: required header %q is not a header name", clip(h))
		}
		v.required = append(v.required, h)
	}
	slices.Sort(v.required)
	v.required = slices.Compact(v.required)
	return v, nil
}

// Window returns the accepted distance between signing time and server time.
func (v *Verifier) Window() time.Duration { return v.window }

// Begin checks what can be checked before the body is read: the
// Authorization header's form, that every required header is signed and
// every signed header is present once, the signing time, and that the
// access key exists. On success the body must be written, in full and in
// order, to the returned Verification, and Verify called at its end.
//
// A request without a query is verified in both of the forms clients
// sign it in: without a query line (the vendor's), and with an empty one
// (as some public ports write it). Both are computed in the one pass
// over the body; EmptyQueryLine says which held.
//
// An unknown access key is refused here, with an error wrapping
// ErrUnknownKey: access keys are identifiers, not secrets, and refusing at
// once spares the server the body of a request that cannot succeed. A key
// that may not use vdn fails in Verify with ErrVDNNotAllowed, once its
// signature is proven right.
func (v *Verifier) Begin(ctx context.Context, r *http.Request, vdn int) (*Verification, error) {
	x, err := v.begin(ctx, r)
	if err != nil {
		return nil, err
	}
	x.vdnAllowed = x.key.Allows(vdn)
	return x, nil
}

// BeginVDNInBody is Begin for a request that names its VDN inside its body,
// as deleteFile and downloadFile do (the VDN is a segment of a path): the
// VDN is not known until the body has been read. Verify then checks the
// signature, the window and the replay, but no VDN; once it has passed,
// the server reads the VDN from the body and asks Allows.
func (v *Verifier) BeginVDNInBody(ctx context.Context, r *http.Request) (*Verification, error) {
	x, err := v.begin(ctx, r)
	if err != nil {
		return nil, err
	}
	x.vdnAllowed = true
	return x, nil
}

func (v *Verifier) begin(ctx context.Context, r *http.Request) (*Verification, error) {
	if n := len(r.Header.Values("Authorization")); n > 1 {
		return nil, fmt.Errorf("%w: %d Authorization headers", ErrMalformedHeader, n)
	}
	a, err := ParseAuthorization(r.Header.Get("Authorization"))
	if err != nil {
		return nil, err
	}
	for _, h := range v.required {
		if _, found := slices.BinarySearch(a.SignedHeaders, h); !found {
			return nil, fmt.Errorf("%w: header %s must be signed", ErrMalformedHeader, h)
		}
	}
	if err := v.checkWindow(a); err != nil {
		return nil, err
	}
	values, err := receivedValues(r, a.SignedHeaders)
	if err != nil {
		return nil, err
	}
	head, err := canonicalHead(r.Method, requestPath(r), r.URL.RawQuery, a.SignedHeaders, values)
	if err != nil {
		return nil, err
	}
	key, err := v.creds.Lookup(ctx, a.AccessKey)
	switch {
	case errors.Is(err, ErrUnknownKey):
		return nil, fmt.Errorf("%w: %q", ErrUnknownKey, clip(a.AccessKey))
	case err != nil:
		return nil, fmt.Errorf("auth: looking up the access key: %w", err)
	}
	prefix := StringPrefix(a.AccessKey, a.RawTimestamp, a.SignedHeaders)
	// What a mismatch shows: the values of headers a client sets itself,
	// and of any other only a hash keyed with the secret.
	shown := hideValues(head, a.SignedHeaders, key.SecretKey)
	x := &Verification{verifier: v, auth: a, head: head, shownHead: shown, prefix: prefix}
	heads := [][]byte{head}
	if r.URL.RawQuery == "" {
		heads = append(heads, withEmptyQueryLine(head, len(r.Method)+1+len(requestPath(r))+1))
	}
	secrets := []string{key.SecretKey}
	if key.previousValid(v.now()) { // a rotation: the body is signed with one of two secrets
		secrets = append(secrets, key.PreviousSecretKey)
	}
	for si, sk := range secrets {
		signingKey := []byte(SigningKey(sk, prefix))
		for hi, h := range heads {
			if x.mac == nil {
				x.mac = newCanonicalMAC(signingKey, h)
			} else {
				x.mac.add(signingKey, h)
			}
			x.forms = append(x.forms, form{previousSecret: si == 1, emptyQueryLine: hi == 1})
		}
	}
	x.secret = key.SecretKey                      // for DeriveKey only, once proven
	key.SecretKey, key.PreviousSecretKey = "", "" // kept for its VDNs only
	x.key = key
	return x, nil
}

// A Verification checks one request's body against its signature. Write
// the body to it as it is read, then call Verify once. It holds a fixed
// amount of memory whatever the body's size. It is not safe for concurrent
// use.
type Verification struct {
	verifier   *Verifier
	auth       *Authorization
	key        Key    // without its secret
	secret     string // the key's current secret, for DeriveKey (derive.go)
	vdnAllowed bool
	head       []byte // the canonical request up to the body, as the vendor forms it
	shownHead  []byte // head as a mismatch shows it (see hideValues)
	prefix     string
	mac        *canonicalMAC // a signature for each of forms
	forms      []form
	verified   bool
	proven     bool
	matched    form // the form whose signature held, once proven
}

// A form is one way the request may have been signed: with the key's
// current or previous secret, without a query line or with an empty one.
type form struct{ previousSecret, emptyQueryLine bool }

// withEmptyQueryLine returns head with an empty line inserted at i, just
// after the path's line.
func withEmptyQueryLine(head []byte, i int) []byte {
	h := make([]byte, 0, len(head)+1)
	h = append(h, head[:i]...)
	h = append(h, '\n')
	return append(h, head[i:]...)
}

// AccessKey returns the access key the request claims. It is a known key,
// but until Verify proves the signature right it is only a claim.
func (x *Verification) AccessKey() string { return x.auth.AccessKey }

// VDNAllowed reports whether the claimed key may use the VDN given to
// Begin. Until the signature is proven it says what the key would be
// allowed, not that the caller holds the key: a server uses it to spare
// work (touching storage) for a request that cannot succeed, and still
// lets Verify decide what to answer.
func (x *Verification) VDNAllowed() bool { return x.vdnAllowed }

// Allows reports whether the request's key may use vdn: for a request
// begun with BeginVDNInBody, ask it after Verify, with the VDN the body
// names. VDN 0 stands for a path without a VDN (a path rule without
// %VDNNO%): only a key with AnyVDN may use it. Like VDNAllowed, it says
// what the key would be allowed; only Proven says the caller holds it.
func (x *Verification) Allows(vdn int) bool {
	if vdn == 0 {
		return x.key.AnyVDN
	}
	return x.key.Allows(vdn)
}

// Proven reports whether Verify found the signature right: the caller
// holds the key's secret, whatever Verify then said about the VDN, the
// window or a replay. Before Verify it is false.
func (x *Verification) Proven() bool { return x.proven }

// Timestamp returns the signing time the request claims.
func (x *Verification) Timestamp() time.Time { return x.auth.Timestamp }

// Write feeds the next part of the body into the signature check. It never
// fails.
func (x *Verification) Write(p []byte) (int, error) { return x.mac.Write(p) }

// UsedPreviousSecret reports whether the signature held with the key's
// previous secret (Key.PreviousSecretKey) rather than its current one:
// a caller that has not moved to the new secret yet.
func (x *Verification) UsedPreviousSecret() bool { return x.matched.previousSecret }

// EmptyQueryLine reports whether the signature held for the canonical
// request with an empty query line after the path, which the request
// had no query for: a client that writes the line always, as some ports
// of the signer do, rather than only for a query, as the vendor does.
func (x *Verification) EmptyQueryLine() bool { return x.matched.emptyQueryLine }

// Verify ends the check, after the last byte of the body was written. It
// returns nil if the signature is right for the body (made with the key's
// secret, or during a rotation its previous one), the key may use the
// VDN, the signing time is still inside the window now that the body has
// ended, and the signature had not been used before (it is then recorded
// as used until ReplayMargin after the window closes). Otherwise it returns
// an error wrapping, in this order of precedence, ErrSignatureMismatch,
// ErrVDNNotAllowed, ErrTimestampWindow, ErrReplay or ErrReplayUnavailable.
// A mismatch is a *MismatchError, which says what the server signed.
//
// The window is checked again here because Begin ran when the headers
// arrived: without the second check a captured request whose body is
// made to end after its window would outlive its replay entry.
func (x *Verification) Verify(ctx context.Context) error {
	if x.verified {
		return errors.New("auth: Verify called twice")
	}
	x.verified = true
	var sum [sha256.Size]byte
	matched := -1
	for i := range x.forms { // every form compared, in constant time
		if hmac.Equal(x.mac.SumAt(i, sum[:0]), x.auth.Signature[:]) && matched < 0 {
			matched = i
		}
	}
	if matched < 0 {
		return &MismatchError{Explanation: x.explain()}
	}
	x.matched = x.forms[matched]
	x.proven = true
	if !x.vdnAllowed {
		return ErrVDNNotAllowed
	}
	v := x.verifier
	if err := v.checkWindow(x.auth); err != nil {
		return err
	}
	err := v.replay.Add(ctx, ReplayEntry{
		AccessKey: x.auth.AccessKey,
		Signature: x.auth.Signature,
		Expires:   x.auth.Timestamp.Add(v.window + ReplayMargin),
	})
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrReplay), errors.Is(err, ErrReplayUnavailable):
		return err
	default:
		return fmt.Errorf("%w: %w", ErrReplayUnavailable, err)
	}
}

// checkWindow checks the signing time against the server's clock.
func (v *Verifier) checkWindow(a *Authorization) error {
	now := v.now()
	if skew := now.Sub(a.Timestamp); skew > v.window || skew < -v.window {
		return fmt.Errorf("%w: %s", ErrTimestampWindow, windowRefusal(a.Timestamp, now, v.window))
	}
	return nil
}

// windowRefusal says how far a signing time outside the window is from
// the server's clock, and which way: "signed at 12:01:38Z, 20m0s behind
// the server's clock (12:21:38Z); the window is ±15m". A time signed in
// the past is behind, one in the future ahead. The times are UTC, the
// server's to the second (the signed one as precise as it was sent), and
// both with their date when the two dates differ. The difference is
// rounded to the second, and up if rounding would put it inside the
// window, so the refusal never quotes a difference the window allows.
func windowRefusal(signed, now time.Time, window time.Duration) string {
	signed, now = signed.UTC(), now.UTC()
	diff, way := now.Sub(signed), "behind"
	if signed.After(now) {
		diff, way = signed.Sub(now), "ahead of"
	}
	var shown string
	switch {
	case diff == math.MaxInt64:
		// Further apart than a Duration holds (Sub saturates, about 292
		// years): the whole seconds, as Duration writes hours.
		secs := now.Unix() - signed.Unix()
		if secs < 0 {
			secs = -secs
		}
		shown = fmt.Sprintf("%dh%dm%ds", secs/3600, secs%3600/60, secs%60)
	case diff.Round(time.Second) <= window:
		shown = (diff.Truncate(time.Second) + time.Second).String()
	default:
		shown = diff.Round(time.Second).String()
	}
	signedLayout, nowLayout := "15:04:05.999999999Z", "15:04:05Z"
	if signed.Format(time.DateOnly) != now.Format(time.DateOnly) {
		signedLayout, nowLayout = "2006-01-02T"+signedLayout, "2006-01-02T"+nowLayout
	}
	return fmt.Sprintf("signed at %s, %s %s the server's clock (%s); the window is ±%s",
		signed.Format(signedLayout), shown, way, now.Truncate(time.Second).Format(nowLayout), shortDuration(window))
}

// shortDuration writes d without its zero tail: 15m rather than 15m0s,
// 1h rather than 1h0m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if t, ok := strings.CutSuffix(s, "m0s"); ok {
		s = t + "m"
	}
	if t, ok := strings.CutSuffix(s, "h0m"); ok {
		s = t + "h"
	}
	return s
}

// maxExplainedHead bounds the canonical request an Explanation repeats:
// signed header values can be long, and the answer need not be.
const maxExplainedHead = 8 << 10

// explain says what the server signed for the request.
func (x *Verification) explain() Explanation {
	n, start := x.mac.encoded()
	e := Explanation{
		AuthStringPrefix:           x.prefix,
		CanonicalRequest:           string(x.shownHead),
		EmptyQueryLineAlsoAccepted: len(x.forms) > 1 && x.forms[1].emptyQueryLine,
		BodyLength:                 n,
		BodyStart:                  string(start),
	}
	if len(e.CanonicalRequest) > maxExplainedHead {
		e.CanonicalRequest = e.CanonicalRequest[:maxExplainedHead] + "…"
	}
	return e
}
