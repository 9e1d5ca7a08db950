package webhook

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ccfs-go/ccfs/events"
)

// A Deliverer delivers the events of one Queue to one Endpoint. Run
// delivers; Stats reports.
type Deliverer struct {
	ep   Endpoint
	name string
	q    events.Queue
	o    Options // defaults applied

	running                    atomic.Bool
	delivered, retried, buried atomic.Uint64

	mu     sync.Mutex
	oldest time.Time // of the events held and not yet delivered
}

// New returns a Deliverer of the events in q to ep. It refuses an
// endpoint whose URL is not an absolute http or https URL or that has no
// secret, and a negative option.
func New(ep Endpoint, q events.Queue, opts Options) (*Deliverer, error) {
	if err := ep.check(); err != nil {
		return nil, err
	}
	if q == nil {
		return nil, errors.New("webhook: no queue")
	}
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	ep.Secrets = append([]events.Secret(nil), ep.Secrets...)
	return &Deliverer{ep: ep, name: ep.Name(), q: q, o: o}, nil
}

// Run delivers events until ctx ends. It then waits for the attempts in
// flight (their requests are cancelled with ctx), acknowledges what was
// delivered, releases the events it holds and has not delivered
// (events.Queue.Release) and returns nil. A queue that fails is retried,
// and logged, not returned. Run returns an error only if d is already
// running; once it has returned, it may be called again.
func (d *Deliverer) Run(ctx context.Context) error {
	if !d.running.CompareAndSwap(false, true) {
		return errors.New("webhook: Run called while the Deliverer runs")
	}
	defer d.running.Store(false)
	newRun(ctx, d).loop()
	return nil
}
