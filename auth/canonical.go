package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// Scheme is the first field of an auth-v2 Authorization header.
const Scheme = "auth-v2"

// TimestampFormat is the layout a Signer writes (UTC with milliseconds).
// A Verifier also accepts [TimestampFormatSeconds].
const TimestampFormat = "2006-01-02T15:04:05.000Z"

// TimestampFormatSeconds is the layout without milliseconds, as in the
// vendor's demo.
const TimestampFormatSeconds = "2006-01-02T15:04:05Z"

// DefaultSignedHeaders returns the headers a Signer signs unless told
// otherwise, sorted as they appear in the header: content-length,
// content-type and host. Each call returns a new slice. A Verifier does
// not require them: it requires host alone unless
// VerifierOptions.SignedHeaders names more.
func DefaultSignedHeaders() []string {
	return []string{"content-length", "content-type", "host"}
}

// StringPrefix returns the auth string prefix
// "auth-v2/{ak}/{timestamp}/{signedHeaders}", the message of the first
// HMAC. signedHeaders must already be lowercase and sorted.
func StringPrefix(accessKey, timestamp string, signedHeaders []string) string {
	return Scheme + "/" + accessKey + "/" + timestamp + "/" + strings.Join(signedHeaders, ";")
}

// SigningKey returns the lowercase hex of HMAC-SHA256(secretKey,
// authStringPrefix). Its 64 ASCII characters, not the raw digest, key the
// second HMAC.
func SigningKey(secretKey, authStringPrefix string) string {
	m := hmac.New(sha256.New, []byte(secretKey))
	m.Write([]byte(authStringPrefix))
	var sum [sha256.Size]byte
	return hex.EncodeToString(m.Sum(sum[:0]))
}

// canonicalQuery returns the query line of the canonical request: every
// parameter as norm(name)=norm(value), sorted, joined with "&". rawQuery is
// decoded first, as url.ParseQuery does.
func canonicalQuery(rawQuery string) (string, error) {
	values, err := url.ParseQuery(rawQuery)
	if err != nil {
		return "", fmt.Errorf("%w: query: %v", ErrMalformedRequest, err)
	}
	var parts []string
	for name, vs := range values {
		for _, v := range vs {
			b := appendNorm(nil, name)
			b = append(b, '=')
			parts = append(parts, string(appendNorm(b, v)))
		}
	}
	slices.Sort(parts)
	return strings.Join(parts, "&"), nil
}

// canonicalHead returns the canonical request up to the body: method, path,
// the query line when rawQuery is not empty, the signed-header list and the
// signed headers, each line ending in "\n". values[i] is the value of
// signedHeaders[i], which must be lowercase and sorted.
func canonicalHead(method, path, rawQuery string, signedHeaders, values []string) ([]byte, error) {
	b := make([]byte, 0, 256)
	b = append(b, method...)
	b = append(b, '\n')
	b = append(b, path...)
	b = append(b, '\n')
	if rawQuery != "" {
		q, err := canonicalQuery(rawQuery)
		if err != nil {
			return nil, err
		}
		b = append(b, q...)
		b = append(b, '\n')
	}
	b = append(b, strings.Join(signedHeaders, ";")...)
	b = append(b, '\n')
	lines := make([]string, len(signedHeaders))
	for i, name := range signedHeaders {
		line := appendNorm(make([]byte, 0, 64), name)
		line = append(line, ':')
		lines[i] = string(appendNorm(line, values[i]))
	}
	// Sorted as whole lines: "a-b:…" sorts before "a:…" though "a" < "a-b".
	slices.Sort(lines)
	b = append(b, strings.Join(lines, "\n")...)
	return append(b, '\n'), nil
}
