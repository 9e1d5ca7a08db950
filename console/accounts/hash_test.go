package accounts

import (
	"encoding/base64"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// Hashes written by other implementations: the reference argon2 command
// (Debian's argon2: echo -n 'correct horse battery' | argon2
// ccfssaltccfssalt -id -t 2 -k 19456 -p 1 -l 32 -e) and Apache's
// htpasswd -nbB -C 5.
const (
	referenceArgon2   = "$argon2id$v=19$m=19456,t=2,p=1$Y2Nmc3NhbHRjY2Zzc2FsdA$VXnPL++p+JbeI8sBhDQnuBj5TrKaYg42Ghl4PrjIg+Y"
	htpasswdBcrypt    = "$2y$05$ZvQFj6AOFAzPN6wMb/cmpuO7v4qCz5bbnfVFbY8fUhkNcvRtR.9Me"
	referencePassword = "correct horse battery"
)

func TestHashRoundTrip(t *testing.T) {
	const pw = "a long enough password"
	s, err := Hash(pw)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("Hash wrote %q, want argon2id at DefaultParams", s)
	}
	h, err := parseHash(s)
	if err != nil {
		t.Fatalf("parseHash(Hash()): %v", err)
	}
	a := h.(*argon2Hash)
	if len(a.salt) != 16 || len(a.key) != 32 || a.params != DefaultParams {
		t.Fatalf("salt %d bytes, key %d bytes, params %+v", len(a.salt), len(a.key), a.params)
	}
	if a.String() != s {
		t.Fatalf("String() %q, parsed from %q", a.String(), s)
	}
	if !h.verify(pw) {
		t.Fatal("the password does not verify against its own hash")
	}
	for _, wrong := range []string{"", "a long enough passwor", "a long enough password ", "A long enough password"} {
		if h.verify(wrong) {
			t.Errorf("%q verifies against the hash of %q", wrong, pw)
		}
	}
	again, _ := Hash(pw)
	if again == s {
		t.Fatal("two hashes of one password are equal: the salt is not fresh")
	}
}

func TestReferenceHashesAccepted(t *testing.T) {
	for _, s := range []string{referenceArgon2, htpasswdBcrypt} {
		h, err := parseHash(s)
		if err != nil {
			t.Fatalf("%.12s…: %v", s, err)
		}
		if !h.verify(referencePassword) {
			t.Errorf("%.12s…: the password is refused", s)
		}
		if h.verify(referencePassword + "!") {
			t.Errorf("%.12s…: a wrong password is accepted", s)
		}
	}
}

func TestBcryptFromXCryptoAccepted(t *testing.T) {
	const pw = "bcrypt's password"
	b, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	// x/crypto writes $2a$; htpasswd writes $2y$ and OpenBSD $2b$, of the
	// same algorithm.
	for _, prefix := range []string{"$2a$", "$2b$", "$2y$"} {
		s := prefix + string(b[4:])
		h, err := parseHash(s)
		if err != nil {
			t.Fatalf("%s: %v", prefix, err)
		}
		if !h.verify(pw) || h.verify("not "+pw) {
			t.Errorf("%s: the right password refused or a wrong one accepted", prefix)
		}
		if h.shape() != "bcrypt cost=4" {
			t.Errorf("%s: shape %q", prefix, h.shape())
		}
	}
}

func TestMalformedHashesRefused(t *testing.T) {
	salt := base64.RawStdEncoding.EncodeToString([]byte("0123456789abcdef"))
	key := base64.RawStdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	argon := func(version, params, salt, key string) string {
		return "$argon2id$" + version + "$" + params + "$" + salt + "$" + key
	}
	for _, s := range []string{
		"",
		"plaintext password",
		"$apr1$salt$hash",                   // htpasswd's MD5
		"{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=", // htpasswd -s
		"$argon2i$v=19$m=65536,t=2,p=1$" + salt + "$" + key,
		argon("v=16", "m=65536,t=2,p=1", salt, key),
		argon("v=19", "m=65536,t=2", salt, key),
		argon("v=19", "m=65536,t=2,p=1,x=2", salt, key),
		argon("v=19", "m=65536,t=2,t=1", salt, key),
		argon("v=19", "m=2097152,t=2,p=1", salt, key), // 2 GiB
		argon("v=19", "m=65536,t=0,p=1", salt, key),
		argon("v=19", "m=65536,t=65,p=1", salt, key),
		argon("v=19", "m=65536,t=2,p=0", salt, key),
		argon("v=19", "m=65536,t=2,p=256", salt, key),
		argon("v=19", "m=16,t=2,p=4", salt, key),
		argon("v=19", "m=+65536,t=2,p=1", salt, key),
		argon("v=19", "m=65536,t=2,p=1", salt+"=", key),
		argon("v=19", "m=65536,t=2,p=1", "c2FsdA", key), // 4 bytes
		argon("v=19", "m=65536,t=2,p=1", salt, "c2FsdA"),
		argon("v=19", "m=65536,t=2,p=1", salt, key+"$extra"),
		"$2y$05$ZvQFj6AOFAzPN6wMb/cmpuO7v4qCz5bbnfVFbY8fUhkNcvRtR.9M",  // one short
		"$2y$05$ZvQFj6AOFAzPN6wMb/cmpuO7v4qCz5bbnfVFbY8fUhkNcvRtR.9M+", // not bcrypt's alphabet
		"$2y$21$ZvQFj6AOFAzPN6wMb/cmpuO7v4qCz5bbnfVFbY8fUhkNcvRtR.9Me", // a cost too high
		"$2y$03$ZvQFj6AOFAzPN6wMb/cmpuO7v4qCz5bbnfVFbY8fUhkNcvRtR.9Me", // a cost too low
		"$2x$05$ZvQFj6AOFAzPN6wMb/cmpuO7v4qCz5bbnfVFbY8fUhkNcvRtR.9Me", // crypt_blowfish's buggy variant
		"$2y$5$$ZvQFj6AOFAzPN6wMb/cmpuO7v4qCz5bbnfVFbY8fUhkNcvRtR.9Me", // one digit
	} {
		_, err := parseHash(s)
		if err == nil {
			t.Errorf("%q accepted", s)
			continue
		}
		for _, secret := range []string{salt, "ZvQFj6AOFAzPN6wMb", "W6ph5Mm5", "plaintext"} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("%q: the error %q repeats the hash", s, err)
			}
		}
	}
}

func TestDummyHasTheSameShape(t *testing.T) {
	for _, s := range []string{referenceArgon2, htpasswdBcrypt} {
		h, _ := parseHash(s)
		d, err := h.dummy()
		if err != nil {
			t.Fatal(err)
		}
		if d.shape() != h.shape() {
			t.Errorf("dummy of %s is %s", h.shape(), d.shape())
		}
		if d.verify(referencePassword) {
			t.Errorf("%s: the dummy verifies the account's password", h.shape())
		}
	}
}
