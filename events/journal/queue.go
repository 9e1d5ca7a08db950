package journal

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/ccfs-go/ccfs/events"
	"github.com/ccfs-go/ccfs/events/outbox"
)

// MaxBatch is the most items Next and Pending return, and dead letters
// DeadLetters returns, in one call.
const MaxBatch = 1024

// MaxOutstanding is the most items a Queue keeps handed out and not yet
// acknowledged, dead or released: past it, Next hands out nothing more
// (it waits) until some are settled. It bounds the memory a Queue uses.
const MaxOutstanding = 1 << 16

// A Queue is one endpoint's queue: an outbox of the committed events'
// JSON. It is an events.Queue for a deliverer and an events.Mailbox for
// an operator. An Item's Ref is the record's sequence number, in
// decimal. Its methods are safe for concurrent use.
type Queue struct {
	key string
	ob  *outbox.Outbox

	mu    sync.Mutex // held through Next's scan of the outbox
	after outbox.Seq // every record up to after is handed out or settled
	out   map[outbox.Seq]struct{}

	wakeMu sync.Mutex    // taken after mu, if both; never held over a read
	wake   chan struct{} // closed (and replaced) when Next may find more
	closed bool
}

var (
	_ events.Queue   = (*Queue)(nil)
	_ events.Mailbox = (*Queue)(nil)
)

func newQueue(key string, ob *outbox.Outbox) *Queue {
	return &Queue{key: key, ob: ob, out: map[outbox.Seq]struct{}{}, wake: make(chan struct{})}
}

// Key returns the endpoint's key.
func (q *Queue) Key() string { return q.key }

// signal wakes the Next calls waiting. It does not wait for a Next's
// scan of the outbox: a Commit calls it.
func (q *Queue) signal() {
	q.wakeMu.Lock()
	defer q.wakeMu.Unlock()
	if !q.closed {
		close(q.wake)
		q.wake = make(chan struct{})
	}
}

// Next implements events.Queue: up to max (at most MaxBatch) records not
// yet handed out, oldest first, waiting up to wait for one to be
// appended (woken by the append, not polling). Records handed out stay
// out until acknowledged, dead or released.
func (q *Queue) Next(ctx context.Context, max int, wait time.Duration) ([]events.Item, error) {
	max = min(max, MaxBatch)
	if max <= 0 {
		return nil, nil
	}
	var timeout <-chan time.Time
	for {
		q.wakeMu.Lock()
		closed, wake := q.closed, q.wake
		q.wakeMu.Unlock()
		if closed {
			return nil, ErrClosed
		}
		q.mu.Lock()
		items, err := q.take(max)
		q.mu.Unlock()
		if err != nil || len(items) > 0 {
			return items, err
		}
		if wait <= 0 {
			return nil, nil
		}
		if timeout == nil {
			t := time.NewTimer(wait)
			defer t.Stop()
			timeout = t.C
		}
		select {
		case <-wake:
		case <-timeout:
			return nil, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// take reads up to max pending records after q.after that are not out,
// hands them out and moves q.after past them. Called with mu.
func (q *Queue) take(max int) ([]events.Item, error) {
	max = min(max, MaxOutstanding-len(q.out))
	var items []events.Item
	after := q.after
	for len(items) < max {
		want := max - len(items)
		recs, err := q.ob.Pending(q.after, want)
		if err != nil {
			// Hand out none: the caller drops items with an error.
			for _, it := range items {
				seq, _ := parseRef(it.Ref)
				delete(q.out, seq)
			}
			q.after = after
			return nil, fmt.Errorf("journal: endpoint %s: %w", q.key, err)
		}
		for _, r := range recs {
			q.after = r.Seq
			if _, ok := q.out[r.Seq]; ok {
				continue // handed out before a Release moved q.after back
			}
			q.out[r.Seq] = struct{}{}
			items = append(items, events.Item{Ref: ref(r.Seq), Body: r.Data})
		}
		if len(recs) < want {
			break // read to the end
		}
	}
	return items, nil
}

// Ack implements events.Queue: the items are acknowledged in the outbox
// (one fsync), never handed out again.
func (q *Queue) Ack(_ context.Context, items ...events.Item) error {
	seqs, err := seqsOf(items)
	if err != nil {
		return err
	}
	if err := q.ob.Ack(seqs...); err != nil {
		return fmt.Errorf("journal: endpoint %s: %w", q.key, err)
	}
	q.settle(seqs...)
	return nil
}

// Dead implements events.Queue: it is moved aside as a dead letter.
func (q *Queue) Dead(_ context.Context, it events.Item, reason string) error {
	seq, err := parseRef(it.Ref)
	if err != nil {
		return err
	}
	if err := q.ob.Dead(seq, reason); err != nil {
		return fmt.Errorf("journal: endpoint %s: %w", q.key, err)
	}
	q.settle(seq)
	return nil
}

// settle forgets seqs as handed out, once the outbox has settled them
// (in this order, so that a scan under way never sees one both pending
// and not out), and wakes Next if that makes room.
func (q *Queue) settle(seqs ...outbox.Seq) {
	q.mu.Lock()
	defer q.mu.Unlock()
	full := len(q.out) >= MaxOutstanding
	for _, seq := range seqs {
		delete(q.out, seq)
	}
	if full && len(q.out) < MaxOutstanding {
		q.signal()
	}
}

// Hold implements events.Queue: a local queue has no one to keep the
// items from, so it does nothing.
func (q *Queue) Hold(context.Context, ...events.Item) error { return nil }

// Release implements events.Queue: the items are handed out again by
// Next.
func (q *Queue) Release(_ context.Context, items ...events.Item) error {
	seqs, err := seqsOf(items)
	if err != nil {
		return err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, seq := range seqs {
		if _, ok := q.out[seq]; !ok {
			continue
		}
		delete(q.out, seq)
		q.after = min(q.after, seq-1)
	}
	q.signal()
	return nil
}

// Outstanding returns how many items are handed out and not yet
// acknowledged, dead or released: those being delivered. For a metric.
func (q *Queue) Outstanding() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.out)
}

// Pending implements events.Mailbox: up to max (at most MaxBatch) records
// not yet acknowledged or dead, oldest first, handed out or not, without
// handing them out.
func (q *Queue) Pending(_ context.Context, max int) ([]events.Item, error) {
	max = min(max, MaxBatch)
	if max <= 0 {
		return nil, nil
	}
	recs, err := q.ob.Pending(0, max)
	if err != nil {
		return nil, fmt.Errorf("journal: endpoint %s: %w", q.key, err)
	}
	items := make([]events.Item, len(recs))
	for i, r := range recs {
		items[i] = events.Item{Ref: ref(r.Seq), Body: r.Data}
	}
	return items, nil
}

// DeadLetters implements events.Mailbox: up to max (at most MaxBatch) of
// the oldest dead letters. Their Ref is the sequence number they had
// when pending.
func (q *Queue) DeadLetters(_ context.Context, max int) ([]events.DeadLetter, error) {
	max = min(max, MaxBatch)
	if max <= 0 {
		return nil, nil
	}
	letters, err := q.ob.FirstDeadLetters(max)
	if err != nil {
		return nil, fmt.Errorf("journal: endpoint %s: %w", q.key, err)
	}
	out := make([]events.DeadLetter, len(letters))
	for i, d := range letters {
		out[i] = events.DeadLetter{Ref: ref(d.Seq), Reason: d.Reason, Time: d.Time, Body: d.Data}
	}
	return out, nil
}

// Redeliver implements events.Mailbox: the dead letter ref is appended
// to the queue again, under a new Ref, and Next is woken.
func (q *Queue) Redeliver(_ context.Context, r string) error {
	seq, err := parseRef(r)
	if err != nil {
		return err
	}
	if _, err := q.ob.Redeliver(seq); err != nil {
		return fmt.Errorf("journal: endpoint %s: %w", q.key, err)
	}
	q.signal()
	return nil
}

// close stops the queue's Next calls and closes its outbox.
func (q *Queue) close() error {
	q.wakeMu.Lock()
	if !q.closed {
		close(q.wake)
		q.closed = true
	}
	q.wakeMu.Unlock()
	return q.ob.Close()
}

func ref(seq outbox.Seq) string { return strconv.FormatUint(uint64(seq), 10) }

func parseRef(r string) (outbox.Seq, error) {
	n, err := strconv.ParseUint(r, 10, 64)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("journal: %q is not an item's ref", r)
	}
	return outbox.Seq(n), nil
}

func seqsOf(items []events.Item) ([]outbox.Seq, error) {
	seqs := make([]outbox.Seq, len(items))
	for i, it := range items {
		seq, err := parseRef(it.Ref)
		if err != nil {
			return nil, err
		}
		seqs[i] = seq
	}
	return seqs, nil
}

// Oldest returns the time of the oldest event not yet acknowledged or
// dead (handed out or not), and false if there is none: one small read
// from disk, for a metric of the oldest undelivered event's age.
func (q *Queue) Oldest(context.Context) (time.Time, bool, error) {
	recs, err := q.ob.Pending(0, 1)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("journal: endpoint %s: %w", q.key, err)
	}
	if len(recs) == 0 {
		return time.Time{}, false, nil
	}
	var ev events.Event
	if err := json.Unmarshal(recs[0].Data, &ev); err != nil {
		return time.Time{}, false, fmt.Errorf("journal: endpoint %s: record %d: %w", q.key, recs[0].Seq, err)
	}
	return ev.Time, true, nil
}
