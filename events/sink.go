package events

import (
	"context"
	"errors"
)

// A Sink records events: the handler's (ccfs.Options.Events) and
// retention's. An event is recorded in two steps around the change it
// describes, so that a crash at any point leaves neither a change without
// its event nor an event without its change:
//
//  1. Prepare, before the change (a file committed, a file removed). A
//     durable Sink records ev as an intent: kept, not delivered. If
//     Prepare fails, the change is not made (an upload is refused).
//  2. The change is made, or fails.
//  3. Intent.Commit once it is made, with the event as it now stands
//     (an upload's LocationIDs are known only once the store has
//     answered): from then on the event is delivered. Intent.Abandon if
//     it was not made: the event never is.
//
// A durable Sink settles the intents a crash left open (neither committed
// nor abandoned) with a Resolver, which reads the store to tell whether
// the change was made. An event so settled keeps its ID, so a receiver
// that already had it drops the repeat.
//
// A Sink's methods are called concurrently.
type Sink interface {
	Prepare(ctx context.Context, ev Event) (Intent, error)
}

// An Intent is a prepared event, settled once by Commit or Abandon.
type Intent interface {
	// Commit records that the change was made: ev (the prepared event,
	// perhaps with LocationIDs added; its ID and Type unchanged) is to be
	// delivered. An error means it is not yet recorded as committed; a
	// durable Sink's intent then stays open, and is settled by its
	// Resolver.
	Commit(ctx context.Context, ev Event) error
	// Abandon records that the change was not made: the event is never
	// delivered.
	Abandon(ctx context.Context) error
}

// A Resolver settles an intent a crash left open: it reports whether the
// change ev describes was made, by reading the store (an upload's file is
// there; a deleted or expired file is not), and returns the event to
// deliver if it was. An error means it cannot tell yet (the store is
// unavailable): the intent stays open, and is asked about again later.
type Resolver func(ctx context.Context, ev Event) (Event, bool, error)

// Func is a Sink that calls fn with each event once its change is made
// (on Commit), for a Go server that publishes events to its own broker.
// It keeps no intents: an event whose change was made just before a crash
// is lost with the process. For at-least-once across crashes, implement
// Prepare to record the intent durably (in the same transaction as one's
// own records, if one can).
type Func func(ctx context.Context, ev Event) error

// Prepare implements Sink.
func (f Func) Prepare(context.Context, Event) (Intent, error) { return funcIntent{f}, nil }

type funcIntent struct{ fn Func }

func (i funcIntent) Commit(ctx context.Context, ev Event) error { return i.fn(ctx, ev) }
func (i funcIntent) Abandon(context.Context) error              { return nil }

// Multi returns a Sink that records each event in every one of sinks, in
// order: Prepare fails (abandoning those already prepared) if one fails;
// Commit and Abandon go to each, and return their errors joined.
func Multi(sinks ...Sink) Sink {
	return multi(sinks)
}

type multi []Sink

func (m multi) Prepare(ctx context.Context, ev Event) (Intent, error) {
	intents := make(multiIntent, 0, len(m))
	for _, s := range m {
		in, err := s.Prepare(ctx, ev)
		if err != nil {
			return nil, errors.Join(err, intents.Abandon(ctx))
		}
		intents = append(intents, in)
	}
	return intents, nil
}

type multiIntent []Intent

func (m multiIntent) Commit(ctx context.Context, ev Event) error {
	var errs []error
	for _, in := range m {
		errs = append(errs, in.Commit(ctx, ev))
	}
	return errors.Join(errs...)
}

func (m multiIntent) Abandon(ctx context.Context) error {
	var errs []error
	for _, in := range m {
		errs = append(errs, in.Abandon(ctx))
	}
	return errors.Join(errs...)
}

// Settle ends in as the change it was prepared for went: Commit with ev
// if the change was made (done), else Abandon. A nil Intent (no Sink)
// has nothing to settle.
func Settle(ctx context.Context, in Intent, ev Event, done bool) error {
	switch {
	case in == nil:
		return nil
	case done:
		return in.Commit(ctx, ev)
	}
	return in.Abandon(ctx)
}
