package redisevents_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ccfs-go/ccfs/auth/redisreplay/redistest"
	"github.com/ccfs-go/ccfs/events"
	"github.com/ccfs-go/ccfs/events/redisevents"
)

// A clock is a settable Options.Now, shared by the nodes of a test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 12, 5, 19, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var endpoints = []string{"hook-a", "hook-b"}

// made is a Resolver that says every change was made.
func made(_ context.Context, ev events.Event) (events.Event, bool, error) { return ev, true, nil }

// node opens a Journal on rdb as the consumer name, with endpoints,
// IntentTTL one minute, ClaimIdle an hour, and the clock c, then opts.
func node(t testing.TB, rdb redis.UniversalClient, name string, c *clock, opts ...func(*redisevents.Options)) *redisevents.Journal {
	t.Helper()
	o := redisevents.Options{
		Endpoints: endpoints, Resolve: made, Consumer: name,
		IntentTTL: time.Minute, ClaimIdle: time.Hour, Now: c.Now,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	for _, f := range opts {
		f(&o)
	}
	j, err := redisevents.New(context.Background(), rdb, o)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// queue returns j's queue of key.
func queue(t testing.TB, j *redisevents.Journal, key string) *redisevents.Queue {
	t.Helper()
	q, ok := j.Queue(key)
	if !ok {
		t.Fatalf("no queue %q", key)
	}
	return q
}

// event returns a valid upload event numbered n, made at c's time.
func event(c *clock, n int) events.Event {
	ev := events.New(events.PromptUploaded, c.Now())
	ev.VDN, ev.FileName, ev.Size, ev.Codec, ev.AccessKey = 53, fmt.Sprintf("Y:/3rdfile/53/thirdvoicebotfile/p%d.wav", n), 8044, "alaw", "AK1"
	return ev
}

// body returns ev's JSON form.
func body(t testing.TB, ev events.Event) string {
	t.Helper()
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestNew: New refuses what cannot work (no client, no Resolver, no
// endpoint, a bad or repeated key, too many, a negative duration, a
// long consumer name), makes each endpoint's stream and consumer group,
// and a second node on the same keys keeps them.
func TestNew(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	ok := redisevents.Options{Endpoints: []string{"a"}, Resolve: made}
	many := make([]string, redisevents.MaxEndpoints+1)
	for i := range many {
		many[i] = fmt.Sprintf("e%d", i)
	}
	for _, tc := range []struct {
		name string
		rdb  redis.UniversalClient
		set  func(*redisevents.Options)
		want string
	}{
		{"nil client", nil, func(*redisevents.Options) {}, "nil client"},
		{"no resolver", srv.Client, func(o *redisevents.Options) { o.Resolve = nil }, "Resolve is required"},
		{"no endpoint", srv.Client, func(o *redisevents.Options) { o.Endpoints = nil }, "no endpoint"},
		{"upper case", srv.Client, func(o *redisevents.Options) { o.Endpoints = []string{"Hook"} }, `"Hook" does not match`},
		{"long key", srv.Client, func(o *redisevents.Options) { o.Endpoints = []string{strings.Repeat("a", 65)} }, "does not match"},
		{"key twice", srv.Client, func(o *redisevents.Options) { o.Endpoints = []string{"a", "b", "a"} }, `"a" named twice`},
		{"too many", srv.Client, func(o *redisevents.Options) { o.Endpoints = many }, "more than 64"},
		{"negative", srv.Client, func(o *redisevents.Options) { o.ClaimIdle = -time.Second }, "negative"},
		{"long consumer", srv.Client, func(o *redisevents.Options) { o.Consumer = strings.Repeat("c", 201) }, "consumer name"},
	} {
		o := ok
		tc.set(&o)
		if _, err := redisevents.New(ctx, tc.rdb, o); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error saying %q", tc.name, err, tc.want)
		}
	}

	j, err := redisevents.New(ctx, srv.Client, redisevents.Options{Endpoints: []string{"a", "b-2"}, Resolve: made})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := redisevents.New(ctx, srv.Client, redisevents.Options{Endpoints: []string{"a", "b-2"}, Resolve: made}); err != nil {
		t.Fatalf("a second node on the same keys: %v", err)
	}
	for _, key := range []string{"a", "b-2"} {
		groups, err := srv.Client.XInfoGroups(ctx, redisevents.DefaultPrefix+"q:"+key).Result()
		if err != nil || len(groups) != 1 || groups[0].Name != redisevents.Group {
			t.Errorf("stream of %s: groups %+v, %v", key, groups, err)
		}
		if q, ok := j.Queue(key); !ok || q.Key() != key {
			t.Errorf("Queue(%q): %v, %v", key, q, ok)
		}
	}
	if _, ok := j.Queue("c"); ok {
		t.Error("Queue of an endpoint not named")
	}
	// The default consumer name is the host's, the process's and a
	// random part: two Journals in one process differ.
	j2, _ := redisevents.New(ctx, srv.Client, redisevents.Options{Endpoints: []string{"a"}, Resolve: made})
	if j.Consumer() == j2.Consumer() || strings.Count(j.Consumer(), "-") < 2 {
		t.Errorf("default consumer names %q and %q", j.Consumer(), j2.Consumer())
	}
}

// TestPrefix: every key starts with Options.Prefix.
func TestPrefix(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	c := newClock()
	j := node(t, srv.Client, "a", c, func(o *redisevents.Options) { o.Prefix = "{tenant-x}:" })
	in, err := j.Prepare(ctx, event(c, 1))
	if err != nil {
		t.Fatal(err)
	}
	keys := srv.Client.Keys(ctx, "*").Val()
	for _, k := range keys {
		if !strings.HasPrefix(k, "{tenant-x}:") {
			t.Errorf("key %q", k)
		}
	}
	if len(keys) != 4 { // intents, due, two streams
		t.Errorf("keys %q", keys)
	}
	if err := in.Abandon(ctx); err != nil {
		t.Fatal(err)
	}
}
