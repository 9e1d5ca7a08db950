// Package journal is the embedded durable events.Sink: the one ccfs serve
// uses on a single node. It keeps, in one directory on the local disk,
// the intents (events prepared around a change not yet known to be made)
// and one queue per webhook endpoint of the events to deliver, each an
// events/outbox.Outbox:
//
//	dir/intents/            intent records: each the prepared event's JSON
//	dir/endpoints/<key>/    committed events' JSON, bound for endpoint key
//
// The intents outbox's lock (flock) is the journal's: one process at a
// time, so every intent pending when Open runs was left by an earlier
// process.
//
// # The order of the writes
//
//  1. Prepare appends the event to dir/intents and returns once it is
//     fsynced. The caller makes its change only after that.
//  2. The caller makes the change (commits a file, removes one).
//  3. Commit appends the event, as it now stands, to every endpoint's
//     queue, in parallel, each fsynced before Commit returns. Abandon
//     instead acknowledges the intent (fsynced) at once.
//  4. After Commit has returned, the intent is acknowledged lazily: a
//     background batcher acknowledges committed intents in batches (one
//     fsync per batch), and Close flushes it.
//
// Open settles every intent still pending with Options.Resolve, which
// reads the store: made → the event it returns is appended to every
// endpoint's queue, then the intent acknowledged; not made → the intent
// is acknowledged, and nothing delivered; cannot tell (an error) → the
// intent is kept, and asked about again every Options.RetryEvery by a
// background goroutine until it is settled. Only those leftover intents
// are asked about. An intent of the running process whose Commit failed
// (its caller made the change, and may have answered with success) is
// not asked about: its event is appended again every Options.RetryEvery,
// and once more at Close, so that a file deleted since cannot make a
// later Resolve drop it; one still open at Close (or past 4096 of them)
// is left to the next Open.
//
// # Why each crash point is safe
//
//	crash                                    what the next Open does            outcome
//	before the intent is fsynced             the intent is absent, or Resolve   no change was made (the caller
//	  (Prepare has not returned)               says not made: acknowledged        waits for Prepare): no event
//	after the intent, before the change      Resolve: not made → acknowledged   no change, no event
//	after the change, before Commit          Resolve: made → appended to every  the event is delivered, though
//	  (or during Commit)                       queue, then acknowledged           the caller was never answered
//	after Commit, before the intent's ack    Resolve: made → appended again     delivered twice, with the same
//	                                                                              event ID: receivers drop repeats
//
// The kill -9 test (kill_linux_test.go) checks this table for a process
// crash; across a power loss it rests on fsync, as the outbox's does.
//
// So a change made is never without its event, and an event is never
// delivered for a change not made, provided the Resolver tells them apart
// from the store. The price is the last row: an event committed just
// before a crash, while its intent's acknowledgement waited for the
// batcher, is in the queues twice after the restart, under the same
// event ID, and the receiver drops the second (delivery is at least
// once in any case: a crash between a delivery and its Ack delivers
// again too). A Commit that failed part way (one endpoint's disk full)
// likewise leaves the event in some queues; the intent stays open, and
// the next Open's Resolve puts it in all of them.
//
// One limit: an intent Resolve cannot settle at Open (the store
// unavailable) is settled later, against the store as it is then; a
// change undone meanwhile (an upload, then its delete) is then seen as
// not made, and only the later event is delivered.
//
// # Queues
//
// Queue(key) is an endpoint's queue, for a deliverer (events.Queue) and
// for an operator (events.Mailbox). Which records have been handed out
// is kept in memory only: after a restart every record not acknowledged
// or dead is handed out again.
package journal
