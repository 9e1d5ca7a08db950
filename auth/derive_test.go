package auth_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs/auth"
)

// DeriveKey gives HMAC-SHA256(SK, label) once the signature held, and
// nothing before it or to a stranger.
func TestDeriveKey(t *testing.T) {
	f := newFixture(t, auth.VerifierOptions{})
	begin := func(sk string) *auth.Verification {
		s := auth.Signer{AccessKey: "chatbot-a", SecretKey: sk, Now: func() time.Time { return t0 }}
		x, err := f.verifier.Begin(context.Background(), f.request(t, s, "53"), 53)
		if err != nil {
			t.Fatal(err)
		}
		x.Write([]byte(body))
		return x
	}
	x := begin("sk-A-very-secret")
	if k := x.DeriveKey("list"); k != nil {
		t.Fatal("DeriveKey before Verify gave a key")
	}
	if err := x.Verify(context.Background()); err != nil {
		t.Fatal(err)
	}
	m := hmac.New(sha256.New, []byte("sk-A-very-secret"))
	m.Write([]byte("list"))
	if got := x.DeriveKey("list"); !bytes.Equal(got, m.Sum(nil)) {
		t.Fatalf("DeriveKey(list) = %x, want HMAC(SK, label) %x", got, m.Sum(nil))
	}
	if bytes.Equal(x.DeriveKey("list"), x.DeriveKey("other")) {
		t.Fatal("two labels gave one key")
	}
	stranger := begin("not-the-secret")
	if err := stranger.Verify(context.Background()); err == nil {
		t.Fatal("a wrong secret verified")
	}
	if k := stranger.DeriveKey("list"); k != nil {
		t.Fatal("DeriveKey gave a stranger a key")
	}
}
