package auth

import (
	"crypto/hmac"
	"crypto/sha256"
)

// DeriveKey returns a key of 32 bytes for a server's own use, derived
// from the request's access key's current secret: HMAC-SHA256(SK, label).
// Every node sharing the credentials derives the same key, and no caller
// without the secret can; the secret itself never leaves package auth.
// Give each use its own label. It returns nil until Verify has proven the
// signature right, so a stranger can never make the server derive one.
// The key follows the current secret, whichever secret the request was
// signed with: once a rotation replaces the secret, what was made with
// the old key no longer checks out.
func (x *Verification) DeriveKey(label string) []byte {
	if !x.proven || x.secret == "" {
		return nil
	}
	m := hmac.New(sha256.New, []byte(x.secret))
	m.Write([]byte(label))
	return m.Sum(nil)
}
