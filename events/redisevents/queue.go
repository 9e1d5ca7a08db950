package redisevents

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ccfs-go/ccfs/events"
)

// A Queue is one endpoint's stream, as this node sees it: an
// events.Queue for its deliverer, an events.Mailbox for an operator.
// Item.Ref is the stream entry's ID. Its methods are safe for concurrent
// use.
type Queue struct {
	j      *Journal
	key    string // the endpoint's key
	stream string // q:<key>
	dead   string // dead:<key>

	mu     sync.Mutex
	cursor string // where the next XAUTOCLAIM scan starts: on from where the last stopped
}

var (
	_ events.Queue   = (*Queue)(nil)
	_ events.Mailbox = (*Queue)(nil)
)

// Key returns the endpoint's key.
func (q *Queue) Key() string { return q.key }

// createGroup makes the stream's consumer group, and the stream if need
// be, reading from its start: a stream holds only what is undelivered.
// A group that exists is kept.
func (q *Queue) createGroup(ctx context.Context) error {
	err := q.j.rdb.XGroupCreateMkStream(ctx, q.stream, Group, "0").Err()
	if err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
		return fmt.Errorf("redisevents: creating the consumer group of %s: %w", q.stream, err)
	}
	return nil
}

// noGroup reports whether err says the stream or its group is missing
// (Redis lost them: a restart without persistence, a FLUSHALL).
func noGroup(err error) bool {
	return err != nil && strings.HasPrefix(err.Error(), "NOGROUP")
}

// maxClaimScans bounds the XAUTOCLAIM calls of one Next: each scans at
// most ten times its COUNT of the group's pending entries. The next Next
// goes on from where it stopped, so every pending entry is looked at in
// turn however many there are.
const maxClaimScans = 10

// Next implements events.Queue: first the entries handed out (to any
// node, this one included) and neither settled nor held for
// Options.ClaimIdle (XAUTOCLAIM), then new ones (XREADGROUP), waiting up
// to wait for one if there was none. n is taken as at least 1 and at
// most MaxBatch. If Redis lost the stream's group, Next makes it again,
// reading the stream from its start. A ctx cancelled does not cut the
// wait short (go-redis heeds only a ctx's deadline, and only with
// redis.Options.ContextTimeoutEnabled): a deliverer stopping waits up to
// wait.
func (q *Queue) Next(ctx context.Context, n int, wait time.Duration) ([]events.Item, error) {
	n = min(MaxBatch, max(n, 1))
	items, err := q.next(ctx, n, wait)
	if noGroup(err) {
		q.j.log.Warn("redisevents: the consumer group was missing; made again", "stream", q.stream)
		if err := q.createGroup(ctx); err != nil {
			return nil, err
		}
		items, err = q.next(ctx, n, wait)
	}
	if err != nil {
		return nil, fmt.Errorf("redisevents: %s: %w", q.stream, err)
	}
	return items, nil
}

func (q *Queue) next(ctx context.Context, n int, wait time.Duration) ([]events.Item, error) {
	items, err := q.claim(ctx, n)
	if err != nil || len(items) == n {
		return items, err
	}
	block := time.Duration(-1) // no BLOCK: BLOCK 0 would wait for ever
	if len(items) == 0 && wait > 0 {
		block = max(wait, time.Millisecond)
	}
	res, err := q.j.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group: Group, Consumer: q.j.consumer, Streams: []string{q.stream, ">"},
		Count: int64(n - len(items)), Block: block,
	}).Result()
	if errors.Is(err, redis.Nil) || err != nil && len(items) > 0 {
		return items, nil // those taken over now; the error, if it lasts, at the next call
	}
	if err != nil {
		return nil, err
	}
	for _, s := range res {
		for _, m := range s.Messages {
			if it, ok := q.item(ctx, m); ok {
				items = append(items, it)
			}
		}
	}
	return items, nil
}

// claim takes over up to n entries idle for ClaimIdle.
func (q *Queue) claim(ctx context.Context, n int) ([]events.Item, error) {
	var items []events.Item
	q.mu.Lock()
	start := cmp.Or(q.cursor, "0-0")
	q.mu.Unlock()
	defer func() {
		q.mu.Lock()
		q.cursor = start
		q.mu.Unlock()
	}()
	for range maxClaimScans {
		msgs, next, err := q.j.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{
			Stream: q.stream, Group: Group, Consumer: q.j.consumer,
			MinIdle: q.j.claimIdle, Start: start, Count: int64(n - len(items)),
		}).Result()
		if err != nil {
			return items, err
		}
		for _, m := range msgs {
			if it, ok := q.item(ctx, m); ok {
				items = append(items, it)
			}
		}
		start = next
		if next == "0-0" || len(items) >= n {
			break
		}
	}
	return items, nil
}

// item returns m as an Item. An entry without an event (a Redis 6.2
// XAUTOCLAIM's deleted entry; one not written here) is not handed out:
// a deleted one is acknowledged, one without field "e" moved to the dead
// letters.
func (q *Queue) item(ctx context.Context, m redis.XMessage) (events.Item, bool) {
	if m.Values == nil {
		q.j.rdb.XAck(ctx, q.stream, Group, m.ID)
		return events.Item{}, false
	}
	body, ok := m.Values["e"].(string)
	if !ok {
		err := q.Dead(ctx, events.Item{Ref: m.ID}, "the stream entry holds no event (no field e)")
		q.j.log.Error("redisevents: a stream entry without an event, moved to the dead letters", "stream", q.stream, "ref", m.ID, "err", err)
		return events.Item{}, false
	}
	return events.Item{Ref: m.ID, Body: []byte(body)}, true
}

// refs returns the items' refs.
func refs(items []events.Item) []string {
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.Ref
	}
	return ids
}

// Ack implements events.Queue: XACK and XDEL in one transaction, so the
// stream keeps only what is undelivered.
func (q *Queue) Ack(ctx context.Context, items ...events.Item) error {
	if len(items) == 0 {
		return nil
	}
	ids := refs(items)
	if _, err := q.j.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.XAck(ctx, q.stream, Group, ids...)
		p.XDel(ctx, q.stream, ids...)
		return nil
	}); err != nil {
		return fmt.Errorf("redisevents: acknowledging on %s: %w", q.stream, err)
	}
	return nil
}

// deadScript moves the entry ARGV[1] of the stream KEYS[1] to the dead
// letters KEYS[2], with the reason ARGV[2] and the time ARGV[3], and
// takes it out of the group ARGV[4]'s pending entries. It returns 1, or
// 0 if the entry is no longer there (delivered, or moved aside, by
// another node).
var deadScript = redis.NewScript(`
local found = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1])
redis.call('XACK', KEYS[1], ARGV[4], ARGV[1])
if #found == 0 then return 0 end
local fields, body = found[1][2], ''
for i = 1, #fields, 2 do
  if fields[i] == 'e' then body = fields[i + 1] end
end
redis.call('XADD', KEYS[2], '*', 'ref', ARGV[1], 'reason', ARGV[2], 'time', ARGV[3], 'e', body)
redis.call('XDEL', KEYS[1], ARGV[1])
return 1
`)

// Dead implements events.Queue, in one script: the entry goes to the
// endpoint's dead letters with reason (cut to MaxReason bytes) and the
// time, and out of its stream. An entry no longer there (another node
// delivered it) is left so.
func (q *Queue) Dead(ctx context.Context, it events.Item, reason string) error {
	if !validRef(it.Ref) {
		return fmt.Errorf("redisevents: %q is not a stream entry ID", it.Ref)
	}
	err := deadScript.Run(ctx, q.j.rdb, []string{q.stream, q.dead},
		it.Ref, cut(reason, MaxReason), strconv.FormatInt(q.j.now().UnixMilli(), 10), Group).Err()
	if err != nil {
		return fmt.Errorf("redisevents: moving %s of %s to the dead letters: %w", it.Ref, q.stream, err)
	}
	return nil
}

// cut returns s cut to at most n bytes, at a rune's start.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// validRef reports whether ref is a stream entry ID, ms-seq.
func validRef(ref string) bool {
	ms, seq, ok := strings.Cut(ref, "-")
	_, err1 := strconv.ParseUint(ms, 10, 64)
	_, err2 := strconv.ParseUint(seq, 10, 64)
	return ok && err1 == nil && err2 == nil
}

// holdScript claims to the consumer ARGV[1], with its idle time set to
// ARGV[2] ms, each entry from ARGV[3] on that the consumer holds in the
// stream KEYS[1]'s group "ccfs" (XCLAIM … JUSTID, which counts no
// delivery). An entry another consumer has taken since is left to it.
// It returns how many it claimed.
var holdScript = redis.NewScript(`
local n = 0
for i = 3, #ARGV do
  local p = redis.call('XPENDING', KEYS[1], 'ccfs', ARGV[i], ARGV[i], 1, ARGV[1])
  if #p == 1 then
    redis.call('XCLAIM', KEYS[1], 'ccfs', ARGV[1], 0, ARGV[i], 'IDLE', ARGV[2], 'JUSTID')
    n = n + 1
  end
end
return n
`)

// releasedIdle is the idle time Release gives an entry: past any node's
// ClaimIdle, so that the next Next anywhere takes it. (Redis sets an
// idle time larger than its clock's Unix time to zero: this stays far
// below.)
const releasedIdle = 30 * 24 * time.Hour

// Hold implements events.Queue: the items this node holds have their
// idle time set to zero (XCLAIM to this consumer), so no node takes them
// over for another Options.ClaimIdle. One another node has taken over
// meanwhile (this node stalled past ClaimIdle) is left to it.
func (q *Queue) Hold(ctx context.Context, items ...events.Item) error {
	return q.hold(ctx, 0, items)
}

// Release implements events.Queue: the items this node holds are made
// idle past any ClaimIdle, so the next Next of any node (this one
// included) hands them out again.
func (q *Queue) Release(ctx context.Context, items ...events.Item) error {
	return q.hold(ctx, releasedIdle, items)
}

func (q *Queue) hold(ctx context.Context, idle time.Duration, items []events.Item) error {
	if len(items) == 0 {
		return nil
	}
	args := make([]any, 0, 2+len(items))
	args = append(args, q.j.consumer, idle.Milliseconds())
	for _, it := range items {
		if !validRef(it.Ref) {
			return fmt.Errorf("redisevents: %q is not a stream entry ID", it.Ref)
		}
		args = append(args, it.Ref)
	}
	if err := holdScript.Run(ctx, q.j.rdb, []string{q.stream}, args...).Err(); err != nil {
		return fmt.Errorf("redisevents: holding entries of %s: %w", q.stream, err)
	}
	return nil
}
