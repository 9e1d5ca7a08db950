package redisevents

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ccfs-go/ccfs/events"
)

// reapBatch is how many due intents a pass reads at once.
const reapBatch = 100

// Run keeps the intents settled until ctx is done, then returns nil:
// every Options.IntentTTL/4 it pushes the deadlines of the intents this
// Journal holds open on (so that no reaper settles them while this node
// lives), then reaps (Reap); and it deletes from the consumer group the
// consumers that hold nothing and have been idle for ten ClaimIdle
// periods (nodes gone; one still alive is made a consumer again by its
// next read). What goes wrong is logged, and tried again at the next
// turn. Every node that prepares events runs it.
func (j *Journal) Run(ctx context.Context) error {
	t := time.NewTicker(max(j.ttl/4, time.Millisecond))
	defer t.Stop()
	for {
		if err := j.extend(ctx); err != nil && ctx.Err() == nil {
			j.log.Error("redisevents: extending this node's intents", "err", err)
		}
		if err := j.recommit(ctx); err != nil && ctx.Err() == nil {
			j.log.Error("redisevents: committing again events whose commit failed", "err", err)
		}
		if committed, abandoned, err := j.Reap(ctx); err != nil && ctx.Err() == nil {
			j.log.Error("redisevents: reaping intents", "committed", committed, "abandoned", abandoned, "err", err)
		} else if committed+abandoned > 0 {
			j.log.Info("redisevents: reaped the intents of a node that died", "committed", committed, "abandoned", abandoned)
		}
		if n, err := j.prune(ctx); err != nil && ctx.Err() == nil {
			j.log.Error("redisevents: deleting idle consumers", "err", err)
		} else if n > 0 {
			j.log.Info("redisevents: deleted consumers that held nothing and were idle", "consumers", n)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// extend pushes the deadlines of the intents this Journal holds open to
// IntentTTL from now (ZADD XX: one settled meanwhile is not brought
// back).
func (j *Journal) extend(ctx context.Context) error {
	j.mu.Lock()
	ids := make([]string, 0, len(j.open))
	for id := range j.open {
		ids = append(ids, id)
	}
	j.mu.Unlock()
	deadline := float64(j.now().Add(j.ttl).UnixMilli())
	for batch := range slices.Chunk(ids, reapBatch) {
		members := make([]redis.Z, len(batch))
		for i, id := range batch {
			members[i] = redis.Z{Score: deadline, Member: id}
		}
		if err := j.rdb.ZAddXX(ctx, j.due, members...).Err(); err != nil {
			return fmt.Errorf("redisevents: %w", err)
		}
	}
	return nil
}

// Reap settles, once, every intent whose deadline has passed (its node
// died, or could not reach Redis to settle it), but those this Journal
// holds open, which it extends: it asks the Resolver,
// then commits the event it returns or abandons the intent. An intent
// the Resolver cannot tell about yet (an error), or whose event cannot
// be read, has its deadline pushed on, and is asked about again later.
// It returns how many intents it committed and abandoned; with several
// reapers at once, each intent is counted by the one that settled it.
// It stops at the first error from Redis.
func (j *Journal) Reap(ctx context.Context) (committed, abandoned int, err error) {
	for {
		now := j.now()
		ids, err := j.rdb.ZRangeArgs(ctx, redis.ZRangeArgs{
			Key: j.due, Start: "-inf", Stop: strconv.FormatInt(now.UnixMilli(), 10),
			ByScore: true, Count: reapBatch,
		}).Result()
		if err != nil {
			return committed, abandoned, fmt.Errorf("redisevents: %w", err)
		}
		for _, id := range ids {
			c, a, err := j.reapOne(ctx, id, now)
			committed, abandoned = committed+c, abandoned+a
			if err != nil {
				return committed, abandoned, err
			}
		}
		if len(ids) < reapBatch {
			return committed, abandoned, nil
		}
	}
}

// reapOne settles the due intent id. Each outcome takes id out of the
// due ids at now (settled, gone, or its deadline pushed past now), or is
// an error, so a pass ends.
func (j *Journal) reapOne(ctx context.Context, id string, now time.Time) (committed, abandoned int, err error) {
	j.mu.Lock()
	_, mine := j.open[id]
	j.mu.Unlock()
	if mine { // open here: its change is under way, extend it
		return 0, 0, j.postpone(ctx, id, now.Add(j.ttl))
	}
	body, err := j.rdb.HGet(ctx, j.intents, id).Bytes()
	if errors.Is(err, redis.Nil) { // settled after ZRANGE, or a deadline left behind
		if err := j.rdb.ZRem(ctx, j.due, id).Err(); err != nil {
			return 0, 0, fmt.Errorf("redisevents: %w", err)
		}
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("redisevents: %w", err)
	}
	var ev events.Event
	if err := json.Unmarshal(body, &ev); err != nil || ev.ID != id {
		j.log.Error("redisevents: an intent's event cannot be read; it stays, for an operator", "event", id, "err", err)
		return 0, 0, j.postpone(ctx, id, now.Add(j.ttl))
	}
	resolved, made, err := j.resolve(ctx, ev)
	switch {
	case err == nil && made && (resolved.ID != ev.ID || resolved.Type != ev.Type):
		err = fmt.Errorf("the Resolver answered event %s %s", resolved.Type, resolved.ID)
	case err == nil && made:
		err = resolved.Validate()
	}
	if err != nil {
		j.log.Warn("redisevents: an intent cannot be settled yet", "event", id, "err", err)
		return 0, 0, j.postpone(ctx, id, now.Add(j.retry))
	}
	if !made {
		// Another reaper may have settled it meanwhile, or its node
		// extended it: then this abandon does nothing. Only one reaper
		// counts it.
		n, err := j.abandon(ctx, id, now.UnixMilli())
		return 0, n, err
	}
	queued, err := j.commit(ctx, resolved)
	if err != nil {
		return 0, 0, err
	}
	if queued {
		committed = 1
	}
	return committed, 0, nil
}

// postpone pushes the deadline of id to at, unless it was settled
// meanwhile.
func (j *Journal) postpone(ctx context.Context, id string, at time.Time) error {
	err := j.rdb.ZAddXX(ctx, j.due, redis.Z{Score: float64(at.UnixMilli()), Member: id}).Err()
	if err != nil {
		return fmt.Errorf("redisevents: %w", err)
	}
	return nil
}

// abandonScript removes the intent ARGV[1] (KEYS[1], KEYS[2]) and
// returns 1 if it was there, 0 if not. With ARGV[2] (a reaper's now,
// Unix ms) it leaves an intent whose deadline is past it: one its node
// has extended since the reaper read it, a node that lives.
var abandonScript = redis.NewScript(`
if ARGV[2] then
  local d = redis.call('ZSCORE', KEYS[2], ARGV[1])
  if d and tonumber(d) > tonumber(ARGV[2]) then return 0 end
end
local n = redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return n
`)

// abandon runs abandonScript (with the reaper's now, if any), and
// returns 1 if it removed the intent.
func (j *Journal) abandon(ctx context.Context, id string, now ...any) (int, error) {
	n, err := abandonScript.Run(ctx, j.rdb, []string{j.intents, j.due}, append([]any{id}, now...)...).Int()
	if err != nil {
		return 0, fmt.Errorf("redisevents: abandoning event %s: %w", id, err)
	}
	return n, nil
}
