package auth

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
)

// An Explanation says what was signed for a request: the auth string
// prefix, the canonical request up to the body, and the length and first
// bytes of the percent-encoded body. A Verifier gives one with a
// signature that does not match (a MismatchError), and ExplainRequest the
// client's for the same request, in the same form: their String()s diff
// line by line. Nothing in it is secret: every byte comes from the
// request, and of the signed headers only those a client sets itself
// (host, content-type, content-length) show their values; any other
// signed header may carry what a proxy in front of the server added (a
// token, the caller's address), so its line shows only its length and a
// hash keyed with the key's secret (see HiddenValue).
type Explanation struct {
	// AuthStringPrefix is the message of the first HMAC:
	// "auth-v2/{AK}/{timestamp}/{signedHeaders}".
	AuthStringPrefix string `json:"authStringPrefix"`
	// CanonicalRequest is the message of the second HMAC up to the body:
	// the method, the path, the query line (only when the URL has a
	// query), the signed-header list and the canonical headers, each line
	// ending in "\n", a header other than host, content-type and
	// content-length with HiddenValue in place of its value. A server clips
	// it at 8 KiB, ending it with "…".
	CanonicalRequest string `json:"canonicalRequest"`
	// EmptyQueryLineAlsoAccepted says the request has no query and the
	// server would also have accepted the canonical request with an empty
	// line after the path.
	EmptyQueryLineAlsoAccepted bool `json:"emptyQueryLineAlsoAccepted,omitempty"`
	// BodyLength is the length of the percent-encoded body, the rest of
	// the canonical request, and BodyStart its first bytes (up to 96).
	BodyLength int64  `json:"bodyLength"`
	BodyStart  string `json:"bodyStart"`
}

// String lays the Explanation out one line of the canonical request a
// line, for diff.
func (e *Explanation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "authStringPrefix: %s\n", e.AuthStringPrefix)
	b.WriteString("canonicalRequest, up to the body (a line each, between the bars):\n")
	for _, line := range strings.SplitAfter(e.CanonicalRequest, "\n") {
		if line != "" {
			fmt.Fprintf(&b, "|%s|\n", strings.TrimSuffix(line, "\n"))
		}
	}
	if e.EmptyQueryLineAlsoAccepted {
		b.WriteString("(also accepted: an empty query line after the path)\n")
	}
	fmt.Fprintf(&b, "bodyLength (percent-encoded): %d\n", e.BodyLength)
	fmt.Fprintf(&b, "bodyStart: %s\n", e.BodyStart)
	return b.String()
}

// A MismatchError is the error Verify returns when the signature does
// not match: errors.Is finds ErrSignatureMismatch in it, and it says what
// the server signed.
type MismatchError struct {
	Explanation Explanation
}

func (e *MismatchError) Error() string { return ErrSignatureMismatch.Error() }

// Unwrap returns ErrSignatureMismatch.
func (e *MismatchError) Unwrap() error { return ErrSignatureMismatch }

// ExplainRequest returns what a client signs for r, whose body is body,
// once a Signer has set its Authorization header with secretKey: the same
// Explanation a Verifier would give for it, so that a client can compare
// the two.
func ExplainRequest(r *http.Request, body io.Reader, secretKey string) (*Explanation, error) {
	a, err := ParseAuthorization(r.Header.Get("Authorization"))
	if err != nil {
		return nil, err
	}
	head, err := outgoingHead(r, a.SignedHeaders)
	if err != nil {
		return nil, err
	}
	head = hideValues(head, a.SignedHeaders, secretKey)
	m := newCanonicalMAC(nil, head)
	if _, err := io.Copy(m, body); err != nil {
		return nil, fmt.Errorf("auth: reading the body: %w", err)
	}
	n, start := m.encoded()
	return &Explanation{
		AuthStringPrefix: StringPrefix(a.AccessKey, a.RawTimestamp, a.SignedHeaders),
		CanonicalRequest: string(head),
		BodyLength:       n,
		BodyStart:        string(start),
	}, nil
}

// shownHeaders are the signed headers whose values an Explanation shows:
// those a client signs by default, and idempotency-key, the random name
// ccfs.Client gives an upload; none of them a secret.
var shownHeaders = append(DefaultSignedHeaders(), "idempotency-key")

// HiddenValue is what an Explanation shows in place of the value of a
// signed header other than host, content-type, content-length and
// idempotency-key:
// "(hidden: N bytes, hmac H)", N the value's length as signed
// (percent-encoded) and H the first 12 hex digits of its HMAC-SHA256 keyed
// with the key's secret. A client holding the secret computes the same to
// see whether the server received the value it signed; a caller who knows
// only the access key learns nothing of a value it did not send. The
// parentheses and spaces cannot occur in a percent-encoded value.
func HiddenValue(encodedValue, secretKey string) string {
	m := hmac.New(sha256.New, []byte(secretKey))
	m.Write([]byte(encodedValue))
	return fmt.Sprintf("(hidden: %d bytes, hmac %s)", len(encodedValue), hex.EncodeToString(m.Sum(nil))[:12])
}

// hideValues returns head, a canonical request up to the body whose last
// lines are its signed headers, names, with HiddenValue in place of the
// value of each but shownHeaders. It returns head itself, at no cost,
// when all are shown.
func hideValues(head []byte, names []string, secretKey string) []byte {
	if !slices.ContainsFunc(names, func(n string) bool { return !slices.Contains(shownHeaders, n) }) {
		return head
	}
	lines := bytes.SplitAfter(head, []byte("\n"))
	lines = lines[:len(lines)-1] // after the last "\n"
	n := len(names)
	if n > len(lines) {
		return head
	}
	hid := false
	for i := len(lines) - n; i < len(lines); i++ {
		name, value, _ := bytes.Cut(bytes.TrimSuffix(lines[i], []byte("\n")), []byte(":"))
		if slices.Contains(shownHeaders, string(name)) {
			continue
		}
		lines[i] = fmt.Appendf(nil, "%s:%s\n", name, HiddenValue(string(value), secretKey))
		hid = true
	}
	if !hid {
		return head
	}
	return bytes.Join(lines, nil)
}
