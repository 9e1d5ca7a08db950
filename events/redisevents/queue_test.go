package redisevents_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ccfs-go/ccfs/auth/redisreplay/redistest"
	"github.com/ccfs-go/ccfs/events"
	"github.com/ccfs-go/ccfs/events/redisevents"
)

// commitN prepares and commits n events through j, and returns their
// JSON forms, in order.
func commitN(t testing.TB, j *redisevents.Journal, c *clock, from, n int) []string {
	t.Helper()
	ctx := context.Background()
	var bodies []string
	for i := from; i < from+n; i++ {
		ev := event(c, i)
		in, err := j.Prepare(ctx, ev)
		if err != nil {
			t.Fatal(err)
		}
		if err := in.Commit(ctx, ev); err != nil {
			t.Fatal(err)
		}
		bodies = append(bodies, body(t, ev))
	}
	return bodies
}

func bodies(items []events.Item) []string {
	var b []string
	for _, it := range items {
		b = append(b, string(it.Body))
	}
	return b
}

func sortedRefs(items []events.Item) []string {
	var r []string
	for _, it := range items {
		r = append(r, it.Ref)
	}
	slices.Sort(r)
	return r
}

// owners returns who holds each pending entry of key's stream.
func owners(t testing.TB, rdb redis.UniversalClient, key string) map[string]string {
	t.Helper()
	p, err := rdb.XPendingExt(context.Background(), &redis.XPendingExtArgs{
		Stream: streamKey(key), Group: redisevents.Group, Start: "-", End: "+", Count: 1000,
	}).Result()
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, e := range p {
		m[e.ID] = e.Consumer
	}
	return m
}

// TestNextAck: Next hands events out oldest first, at most n at once,
// each once while it is held; Ack takes them out of the stream; each
// endpoint has its own.
func TestNextAck(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	rdb, c := srv.Client, newClock()
	j := node(t, rdb, "a", c)
	want := commitN(t, j, c, 0, 5)
	q := queue(t, j, "hook-a")
	first, err := q.Next(ctx, 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	rest, err := q.Next(ctx, 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := append(bodies(first), bodies(rest)...); !slices.Equal(got, want) {
		t.Fatalf("Next handed out\n%q\nwant\n%q", got, want)
	}
	if more, err := q.Next(ctx, 10, 10*time.Millisecond); len(more) != 0 || err != nil {
		t.Fatalf("Next after all was handed out: %d items, %v", len(more), err)
	}
	if err := q.Ack(ctx, first...); err != nil {
		t.Fatal(err)
	}
	if n := rdb.XLen(ctx, streamKey("hook-a")).Val(); n != 2 {
		t.Errorf("hook-a holds %d entries after 3 of 5 acknowledged, want 2", n)
	}
	if p := owners(t, rdb, "hook-a"); len(p) != 2 {
		t.Errorf("pending %v, want the 2 not acknowledged", p)
	}
	if n := rdb.XLen(ctx, streamKey("hook-b")).Val(); n != 5 {
		t.Errorf("hook-b holds %d entries, want 5", n)
	}
	if err := q.Ack(ctx); err != nil {
		t.Errorf("Ack of nothing: %v", err)
	}
}

// TestNextWaits: a Next waiting for an event returns it once one is
// committed.
func TestNextWaits(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	rdb, c := srv.Client, newClock()
	j := node(t, rdb, "a", c)
	q := queue(t, j, "hook-a")
	type result struct {
		items []events.Item
		err   error
	}
	got := make(chan result)
	go func() {
		items, err := q.Next(ctx, 10, time.Minute)
		got <- result{items, err}
	}()
	// XREADGROUP blocks once it is waiting: the commit comes after that.
	waitFor(t, "Next to block", func() bool {
		return strings.Contains(rdb.ClientList(ctx).Val(), "cmd=xreadgroup")
	})
	want := commitN(t, j, c, 0, 1)
	r := <-got
	if r.err != nil || !slices.Equal(bodies(r.items), want) {
		t.Fatalf("Next: %q, %v; want %q", bodies(r.items), r.err, want)
	}
}

// TestTakeOver: node A takes events and dies (holds them no more): node
// B's Next hands them out once they have been idle for ClaimIdle.
func TestTakeOver(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	rdb, c := srv.Client, newClock()
	idle := func(o *redisevents.Options) { o.ClaimIdle = 50 * time.Millisecond }
	a, b := node(t, rdb, "a", c, idle), node(t, rdb, "b", c, idle)
	want := commitN(t, a, c, 0, 5)
	taken, err := queue(t, a, "hook-a").Next(ctx, 10, 0)
	if err != nil || len(taken) != 5 {
		t.Fatalf("A's Next: %d items, %v", len(taken), err)
	}
	// A dies.
	var got []events.Item
	waitFor(t, "B to take A's events over", func() bool {
		items, err := queue(t, b, "hook-a").Next(ctx, 10, 0)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, items...)
		return len(got) >= 5
	})
	if !slices.Equal(bodies(got), want) || !slices.Equal(sortedRefs(got), sortedRefs(taken)) {
		t.Fatalf("B took\n%q\nwant\n%q", bodies(got), want)
	}
	for ref, who := range owners(t, rdb, "hook-a") {
		if who != "b" {
			t.Errorf("%s is held by %s, want b", ref, who)
		}
	}
}

// TestHold: while A holds its items, B's Next does not take them, across
// several ClaimIdle periods; once A stops holding them, B takes them.
func TestHold(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	rdb, c := srv.Client, newClock()
	const claimIdle = 500 * time.Millisecond
	idle := func(o *redisevents.Options) { o.ClaimIdle = claimIdle }
	a, b := node(t, rdb, "a", c, idle), node(t, rdb, "b", c, idle)
	commitN(t, a, c, 0, 3)
	qa, qb := queue(t, a, "hook-a"), queue(t, b, "hook-a")
	taken, err := qa.Next(ctx, 10, 0)
	if err != nil || len(taken) != 3 {
		t.Fatalf("A's Next: %d items, %v", len(taken), err)
	}
	for start := time.Now(); time.Since(start) < 4*claimIdle; time.Sleep(20 * time.Millisecond) {
		if err := qa.Hold(ctx, taken...); err != nil {
			t.Fatal(err)
		}
		if items, err := qb.Next(ctx, 10, 0); len(items) != 0 || err != nil {
			t.Fatalf("B took %d of the items A holds (%v)", len(items), err)
		}
		// Nor does A's own Next hand them out again.
		if items, err := qa.Next(ctx, 10, 0); len(items) != 0 || err != nil {
			t.Fatalf("A's Next handed out %d of the items it holds (%v)", len(items), err)
		}
	}
	var got []events.Item
	waitFor(t, "B to take the items A no longer holds", func() bool {
		items, err := qb.Next(ctx, 10, 0)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, items...)
		return len(got) >= 3
	})
	if !slices.Equal(sortedRefs(got), sortedRefs(taken)) {
		t.Fatalf("B took %q, want %q", sortedRefs(got), sortedRefs(taken))
	}
	// A, late, holds them again: they stay B's.
	if err := qa.Hold(ctx, taken...); err != nil {
		t.Fatal(err)
	}
	for ref, who := range owners(t, rdb, "hook-a") {
		if who != "b" {
			t.Errorf("%s is held by %s after A's late Hold, want b", ref, who)
		}
	}
}

// TestRelease: items A releases are handed out by B's next Next at once
// (ClaimIdle is an hour); A's late Release of items B took is ignored.
func TestRelease(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	rdb, c := srv.Client, newClock()
	a, b := node(t, rdb, "a", c), node(t, rdb, "b", c)
	want := commitN(t, a, c, 0, 4)
	qa, qb := queue(t, a, "hook-a"), queue(t, b, "hook-a")
	taken, err := qa.Next(ctx, 10, 0)
	if err != nil || len(taken) != 4 {
		t.Fatalf("A's Next: %d items, %v", len(taken), err)
	}
	if items, err := qb.Next(ctx, 10, 0); len(items) != 0 || err != nil {
		t.Fatalf("B's Next before the Release: %d items, %v", len(items), err)
	}
	if err := qa.Release(ctx, taken...); err != nil {
		t.Fatal(err)
	}
	got, err := qb.Next(ctx, 10, 0)
	if err != nil || !slices.Equal(bodies(got), want) {
		t.Fatalf("B's Next after the Release: %q, %v; want %q", bodies(got), err, want)
	}
	if err := qa.Release(ctx, taken...); err != nil {
		t.Fatal(err)
	}
	if items, err := qa.Next(ctx, 10, 0); len(items) != 0 || err != nil {
		t.Fatalf("A's Next after its late Release: %d items, %v; B holds them", len(items), err)
	}
	if err := qa.Hold(ctx, events.Item{Ref: "not-an-id"}); err == nil {
		t.Error("Hold of a ref that is no stream entry ID")
	}
}

// TestDead: Dead moves an item to the dead letters, with its reason
// (cut to MaxReason) and time, out of the stream and of the pending
// entries; an entry without an event is never handed out, but moved
// aside.
func TestDead(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	rdb, c := srv.Client, newClock()
	j := node(t, rdb, "a", c)
	want := commitN(t, j, c, 0, 2)
	q := queue(t, j, "hook-a")
	items, err := q.Next(ctx, 10, 0)
	if err != nil || len(items) != 2 {
		t.Fatalf("Next: %d items, %v", len(items), err)
	}
	long := "x" + strings.Repeat("é", redisevents.MaxReason) // MaxReason bytes end mid-rune
	if err := q.Dead(ctx, items[0], "410 Gone"); err != nil {
		t.Fatal(err)
	}
	if err := q.Dead(ctx, items[1], long); err != nil {
		t.Fatal(err)
	}
	if err := q.Dead(ctx, items[1], "again"); err != nil {
		t.Errorf("Dead of an item already moved aside: %v", err)
	}
	if n := rdb.XLen(ctx, streamKey("hook-a")).Val(); n != 0 {
		t.Errorf("the stream holds %d entries", n)
	}
	if p := owners(t, rdb, "hook-a"); len(p) != 0 {
		t.Errorf("pending after Dead: %v", p)
	}
	letters, err := q.DeadLetters(ctx, 10)
	if err != nil || len(letters) != 2 {
		t.Fatalf("DeadLetters: %+v, %v", letters, err)
	}
	if d := letters[0]; d.Reason != "410 Gone" || string(d.Body) != want[0] || !d.Time.Equal(c.Now()) || d.Ref == items[0].Ref {
		t.Errorf("dead letter %+v", d)
	}
	if r := letters[1].Reason; r != long[:redisevents.MaxReason-1] {
		t.Errorf("a long reason kept as %d bytes", len(r))
	}

	// An entry that holds no event.
	id := rdb.XAdd(ctx, &redis.XAddArgs{Stream: streamKey("hook-a"), Values: []string{"x", "y"}}).Val()
	if items, err := q.Next(ctx, 10, 0); len(items) != 0 || err != nil {
		t.Fatalf("Next of an entry without an event: %d items, %v", len(items), err)
	}
	letters, _ = q.DeadLetters(ctx, 10)
	if len(letters) != 3 || !strings.Contains(letters[2].Reason, "no event") {
		t.Fatalf("dead letters %+v, want the entry %s moved aside", letters, id)
	}
}

// TestGroupLost: when Redis has lost the stream and its group (a
// restart without persistence), Next makes the group again and hands
// out what the stream holds.
func TestGroupLost(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	rdb, c := srv.Client, newClock()
	j := node(t, rdb, "a", c)
	if err := rdb.FlushAll(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	want := commitN(t, j, c, 0, 2)
	got, err := queue(t, j, "hook-b").Next(ctx, 10, 0)
	if err != nil || !slices.Equal(bodies(got), want) {
		t.Fatalf("Next: %q, %v; want %q", bodies(got), err, want)
	}
}
