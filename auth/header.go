package auth

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// maxHeaderLen bounds the Authorization header a Verifier parses.
const maxHeaderLen = 4096

// Authorization is a parsed auth-v2 Authorization header.
type Authorization struct {
	AccessKey string
	// Timestamp is the signing time, and RawTimestamp the text it was
	// parsed from, which is what was signed.
	Timestamp    time.Time
	RawTimestamp string
	// SignedHeaders are the lowercase names, sorted and distinct.
	SignedHeaders []string
	// Signature is the decoded HMAC-SHA256.
	Signature [32]byte
}

// String returns the header value. It is the form a client sends.
func (a *Authorization) String() string {
	return StringPrefix(a.AccessKey, a.RawTimestamp, a.SignedHeaders) + "/" + hex.EncodeToString(a.Signature[:])
}

// ParseAuthorization parses an Authorization header strictly: five fields
// separated by "/", the literal scheme auth-v2, a non-empty access key, a
// UTC timestamp with or without milliseconds, a non-empty list of lowercase
// header names sorted ascending without repeats, and 64 lowercase hex
// digits. Every error wraps ErrMalformedHeader, or ErrMissingHeader for an
// empty value.
func ParseAuthorization(s string) (*Authorization, error) {
	if s == "" {
		return nil, fmt.Errorf("%w: Authorization", ErrMissingHeader)
	}
	if len(s) > maxHeaderLen {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrMalformedHeader, maxHeaderLen)
	}
	f := strings.Split(s, "/")
	if len(f) != 5 {
		return nil, fmt.Errorf("%w: %d fields separated by '/', need 5", ErrMalformedHeader, len(f))
	}
	if f[0] != Scheme {
		return nil, fmt.Errorf("%w: scheme is not %s", ErrMalformedHeader, Scheme)
	}
	a := &Authorization{AccessKey: f[1], RawTimestamp: f[2]}
	if err := checkAccessKey(a.AccessKey); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedHeader, err)
	}
	ts, err := parseTimestamp(f[2])
	if err != nil {
		return nil, err
	}
	a.Timestamp = ts
	if a.SignedHeaders, err = parseSignedHeaders(f[3]); err != nil {
		return nil, err
	}
	if !isLowerHex(f[4]) || len(f[4]) != 2*len(a.Signature) {
		return nil, fmt.Errorf("%w: signature is not 64 lowercase hex digits", ErrMalformedHeader)
	}
	hex.Decode(a.Signature[:], []byte(f[4]))
	return a, nil
}

// checkAccessKey refuses an access key the header cannot carry: empty, or
// with a '/', a space, a control or a non-ASCII byte.
func checkAccessKey(ak string) error {
	if ak == "" {
		return errors.New("empty access key")
	}
	for i := 0; i < len(ak); i++ {
		if c := ak[i]; c <= ' ' || c >= 0x7f || c == '/' {
			return errors.New("access key has a '/', a space, a control or a non-ASCII byte")
		}
	}
	return nil
}

// parseTimestamp accepts exactly yyyy-mm-ddThh:mm:ssZ or
// yyyy-mm-ddThh:mm:ss.mmmZ. time.Parse alone would also take one-digit
// hours and other variants that were never signed by a conforming client.
func parseTimestamp(s string) (time.Time, error) {
	layout := TimestampFormat
	if len(s) == len(TimestampFormatSeconds) {
		layout = TimestampFormatSeconds
	}
	ok := len(s) == len(layout)
	for i := 0; ok && i < len(s); i++ {
		if l := layout[i]; '0' <= l && l <= '9' {
			ok = '0' <= s[i] && s[i] <= '9'
		} else {
			ok = s[i] == l
		}
	}
	if !ok {
		return time.Time{}, fmt.Errorf("%w: timestamp is not of the form %s or %s", ErrMalformedHeader, TimestampFormat, TimestampFormatSeconds)
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: timestamp is not a valid time", ErrMalformedHeader)
	}
	return t, nil
}

func parseSignedHeaders(s string) ([]string, error) {
	if s == "" {
		return nil, fmt.Errorf("%w: no signed headers", ErrMalformedHeader)
	}
	names := strings.Split(s, ";")
	for i, name := range names {
		if !isHeaderName(name) {
			return nil, fmt.Errorf("%w: signed header %q is not a lowercase header name", ErrMalformedHeader, clip(name))
		}
		if i > 0 && names[i-1] >= name {
			return nil, fmt.Errorf("%w: signed headers are not sorted ascending without repeats", ErrMalformedHeader)
		}
	}
	return names, nil
}

// isHeaderName reports whether s is a non-empty HTTP token without
// uppercase letters.
func isHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// clip shortens untrusted text quoted in an error.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
