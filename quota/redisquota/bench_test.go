package redisquota_test

import (
	"context"
	"testing"

	"github.com/ccfs-go/ccfs/auth/redisreplay/redistest"
	"github.com/ccfs-go/ccfs/quota"
)

// BenchmarkClaim is what a claim and its release cost an upload under a
// quota: one Lua script each on a local redis-server, against the
// in-process quota.Memory measured in the same run (reported as
// x_memory, the ratio of their times).
func BenchmarkClaim(b *testing.B) {
	ctx := context.Background()
	lim := quota.Limit{Bytes: 1 << 40, Files: 1 << 40}
	run := func(b *testing.B, l quota.Ledger) float64 {
		if err := l.Set(ctx, nil); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for b.Loop() {
			if _, ok, err := l.Claim(ctx, 53, 40_000, lim); !ok || err != nil {
				b.Fatal(ok, err)
			}
			if err := l.Release(ctx, 53, 40_000); err != nil {
				b.Fatal(err)
			}
		}
		return float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	}
	var memory float64
	b.Run("Memory", func(b *testing.B) { memory = run(b, quota.NewMemory()) })
	b.Run("Redis", func(b *testing.B) {
		redis := run(b, newLedger(b, redistest.Start(b).Client))
		if memory > 0 {
			b.ReportMetric(redis/memory, "x_memory")
		}
	})
}
