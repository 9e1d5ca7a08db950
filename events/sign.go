package events

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The Standard Webhooks headers of a delivery.
const (
	HeaderID        = "webhook-id"        // the event's ID
	HeaderTimestamp = "webhook-timestamp" // when it was signed, in Unix seconds
	HeaderSignature = "webhook-signature" // space-separated signatures, "v1,<base64>"
)

// SecretPrefix begins a Secret's text.
const SecretPrefix = "whsec_"

// The lengths of a Secret's key, as Standard Webhooks sets them.
const (
	MinSecretBytes = 24
	MaxSecretBytes = 64
)

// DefaultTolerance is how far a delivery's timestamp may be from the
// receiver's clock, either way, when Verify is given no tolerance.
const DefaultTolerance = 5 * time.Minute

// A Secret is the key a sender and a receiver share to sign and verify
// deliveries. Its text is SecretPrefix and the standard base64 of 24 to
// 64 bytes. Its String and GoString do not show it: Text does.
type Secret struct {
	key []byte
}

// NewSecret returns a new Secret of 32 random bytes from crypto/rand.
func NewSecret() Secret {
	key := make([]byte, 32)
	rand.Read(key) // never fails (crypto/rand, Go 1.24 on)
	return Secret{key: key}
}

// ParseSecret reads a Secret's text, less any white space around it (a
// file's last newline). It refuses any other form, saying why: no
// "whsec_" prefix (an asymmetric whsk_ or whpk_ key, a bare base64 key),
// base64 that is not standard (with padding), a key shorter than 24 or
// longer than 64 bytes.
func ParseSecret(text string) (Secret, error) {
	text = strings.TrimSpace(text)
	b64, ok := strings.CutPrefix(text, SecretPrefix)
	switch {
	case text == "":
		return Secret{}, errors.New("events: secret is empty")
	case !ok && (strings.HasPrefix(text, "whsk_") || strings.HasPrefix(text, "whpk_")):
		return Secret{}, fmt.Errorf("events: secret is an asymmetric (ed25519) key, %s…; only symmetric whsec_ secrets are supported", text[:5])
	case !ok:
		return Secret{}, errors.New(`events: secret does not begin with "whsec_": write it as whsec_ and the key in standard base64`)
	case b64 == "":
		return Secret{}, errors.New("events: secret has nothing after whsec_")
	}
	key, err := base64.StdEncoding.Strict().DecodeString(b64)
	if err != nil {
		return Secret{}, fmt.Errorf("events: secret after whsec_ is not standard base64 (A-Z a-z 0-9 + /, padded with =): %v", err)
	}
	if len(key) < MinSecretBytes || len(key) > MaxSecretBytes {
		return Secret{}, fmt.Errorf("events: secret's key is %d bytes; Standard Webhooks wants %d to %d", len(key), MinSecretBytes, MaxSecretBytes)
	}
	return Secret{key: key}, nil
}

// Text returns s's text, SecretPrefix and base64, as ParseSecret reads
// it: the form to hand to a receiver.
func (s Secret) Text() string {
	return SecretPrefix + base64.StdEncoding.EncodeToString(s.key)
}

// String returns "whsec_…", not the secret, so that a log line or an
// error that prints s does not leak it.
func (s Secret) String() string { return SecretPrefix + "…" }

// GoString is String, for %#v.
func (s Secret) GoString() string { return s.String() }

// IsZero reports whether s holds no key (the zero Secret).
func (s Secret) IsZero() bool { return len(s.key) == 0 }

// mac returns HMAC-SHA256 with s's key of id "." timestamp "." body.
func (s Secret) mac(id string, ts int64, body []byte) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write(strconv.AppendInt(nil, ts, 10))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Sign returns the webhook-signature of a delivery of body with the
// webhook-id id at ts (which it takes in whole Unix seconds, as the
// webhook-timestamp header says it): "v1," and the standard base64 of
// HMAC-SHA256(key, id + "." + timestamp + "." + body). The id must not
// hold a '.', which Verify refuses (an event ID never holds one). To sign
// with several secrets (a rotation), join the signatures with a space.
func Sign(s Secret, id string, ts time.Time, body []byte) string {
	return "v1," + base64.StdEncoding.EncodeToString(s.mac(id, ts.Unix(), body))
}

// Headers returns a delivery's three headers: id, ts in Unix seconds, and
// Sign's signature with each of secrets, space-separated.
func Headers(id string, ts time.Time, body []byte, secrets ...Secret) http.Header {
	sigs := make([]string, len(secrets))
	for i, s := range secrets {
		sigs[i] = Sign(s, id, ts, body)
	}
	h := http.Header{}
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(HeaderSignature, strings.Join(sigs, " "))
	return h
}

// Errors Verify returns, wrapped with the detail.
var (
	ErrMissingHeader = errors.New("events: a webhook header is missing")
	ErrTimestamp     = errors.New("events: webhook-timestamp is not acceptable")
	ErrSignature     = errors.New("events: no webhook signature matches")
)

// Verify reports whether a delivery of body with header is signed with
// s, at a time within tolerance of now either way (DefaultTolerance if
// tolerance is 0 or less). It returns nil if so, else an error that says
// why, wrapping ErrMissingHeader, ErrTimestamp or ErrSignature.
//
// webhook-signature may list several signatures, separated by spaces; it
// is enough that one "v1," signature matches. Signatures of other
// versions (v1a, an asymmetric one; v2) are passed over. Each is
// decoded as strict standard base64 (so one MAC has one spelling) and
// compared in constant time. A webhook-id holding a '.' is refused: the
// signed content joins id, timestamp and body with '.', so such an id
// could move bytes between them under the same signature.
//
// A receiver still drops an event whose ID it has seen: a delivery may
// be repeated, and a signature held is no proof it is the first.
func Verify(s Secret, header http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	if s.IsZero() {
		return errors.New("events: Verify with the zero Secret")
	}
	id, tsText, sigs := header.Get(HeaderID), header.Get(HeaderTimestamp), header.Get(HeaderSignature)
	for _, h := range []struct{ name, value string }{{HeaderID, id}, {HeaderTimestamp, tsText}, {HeaderSignature, sigs}} {
		if h.value == "" {
			return fmt.Errorf("%w: %s", ErrMissingHeader, h.name)
		}
	}
	if strings.Contains(id, ".") {
		return fmt.Errorf("%w: webhook-id %q holds a '.'", ErrSignature, id)
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil || strconv.FormatInt(ts, 10) != tsText {
		return fmt.Errorf("%w: %q is not Unix seconds written plainly (digits, no sign or leading zero)", ErrTimestamp, tsText)
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	at := time.Unix(ts, 0)
	switch d := now.Sub(at); {
	case d > tolerance:
		return fmt.Errorf("%w: %s is %v old, beyond the tolerance of %v (a replay, or a clock behind)", ErrTimestamp, tsText, d.Truncate(time.Second), tolerance)
	case -d > tolerance:
		return fmt.Errorf("%w: %s is %v in the future, beyond the tolerance of %v (a clock ahead)", ErrTimestamp, tsText, (-d).Truncate(time.Second), tolerance)
	}
	want := s.mac(id, ts, body)
	versions := 0
	for _, sig := range strings.Split(sigs, " ") {
		version, b64, ok := strings.Cut(sig, ",")
		if !ok || version != "v1" {
			continue
		}
		versions++
		got, err := base64.StdEncoding.Strict().DecodeString(b64)
		if err != nil || len(got) != len(want) {
			continue
		}
		if subtle.ConstantTimeCompare(got, want) == 1 {
			return nil
		}
	}
	if versions == 0 {
		return fmt.Errorf("%w: webhook-signature has no v1 signature", ErrSignature)
	}
	return fmt.Errorf("%w: none of %d v1 signatures is this body's with this secret", ErrSignature, versions)
}
