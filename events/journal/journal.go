package journal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ccfs-go/ccfs/events"
	"github.com/ccfs-go/ccfs/events/outbox"
)

// DefaultRetryEvery is Options.RetryEvery's default.
const DefaultRetryEvery = 30 * time.Second

// MaxEndpoints is the most endpoints a Journal takes.
const MaxEndpoints = 64

// Options configures Open.
type Options struct {
	// Endpoints are the endpoints' keys, each of 1 to 64 of a-z, 0-9
	// and '-': each gets a queue, in dir/endpoints/<key>.
	Endpoints []string
	// Resolve settles the intents a crash left open. Required.
	Resolve events.Resolver
	// Logger receives the journal's log lines: leftover intents settled
	// or not, unknown endpoint directories, failed acknowledgements.
	// Default: none.
	Logger *slog.Logger
	// SegmentSize is passed to the outboxes (outbox.Options). Default
	// outbox.DefaultSegmentSize.
	SegmentSize int64
	// RetryEvery is how often the leftover intents Resolve could not
	// settle at Open are asked about again. Default DefaultRetryEvery.
	RetryEvery time.Duration
}

var (
	// ErrClosed is returned by the methods of a closed Journal and of its
	// Queues.
	ErrClosed = errors.New("journal: closed")
	// ErrSettled is returned by Commit or Abandon on an intent already
	// committed or abandoned.
	ErrSettled = errors.New("journal: intent already committed or abandoned")
)

// A Journal is the embedded durable events.Sink: intents and one queue
// per endpoint, on the local disk. Its methods are safe for concurrent
// use.
type Journal struct {
	log     *slog.Logger
	opts    Options
	intents *outbox.Outbox
	queues  []*Queue // in Options.Endpoints' order
	byKey   map[string]*Queue
	acks    *acker

	stop         context.CancelFunc // ends the retry loop and the recommit loop
	retryDone    chan struct{}      // closed when the retry loop has ended (or never started)
	recommitDone chan struct{}      // closed when the recommit loop has ended
	unresolved   atomic.Int64

	failedMu sync.Mutex
	failed   map[*intent]struct{} // intents whose Commit failed, to append again

	mu     sync.Mutex
	closed bool
}

var _ events.Sink = (*Journal)(nil)

// Open opens the journal in dir, creating it if needed, and settles the
// intents a previous process left open (see the package doc): it returns
// once every leftover intent has been asked about once, those Resolve
// could not settle being asked again in the background. It fails with
// outbox.ErrLocked if another Journal has dir open. An endpoint
// directory not in opts.Endpoints is left as it is, and logged at WARN.
func Open(ctx context.Context, dir string, opts Options) (*Journal, error) {
	if opts.Resolve == nil {
		return nil, errors.New("journal: Options.Resolve is required")
	}
	if err := checkKeys(opts.Endpoints); err != nil {
		return nil, err
	}
	if opts.RetryEvery <= 0 {
		opts.RetryEvery = DefaultRetryEvery
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	obOpts := outbox.Options{SegmentSize: opts.SegmentSize}
	intents, err := outbox.Open(filepath.Join(dir, "intents"), obOpts)
	if err != nil {
		return nil, fmt.Errorf("journal: intents: %w", err)
	}
	j := &Journal{log: log, opts: opts, intents: intents, byKey: map[string]*Queue{}, retryDone: make(chan struct{}),
		recommitDone: make(chan struct{}), failed: map[*intent]struct{}{}}
	for _, key := range opts.Endpoints {
		ob, err := outbox.Open(filepath.Join(dir, "endpoints", key), obOpts)
		if err != nil {
			j.closeOutboxes()
			return nil, fmt.Errorf("journal: endpoint %s: %w", key, err)
		}
		q := newQueue(key, ob)
		j.queues = append(j.queues, q)
		j.byKey[key] = q
	}
	j.warnUnknown(filepath.Join(dir, "endpoints"))
	res, err := j.settleLeftovers(ctx, 0)
	if err != nil {
		j.closeOutboxes()
		return nil, err
	}
	j.logSettled("journal: settled the intents left open by the previous process", res)
	j.acks = startAcker(intents, log)
	runCtx, stop := context.WithCancel(context.Background())
	j.stop = stop
	go j.recommitLoop(runCtx)
	if res.unresolved > 0 {
		j.unresolved.Store(int64(res.unresolved))
		go j.retry(runCtx, res.last)
	} else {
		close(j.retryDone)
	}
	return j, nil
}

// checkKeys checks the endpoints' keys: their form, no repeats, not too
// many.
func checkKeys(keys []string) error {
	if len(keys) > MaxEndpoints {
		return fmt.Errorf("journal: %d endpoints, more than %d", len(keys), MaxEndpoints)
	}
	seen := map[string]bool{}
	for _, key := range keys {
		if !ValidKey(key) {
			return fmt.Errorf("journal: endpoint key %q is not 1 to 64 of a-z, 0-9 and '-'", key)
		}
		if seen[key] {
			return fmt.Errorf("journal: endpoint key %q given twice", key)
		}
		seen[key] = true
	}
	return nil
}

// ValidKey reports whether key is an endpoint key: 1 to 64 of a-z, 0-9
// and '-'.
func ValidKey(key string) bool {
	if len(key) == 0 || len(key) > 64 {
		return false
	}
	for i := range len(key) {
		c := key[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// Queue returns endpoint key's queue, if key is one of Options.Endpoints.
func (j *Journal) Queue(key string) (*Queue, bool) {
	q, ok := j.byKey[key]
	return q, ok
}

// Endpoints returns the endpoints' keys, in Options.Endpoints' order.
func (j *Journal) Endpoints() []string {
	keys := make([]string, len(j.queues))
	for i, q := range j.queues {
		keys[i] = q.key
	}
	return keys
}

// Unresolved returns how many intents left open by a previous process
// Resolve has not yet settled (it could not tell); they are asked about
// again every Options.RetryEvery. For a metric or an alert.
func (j *Journal) Unresolved() int { return int(j.unresolved.Load()) }

// isClosed reports whether Close has begun.
func (j *Journal) isClosed() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.closed
}

// Close stops the retry loop, acknowledges the intents committed so far
// (flushing the batcher), and closes the outboxes. A Commit still under
// way may fail with an error, its intent left to the next Open.
func (j *Journal) Close() error {
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		return nil
	}
	j.closed = true
	j.mu.Unlock()
	j.stop()
	<-j.retryDone
	<-j.recommitDone
	if left, err := j.recommitAll(context.Background()); err != nil {
		j.log.Error("journal: closing with committed events not queued; the next Open settles them", "events", left, "err", err)
	}
	j.acks.close()
	return j.closeOutboxes()
}

// closeOutboxes closes the queues and the outboxes.
func (j *Journal) closeOutboxes() error {
	var errs []error
	for _, q := range j.queues {
		errs = append(errs, q.close())
	}
	return errors.Join(append(errs, j.intents.Close())...)
}
