package redisevents

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ccfs-go/ccfs/events"
)

// ErrUnknownRef is returned by Redeliver for a ref that is not one of the
// endpoint's dead letters.
var ErrUnknownRef = errors.New("redisevents: no such dead letter")

// Pending implements events.Mailbox: up to n (at most MaxList) entries
// of the stream, oldest first, handed out or not.
func (q *Queue) Pending(ctx context.Context, n int) ([]events.Item, error) {
	msgs, err := q.j.rdb.XRangeN(ctx, q.stream, "-", "+", int64(min(MaxList, max(n, 1)))).Result()
	if err != nil {
		return nil, fmt.Errorf("redisevents: listing %s: %w", q.stream, err)
	}
	items := make([]events.Item, 0, len(msgs))
	for _, m := range msgs {
		body, _ := m.Values["e"].(string)
		items = append(items, events.Item{Ref: m.ID, Body: []byte(body)})
	}
	return items, nil
}

// Backlog returns how many events wait for the endpoint (handed out or
// not), and when the oldest of them was queued (by Redis's clock; the
// zero time if none waits): for the metrics of what is undelivered.
func (q *Queue) Backlog(ctx context.Context) (n int64, oldest time.Time, err error) {
	var length *redis.IntCmd
	var first *redis.XMessageSliceCmd
	if _, err := q.j.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		length, first = p.XLen(ctx, q.stream), p.XRangeN(ctx, q.stream, "-", "+", 1)
		return nil
	}); err != nil {
		return 0, time.Time{}, fmt.Errorf("redisevents: %s: %w", q.stream, err)
	}
	if msgs := first.Val(); len(msgs) == 1 {
		ms, _, _ := strings.Cut(msgs[0].ID, "-")
		if t, err := strconv.ParseInt(ms, 10, 64); err == nil {
			oldest = time.UnixMilli(t)
		}
	}
	return length.Val(), oldest, nil
}

// DeadLetters implements events.Mailbox: up to n (at most MaxList) of
// the endpoint's dead letters, oldest first.
func (q *Queue) DeadLetters(ctx context.Context, n int) ([]events.DeadLetter, error) {
	msgs, err := q.j.rdb.XRangeN(ctx, q.dead, "-", "+", int64(min(MaxList, max(n, 1)))).Result()
	if err != nil {
		return nil, fmt.Errorf("redisevents: listing %s: %w", q.dead, err)
	}
	letters := make([]events.DeadLetter, 0, len(msgs))
	for _, m := range msgs {
		reason, _ := m.Values["reason"].(string)
		body, _ := m.Values["e"].(string)
		d := events.DeadLetter{Ref: m.ID, Reason: reason, Body: []byte(body)}
		if s, ok := m.Values["time"].(string); ok {
			if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
				d.Time = time.UnixMilli(ms)
			}
		}
		letters = append(letters, d)
	}
	return letters, nil
}

// redeliverScript moves the dead letter ARGV[1] of KEYS[2] back to the
// stream KEYS[1], as a new entry, and returns that entry's ID; or nil
// if there is no such dead letter.
var redeliverScript = redis.NewScript(`
local found = redis.call('XRANGE', KEYS[2], ARGV[1], ARGV[1])
if #found == 0 then return false end
local fields, body = found[1][2], ''
for i = 1, #fields, 2 do
  if fields[i] == 'e' then body = fields[i + 1] end
end
local id = redis.call('XADD', KEYS[1], '*', 'e', body)
redis.call('XDEL', KEYS[2], ARGV[1])
return id
`)

// Redeliver implements events.Mailbox, in one script: the dead letter
// ref goes back to the stream as a new entry (delivered after those
// already there), and out of the dead letters. A ref that is not one of
// them is an error wrapping ErrUnknownRef.
func (q *Queue) Redeliver(ctx context.Context, ref string) error {
	if !validRef(ref) {
		return fmt.Errorf("%w: %q (endpoint %s) is not a stream entry ID", ErrUnknownRef, ref, q.key)
	}
	err := redeliverScript.Run(ctx, q.j.rdb, []string{q.stream, q.dead}, ref).Err()
	if errors.Is(err, redis.Nil) {
		return fmt.Errorf("%w: %s (endpoint %s)", ErrUnknownRef, ref, q.key)
	}
	if err != nil {
		return fmt.Errorf("redisevents: redelivering %s of %s: %w", ref, q.dead, err)
	}
	return nil
}
