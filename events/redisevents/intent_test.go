package redisevents_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs/auth/redisreplay/redistest"
	"github.com/ccfs-go/ccfs/events"
	"github.com/ccfs-go/ccfs/events/redisevents"
)

const (
	intentsKey = redisevents.DefaultPrefix + "intents"
	dueKey     = redisevents.DefaultPrefix + "due"
)

func streamKey(key string) string { return redisevents.DefaultPrefix + "q:" + key }
func deadKey(key string) string   { return redisevents.DefaultPrefix + "dead:" + key }

// TestPrepareCommit: Prepare records the intent and its deadline, and
// queues nothing; Commit, with the event as it now stands, queues it
// once on every endpoint and removes the intent; a second Commit does
// nothing.
func TestPrepareCommit(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	rdb, c := srv.Client, newClock()
	j := node(t, rdb, "a", c)
	ev := event(c, 1)
	in, err := j.Prepare(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	if got := rdb.HGet(ctx, intentsKey, ev.ID).Val(); got != body(t, ev) {
		t.Errorf("intent %q, want %q", got, body(t, ev))
	}
	if got := rdb.ZScore(ctx, dueKey, ev.ID).Val(); got != float64(c.Now().Add(time.Minute).UnixMilli()) {
		t.Errorf("deadline %v, want IntentTTL from now", got)
	}
	for _, key := range endpoints {
		if n := rdb.XLen(ctx, streamKey(key)).Val(); n != 0 {
			t.Errorf("%s holds %d entries before the commit", key, n)
		}
	}
	ev.LocationIDs = []string{"loc1", "loc2"}
	if err := in.Commit(ctx, ev); err != nil {
		t.Fatal(err)
	}
	if err := in.Commit(ctx, ev); err != nil {
		t.Fatalf("a second Commit: %v", err)
	}
	for _, key := range endpoints {
		msgs := rdb.XRange(ctx, streamKey(key), "-", "+").Val()
		if len(msgs) != 1 || msgs[0].Values["e"] != body(t, ev) {
			t.Errorf("%s holds %+v, want the committed event once", key, msgs)
		}
	}
	if n := rdb.HLen(ctx, intentsKey).Val() + rdb.ZCard(ctx, dueKey).Val(); n != 0 {
		t.Errorf("%d intents and deadlines left after the commit", n)
	}
}

// TestAbandon: an abandoned intent leaves nothing, and queues nothing.
func TestAbandon(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	rdb, c := srv.Client, newClock()
	j := node(t, rdb, "a", c)
	in, err := j.Prepare(ctx, event(c, 1))
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Abandon(ctx); err != nil {
		t.Fatal(err)
	}
	if n := rdb.HLen(ctx, intentsKey).Val() + rdb.ZCard(ctx, dueKey).Val(); n != 0 {
		t.Errorf("%d intents and deadlines left after Abandon", n)
	}
	for _, key := range endpoints {
		if n := rdb.XLen(ctx, streamKey(key)).Val(); n != 0 {
			t.Errorf("%s holds %d entries", key, n)
		}
	}
}

// TestCommitAfterReap: an intent a reaper settled first (its node
// stalled past IntentTTL) is not committed again by its node: the
// node's Commit adds nothing, and is not an error.
func TestCommitAfterReap(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	rdb, c := srv.Client, newClock()
	a, b := node(t, rdb, "a", c), node(t, rdb, "b", c)
	ev := event(c, 1)
	in, err := a.Prepare(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	c.Add(time.Minute)
	if committed, abandoned, err := b.Reap(ctx); committed != 1 || abandoned != 0 || err != nil {
		t.Fatalf("Reap: %d committed, %d abandoned, %v", committed, abandoned, err)
	}
	if err := in.Commit(ctx, ev); err != nil {
		t.Fatalf("Commit after a reap: %v", err)
	}
	for _, key := range endpoints {
		if n := rdb.XLen(ctx, streamKey(key)).Val(); n != 1 {
			t.Errorf("%s holds %d entries, want 1", key, n)
		}
	}
}

// TestPrepareRefuses: an invalid event is not prepared, and a Commit
// that changes the event's ID or type is refused, leaving the intent
// open (for the reaper).
func TestPrepareRefuses(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	rdb, c := srv.Client, newClock()
	j := node(t, rdb, "a", c)
	bad := event(c, 1)
	bad.Codec = ""
	if _, err := j.Prepare(ctx, bad); err == nil {
		t.Error("Prepare of an event without a codec")
	}
	huge := event(c, 2)
	huge.FileName = strings.Repeat("x", redisevents.MaxEvent)
	if _, err := j.Prepare(ctx, huge); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("Prepare of an event over MaxEvent: %v", err)
	}
	if n := rdb.HLen(ctx, intentsKey).Val(); n != 0 {
		t.Fatalf("%d intents recorded from refused events", n)
	}
	ev := event(c, 3)
	in, err := j.Prepare(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	other := ev
	other.Type = events.PromptDeleted
	if err := in.Commit(ctx, other); err == nil {
		t.Error("Commit with another type")
	}
	other = event(c, 4)
	if err := in.Commit(ctx, other); err == nil {
		t.Error("Commit with another ID")
	}
	if n := rdb.HLen(ctx, intentsKey).Val(); n != 1 {
		t.Errorf("%d intents after refused commits, want 1 left open", n)
	}
}

// TestRedisDown: without Redis, Prepare fails (so the change is not
// made: an upload is refused), and so do Commit and the queue's calls,
// each saying so.
func TestRedisDown(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	c := newClock()
	j := node(t, srv.Client, "a", c)
	ev := event(c, 1)
	in, err := j.Prepare(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	if _, err := j.Prepare(ctx, event(c, 2)); err == nil || !strings.Contains(err.Error(), "redisevents: preparing") {
		t.Errorf("Prepare with Redis down: %v", err)
	}
	if err := in.Commit(ctx, ev); err == nil {
		t.Error("Commit with Redis down succeeded")
	}
	q := queue(t, j, "hook-a")
	if _, err := q.Next(ctx, 1, 0); err == nil {
		t.Error("Next with Redis down succeeded")
	}
	if _, _, err := j.Reap(ctx); err == nil {
		t.Error("Reap with Redis down succeeded")
	}
}

// TestCommitFailedIsNotLost: a Commit that fails (Redis unreachable for
// a moment; here its context has ended) does not fail the upload, which
// the handler answers with success. The intent used to be left to a
// reaper, IntentTTL later, which asks the store: if the chatbot, told of
// its upload, deleted the file meanwhile (Redis back, its delete went
// through), the reaper drops the upload's event, and the receiver gets
// the delete without the upload. The node that made the change must
// commit its event again while it lives.
func TestCommitFailedIsNotLost(t *testing.T) {
	srv := redistest.Start(t)
	rdb, c := srv.Client, newClock()
	gone := func(o *redisevents.Options) {
		o.Resolve = func(_ context.Context, ev events.Event) (events.Event, bool, error) {
			return ev, false, nil // the file was deleted since its upload
		}
	}
	a := node(t, rdb, "a", c, gone)
	ev := event(c, 1)
	in, err := a.Prepare(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	if err := in.Commit(ended, ev); err == nil {
		t.Fatal("Commit with an ended context succeeded; the test needs it to fail")
	}
	// Node a runs on for a while (one turn of its Run, at least).
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.Run(ctx); close(done) }()
	deadline := time.Now().Add(2 * time.Second)
	for rdb.XLen(context.Background(), streamKey(endpoints[0])).Val() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	<-done
	// Past the intent's deadline, any node's reaper.
	c.Add(time.Hour)
	b := node(t, rdb, "b", c, gone)
	if _, _, err := b.Reap(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, key := range endpoints {
		msgs := rdb.XRange(context.Background(), streamKey(key), "-", "+").Val()
		if len(msgs) != 1 || msgs[0].Values["e"] != body(t, ev) {
			t.Errorf("%s holds %d entries, want the acknowledged upload's event once", key, len(msgs))
		}
	}
}
