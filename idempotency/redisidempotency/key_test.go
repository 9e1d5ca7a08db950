package redisidempotency

import (
	"testing"

	"github.com/ccfs-go/ccfs/idempotency"
)

// TestKeyForIsPinned: nodes running different versions of ccfs must
// name one scope's entry alike, so the derivation may never change
// unnoticed. The value is SHA-256("ccfs idempotency key v1\x00" \x04
// "AK53" \x6a "7c1d3b1e-upload-1"), computed outside Go.
func TestKeyForIsPinned(t *testing.T) {
	got := keyFor(DefaultPrefix, idempotency.Scope{AccessKey: "AK53", VDN: 53, Key: "7c1d3b1e-upload-1"})
	const want = DefaultPrefix + "a8465bc879957c1b0a069295f1fae47e00364c8e7c02963a862babade2816b85"
	if got != want {
		t.Fatalf("keyFor: %s, want %s", got, want)
	}
}

// TestKeyForSeparatesScopes: scopes whose parts run together alike
// (the access key's end moved into the VDN or the key text) have
// different keys.
func TestKeyForSeparatesScopes(t *testing.T) {
	scopes := []idempotency.Scope{
		{AccessKey: "AK5", VDN: 3, Key: "x"},
		{AccessKey: "AK", VDN: 53, Key: "x"},
		{AccessKey: "AK53", VDN: 0, Key: "x"},
		{AccessKey: "AK5", VDN: 3, Key: "1x"},
		{AccessKey: "AK", VDN: -53, Key: "x"},
		{AccessKey: "", VDN: 53, Key: "AKx"},
	}
	seen := map[string]idempotency.Scope{}
	for _, sc := range scopes {
		k := keyFor("p:", sc)
		if prev, ok := seen[k]; ok {
			t.Fatalf("%+v and %+v share the key %s", prev, sc, k)
		}
		seen[k] = sc
		if len(k) != len("p:")+64 {
			t.Fatalf("key %q is not the prefix and 64 hex digits", k)
		}
	}
}
