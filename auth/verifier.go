package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
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
	// RequiredHeaders must be among the signed headers of every request.
	// host is always required. Default: DefaultSignedHeaders
	// (content-length, content-type, host).
	RequiredHeaders []string
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
	// decoySecret signs for access keys that do not exist, so that an
	// unknown key costs the same work as a wrong signature.
	decoySecret string
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
		v.replay = NewMemoryReplay(DefaultReplayCapacity, v.now)
	}
	required := opts.RequiredHeaders
	if required == nil {
		required = DefaultSignedHeaders
	}
	v.required = []string{"host"}
	for _, h := range required {
		h = strings.ToLower(h)
		if !isHeaderName(h) {
			return nil, fmt.Errorf("auth: required header %q is not a header name", clip(h))
		}
		v.required = append(v.required, h)
	}
	slices.Sort(v.required)
	v.required = slices.Compact(v.required)
	v.decoySecret = rand.Text()
	return v, nil
}

// Window returns the accepted distance between signing time and server time.
func (v *Verifier) Window() time.Duration { return v.window }

// Begin checks what can be checked before the body is read: the
// Authorization header's form, that every required header is signed and
// every signed header is present once, the signing time, the access key and
// its right to vdn. On success the body must be written, in full and in
// order, to the returned Verification, and Verify called at its end.
//
// An unknown access key is not an error here: Begin returns a Verification
// that hashes the body all the same and fails in Verify with
// ErrSignatureMismatch. A key that may not use vdn likewise fails in Verify
// with ErrVDNNotAllowed, once its signature is proven right.
func (v *Verifier) Begin(ctx context.Context, r *http.Request, vdn int) (*Verification, error) {
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
	if skew := v.now().Sub(a.Timestamp); skew > v.window || skew < -v.window {
		return nil, fmt.Errorf("%w: signed at %s, %s from the server's clock (window ±%s)",
			ErrTimestampWindow, a.RawTimestamp, skew.Round(time.Second), v.window)
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
	known := err == nil
	if err != nil && !errors.Is(err, ErrUnknownKey) {
		return nil, fmt.Errorf("auth: looking up the access key: %w", err)
	}
	secret := key.SecretKey
	if !known {
		secret = v.decoySecret
	}
	prefix := AuthStringPrefix(a.AccessKey, a.RawTimestamp, a.SignedHeaders)
	x := &Verification{
		verifier:   v,
		auth:       a,
		known:      known,
		vdnAllowed: known && key.Allows(vdn),
		mac:        newCanonicalMAC([]byte(SigningKey(secret, prefix)), head),
	}
	return x, nil
}

// A Verification checks one request's body against its signature. Write
// the body to it as it is read, then call Verify once. It holds a fixed
// amount of memory whatever the body's size. It is not safe for concurrent
// use.
type Verification struct {
	verifier   *Verifier
	auth       *Authorization
	known      bool
	vdnAllowed bool
	mac        canonicalMAC
	verified   bool
}

// AccessKey returns the access key the request claims. Until Verify
// succeeds it is only a claim.
func (x *Verification) AccessKey() string { return x.auth.AccessKey }

// Timestamp returns the signing time the request claims.
func (x *Verification) Timestamp() time.Time { return x.auth.Timestamp }

// Write feeds the next part of the body into the signature check. It never
// fails.
func (x *Verification) Write(p []byte) (int, error) {
	return x.mac.Write(p)
}

// Verify ends the check, after the last byte of the body was written. It
// returns nil if the signature is right for the body, the key may use the
// VDN, and the signature had not been used before (it is then recorded as
// used). Otherwise it returns an error wrapping ErrSignatureMismatch,
// ErrVDNNotAllowed, ErrReplay or ErrReplayUnavailable.
func (x *Verification) Verify(ctx context.Context) error {
	if x.verified {
		return errors.New("auth: Verify called twice")
	}
	x.verified = true
	var sum [sha256.Size]byte
	ok := hmac.Equal(x.mac.Sum(sum[:0]), x.auth.Signature[:])
	if !ok || !x.known {
		return ErrSignatureMismatch
	}
	if !x.vdnAllowed {
		return ErrVDNNotAllowed
	}
	err := x.verifier.replay.Add(ctx, x.auth.Signature, x.auth.Timestamp.Add(x.verifier.window))
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrReplay), errors.Is(err, ErrReplayUnavailable):
		return err
	default:
		return fmt.Errorf("%w: %w", ErrReplayUnavailable, err)
	}
}
