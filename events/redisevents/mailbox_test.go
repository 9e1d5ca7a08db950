package redisevents_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs/auth/redisreplay/redistest"
	"github.com/ccfs-go/ccfs/events/redisevents"
)

// TestPending: Pending lists up to n events not yet delivered, handed
// out or not, oldest first, without handing them out.
func TestPending(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	rdb, c := srv.Client, newClock()
	j := node(t, rdb, "a", c)
	want := commitN(t, j, c, 0, 4)
	q := queue(t, j, "hook-a")
	taken, err := q.Next(ctx, 1, 0)
	if err != nil || len(taken) != 1 {
		t.Fatalf("Next: %d items, %v", len(taken), err)
	}
	if err := q.Ack(ctx, taken...); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Next(ctx, 1, 0); err != nil {
		t.Fatal(err)
	}
	got, err := q.Pending(ctx, 10)
	if err != nil || !slices.Equal(bodies(got), want[1:]) {
		t.Fatalf("Pending: %q, %v; want %q", bodies(got), err, want[1:])
	}
	if got, _ := q.Pending(ctx, 2); !slices.Equal(bodies(got), want[1:3]) {
		t.Errorf("Pending(2): %q", bodies(got))
	}
	if rest, err := q.Next(ctx, 10, 0); len(rest) != 2 || err != nil {
		t.Errorf("Next after Pending: %d items, %v; want the 2 never handed out", len(rest), err)
	}
	// The backlog: three wait, the oldest queued at its entry's time.
	n, oldest, err := q.Backlog(ctx)
	ms, _, _ := strings.Cut(got[0].Ref, "-")
	if err != nil || n != 3 || strconv.FormatInt(oldest.UnixMilli(), 10) != ms {
		t.Errorf("Backlog: %d, %v, %v; want 3 and the time of %s", n, oldest, err, got[0].Ref)
	}
	if time.Since(oldest) > time.Hour || time.Since(oldest) < -time.Hour {
		t.Errorf("Backlog's oldest %v is not about now", oldest)
	}
	if n, oldest, err := queue(t, j, "hook-b").Backlog(ctx); n != 4 || oldest.IsZero() || err != nil {
		t.Errorf("hook-b's Backlog: %d, %v, %v", n, oldest, err)
	}
	if err := q.Ack(ctx, got...); err != nil {
		t.Fatal(err)
	}
	if n, oldest, err := q.Backlog(ctx); n != 0 || !oldest.IsZero() || err != nil {
		t.Errorf("Backlog of an empty queue: %d, %v, %v", n, oldest, err)
	}
}

// TestRedeliver: a dead letter put back is no longer one, and is handed
// out again with its event; an unknown ref is an error saying so.
func TestRedeliver(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	rdb, c := srv.Client, newClock()
	j := node(t, rdb, "a", c)
	want := commitN(t, j, c, 0, 3)
	q := queue(t, j, "hook-a")
	items, err := q.Next(ctx, 10, 0)
	if err != nil || len(items) != 3 {
		t.Fatalf("Next: %d items, %v", len(items), err)
	}
	for _, it := range items {
		if err := q.Dead(ctx, it, "receiver down"); err != nil {
			t.Fatal(err)
		}
	}
	letters, err := q.DeadLetters(ctx, 2)
	if err != nil || len(letters) != 2 {
		t.Fatalf("DeadLetters(2): %d, %v", len(letters), err)
	}
	if err := q.Redeliver(ctx, letters[1].Ref); err != nil {
		t.Fatal(err)
	}
	if err := q.Redeliver(ctx, letters[1].Ref); !errors.Is(err, redisevents.ErrUnknownRef) {
		t.Errorf("a second Redeliver of one dead letter: %v", err)
	}
	for _, ref := range []string{"0-1", "nonsense", ""} {
		if err := q.Redeliver(ctx, ref); !errors.Is(err, redisevents.ErrUnknownRef) {
			t.Errorf("Redeliver(%q): %v, want ErrUnknownRef", ref, err)
		}
	}
	left, _ := q.DeadLetters(ctx, 10)
	if len(left) != 2 || left[0].Ref != letters[0].Ref || string(left[1].Body) != want[2] {
		t.Errorf("dead letters left %+v", left)
	}
	got, err := q.Next(ctx, 10, 0)
	if err != nil || !slices.Equal(bodies(got), want[1:2]) {
		t.Fatalf("Next after Redeliver: %q, %v; want %q", bodies(got), err, want[1:2])
	}
	if n := rdb.XLen(ctx, deadKey("hook-b")).Val(); n != 0 {
		t.Errorf("hook-b has %d dead letters", n)
	}
}
