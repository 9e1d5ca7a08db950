// Package webhook delivers events to one webhook endpoint: a Deliverer
// takes them from an events.Queue (the outbox on the local disk, a Redis
// stream) and POSTs each, signed per Standard Webhooks, until it is
// delivered or, after Options.RetryFor, moved aside as a dead letter.
//
// # Requests
//
// Each attempt is a POST of the event's JSON form (the queue item's body,
// as it is) with Content-Type application/json, User-Agent ccfs-webhook
// and the three Standard Webhooks headers (events.Headers): webhook-id
// (the event's ID), webhook-timestamp and webhook-signature, signed with
// every one of the endpoint's secrets (a rotation). Each attempt is
// signed anew with its own time as webhook-timestamp, since a receiver
// refuses a timestamp too far from its clock.
//
// # What is delivered, what is retried
//
// An event is delivered when the receiver answers with any 2xx status.
// Anything else is a failed attempt and is retried: any other status (a
// 3xx, since redirects are never followed; a 4xx, 410 Gone included; a
// 5xx), a timeout, a connection or TLS error. Retries wait an exponential
// backoff with full jitter: attempt n+1 comes a random time in
// [0, min(MaxBackoff, MinBackoff·2ⁿ)] after attempt n fails (at least
// MinBackoff/10). An event still undelivered RetryFor after its Time is
// tried a last time and then moved aside with events.Queue.Dead, with a
// reason such as "undelivered for 24h0m0s after 37 attempts; last: HTTP
// 503 Service Unavailable"; an operator lists it and puts it back
// (events.Mailbox). An event older than RetryFor when it is read from the
// queue (a deliverer stopped for days) is tried once before that. A
// queue item whose body is not an event's JSON form is moved aside at
// once: no attempt could succeed.
//
// # A careful client
//
//   - Redirects are never followed, with the default client or one given
//     in Options.Client (its CheckRedirect is replaced): a 3xx is a
//     failure. The endpoint's URL comes from the operator, never from a
//     tenant; a redirect would let the receiver send signed events
//     elsewhere.
//   - Options.Timeout bounds each attempt as a whole: connecting, sending,
//     waiting for the answer and reading its body.
//   - At most 64 KiB of a response's body (MaxResponseBody) is read, then
//     it is closed: a receiver that answers with gigabytes costs nothing.
//   - Logs name the endpoint by Endpoint.Name, which leaves out the URL's
//     userinfo, query and fragment (where tokens go); an attempt's error,
//     logged and in a dead letter's reason, is told without the URL; a
//     secret is never written anywhere.
//
// # Order
//
// The events of one VDN are delivered one at a time, in queue order: the
// next is not sent until the one before is delivered or dead. Events of
// different VDNs are delivered in parallel, up to Options.Workers at
// once, and a VDN whose receiver is slow or failing does not hold back
// another's events, unless its events fill the whole window
// (Options.Window): the deliverer holds at most Window events read from
// the queue and not yet settled, so a VDN with that many undelivered
// events at the head of the queue makes the others wait until some of
// them are delivered or dead. A receiver that hangs on one VDN occupies
// one worker for up to Timeout per attempt.
//
// That order is promised per VDN on one Deliverer only. None is promised
// across nodes sharing a queue (another node may deliver a VDN's next
// event while this one retries its last), nor after a dead letter (the
// events after it go on; if it is redelivered, it arrives after them),
// nor for repeats: delivery is at least once, and an event delivered just
// before a crash, and not yet acknowledged, is delivered again after the
// restart, after events that followed it. A receiver drops repeats by
// the event's ID.
//
// # Memory and the queue
//
// Memory is bounded by Options.Window: events stay in the queue until
// there is room, so a receiver down for hours costs no memory growth.
// Deliveries are acknowledged in batches (every 100 ms, or 64 at once),
// and events in a long retry are held (events.Queue.Hold) every
// Options.HoldEvery, so that a queue several nodes share does not hand
// them to another node while this one lives. When Run ends, the events
// it holds and has not delivered are released (events.Queue.Release) for
// the next deliverer.
//
// # Logs
//
// A Deliverer logs a WARN line when an endpoint that was delivering fails
// (the first failed attempt of an event, when no other event is being
// retried), a WARN line every ten minutes while it keeps failing, with
// counts, rather than one line per attempt, an INFO line when it recovers
// (the last event being retried is delivered), and an ERROR line for each
// dead letter.
package webhook
