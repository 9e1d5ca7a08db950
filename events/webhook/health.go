package webhook

import (
	"log/slog"
	"time"
)

// stillFailingEvery is how often a WARN line says that an endpoint is
// still failing.
const stillFailingEvery = 10 * time.Minute

// health decides the log lines about an endpoint's failures: one when it
// begins to fail, one every stillFailingEvery while it goes on, one when
// it recovers; not one per attempt. It is the run loop's alone.
type health struct {
	log  *slog.Logger
	name string

	retrying  int       // events held that have failed at least once
	since     time.Time // when the failures began (retrying went above 0)
	failed    uint64    // failed attempts since then
	lastWarn  time.Time
	sinceWarn uint64 // failed attempts since lastWarn
}

// fail records a failed attempt (the first of its event if first), at
// now, with its error.
func (h *health) fail(now time.Time, e *held, first bool, err string) {
	h.failed++
	h.sinceWarn++
	if first {
		h.retrying++
	}
	switch {
	case first && h.retrying == 1:
		h.since, h.failed, h.lastWarn, h.sinceWarn = now, 1, now, 0
		h.log.Warn("webhook: delivery failing", "endpoint", h.name,
			"event", e.id, "vdn", e.vdn, "err", err)
	case now.Sub(h.lastWarn) >= stillFailingEvery:
		h.log.Warn("webhook: delivery still failing", "endpoint", h.name,
			"for", now.Sub(h.since).Round(time.Second), "failedAttempts", h.sinceWarn,
			"eventsRetrying", h.retrying, "event", e.id, "vdn", e.vdn, "err", err)
		h.lastWarn, h.sinceWarn = now, 0
	}
}

// settled records that e was delivered (or, if not delivered, moved
// aside) at now, after attempts attempts.
func (h *health) settled(now time.Time, attempts int, delivered bool) {
	if attempts <= 1 && delivered || attempts == 0 {
		return // never failed
	}
	h.retrying--
	if h.retrying == 0 && delivered {
		h.log.Info("webhook: delivery recovered", "endpoint", h.name,
			"after", now.Sub(h.since).Round(time.Millisecond), "failedAttempts", h.failed)
	}
}
