package redisevents_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ccfs-go/ccfs/auth/redisreplay/redistest"
	"github.com/ccfs-go/ccfs/events"
	"github.com/ccfs-go/ccfs/events/redisevents"
)

// TestReap: the intents of a node that died are settled by another's
// reaper once past IntentTTL, never before: committed with the event
// the Resolver returns if it says the change was made, abandoned if
// not, and kept (its deadline pushed on) while it cannot tell, until it
// can.
func TestReap(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	rdb, c := srv.Client, newClock()
	var storeDown atomic.Bool
	storeDown.Store(true)
	resolve := func(_ context.Context, ev events.Event) (events.Event, bool, error) {
		switch ev.FileName {
		case event(c, 1).FileName: // stored: the store says where
			ev.LocationIDs = []string{"loc9"}
			return ev, true, nil
		case event(c, 3).FileName:
			if storeDown.Load() {
				return events.Event{}, false, errors.New("store unavailable")
			}
			return ev, true, nil
		}
		return events.Event{}, false, nil // not stored
	}
	dead := node(t, rdb, "dead", c)
	reaper := node(t, rdb, "reaper", c, func(o *redisevents.Options) { o.Resolve = resolve })
	var prepared []events.Event
	for n := 1; n <= 3; n++ {
		ev := event(c, n)
		if _, err := dead.Prepare(ctx, ev); err != nil {
			t.Fatal(err)
		}
		prepared = append(prepared, ev)
	}
	// The node dies here: it never commits nor abandons.

	c.Add(time.Minute - time.Millisecond)
	if committed, abandoned, err := reaper.Reap(ctx); committed+abandoned != 0 || err != nil {
		t.Fatalf("Reap before IntentTTL: %d committed, %d abandoned, %v", committed, abandoned, err)
	}
	if n := rdb.HLen(ctx, intentsKey).Val(); n != 3 {
		t.Fatalf("%d intents left before IntentTTL, want 3", n)
	}

	c.Add(time.Millisecond)
	if committed, abandoned, err := reaper.Reap(ctx); committed != 1 || abandoned != 1 || err != nil {
		t.Fatalf("Reap: %d committed, %d abandoned, %v; want 1, 1", committed, abandoned, err)
	}
	want := prepared[0]
	want.LocationIDs = []string{"loc9"}
	for _, key := range endpoints {
		msgs := rdb.XRange(ctx, streamKey(key), "-", "+").Val()
		if len(msgs) != 1 || msgs[0].Values["e"] != body(t, want) {
			t.Errorf("%s holds %+v, want the resolved event", key, msgs)
		}
	}
	// The one the Resolver cannot tell about stays, its deadline on.
	if got := rdb.HKeys(ctx, intentsKey).Val(); len(got) != 1 || got[0] != prepared[2].ID {
		t.Fatalf("intents left %q, want %s", got, prepared[2].ID)
	}
	if d := rdb.ZScore(ctx, dueKey, prepared[2].ID).Val(); d <= float64(c.Now().UnixMilli()) {
		t.Errorf("the unresolved intent's deadline %v was not pushed past now", d)
	}
	if committed, abandoned, err := reaper.Reap(ctx); committed+abandoned != 0 || err != nil {
		t.Fatalf("Reap again at once: %d committed, %d abandoned, %v", committed, abandoned, err)
	}
	storeDown.Store(false)
	c.Add(time.Minute)
	if committed, abandoned, err := reaper.Reap(ctx); committed != 1 || abandoned != 0 || err != nil {
		t.Fatalf("Reap once the store is back: %d committed, %d abandoned, %v", committed, abandoned, err)
	}
	if n := rdb.HLen(ctx, intentsKey).Val() + rdb.ZCard(ctx, dueKey).Val(); n != 0 {
		t.Errorf("%d intents and deadlines left", n)
	}
	for _, key := range endpoints {
		if n := rdb.XLen(ctx, streamKey(key)).Val(); n != 2 {
			t.Errorf("%s holds %d entries, want 2", key, n)
		}
	}
}

// TestRunKeepsLiveIntents: a node's Run pushes the deadlines of the
// intents it holds open, so no reaper settles them however long the
// change takes (its own reaper extends them); once the node is gone (its
// Run stopped), they are settled.
func TestRunKeepsLiveIntents(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	rdb, c := srv.Client, newClock()
	ttl := 200 * time.Millisecond // Run's turn is a quarter of it, on the real clock
	live := node(t, rdb, "live", c, func(o *redisevents.Options) { o.IntentTTL = ttl })
	reaper := node(t, rdb, "reaper", c, func(o *redisevents.Options) { o.IntentTTL = ttl })
	ev := event(c, 1)
	in, err := live.Prepare(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	// Its own reaper extends it, rather than settle it.
	c.Add(time.Hour)
	if committed, abandoned, err := live.Reap(ctx); committed+abandoned != 0 || err != nil {
		t.Fatalf("the node's own Reap of its open intent: %d committed, %d abandoned, %v", committed, abandoned, err)
	}
	if d := rdb.ZScore(ctx, dueKey, ev.ID).Val(); d <= float64(c.Now().UnixMilli()) {
		t.Fatalf("the node's own Reap left its open intent's deadline at %v", d)
	}
	runCtx, stop := context.WithCancel(ctx)
	ran := make(chan error)
	go func() { ran <- live.Run(runCtx) }()
	for range 3 {
		c.Add(time.Hour)
		waitFor(t, "the live node to push its intent's deadline on", func() bool {
			return rdb.ZScore(ctx, dueKey, ev.ID).Val() > float64(c.Now().UnixMilli())
		})
		if committed, abandoned, err := reaper.Reap(ctx); committed+abandoned != 0 || err != nil {
			t.Fatalf("Reap of a live node's intent: %d committed, %d abandoned, %v", committed, abandoned, err)
		}
	}
	stop()
	if err := <-ran; err != nil {
		t.Fatalf("Run returned %v", err)
	}
	c.Add(time.Hour)
	if committed, abandoned, err := reaper.Reap(ctx); committed != 1 || abandoned != 0 || err != nil {
		t.Fatalf("Reap once the node is gone: %d committed, %d abandoned, %v", committed, abandoned, err)
	}
	if err := in.Commit(ctx, ev); err != nil { // the reaper's commit stands
		t.Fatal(err)
	}
	for _, key := range endpoints {
		if n := rdb.XLen(ctx, streamKey(key)).Val(); n != 1 {
			t.Errorf("%s holds %d entries, want 1", key, n)
		}
	}
}

// TestReapLeavesAnExtendedIntent: an intent its node extends while a
// reaper asks the Resolver about it (the node lives, its change is under
// way, so the store does not show it yet) is not abandoned.
func TestReapLeavesAnExtendedIntent(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	rdb, c := srv.Client, newClock()
	slow := node(t, rdb, "slow", c)
	ev := event(c, 1)
	in, err := slow.Prepare(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	resolve := func(_ context.Context, ev events.Event) (events.Event, bool, error) {
		// The node's Run, at this moment.
		rdb.ZAddXX(ctx, dueKey, redis.Z{Score: float64(c.Now().Add(time.Minute).UnixMilli()), Member: ev.ID})
		return events.Event{}, false, nil
	}
	reaper := node(t, rdb, "reaper", c, func(o *redisevents.Options) { o.Resolve = resolve })
	c.Add(time.Minute)
	if committed, abandoned, err := reaper.Reap(ctx); committed+abandoned != 0 || err != nil {
		t.Fatalf("Reap: %d committed, %d abandoned, %v; want nothing settled", committed, abandoned, err)
	}
	if err := in.Commit(ctx, ev); err != nil {
		t.Fatal(err)
	}
	for _, key := range endpoints {
		if n := rdb.XLen(ctx, streamKey(key)).Val(); n != 1 {
			t.Errorf("%s holds %d entries, want the node's commit", key, n)
		}
	}
}

// TestTwoReapers: two reapers at once settle each of a dead node's
// intents once: every event made is queued once per endpoint, and the
// two count each intent once between them.
func TestTwoReapers(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	rdb, c := srv.Client, newClock()
	const n = 300
	wasMade := map[string]bool{} // written before the reapers start
	resolve := func(_ context.Context, ev events.Event) (events.Event, bool, error) {
		return ev, wasMade[ev.ID], nil
	}
	dead := node(t, rdb, "dead", c)
	for i := range n {
		ev := event(c, i)
		if _, err := dead.Prepare(ctx, ev); err != nil {
			t.Fatal(err)
		}
		wasMade[ev.ID] = i%3 != 0
	}
	c.Add(time.Minute)
	var wg sync.WaitGroup
	var committed, abandoned atomic.Int64
	for _, name := range []string{"r1", "r2"} {
		r := node(t, rdb, name, c, func(o *redisevents.Options) { o.Resolve = resolve })
		wg.Go(func() {
			cm, ab, err := r.Reap(ctx)
			if err != nil {
				t.Error(err)
			}
			committed.Add(int64(cm))
			abandoned.Add(int64(ab))
		})
	}
	wg.Wait()
	if committed.Load() != 2*n/3 || abandoned.Load() != n/3 {
		t.Errorf("%d committed, %d abandoned; want %d, %d", committed.Load(), abandoned.Load(), 2*n/3, n/3)
	}
	for _, key := range endpoints {
		seen := map[string]int{}
		for _, m := range rdb.XRange(ctx, streamKey(key), "-", "+").Val() {
			seen[m.Values["e"].(string)]++
		}
		if len(seen) != 2*n/3 {
			t.Errorf("%s holds %d distinct events, want %d", key, len(seen), 2*n/3)
		}
		for e, k := range seen {
			if k != 1 {
				t.Errorf("%s holds %s %d times", key, e, k)
			}
		}
	}
	if left := rdb.HLen(ctx, intentsKey).Val() + rdb.ZCard(ctx, dueKey).Val(); left != 0 {
		t.Errorf("%d intents and deadlines left", left)
	}
}

// waitFor polls cond until it holds, failing after a generous deadline.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}
