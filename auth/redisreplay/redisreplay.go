// Package redisreplay is an auth.ReplayCache kept in Redis, so that
// several ccfs nodes behind a balancer refuse a request replayed against
// any of them. An accepted signature is stored with SET key NX PX: the
// first node to store it wins, the key expires auth.ReplayMargin after the
// signature leaves the signing window, and a Redis that cannot be reached fails closed.
//
// It is a module of its own, so that a user of the handler who keeps the
// in-memory cache never downloads a Redis client.
package redisreplay

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ccfs-go/ccfs/auth"
)

// DefaultPrefix starts every key the cache writes.
const DefaultPrefix = "ccfs:replay:"

// Cache is an auth.ReplayCache in Redis. It is safe for concurrent use.
type Cache struct {
	client redis.UniversalClient
	prefix string
	now    func() time.Time
}

var _ auth.ReplayCache = (*Cache)(nil)

// Options configures New. A zero field means its default.
type Options struct {
	// Prefix starts every key. Default: DefaultPrefix.
	Prefix string
	// Now is the clock the expiries are measured against; it must be the
	// Verifier's. Default: time.Now.
	Now func() time.Time
}

// New returns a Cache on client.
func New(client redis.UniversalClient, opts Options) (*Cache, error) {
	if client == nil {
		return nil, errors.New("redisreplay: nil client")
	}
	c := &Cache{client: client, prefix: opts.Prefix, now: opts.Now}
	if c.prefix == "" {
		c.prefix = DefaultPrefix
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c, nil
}

// Ping says whether Redis answers now (PING), for a readiness check.
func (c *Cache) Ping(ctx context.Context) error {
	if err := c.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redisreplay: %w", err)
	}
	return nil
}

// Add implements auth.ReplayCache: SET prefix+hex(signature) 1 NX PX
// (expires - now). It returns auth.ErrReplay if the key exists or the
// entry has already expired (it could not be kept, so the signature cannot
// be told from one accepted and forgotten), and an error wrapping
// auth.ErrReplayUnavailable if Redis cannot be asked.
func (c *Cache) Add(ctx context.Context, e auth.ReplayEntry) error {
	ttl := e.Expires.Sub(c.now())
	if ttl < time.Millisecond {
		return auth.ErrReplay
	}
	ok, err := c.client.SetNX(ctx, c.prefix+hex.EncodeToString(e.Signature[:]), 1, ttl).Result()
	switch {
	case err != nil:
		return fmt.Errorf("%w: redis: %v", auth.ErrReplayUnavailable, err)
	case !ok:
		return auth.ErrReplay
	}
	return nil
}
