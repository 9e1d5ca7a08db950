package main

// serve's events (a ccfs extension, docs/events.md): where they wait
// (--events-dir on one node, Redis with --redis) and the webhooks they
// are delivered to. The admin listener's view of them is in events.go.

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/events"
	"github.com/ccfs-go/ccfs/events/journal"
	"github.com/ccfs-go/ccfs/events/redisevents"
	"github.com/ccfs-go/ccfs/events/webhook"
	"github.com/ccfs-go/ccfs/metrics/prom"
	"github.com/ccfs-go/ccfs/store"
)

// eventFlags are serve's flags for events.
type eventFlags struct {
	webhooks   []string
	secretFile string
	retryFor   time.Duration
	maxBackoff time.Duration
	takeover   time.Duration
	downloads  bool
	dir        string
	secrets    []events.Secret // read by check
}

func addEventFlags(fl *flag.FlagSet) *eventFlags {
	f := &eventFlags{}
	fl.Func("webhook", "deliver every event (prompt.uploaded, prompt.deleted, prompt.expired) to this URL, signed per Standard Webhooks, at least once (repeatable: each URL gets every event; a ccfs extension, docs/events.md)", func(s string) error {
		f.webhooks = append(f.webhooks, s)
		return nil
	})
	fl.StringVar(&f.secretFile, "webhook-secret-file", "", "with --webhook, the file of the signing secrets, whsec_… one per line (each signs every delivery, for a rotation; ccfs events new-secret makes one); mode 0600, or 0640 for a service group")
	fl.DurationVar(&f.retryFor, "webhook-retry-for", 24*time.Hour, "how long after an event its delivery is retried; then it is set aside as a dead letter (ccfs events list --dead)")
	fl.DurationVar(&f.maxBackoff, "webhook-max-backoff", 10*time.Minute, "the longest wait between two attempts to deliver an event (the waits double from 1s, with jitter); at most --webhook-retry-for, to which a shorter retry time brings it down")
	fl.DurationVar(&f.takeover, "events-takeover", time.Minute, "with --webhook and --redis, how long an event a node took for delivery may go without word from it before another node takes it over (a node that died)")
	fl.BoolVar(&f.downloads, "events-downloads", false, "with --webhook, also record recording.downloaded for each file downloaded whole, for an audit trail")
	fl.StringVar(&f.dir, "events-dir", "", "with --webhook and without --redis, where events wait for delivery (default: <data>/events)")
	return f
}

// check refuses what the flags cannot mean, and reads the secrets.
// maxBackoffGiven says --webhook-max-backoff was given: if not, its
// default comes down to a shorter --webhook-retry-for.
func (f *eventFlags) check(maxBackoffGiven bool) error {
	if len(f.webhooks) == 0 {
		switch {
		case f.secretFile != "":
			return errors.New("--webhook-secret-file needs --webhook")
		case f.downloads:
			return errors.New("--events-downloads needs --webhook: the events go nowhere without one")
		case f.dir != "":
			return errors.New("--events-dir needs --webhook")
		}
		return nil
	}
	seen := map[string]bool{}
	for _, w := range f.webhooks {
		if err := checkWebhookURL(w); err != nil {
			return err
		}
		if seen[w] {
			return fmt.Errorf("--webhook %s is given twice", webhook.Endpoint{URL: w}.Name())
		}
		seen[w] = true
	}
	if f.secretFile == "" {
		return errors.New("--webhook needs --webhook-secret-file: every delivery is signed (make one with: ccfs events new-secret > FILE)")
	}
	if f.retryFor < time.Second {
		return fmt.Errorf("--webhook-retry-for %v: at least 1s", f.retryFor)
	}
	if !maxBackoffGiven {
		f.maxBackoff = min(f.maxBackoff, f.retryFor)
	}
	if f.maxBackoff < 100*time.Millisecond || f.maxBackoff > f.retryFor {
		return fmt.Errorf("--webhook-max-backoff %v: want 100ms up to --webhook-retry-for (%v)", f.maxBackoff, f.retryFor)
	}
	if f.takeover < time.Second {
		return fmt.Errorf("--events-takeover %v: at least 1s", f.takeover)
	}
	var err error
	f.secrets, err = readWebhookSecrets(f.secretFile)
	return err
}

// checkWebhookURL accepts an absolute http or https URL with a host. The
// message never repeats the URL's query or userinfo, which may hold a
// token.
func checkWebhookURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return errors.New("--webhook: a value is not a URL (want https://HOST/PATH, or http:// for a receiver on this machine or a private network)")
	}
	name := webhook.Endpoint{URL: s}.Name()
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("--webhook %s: want an http:// or https:// URL (https://HOST/PATH)", name)
	case u.Host == "":
		return fmt.Errorf("--webhook %s: the URL has no host", name)
	case u.Fragment != "":
		return fmt.Errorf("--webhook %s: a URL with a #fragment", name)
	}
	return nil
}

// loopbackHost reports whether host names this machine.
func loopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// readWebhookSecrets reads a file of whsec_ secrets, one per line (blank
// lines and # comments skipped). Like the credentials, it must not be
// open to every user. An error names the line, never the text.
func readWebhookSecrets(path string) ([]events.Secret, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("--webhook-secret-file: %w", err)
	}
	if info.Mode().Perm()&0o007 != 0 {
		return nil, fmt.Errorf("the webhook secret file %s is open to every user (mode %04o): chmod o-rwx it", path, info.Mode().Perm())
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--webhook-secret-file: %w", err)
	}
	defer f.Close()
	var secrets []events.Secret
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		s, err := events.ParseSecret(line)
		if err != nil {
			return nil, fmt.Errorf("webhook secret file %s: line %d is not a secret (want whsec_ and base64 of 24 to 64 bytes)", path, n)
		}
		secrets = append(secrets, s)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("webhook secret file %s: %w", path, err)
	}
	if len(secrets) == 0 {
		return nil, fmt.Errorf("webhook secret file %s holds no secret (want whsec_… on a line)", path)
	}
	return secrets, nil
}

// endpointKey names an endpoint's queue: the same on every node given the
// same URL up to its query and userinfo (a token rotated there keeps the
// queue, and the events waiting in it), and free of what the URL may
// hold.
func endpointKey(u string) string {
	return hashKey(webhook.Endpoint{URL: u}.Name())
}

// endpointKeys returns the endpoints' keys: endpointKey, but the whole
// URL's hash for URLs that differ only in query or userinfo (a token
// per tenant at one receiver), which are distinct endpoints.
func endpointKeys(urls []string) []string {
	keys := make([]string, len(urls))
	count := map[string]int{}
	for i, u := range urls {
		keys[i] = endpointKey(u)
		count[keys[i]]++
	}
	for i, u := range urls {
		if count[keys[i]] > 1 {
			keys[i] = hashKey(u)
		}
	}
	return keys
}

func hashKey(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "ep-" + hex.EncodeToString(sum[:6])
}

// eventQueue is an endpoint's queue, as a deliverer and an operator see
// it.
type eventQueue interface {
	events.Queue
	events.Mailbox
}

// endpoint is one --webhook: its queue and its deliverer.
type endpoint struct {
	name, key string
	queue     eventQueue
	d         *webhook.Deliverer
	// oldest returns the time of the oldest event its queue holds, if
	// any, for the metrics.
	oldest func(context.Context) (time.Time, bool)
}

// eventsRuntime is serve's events: the sink the handler and the sweeper
// record to, and the endpoints' deliverers.
type eventsRuntime struct {
	sink      events.Sink
	endpoints []endpoint
	stop      context.CancelFunc
	wg        sync.WaitGroup
	closeSink func() error
}

// start opens where events wait (Redis with rdb, else --events-dir) and
// starts a deliverer per --webhook. It returns nil without --webhook.
// The deliverers run until Close, not until ctx ends: events recorded
// while serve drains are delivered too, until it exits.
func (f *eventFlags) start(ctx context.Context, data string, st store.Store, rootPrefix string, rdb *redis.Client, m *prom.Metrics, logger *slog.Logger) (*eventsRuntime, error) {
	if len(f.webhooks) == 0 {
		return nil, nil
	}
	keys := endpointKeys(f.webhooks)
	resolve := ccfs.ResolveEvents(st, rootPrefix)
	rt := &eventsRuntime{}
	var queue func(string) (eventQueue, bool)
	var oldest func(key string) func(context.Context) (time.Time, bool)
	var where string
	hold := webhook.DefaultHoldEvery
	dctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	rt.stop = stop
	if rdb != nil {
		j, err := redisevents.New(ctx, rdb, redisevents.Options{Endpoints: keys, Resolve: resolve, Logger: logger,
			ClaimIdle: f.takeover, IntentTTL: max(f.takeover, redisevents.DefaultIntentTTL)})
		if err != nil {
			stop()
			return nil, fmt.Errorf("events in redis: %w", err)
		}
		rt.sink = j
		queue = func(k string) (eventQueue, bool) { return j.Queue(k) }
		oldest = func(k string) func(context.Context) (time.Time, bool) {
			q, _ := j.Queue(k)
			return func(ctx context.Context) (time.Time, bool) {
				n, t, err := q.Backlog(ctx)
				return t, err == nil && n > 0
			}
		}
		hold = f.takeover / 3 // well inside the time after which another node takes them
		rt.wg.Go(func() { j.Run(dctx) })
		rt.closeSink = func() error { return nil }
		where = "redis " + rdb.Options().Addr
	} else {
		dir := f.dir
		if dir == "" {
			dir = filepath.Join(data, "events")
		}
		j, err := journal.Open(ctx, dir, journal.Options{Endpoints: keys, Resolve: resolve, Logger: logger})
		if err != nil {
			stop()
			return nil, fmt.Errorf("--events-dir: %w", err)
		}
		rt.sink = j
		queue = func(k string) (eventQueue, bool) { return j.Queue(k) }
		oldest = func(k string) func(context.Context) (time.Time, bool) {
			q, _ := j.Queue(k)
			return func(ctx context.Context) (time.Time, bool) {
				t, ok, err := q.Oldest(ctx)
				return t, ok && err == nil
			}
		}
		rt.closeSink = j.Close
		where = dir
	}
	names := endpointNames(f.webhooks, keys)
	for i, w := range f.webhooks {
		q, _ := queue(keys[i])
		d, err := webhook.New(webhook.Endpoint{URL: w, Secrets: f.secrets}, q,
			webhook.Options{RetryFor: f.retryFor, MaxBackoff: f.maxBackoff, MinBackoff: min(webhook.DefaultMinBackoff, f.maxBackoff), HoldEvery: hold, Logger: logger})
		if err != nil {
			rt.Close()
			return nil, fmt.Errorf("--webhook %s: %w", webhook.Endpoint{URL: w}.Name(), err)
		}
		ep := endpoint{name: names[i], key: keys[i], queue: q, d: d, oldest: oldest(keys[i])}
		rt.endpoints = append(rt.endpoints, ep)
		rt.wg.Go(func() { d.Run(dctx) })
		logger.Info("events: delivering to a webhook", "endpoint", ep.name, "queue", ep.key, "waitIn", where)
		if u, _ := url.Parse(w); u.Scheme == "http" && !loopbackHost(u.Hostname()) {
			logger.Warn("events: deliveries to this webhook go unencrypted (http://): their bodies name files and access keys; use https:// beyond a private network", "endpoint", ep.name)
		}
	}
	m.TrackDeliveries(rt.deliveries)
	rt.sink = countedSink{rt.sink, m.EventRecorded}
	return rt, nil
}

// endpointNames names each endpoint for the metrics' label and the
// listing: its URL without userinfo and query (webhook.Endpoint.Name),
// followed by its key when another endpoint's URL differs only there (a
// token per tenant at one receiver), so that no two share a name: two
// series alike would fail the whole scrape.
func endpointNames(urls, keys []string) []string {
	names := make([]string, len(urls))
	count := map[string]int{}
	for i, u := range urls {
		names[i] = webhook.Endpoint{URL: u}.Name()
		count[names[i]]++
	}
	for i := range names {
		if count[names[i]] > 1 {
			names[i] += " (" + keys[i] + ")"
		}
	}
	return names
}

// deliveries is what the metrics report of each endpoint: the oldest
// undelivered event is the oldest its queue holds (on any node, with
// Redis), or one this node's deliverer holds.
func (rt *eventsRuntime) deliveries() []prom.Delivery {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	out := make([]prom.Delivery, len(rt.endpoints))
	for i, ep := range rt.endpoints {
		s := ep.d.Stats()
		out[i] = prom.Delivery{Endpoint: ep.name, Delivered: s.Delivered, Retried: s.Retried, Dead: s.Dead, Oldest: s.Oldest}
		if t, ok := ep.oldest(ctx); ok && (out[i].Oldest.IsZero() || t.Before(out[i].Oldest)) {
			out[i].Oldest = t
		}
	}
	return out
}

// Close stops the deliverers, waits for them, and closes where the events
// wait.
func (rt *eventsRuntime) Close() error {
	rt.stop()
	rt.wg.Wait()
	return rt.closeSink()
}

// countedSink counts each event committed.
type countedSink struct {
	events.Sink
	count func(events.Type)
}

func (s countedSink) Prepare(ctx context.Context, ev events.Event) (events.Intent, error) {
	in, err := s.Sink.Prepare(ctx, ev)
	if err != nil {
		return nil, err
	}
	return countedIntent{in, s.count}, nil
}

type countedIntent struct {
	events.Intent
	count func(events.Type)
}

func (i countedIntent) Commit(ctx context.Context, ev events.Event) error {
	err := i.Intent.Commit(ctx, ev)
	if err == nil {
		i.count(ev.Type)
	}
	return err
}
