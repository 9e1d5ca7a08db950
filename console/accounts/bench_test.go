package accounts

import (
	"context"
	"crypto/sha256"
	"path/filepath"
	"testing"
	"time"
)

// sink keeps the baseline's hashes from being optimized away.
var sink [sha256.Size]byte

// BenchmarkAuthenticate measures a sign-in's check of a password against
// an account Add wrote (argon2id at DefaultParams), beside one SHA-256 of
// the same password measured in the same run: the ratio, some 10^5, is
// what a guess costs an attacker who has the file, and the point of a
// password hash.
func BenchmarkAuthenticate(b *testing.B) {
	const password = "correct horse battery staple"
	path := filepath.Join(b.TempDir(), "console-users")
	if err := Add(path, "alice", password); err != nil {
		b.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for b.Loop() {
		if ok, err := f.Authenticate(ctx, "alice", password); !ok || err != nil {
			b.Fatal("refused", err)
		}
	}
	b.StopTimer()
	perAuth := float64(b.Elapsed().Nanoseconds()) / float64(b.N)

	// The baseline: enough SHA-256s to take a measurable time.
	const shas = 1 << 20
	start := time.Now()
	for range shas {
		sink = sha256.Sum256([]byte(password))
	}
	perSHA := float64(time.Since(start).Nanoseconds()) / shas
	b.ReportMetric(perSHA, "sha256-ns/op")
	b.ReportMetric(perAuth/perSHA, "x-sha256")
}
