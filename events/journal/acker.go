package journal

import (
	"log/slog"
	"sync"

	"github.com/ccfs-go/ccfs/events/outbox"
)

// ackBatch bounds both the committed intents waiting to be acknowledged
// and one acknowledgement's batch.
const ackBatch = 1024

// An acker acknowledges committed intents in the background, in
// batches: while one batch's fsync runs, the next gathers. Its queue is
// bounded (ackBatch): when it is full, add waits.
type acker struct {
	ob   *outbox.Outbox
	log  *slog.Logger
	ch   chan outbox.Seq
	done chan struct{}

	mu     sync.RWMutex // held to send, so close never closes ch under a sender
	closed bool
}

func startAcker(ob *outbox.Outbox, log *slog.Logger) *acker {
	a := &acker{ob: ob, log: log, ch: make(chan outbox.Seq, ackBatch), done: make(chan struct{})}
	go a.run()
	return a
}

// add queues seq to be acknowledged, and reports whether it was: not
// once close has begun.
func (a *acker) add(seq outbox.Seq) bool {
	a.mu.RLock()
	defer a.mu.RUnlock()
	if a.closed {
		return false
	}
	a.ch <- seq // run drains ch until close, so this ends
	return true
}

func (a *acker) run() {
	defer close(a.done)
	batch := make([]outbox.Seq, 0, ackBatch)
	for seq := range a.ch {
		batch = append(batch[:0], seq)
	gather:
		for len(batch) < ackBatch {
			select {
			case seq, ok := <-a.ch:
				if !ok {
					break gather
				}
				batch = append(batch, seq)
			default:
				break gather
			}
		}
		if err := a.ob.Ack(batch...); err != nil {
			// The intents stay pending: the next Open settles them
			// again (their events delivered twice, at worst).
			a.log.Error("journal: acknowledging committed intents", "intents", len(batch), "err", err)
		}
	}
}

// close acknowledges what was queued and stops.
func (a *acker) close() {
	a.mu.Lock()
	if !a.closed {
		a.closed = true
		close(a.ch)
	}
	a.mu.Unlock()
	<-a.done
}
