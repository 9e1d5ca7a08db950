package webhook

import (
	"container/heap"
	"context"
	"fmt"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/ccfs-go/ccfs/events"
)

// How the run loop paces the queue.
const (
	fetchWait   = 5 * time.Second        // how long Queue.Next waits for an event
	ackEvery    = 100 * time.Millisecond // acknowledgements are flushed this often,
	ackBatch    = 64                     // or as soon as this many wait
	stopTimeout = 10 * time.Second       // for the queue calls once Run's ctx has ended
	maxRefetch  = 30 * time.Second       // the longest wait before reading a failing queue again
)

// A result is an attempt's outcome: the head of lane l was tried.
type result struct {
	l   *lane
	err error
}

// fetched is what one Queue.Next returned.
type fetched struct {
	items []events.Item
	err   error
	early bool // nothing, well before fetchWait: a queue that does not wait
}

// unburied is an event to move aside that the queue refused to take:
// tried again at each flush.
type unburied struct {
	e      *held
	reason string
}

// run is one Run's state. Only the loop's goroutine touches it; the
// attempts and the fetcher talk to it through channels.
type run struct {
	d    *Deliverer
	ctx  context.Context // Run's: the fetcher's and the attempts'
	qctx context.Context // the queue's calls': ctx, then stop's own

	lanes   map[int]*lane // by VDN, those with events
	ready   []*lane       // lanes whose head is due, waiting for a worker
	waiting laneHeap      // lanes whose head waits for its next attempt
	timer   *time.Timer   // fires when waiting's first is due
	busy    int           // attempts in flight
	results chan result   // from the attempts; room for Workers
	wg      sync.WaitGroup

	held     int           // events read from the queue and not settled
	acks     []events.Item // delivered, not yet acknowledged
	ackFails bool          // the last Ack failed
	unburied []unburied    // dead, not yet moved aside
	ask      chan int      // to the fetcher: read up to n events
	got      chan fetched  // from the fetcher
	fetching bool          // an ask is outstanding
	fetchErr int           // Next's consecutive failures
	notTill  time.Time     // no Next before this, after a failure
	refetch  *time.Timer   // fires at notTill
	health   health        // failure log lines
	dirty    bool          // held events changed since oldest was set
}

func newRun(ctx context.Context, d *Deliverer) *run {
	r := &run{
		d:       d,
		ctx:     ctx,
		qctx:    ctx,
		lanes:   map[int]*lane{},
		timer:   time.NewTimer(time.Hour),
		refetch: time.NewTimer(time.Hour),
		results: make(chan result, d.o.Workers),
		ask:     make(chan int, 1),
		got:     make(chan fetched, 1),
		health:  health{log: d.o.Logger, name: d.name},
	}
	r.timer.Stop()
	r.refetch.Stop()
	return r
}

// loop runs until ctx ends, then stops.
func (r *run) loop() {
	go r.fetcher()
	flush := time.NewTicker(ackEvery)
	defer flush.Stop()
	hold := time.NewTicker(r.d.o.HoldEvery)
	defer hold.Stop()
	defer r.timer.Stop()
	defer r.refetch.Stop()
	for {
		r.dispatch()
		r.fetch()
		select {
		case <-r.ctx.Done():
			r.stop()
			return
		case f := <-r.got:
			r.fetching = false
			r.take(f)
		case res := <-r.results:
			r.busy--
			r.settle(res)
		case <-r.timer.C:
			r.wake()
		case <-r.refetch.C: // r.fetch reads notTill
		case <-flush.C:
			r.flush()
			r.bury()
			r.setOldest()
		case <-hold.C:
			r.hold()
		}
	}
}

// fetcher reads the queue when asked, until ask is closed.
func (r *run) fetcher() {
	for n := range r.ask {
		began := time.Now()
		items, err := r.d.q.Next(r.ctx, n, fetchWait)
		early := len(items) == 0 && err == nil && time.Since(began) < fetchWait/2
		r.got <- fetched{items, err, early}
	}
}

// fetch asks the fetcher for as many events as the window has room for,
// unless it is already reading, or the queue failed a moment ago.
func (r *run) fetch() {
	room := r.d.o.Window - r.held
	if r.fetching || room <= 0 || time.Now().Before(r.notTill) {
		return
	}
	r.fetching = true
	r.ask <- room
}

// take files the events read into their lanes; an item that is not an
// event is moved aside at once.
func (r *run) take(f fetched) {
	if f.err != nil && r.ctx.Err() == nil {
		r.fetchErr++
		hi := min(r.d.o.MaxBackoff, maxRefetch) // a queue back up is read again soon
		wait := backoff(r.fetchErr-1, min(r.d.o.MinBackoff, hi), hi)
		r.notTill = time.Now().Add(wait)
		r.refetch.Reset(wait)
		if r.fetchErr == 1 {
			r.d.o.Logger.Warn("webhook: the queue cannot be read; retrying", "endpoint", r.d.name, "err", f.err)
		}
	} else if f.err == nil && r.fetchErr > 0 {
		r.d.o.Logger.Info("webhook: the queue is read again", "endpoint", r.d.name, "failures", r.fetchErr)
		r.fetchErr = 0
	}
	if f.early && r.ctx.Err() == nil { // not a loop that spins on an empty queue
		r.notTill = time.Now().Add(ackEvery)
		r.refetch.Reset(ackEvery)
	}
	for _, it := range f.items {
		r.held++
		r.dirty = true
		var ev events.Event
		if err := ev.UnmarshalJSON(it.Body); err != nil {
			r.dead(&held{it: it}, "not an event: "+clip(err.Error()))
			continue
		}
		l := r.lanes[ev.VDN]
		if l == nil {
			l = &lane{vdn: ev.VDN}
			r.lanes[ev.VDN] = l
			r.ready = append(r.ready, l)
		}
		l.items = append(l.items, &held{it: it, id: ev.ID, vdn: ev.VDN, time: ev.Time})
	}
}

// dispatch starts an attempt for each ready lane, while workers are free.
func (r *run) dispatch() {
	for r.busy < r.d.o.Workers && len(r.ready) > 0 {
		l := r.ready[0]
		r.ready[0] = nil
		r.ready = r.ready[1:]
		e := l.items[0]
		r.busy++
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			r.results <- result{l, r.d.post(r.ctx, e.id, e.it.Body)}
		}()
	}
}

// settle files an attempt's outcome: the event is delivered, or retried
// after a backoff, or, RetryFor after its Time, dead.
func (r *run) settle(res result) {
	l := res.l
	e := l.items[0]
	e.attempts++
	now := r.d.o.Now()
	if res.err == nil {
		r.d.delivered.Add(1)
		r.health.settled(now, e.attempts, true)
		r.acks = append(r.acks, e.it)
		r.next(l)
		if len(r.acks) >= ackBatch && !r.ackFails {
			r.flush()
		}
		return
	}
	e.last = res.err.Error()
	r.health.fail(now, e, e.attempts == 1, e.last)
	deadline := e.time.Add(r.d.o.RetryFor)
	if !now.Before(deadline) {
		r.health.settled(now, e.attempts, false)
		r.dead(e, fmt.Sprintf("undelivered for %v after %s; last: %s", r.d.o.RetryFor, plural(e.attempts, "attempt"), e.last))
		r.next(l)
		return
	}
	r.d.retried.Add(1)
	wait := min(backoff(e.attempts-1, r.d.o.MinBackoff, r.d.o.MaxBackoff), deadline.Sub(now))
	l.due = time.Now().Add(wait)
	heap.Push(&r.waiting, l)
	r.resetTimer()
}

// next drops lane l's head, settled, and readies the next event, if any.
func (r *run) next(l *lane) {
	l.items[0] = nil
	l.items = l.items[1:]
	r.dirty = true
	if len(l.items) == 0 {
		delete(r.lanes, l.vdn)
		return
	}
	r.ready = append(r.ready, l)
}

// wake readies the waiting lanes that are due.
func (r *run) wake() {
	now := time.Now()
	for len(r.waiting) > 0 && !r.waiting[0].due.After(now) {
		r.ready = append(r.ready, heap.Pop(&r.waiting).(*lane))
	}
	r.resetTimer()
}

// resetTimer sets the timer for the first waiting lane.
func (r *run) resetTimer() {
	if len(r.waiting) == 0 {
		r.timer.Stop()
		return
	}
	r.timer.Reset(time.Until(r.waiting[0].due))
}

// dead moves e aside with reason; if the queue refuses, it is tried again
// at each flush.
func (r *run) dead(e *held, reason string) {
	if err := r.d.q.Dead(r.qctx, e.it, reason); err != nil {
		if r.qctx.Err() == nil {
			r.d.o.Logger.Warn("webhook: the queue cannot move an event aside; retrying", "endpoint", r.d.name,
				"event", e.id, "ref", e.it.Ref, "err", err)
		}
		r.unburied = append(r.unburied, unburied{e, reason})
		return
	}
	r.buried(e, reason)
}

// buried records that e was moved aside.
func (r *run) buried(e *held, reason string) {
	r.held--
	r.d.buried.Add(1)
	r.d.o.Logger.Error("webhook: event moved aside as a dead letter", "endpoint", r.d.name,
		"event", e.id, "vdn", e.vdn, "ref", e.it.Ref, "reason", reason)
}

// bury tries again to move aside the events the queue refused to.
func (r *run) bury() {
	left := r.unburied[:0]
	for _, u := range r.unburied {
		if err := r.d.q.Dead(r.qctx, u.e.it, u.reason); err != nil {
			left = append(left, u)
			continue
		}
		r.buried(u.e, u.reason)
	}
	clear(r.unburied[len(left):])
	r.unburied = left
}

// flush acknowledges the events delivered; if the queue refuses, they are
// tried again at the next flush.
func (r *run) flush() {
	if len(r.acks) == 0 {
		return
	}
	if err := r.d.q.Ack(r.qctx, r.acks...); err != nil {
		if !r.ackFails && r.qctx.Err() == nil {
			r.d.o.Logger.Warn("webhook: the queue cannot acknowledge deliveries; retrying", "endpoint", r.d.name,
				"events", len(r.acks), "err", err)
		}
		r.ackFails = true
		return
	}
	if r.ackFails {
		r.d.o.Logger.Info("webhook: the queue acknowledges deliveries again", "endpoint", r.d.name)
		r.ackFails = false
	}
	r.held -= len(r.acks)
	clear(r.acks)
	r.acks = r.acks[:0]
}

// hold tells the queue that the events held are still being delivered.
func (r *run) hold() {
	items := r.holding()
	if len(items) == 0 {
		return
	}
	if err := r.d.q.Hold(r.qctx, items...); err != nil && r.qctx.Err() == nil {
		r.d.o.Logger.Warn("webhook: the queue cannot hold events being retried", "endpoint", r.d.name,
			"events", len(items), "err", err)
	}
}

// holding lists every event held and not settled.
func (r *run) holding() []events.Item {
	items := make([]events.Item, 0, r.held)
	for _, l := range r.lanes {
		for _, e := range l.items {
			items = append(items, e.it)
		}
	}
	items = append(items, r.acks...)
	for _, u := range r.unburied {
		items = append(items, u.e.it)
	}
	return items
}

// setOldest publishes the Time of the oldest event held and not
// delivered, for Stats.
func (r *run) setOldest() {
	if !r.dirty {
		return
	}
	r.dirty = false
	var oldest time.Time
	for _, l := range r.lanes {
		for _, e := range l.items {
			if oldest.IsZero() || e.time.Before(oldest) {
				oldest = e.time
			}
		}
	}
	r.d.setOldest(oldest)
}

// stop ends the run: it waits for the attempts in flight and the fetcher,
// acknowledges what was delivered, and releases everything else held.
func (r *run) stop() {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.ctx), stopTimeout)
	defer cancel()
	r.qctx = ctx // for flush and bury
	for ; r.busy > 0; r.busy-- {
		res := <-r.results // the attempts end with Run's ctx
		if res.err == nil {
			r.d.delivered.Add(1)
			r.acks = append(r.acks, res.l.items[0].it)
			res.l.items[0] = nil
			res.l.items = res.l.items[1:]
		}
	}
	r.wg.Wait()
	var release []events.Item
	if r.fetching {
		f := <-r.got
		release = append(release, f.items...)
	}
	close(r.ask)
	r.flush()
	r.bury()
	release = append(release, r.holding()...) // the lanes', and what the queue refused to settle
	if len(release) > 0 {
		if err := r.d.q.Release(ctx, release...); err != nil {
			r.d.o.Logger.Warn("webhook: the queue cannot take back the events not delivered", "endpoint", r.d.name,
				"events", len(release), "err", err)
		}
	}
	r.d.setOldest(time.Time{})
}

// clip bounds an error's text, for a log line or a dead letter's reason.
func clip(s string) string {
	if len(s) <= maxErrText {
		return s
	}
	n := maxErrText
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// plural says "1 attempt", "2 attempts".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
