package auth

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

// A Signer signs requests for one access key. The zero value of each
// optional field means its documented default. A Signer is safe for
// concurrent use once configured.
//
// On the system clock (Now unset), no two requests signed in one process
// carry the same Authorization, even when they are alike in every byte and
// signed in the same millisecond: each timestamp is later than the last
// (see Timestamps). A server refuses the second of two equal signatures as
// a replay.
type Signer struct {
	AccessKey string
	SecretKey string
	// SignedHeaders names the headers to sign; case and order do not
	// matter. Default: DefaultSignedHeaders() (content-length, content-type,
	// host). host is always signed.
	SignedHeaders []string
	// Now returns the signing time. Default: time.Now. A time Now gives is
	// signed as it is, unless Timestamps is set too: a clock given here is
	// the caller's, fixed ones in tests included.
	Now func() time.Time
	// OmitMillis writes the timestamp without milliseconds
	// (TimestampFormatSeconds), as the vendor's demo does. Default: with
	// milliseconds (TimestampFormat), as the vendor's sample does.
	OmitMillis bool
	// Timestamps keeps apart the signing times of every Signer that
	// shares it. Default: with Now unset, one Timestamps shared by every
	// such Signer in the process; with Now set, none.
	Timestamps *Timestamps
}

// systemTimestamps times the signatures of every Signer on the system
// clock that has no Timestamps of its own.
var systemTimestamps Timestamps

// Sign sets the Authorization header of r, whose body is body. It does not
// read or change r.Body; r.ContentLength must already be len(body) when
// content-length is signed.
func (s *Signer) Sign(r *http.Request, body []byte) error {
	return s.SignReader(r, bytes.NewReader(body))
}

// SignReader is Sign for a body read from body, to EOF, in one pass and in
// fixed memory. The caller then sends the same bytes again.
func (s *Signer) SignReader(r *http.Request, body io.Reader) error {
	if err := checkAccessKey(s.AccessKey); err != nil {
		return fmt.Errorf("auth: Signer: %w", err)
	}
	if s.SecretKey == "" {
		return errors.New("auth: Signer needs a secret key")
	}
	names, err := s.signedHeaders()
	if err != nil {
		return err
	}
	head, err := outgoingHead(r, names)
	if err != nil {
		return err
	}
	now, stamps := s.Now, s.Timestamps
	if now == nil {
		now = time.Now
		if stamps == nil {
			stamps = &systemTimestamps
		}
	}
	layout, unit := TimestampFormat, time.Millisecond
	if s.OmitMillis {
		layout, unit = TimestampFormatSeconds, time.Second
	}
	at := now()
	if stamps != nil {
		at = stamps.Next(at, unit, now)
	}
	timestamp := at.UTC().Format(layout)
	prefix := StringPrefix(s.AccessKey, timestamp, names)
	mac := newCanonicalMAC([]byte(SigningKey(s.SecretKey, prefix)), head)
	if _, err := io.Copy(mac, body); err != nil {
		return fmt.Errorf("auth: reading the body to sign: %w", err)
	}
	var sum [sha256.Size]byte
	r.Header.Set("Authorization", prefix+"/"+hex.EncodeToString(mac.Sum(sum[:0])))
	return nil
}

// signedHeaders returns the configured names lowercased, with host, sorted
// and without repeats.
func (s *Signer) signedHeaders() ([]string, error) {
	src := s.SignedHeaders
	if src == nil {
		src = DefaultSignedHeaders()
	}
	names := []string{"host"}
	for _, n := range src {
		n = strings.ToLower(n)
		if !isHeaderName(n) {
			return nil, fmt.Errorf("auth: %q is not a header name", clip(n))
		}
		names = append(names, n)
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}

// CanonicalRequest returns the canonical request that Sign would sign for r
// and body with the given signed headers (lowercase, sorted), for debugging
// a client that disagrees with the server. It contains no secret.
func CanonicalRequest(r *http.Request, signedHeaders []string, body []byte) (string, error) {
	head, err := outgoingHead(r, signedHeaders)
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	b.Write(head)
	nw := &normWriter{w: &b}
	nw.Write(body)
	nw.flush()
	return b.String(), nil
}
