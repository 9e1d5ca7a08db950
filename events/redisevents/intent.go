package redisevents

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/ccfs-go/ccfs/events"
)

// Prepare implements events.Sink: it records ev as an intent, with its
// deadline Options.IntentTTL from now, in one transaction.
func (j *Journal) Prepare(ctx context.Context, ev events.Event) (events.Intent, error) {
	body, err := encode(ev)
	if err != nil {
		return nil, err
	}
	deadline := j.now().Add(j.ttl).UnixMilli()
	if _, err := j.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, j.intents, ev.ID, body)
		p.ZAdd(ctx, j.due, redis.Z{Score: float64(deadline), Member: ev.ID})
		return nil
	}); err != nil {
		return nil, fmt.Errorf("redisevents: preparing event %s: %w", ev.ID, err)
	}
	j.mu.Lock()
	j.open[ev.ID] = struct{}{}
	j.mu.Unlock()
	return &intent{j: j, id: ev.ID, typ: ev.Type}, nil
}

// encode checks ev and returns its JSON form.
func encode(ev events.Event) ([]byte, error) {
	if err := ev.Validate(); err != nil {
		return nil, err
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return nil, fmt.Errorf("redisevents: event %s: %w", ev.ID, err)
	}
	if len(body) > MaxEvent {
		return nil, fmt.Errorf("redisevents: event %s is %d bytes, more than %d", ev.ID, len(body), MaxEvent)
	}
	return body, nil
}

// settled forgets id as one of this Journal's open intents: its
// deadline is no longer pushed on.
func (j *Journal) settled(id string) {
	j.mu.Lock()
	delete(j.open, id)
	delete(j.failed, id)
	j.mu.Unlock()
}

// commitScript settles the intent ARGV[1] (KEYS[1], KEYS[2]) as
// committed: if it is still there, it appends ARGV[2] to every stream
// (KEYS[3] on), then removes the intent, and returns 1; if not (a reaper
// settled it), it does nothing and returns 0. The streams are written
// before the intent goes, so a script cut short by an error (Redis out
// of memory) leaves the intent, to be committed again, rather than an
// event queued nowhere.
var commitScript = redis.NewScript(`
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
for i = 3, #KEYS do redis.call('XADD', KEYS[i], '*', 'e', ARGV[2]) end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
`)

// commit runs commitScript for ev, and reports whether it queued it.
func (j *Journal) commit(ctx context.Context, ev events.Event) (bool, error) {
	body, err := encode(ev)
	if err != nil {
		return false, err
	}
	keys := append([]string{j.intents, j.due}, j.streams...)
	n, err := commitScript.Run(ctx, j.rdb, keys, ev.ID, body).Int()
	if err != nil {
		return false, fmt.Errorf("redisevents: committing event %s: %w", ev.ID, err)
	}
	return n == 1, nil
}

// An intent is an event Prepare recorded.
type intent struct {
	j   *Journal
	id  string
	typ events.Type
}

// Commit implements events.Intent: the event goes to every endpoint's
// stream, unless a reaper settled the intent first (then it does
// nothing, and returns nil: the reaper's settling stands). If Redis
// fails, the intent stays open and this node's Run commits the event
// again at each turn (extending its deadline meanwhile, so that no
// reaper asks the store, which a delete since would mislead); if this
// node dies first, a reaper settles it.
func (i *intent) Commit(ctx context.Context, ev events.Event) error {
	if ev.ID != i.id || ev.Type != i.typ {
		i.j.settled(i.id)
		return fmt.Errorf("redisevents: Commit of %s %s with event %s %s: the ID and type must stay", i.typ, i.id, ev.Type, ev.ID)
	}
	if _, err := encode(ev); err != nil {
		i.j.settled(i.id)
		return err
	}
	queued, err := i.j.commit(ctx, ev)
	if err != nil {
		i.j.commitLater(ev)
		return err
	}
	i.j.settled(i.id)
	if !queued {
		i.j.log.Warn("redisevents: an intent was settled by a reaper before its commit", "event", i.id)
	}
	return nil
}

// maxRecommits bounds the events whose Commit failed that a Journal
// keeps to commit again: past it (Redis away for long), they are left to
// the reapers.
const maxRecommits = 4096

// commitLater keeps ev, whose Commit failed, to be committed again by
// Run; its intent stays one this node holds open (extended).
func (j *Journal) commitLater(ev events.Event) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if len(j.failed) < maxRecommits {
		j.failed[ev.ID] = ev
	} else {
		delete(j.open, ev.ID)
	}
}

// recommit commits again the events whose Commit failed; it returns the
// first error, the others left for the next turn.
func (j *Journal) recommit(ctx context.Context) error {
	j.mu.Lock()
	failed := make([]events.Event, 0, len(j.failed))
	for _, ev := range j.failed {
		failed = append(failed, ev)
	}
	j.mu.Unlock()
	for _, ev := range failed {
		if _, err := j.commit(ctx, ev); err != nil {
			return err
		}
		j.mu.Lock()
		delete(j.failed, ev.ID)
		delete(j.open, ev.ID)
		j.mu.Unlock()
	}
	return nil
}

// Abandon implements events.Intent.
func (i *intent) Abandon(ctx context.Context) error {
	defer i.j.settled(i.id)
	_, err := i.j.abandon(ctx, i.id)
	return err
}
