package auth_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs/auth"
)

// signedVector is what the auth package computes for a vector: every
// intermediate value docs/signing.md shows.
type signedVector struct {
	prefix, signingKey, canonical, signature, authorization string
}

func (v vector) sign(t *testing.T) signedVector {
	t.Helper()
	ts := v.time(t)
	s := auth.Signer{AccessKey: v.ak, SecretKey: v.sk, SignedHeaders: v.signedHeaders(),
		Now: func() time.Time { return ts }, OmitMillis: !strings.Contains(v.timestamp, ".")}
	r := v.clientRequest(t)
	if err := s.Sign(r, []byte(v.body)); err != nil {
		t.Fatal(err)
	}
	a, err := auth.ParseAuthorization(r.Header.Get("Authorization"))
	if err != nil {
		t.Fatal(err)
	}
	canonical, err := auth.CanonicalRequest(r, a.SignedHeaders, []byte(v.body))
	if err != nil {
		t.Fatal(err)
	}
	prefix := auth.StringPrefix(v.ak, v.timestamp, a.SignedHeaders)
	authorization := r.Header.Get("Authorization")
	return signedVector{
		prefix:        prefix,
		signingKey:    auth.SigningKey(v.sk, prefix),
		canonical:     canonical,
		signature:     authorization[strings.LastIndexByte(authorization, '/')+1:],
		authorization: authorization,
	}
}

// TestSigningPageCarriesTheVectors keeps docs/signing.md's worked vectors
// in step with the code: every input, the auth string prefix, the signing
// key, the canonical request (as a code block of its own), the signature
// and the Authorization header, as the auth package computes them from the
// vector's inputs, appear verbatim on the page.
func TestSigningPageCarriesTheVectors(t *testing.T) {
	page, err := os.ReadFile("../docs/signing.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(page)
	for _, v := range vectors {
		t.Run(v.name, func(t *testing.T) {
			got := v.sign(t)
			if got.authorization != v.authorization || got.signingKey != v.signingKey {
				t.Fatalf("the auth package no longer reproduces vector %s: %+v", v.name, got)
			}
			for what, text := range map[string]string{
				"access key":              v.ak,
				"secret key":              v.sk,
				"timestamp":               v.timestamp,
				"request line":            v.method + " " + v.target,
				"host":                    v.host,
				"body":                    v.body,
				"auth string prefix":      got.prefix,
				"signing key":             got.signingKey,
				"canonical request block": "```text\n" + got.canonical + "\n```",
				"signature":               got.signature,
				"Authorization header":    "Authorization: " + got.authorization,
			} {
				if !strings.Contains(doc, text) {
					t.Errorf("docs/signing.md lacks vector %s's %s:\n%s", v.name, what, text)
				}
			}
		})
	}
}
