package redisevents

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ccfs-go/ccfs/events"
)

// DefaultPrefix starts every key by default. Its braces are a Redis
// Cluster hash tag: a commit's script touches the intents and every
// endpoint's stream, which must then be in one slot.
const DefaultPrefix = "{ccfs:events}:"

// Group is the consumer group every node reads the endpoints' streams
// through.
const Group = "ccfs"

// Limits.
const (
	// MaxEvent is the largest event's JSON form Prepare and Commit take,
	// in bytes.
	MaxEvent = 64 << 10
	// MaxEndpoints is the most endpoints a Journal takes.
	MaxEndpoints = 64
	// MaxBatch is the most items Queue.Next returns at once.
	MaxBatch = 1000
	// MaxList is the most items Queue.Pending and Queue.DeadLetters
	// return at once.
	MaxList = 10000
	// MaxReason is the longest reason Queue.Dead keeps, in bytes; a
	// longer one is cut.
	MaxReason = 1024
	// MaxConsumer is the longest consumer name, in bytes.
	MaxConsumer = 200
)

// Defaults.
const (
	// DefaultIntentTTL is Options.IntentTTL's default.
	DefaultIntentTTL = 5 * time.Minute
	// DefaultClaimIdle is Options.ClaimIdle's default.
	DefaultClaimIdle = time.Minute
)

// Options configures New. A zero field means its default.
type Options struct {
	// Prefix starts every key. In a Redis Cluster it must hold a hash
	// tag, such as "{tenant-a:events}:". Default: DefaultPrefix.
	Prefix string
	// Endpoints are the keys of the endpoints events go to, each
	// matching [a-z0-9-]{1,64}: one stream each. At least one, at most
	// MaxEndpoints, no two alike. Every node sharing the keys must name
	// the same endpoints: a commit queues the event for the endpoints of
	// the node that commits it.
	Endpoints []string
	// Resolve settles the intents of nodes that died (required): see
	// events.Resolver.
	Resolve events.Resolver
	// Consumer is this node's name in the consumer group; it must differ
	// from every other live node's. Default: hostname-pid-random.
	Consumer string
	// IntentTTL is how long an intent stays open before any node's
	// reaper settles it (a node's Run keeps pushing the deadline of the
	// intents it holds on, while it lives). Default: DefaultIntentTTL.
	IntentTTL time.Duration
	// ClaimIdle is how long an item handed out by Next may go neither
	// settled nor held (Queue.Hold) before Next hands it out again, to
	// any node. Default: DefaultClaimIdle.
	ClaimIdle time.Duration
	// Logger receives what the reaper did and what went wrong. Default:
	// slog.Default().
	Logger *slog.Logger
	// Now is the clock of intents' deadlines and dead letters' times.
	// Default: time.Now.
	Now func() time.Time
}

// A Journal records events in Redis: it is the events.Sink, and holds a
// Queue per endpoint. It is safe for concurrent use, by any number of
// processes on one Redis.
type Journal struct {
	rdb       redis.UniversalClient
	intents   string   // hash id → event JSON
	due       string   // zset id → deadline (Unix ms)
	streams   []string // q:<key>, in Options.Endpoints' order
	queues    map[string]*Queue
	resolve   events.Resolver
	consumer  string
	ttl       time.Duration
	claimIdle time.Duration
	log       *slog.Logger
	now       func() time.Time
	mu        sync.Mutex
	open      map[string]struct{}     // the intents this Journal prepared and has not settled
	failed    map[string]events.Event // of those, the events whose Commit failed, to commit again
	retry     time.Duration           // how far a deadline is pushed when Resolve errs
}

var _ events.Sink = (*Journal)(nil)

var endpointKey = regexp.MustCompile(`^[a-z0-9-]{1,64}$`)

// New returns a Journal on rdb, and makes each endpoint's stream and
// consumer group (XGROUP CREATE … MKSTREAM; one that exists is kept).
func New(ctx context.Context, rdb redis.UniversalClient, opts Options) (*Journal, error) {
	if rdb == nil {
		return nil, errors.New("redisevents: nil client")
	}
	if opts.Resolve == nil {
		return nil, errors.New("redisevents: Options.Resolve is required: it settles the intents of nodes that died")
	}
	switch n := len(opts.Endpoints); {
	case n == 0:
		return nil, errors.New("redisevents: no endpoint: a committed event would go nowhere")
	case n > MaxEndpoints:
		return nil, fmt.Errorf("redisevents: %d endpoints, more than %d", n, MaxEndpoints)
	}
	if opts.IntentTTL < 0 || opts.ClaimIdle < 0 {
		return nil, errors.New("redisevents: negative IntentTTL or ClaimIdle")
	}
	if len(opts.Consumer) > MaxConsumer {
		return nil, fmt.Errorf("redisevents: consumer name longer than %d bytes", MaxConsumer)
	}
	prefix := opts.Prefix
	if prefix == "" {
		prefix = DefaultPrefix
	}
	j := &Journal{
		rdb: rdb, intents: prefix + "intents", due: prefix + "due",
		queues: make(map[string]*Queue, len(opts.Endpoints)), resolve: opts.Resolve,
		consumer: opts.Consumer, ttl: opts.IntentTTL, claimIdle: opts.ClaimIdle,
		log: opts.Logger, now: opts.Now, open: map[string]struct{}{}, failed: map[string]events.Event{},
	}
	if j.consumer == "" {
		j.consumer = defaultConsumer()
	}
	if j.ttl == 0 {
		j.ttl = DefaultIntentTTL
	}
	if j.claimIdle == 0 {
		j.claimIdle = DefaultClaimIdle
	}
	if j.claimIdle < time.Millisecond || j.ttl < time.Millisecond {
		return nil, errors.New("redisevents: IntentTTL or ClaimIdle under a millisecond")
	}
	if j.log == nil {
		j.log = slog.Default()
	}
	if j.now == nil {
		j.now = time.Now
	}
	j.retry = max(j.ttl/4, time.Millisecond)
	for _, key := range opts.Endpoints {
		if !endpointKey.MatchString(key) {
			return nil, fmt.Errorf("redisevents: endpoint key %q does not match [a-z0-9-]{1,64}", key)
		}
		if j.queues[key] != nil {
			return nil, fmt.Errorf("redisevents: endpoint key %q named twice", key)
		}
		q := &Queue{j: j, key: key, stream: prefix + "q:" + key, dead: prefix + "dead:" + key}
		j.queues[key] = q
		j.streams = append(j.streams, q.stream)
		if err := q.createGroup(ctx); err != nil {
			return nil, err
		}
	}
	return j, nil
}

// defaultConsumer is hostname-pid-random: unique to this process, and
// saying which host it ran on.
func defaultConsumer() string {
	host, _ := os.Hostname()
	host = strings.Map(func(r rune) rune {
		if r <= ' ' || r > '~' {
			return '_'
		}
		return r
	}, host)
	if len(host) > 64 {
		host = host[:64]
	}
	var b [4]byte
	rand.Read(b[:])
	return host + "-" + strconv.Itoa(os.Getpid()) + "-" + hex.EncodeToString(b[:])
}

// Consumer returns this node's name in the consumer group.
func (j *Journal) Consumer() string { return j.consumer }

// Queue returns the queue of the endpoint key, and whether there is one
// (whether Options.Endpoints named it).
func (j *Journal) Queue(key string) (*Queue, bool) {
	q, ok := j.queues[key]
	return q, ok
}
