package redisevents_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ccfs-go/ccfs/auth/redisreplay/redistest"
	"github.com/ccfs-go/ccfs/events/redisevents"
)

// consumers returns the names of the consumers in key's group, sorted.
func consumers(t testing.TB, rdb redis.UniversalClient, key string) []string {
	t.Helper()
	cs, err := rdb.XInfoConsumers(context.Background(), streamKey(key), redisevents.Group).Result()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range cs {
		names = append(names, c.Name)
	}
	slices.Sort(names)
	return names
}

// TestRunPrunesConsumers: Run deletes the consumers of nodes gone that
// hold nothing, never one that holds entries (until they are taken
// over), nor its own.
func TestRunPrunesConsumers(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	rdb, c := srv.Client, newClock()
	short := func(o *redisevents.Options) { o.ClaimIdle, o.IntentTTL = 20*time.Millisecond, 100*time.Millisecond }
	holding, live := node(t, rdb, "holding", c, short), node(t, rdb, "live", c, short)
	commitN(t, live, c, 0, 2)
	if items, err := queue(t, holding, "hook-a").Next(ctx, 10, 0); len(items) != 2 || err != nil {
		t.Fatalf("Next: %d items, %v", len(items), err)
	}
	// A Next that finds nothing may make no consumer: these are made so.
	for _, name := range []string{"empty", "live"} {
		if err := rdb.XGroupCreateConsumer(ctx, streamKey("hook-a"), redisevents.Group, name).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if got := consumers(t, rdb, "hook-a"); !slices.Equal(got, []string{"empty", "holding", "live"}) {
		t.Fatalf("consumers %q", got)
	}
	// "holding" and "empty" die here.
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	go live.Run(runCtx)
	waitFor(t, "the consumer holding nothing to be deleted", func() bool {
		return !slices.Contains(consumers(t, rdb, "hook-a"), "empty")
	})
	if got := consumers(t, rdb, "hook-a"); !slices.Equal(got, []string{"holding", "live"}) {
		t.Fatalf("consumers %q, want holding (it holds entries) and live (its own)", got)
	}
	var taken int
	waitFor(t, "live to take the entries over", func() bool {
		items, err := queue(t, live, "hook-a").Next(ctx, 10, 0)
		if err != nil {
			t.Fatal(err)
		}
		taken += len(items)
		return taken == 2
	})
	waitFor(t, "the consumer that held the entries to be deleted", func() bool {
		return slices.Equal(consumers(t, rdb, "hook-a"), []string{"live"})
	})
	if p := owners(t, rdb, "hook-a"); len(p) != 2 {
		t.Errorf("pending %v, want both entries held by live", p)
	}
}
