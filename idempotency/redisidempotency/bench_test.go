package redisidempotency_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ccfs-go/ccfs/auth/redisreplay/redistest"
	"github.com/ccfs-go/ccfs/idempotency"
)

// usedMemory is Redis's used_memory, in bytes.
func usedMemory(b *testing.B, rdb *redis.Client) int64 {
	b.Helper()
	info, err := rdb.Info(context.Background(), "memory").Result()
	if err != nil {
		b.Fatal(err)
	}
	for line := range strings.Lines(info) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return n
		}
	}
	b.Fatal("INFO memory holds no used_memory")
	return 0
}

// BenchmarkEntryMemory measures what one finished upload's entry costs
// Redis (bytes/entry: used_memory's growth over b.N entries, each a
// Begin and a Finish of a typical answer, no pool), beside the baseline
// measured in the same run on the same server: a replay cache's entry
// (auth/redisreplay: a 64-hex-digit key under a prefix, the value "1",
// an expiry), as x-replay-entry. ns/op is a Begin and a Finish, two
// round trips. Run it with -benchtime=20000x or more: used_memory moves
// in allocator steps.
func BenchmarkEntryMemory(b *testing.B) {
	ctx := context.Background()
	srv := redistest.Start(b)
	s := newStore(b, srv.Client)
	before := usedMemory(b, srv.Client)
	i := 0
	for b.Loop() {
		sc := idempotency.Scope{AccessKey: "AK53", VDN: 53, Key: "upload-" + strconv.Itoa(i)}
		h := idempotency.Hash(sha256.Sum256(binary.AppendUvarint(nil, uint64(i))))
		i++
		if _, _, err := s.Begin(ctx, sc, h, time.Minute); err != nil {
			b.Fatal(err)
		}
		rec := idempotency.Record{Hash: h, FileName: fmt.Sprintf("Y:/3rdfile/53/thirdvoicebotfile/%x.wav", h[:16])}
		if err := s.Finish(ctx, sc, rec, time.Hour); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	perEntry := float64(usedMemory(b, srv.Client)-before) / float64(i)
	if err := srv.Client.FlushAll(ctx).Err(); err != nil {
		b.Fatal(err)
	}
	before = usedMemory(b, srv.Client)
	for n := range i {
		sig := sha256.Sum256(binary.AppendUvarint(nil, uint64(n)))
		if err := srv.Client.SetNX(ctx, "ccfs:replay:"+hex.EncodeToString(sig[:]), 1, time.Hour).Err(); err != nil {
			b.Fatal(err)
		}
	}
	baseline := float64(usedMemory(b, srv.Client)-before) / float64(i)
	b.ReportMetric(perEntry, "bytes/entry")
	b.ReportMetric(baseline, "replay-bytes/entry")
	b.ReportMetric(perEntry/baseline, "x-replay-entry")
}
