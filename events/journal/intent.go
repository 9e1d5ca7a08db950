package journal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ccfs-go/ccfs/events"
	"github.com/ccfs-go/ccfs/events/outbox"
)

// Prepare implements events.Sink: it checks ev (Validate) and records it
// as an intent, returning once the intent is durable (fsynced).
func (j *Journal) Prepare(ctx context.Context, ev events.Event) (events.Intent, error) {
	if err := ev.Validate(); err != nil {
		return nil, err
	}
	if j.isClosed() {
		return nil, ErrClosed
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return nil, fmt.Errorf("journal: event %s: %w", ev.ID, err)
	}
	seq, err := j.intents.Append(ctx, body)
	if err != nil {
		return nil, fmt.Errorf("journal: recording the intent of event %s: %w", ev.ID, err)
	}
	return &intent{j: j, seq: seq, id: ev.ID, typ: ev.Type, done: make([]bool, len(j.queues))}, nil
}

const (
	intentOpen = iota
	intentCommitted
	intentAbandoned
)

// An intent is a prepared event: its record in the intents outbox.
type intent struct {
	j   *Journal
	seq outbox.Seq
	id  string
	typ events.Type

	mu    sync.Mutex // held through Commit and Abandon
	state int
	done  []bool // done[i]: the event is in j.queues[i] (a Commit that failed part way)
	body  []byte // the committed event's JSON, once a Commit failed: retried by the journal
}

// Commit appends ev to every endpoint's queue, in parallel, and returns
// once it is durable in all of them; the intent is then acknowledged in
// the background. ev must keep the prepared ID and Type. If the appends
// fail, the intent stays open: the caller made its change (and may have
// answered with success), so the journal appends ev again every
// Options.RetryEvery while it runs (to the queues that lack it), and
// Close tries once more; Commit may also be called again. One still open
// at Close is settled by the next Open.
func (in *intent) Commit(ctx context.Context, ev events.Event) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.state != intentOpen {
		return ErrSettled
	}
	if ev.ID != in.id || ev.Type != in.typ {
		return fmt.Errorf("journal: Commit of %s (%s) with event %s (%s): ID and type must stay", in.id, in.typ, ev.ID, ev.Type)
	}
	if err := ev.Validate(); err != nil {
		return err
	}
	if in.j.isClosed() {
		return ErrClosed
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("journal: event %s: %w", ev.ID, err)
	}
	if err := in.j.appendAll(ctx, body, in.done); err != nil {
		in.body = body
		in.j.recommitLater(in)
		return err
	}
	in.state = intentCommitted
	in.j.acks.add(in.seq) // refused once closing: the next Open settles the intent
	return nil
}

// recommit appends the event of a Commit that failed again, to the queues
// that lack it. It reports whether the intent is settled (now, or by a
// Commit or Abandon since).
func (in *intent) recommit(ctx context.Context) (bool, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.state != intentOpen {
		return true, nil
	}
	if err := in.j.appendAll(ctx, in.body, in.done); err != nil {
		return false, err
	}
	in.state = intentCommitted
	in.j.acks.add(in.seq)
	return true, nil
}

// maxRecommits bounds the intents whose Commit failed that a Journal
// keeps in memory to append again: past it (an outbox that refuses every
// write), they are left to the next Open.
const maxRecommits = 4096

// recommitLater keeps in, whose Commit failed, to be appended again.
func (j *Journal) recommitLater(in *intent) {
	j.failedMu.Lock()
	defer j.failedMu.Unlock()
	if len(j.failed) < maxRecommits {
		j.failed[in] = struct{}{}
	}
}

// recommitAll appends again the events of the Commits that failed, and
// returns how many are still not appended, and the first error.
func (j *Journal) recommitAll(ctx context.Context) (int, error) {
	j.failedMu.Lock()
	failed := make([]*intent, 0, len(j.failed))
	for in := range j.failed {
		failed = append(failed, in)
	}
	j.failedMu.Unlock()
	left := 0
	var first error
	for _, in := range failed {
		settled, err := in.recommit(ctx)
		if settled {
			j.failedMu.Lock()
			delete(j.failed, in)
			j.failedMu.Unlock()
			continue
		}
		left++
		if first == nil {
			first = err
		}
	}
	return left, first
}

// recommitLoop runs recommitAll every Options.RetryEvery until ctx ends.
func (j *Journal) recommitLoop(ctx context.Context) {
	defer close(j.recommitDone)
	t := time.NewTicker(j.opts.RetryEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if left, err := j.recommitAll(ctx); err != nil && ctx.Err() == nil {
			j.log.Warn("journal: committed events could not be queued yet; retrying", "events", left, "retryEvery", j.opts.RetryEvery, "err", err)
		}
	}
}

// Abandon acknowledges the intent now: its event is never delivered. It
// refuses an intent whose Commit failed part way (the event is in some
// queues already): that one is left to the next Open's Resolve.
func (in *intent) Abandon(ctx context.Context) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.state != intentOpen {
		return ErrSettled
	}
	for _, d := range in.done {
		if d {
			return fmt.Errorf("journal: event %s is already in some endpoints' queues (a Commit failed part way); left open for Resolve", in.id)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := in.j.intents.Ack(in.seq); err != nil {
		return fmt.Errorf("journal: abandoning event %s: %w", in.id, err)
	}
	in.state = intentAbandoned
	return nil
}

// appendAll appends body to the queue of every endpoint i for which
// done[i] is false, in parallel, setting done[i] for each that succeeded,
// and wakes their deliverers.
func (j *Journal) appendAll(ctx context.Context, body []byte, done []bool) error {
	errs := make([]error, len(j.queues))
	var wg sync.WaitGroup
	for i, q := range j.queues {
		if done[i] {
			continue
		}
		wg.Go(func() {
			if _, err := q.ob.Append(ctx, body); err != nil {
				errs[i] = fmt.Errorf("journal: endpoint %s: %w", q.key, err)
				return
			}
			done[i] = true
			q.signal()
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
