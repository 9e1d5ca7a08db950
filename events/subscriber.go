package events

import (
	"context"
	"sync"
	"sync/atomic"
)

// A Subscriber is a Sink for the simple case: an in-process function
// called with each committed event, on a goroutine of its own, so that it
// never delays the request that made the event. Events wait in a buffer
// of fixed size; while it is full, new events are dropped and counted
// (Dropped), never waited for. A Subscriber is not durable: the events in
// its buffer are lost with the process. For delivery at least once, use a
// durable Sink.
type Subscriber struct {
	fn      func(Event)
	ch      chan Event
	mu      sync.RWMutex // held to send, so Close never closes ch under a sender
	closed  bool
	dropped atomic.Int64
	done    chan struct{}
}

// NewSubscriber starts a Subscriber that calls fn with each event, one at
// a time, in the order they were committed, holding up to buffer events
// (at least 1) while fn is busy.
func NewSubscriber(buffer int, fn func(Event)) *Subscriber {
	s := &Subscriber{fn: fn, ch: make(chan Event, max(buffer, 1)), done: make(chan struct{})}
	go s.run()
	return s
}

func (s *Subscriber) run() {
	defer close(s.done)
	for ev := range s.ch {
		s.fn(ev)
	}
}

// Prepare implements Sink: the event is handed to fn on Commit.
func (s *Subscriber) Prepare(context.Context, Event) (Intent, error) {
	return subscriberIntent{s}, nil
}

type subscriberIntent struct{ s *Subscriber }

func (i subscriberIntent) Commit(_ context.Context, ev Event) error {
	i.s.offer(ev)
	return nil
}

func (i subscriberIntent) Abandon(context.Context) error { return nil }

// offer queues ev, or drops it if the buffer is full or s is closed.
func (s *Subscriber) offer(ev Event) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		s.dropped.Add(1)
		return
	}
	select {
	case s.ch <- ev:
	default:
		s.dropped.Add(1)
	}
}

// Dropped returns how many events were dropped: the buffer was full, or
// the Subscriber closed.
func (s *Subscriber) Dropped() int64 { return s.dropped.Load() }

// Close stops taking events (those committed after it are dropped), and
// waits until fn has been called with those in the buffer, or ctx ends.
func (s *Subscriber) Close(ctx context.Context) error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.ch)
	}
	s.mu.Unlock()
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
