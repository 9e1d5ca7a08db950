package journal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

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
}

// Commit appends ev to every endpoint's queue, in parallel, and returns
// once it is durable in all of them; the intent is then acknowledged in
// the background. ev must keep the prepared ID and Type. If it fails,
// the intent stays open: Commit may be called again (it appends only to
// the queues that lack the event), and the next Open settles it
// otherwise.
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
		return err
	}
	in.state = intentCommitted
	in.j.acks.add(in.seq) // refused once closing: the next Open settles the intent
	return nil
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
