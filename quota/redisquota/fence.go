package redisquota

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ccfs-go/ccfs/store"
)

// DefaultFencePrefix starts every key a Fence writes.
const DefaultFencePrefix = "ccfs:fence:"

// Fence is a store.Fence that servers sharing a store share in Redis: a
// claim is a key set with SET NX and an expiry, so of the deleteFile
// requests and retention sweeps of every server, one removes a file, and
// one gives its size back to the ledger. Give it to ccfs.Options.Fence
// and retention.Sweeper.Fence.
type Fence struct {
	client redis.UniversalClient
	prefix string
}

var _ store.Fence = (*Fence)(nil)

// NewFence returns a Fence whose keys start with prefix (default:
// DefaultFencePrefix).
func NewFence(client redis.UniversalClient, prefix string) *Fence {
	if prefix == "" {
		prefix = DefaultFencePrefix
	}
	return &Fence{client: client, prefix: prefix}
}

// Claim implements store.Fence.
func (f *Fence) Claim(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	ok, err := f.client.SetNX(ctx, f.prefix+key, 1, ttl).Result()
	if err != nil {
		return false, fmt.Errorf("redisquota: fence: %w", err)
	}
	return ok, nil
}

// Unclaim implements store.Fence.
func (f *Fence) Unclaim(ctx context.Context, key string) error {
	if err := f.client.Del(ctx, f.prefix+key).Err(); err != nil {
		return fmt.Errorf("redisquota: fence: %w", err)
	}
	return nil
}
