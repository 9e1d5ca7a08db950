package redisevents

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// pruneAfter is how many ClaimIdle periods a consumer holding nothing
// stays in a group unseen before Run deletes it. Every node that ever
// started left a consumer (its names differ by process); deleting one
// that holds nothing loses nothing, and a node still alive is made a
// consumer again by its next read.
const pruneAfter = 10

// pruneScript deletes the consumer ARGV[1] from the group "ccfs" of the
// stream KEYS[1] if it holds no pending entry, in one step: a consumer
// deleted with entries would take them out of the group's pending list,
// and no node would hand them out again.
var pruneScript = redis.NewScript(`
local p = redis.call('XPENDING', KEYS[1], 'ccfs', '-', '+', 1, ARGV[1])
if #p > 0 then return 0 end
redis.call('XGROUP', 'DELCONSUMER', KEYS[1], 'ccfs', ARGV[1])
return 1
`)

// prune deletes from each stream's group the consumers other than this
// one that hold nothing and have been idle for pruneAfter ClaimIdle
// periods, and returns how many it deleted.
func (j *Journal) prune(ctx context.Context) (int, error) {
	deleted := 0
	for _, stream := range j.streams {
		consumers, err := j.rdb.XInfoConsumers(ctx, stream, Group).Result()
		if noGroup(err) {
			continue // made again by the next Next
		}
		if err != nil {
			return deleted, fmt.Errorf("redisevents: listing the consumers of %s: %w", stream, err)
		}
		for _, c := range consumers {
			if c.Name == j.consumer || c.Pending > 0 || c.Idle < pruneAfter*j.claimIdle {
				continue
			}
			n, err := pruneScript.Run(ctx, j.rdb, []string{stream}, c.Name).Int()
			if err != nil {
				return deleted, fmt.Errorf("redisevents: deleting the consumer %s of %s: %w", c.Name, stream, err)
			}
			deleted += n
		}
	}
	return deleted, nil
}
