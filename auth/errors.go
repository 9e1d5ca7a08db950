package auth

import "errors"

// The failures a Verifier reports. Each returned error wraps exactly one of
// these (test with errors.Is); its text adds what was wrong, never a secret
// key, a signing key or an expected signature.
var (
	// ErrMissingHeader: the Authorization header, or a header it signs or
	// the Verifier requires, is absent.
	ErrMissingHeader = errors.New("auth: missing header")
	// ErrMalformedHeader: the Authorization header is not of the form
	// auth-v2/{AK}/{timestamp}/{signedHeaders}/{signature}, or a signed
	// header appears more than once.
	ErrMalformedHeader = errors.New("auth: malformed Authorization header")
	// ErrMalformedRequest: the request cannot be put in canonical form
	// (for example its query does not decode).
	ErrMalformedRequest = errors.New("auth: request cannot be canonicalised")
	// ErrTimestampWindow: the signing time is too far from the server's
	// clock, when the headers arrive or when the body ends.
	ErrTimestampWindow = errors.New("auth: timestamp outside the accepted window")
	// ErrSignatureMismatch: the signature is not the one the key would make.
	ErrSignatureMismatch = errors.New("auth: signature does not match")
	// ErrReplay: this signature was already accepted once, or it could no
	// longer be recorded because its replay entry would already have
	// expired (it may have been accepted and forgotten).
	ErrReplay = errors.New("auth: request replayed")
	// ErrVDNNotAllowed: the key may not write to the requested VDN. It is
	// reported only once the signature is proven right, so that it tells
	// nothing to a caller who does not hold the key.
	ErrVDNNotAllowed = errors.New("auth: key may not use this VDN")
	// ErrReplayUnavailable: the replay cache cannot record the signature
	// (it is full, or a shared cache cannot be reached), so the request is
	// refused rather than left open to replay.
	ErrReplayUnavailable = errors.New("auth: replay cache cannot record the signature")
	// ErrUnknownKey: the access key does not exist. A Credentials
	// implementation returns it for a key it does not know, and
	// Verifier.Begin refuses such a key with it at once.
	ErrUnknownKey = errors.New("auth: unknown access key")
)
