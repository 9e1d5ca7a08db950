package events

import (
	"context"
	"time"
)

// A Queue holds the events bound for one endpoint until they are
// delivered: a durable Sink keeps one per endpoint (on the local disk, in
// Redis), and a deliverer takes events from it. Its methods are called
// concurrently.
type Queue interface {
	// Next returns up to max events to deliver, oldest first: those not
	// yet handed out, and those handed out to a deliverer that has since
	// died (on a queue several nodes share), never one this Queue has
	// handed out and that is neither acknowledged, dead nor given up. It
	// waits up to wait for one, and returns none if none came.
	Next(ctx context.Context, max int, wait time.Duration) ([]Item, error)
	// Ack records that items were delivered: they are never handed out
	// again.
	Ack(ctx context.Context, items ...Item) error
	// Dead moves it aside as a dead letter, with reason: no longer
	// delivered, kept, listed by DeadLetters and put back by Redeliver.
	Dead(ctx context.Context, it Item, reason string) error
	// Hold says items are still being delivered (retried later): a queue
	// several nodes share keeps another node from taking them over while
	// this one lives. A local queue does nothing.
	Hold(ctx context.Context, items ...Item) error
	// Release gives back items handed out and not delivered (a deliverer
	// stopping): they are handed out again, by this Queue or another's.
	Release(ctx context.Context, items ...Item) error
}

// An Item is an event in a Queue.
type Item struct {
	// Ref is the queue's reference to the item: a sequence number, a
	// stream entry's ID. Acks and dead letters name it.
	Ref string
	// Body is the event's JSON form, as delivered.
	Body []byte
}

// A DeadLetter is an event moved aside by Queue.Dead.
type DeadLetter struct {
	Ref    string    // the dead letter's reference, for Redeliver
	Reason string    // why, as given to Dead
	Time   time.Time // when it was moved aside
	Body   []byte    // the event's JSON form
}

// A Mailbox is what an operator sees of a Queue: what waits, what was
// moved aside, and putting a dead letter back (ccfs events).
type Mailbox interface {
	// Pending returns up to max events not yet delivered, oldest first,
	// without handing them out.
	Pending(ctx context.Context, max int) ([]Item, error)
	// DeadLetters returns up to max dead letters, oldest first.
	DeadLetters(ctx context.Context, max int) ([]DeadLetter, error)
	// Redeliver puts the dead letter ref back in the queue, to be
	// delivered again, and no longer a dead letter.
	Redeliver(ctx context.Context, ref string) error
}
