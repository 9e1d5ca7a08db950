package journal_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs/events"
	"github.com/ccfs-go/ccfs/events/journal"
)

// committed commits n events to a one-endpoint journal and returns their
// IDs, in order.
func committed(t *testing.T, j *journal.Journal, n int) []string {
	t.Helper()
	var out []string
	for i := range n {
		ev := newEvent(i)
		commit(t, j, ev)
		out = append(out, ev.ID)
	}
	return out
}

func next(t *testing.T, q *journal.Queue, max int) []events.Item {
	t.Helper()
	items, err := q.Next(context.Background(), max, 0)
	if err != nil {
		t.Fatal(err)
	}
	return items
}

// TestNextHandsOutOnce: Next hands out each record once, oldest first,
// until it is acknowledged, dead or released.
func TestNextHandsOutOnce(t *testing.T) {
	j := openJournal(t, t.TempDir(), never(t), "a")
	q := queue(t, j, "a")
	want := committed(t, j, 5)
	first := next(t, q, 3)
	if got := ids(t, first); !slices.Equal(got, want[:3]) {
		t.Fatalf("Next(3) = %v, want %v", got, want[:3])
	}
	rest := next(t, q, 10)
	if got := ids(t, rest); !slices.Equal(got, want[3:]) {
		t.Fatalf("Next(10) = %v, want %v", got, want[3:])
	}
	if got := next(t, q, 10); len(got) != 0 {
		t.Fatalf("Next with everything handed out = %v", ids(t, got))
	}
	if n := q.Outstanding(); n != 5 {
		t.Errorf("Outstanding() = %d, want 5", n)
	}
	if got := next(t, q, 0); len(got) != 0 {
		t.Errorf("Next(0) = %v", got)
	}
	// Pending shows what is handed out too, without handing out.
	if got := pendingIDs(t, q); !slices.Equal(got, want) {
		t.Errorf("Pending = %v, want %v", got, want)
	}
	if first[0].Ref != "1" || first[1].Ref != "2" {
		t.Errorf("refs %q %q, want the sequence numbers", first[0].Ref, first[1].Ref)
	}
}

// TestAck: an acknowledged item is neither pending nor handed out again,
// even after a restart; one handed out and not acknowledged is, after a
// restart.
func TestAck(t *testing.T) {
	dir := t.TempDir()
	j := openJournal(t, dir, never(t), "a")
	q := queue(t, j, "a")
	want := committed(t, j, 4)
	items := next(t, q, 4)
	if err := q.Ack(context.Background(), items[0], items[2]); err != nil {
		t.Fatal(err)
	}
	if got := pendingIDs(t, q); !slices.Equal(got, []string{want[1], want[3]}) {
		t.Errorf("Pending = %v", got)
	}
	if n := q.Outstanding(); n != 2 {
		t.Errorf("Outstanding() = %d, want 2", n)
	}
	j.Close()
	j = openJournal(t, dir, never(t), "a")
	q = queue(t, j, "a")
	if got := ids(t, next(t, q, 10)); !slices.Equal(got, []string{want[1], want[3]}) {
		t.Errorf("Next after a restart = %v", got)
	}
}

// TestRelease: released items are handed out again, and only they.
func TestRelease(t *testing.T) {
	j := openJournal(t, t.TempDir(), never(t), "a")
	q := queue(t, j, "a")
	want := committed(t, j, 6)
	items := next(t, q, 6)
	if err := q.Release(context.Background(), items[1], items[4]); err != nil {
		t.Fatal(err)
	}
	if n := q.Outstanding(); n != 4 {
		t.Errorf("Outstanding() = %d, want 4", n)
	}
	if got := ids(t, next(t, q, 10)); !slices.Equal(got, []string{want[1], want[4]}) {
		t.Errorf("Next after Release = %v, want [%s %s]", got, want[1], want[4])
	}
	if got := next(t, q, 10); len(got) != 0 {
		t.Errorf("Next = %v, want none", ids(t, got))
	}
	// Releasing what is not handed out (acknowledged) changes nothing.
	if err := q.Ack(context.Background(), items[0]); err != nil {
		t.Fatal(err)
	}
	if err := q.Release(context.Background(), items[0]); err != nil {
		t.Fatal(err)
	}
	if got := next(t, q, 10); len(got) != 0 {
		t.Errorf("Next after releasing an acknowledged item = %v", ids(t, got))
	}
}

// TestDeadAndRedeliver: a dead item is a dead letter, not pending;
// Redeliver puts it back, to be handed out again under a new Ref.
func TestDeadAndRedeliver(t *testing.T) {
	j := openJournal(t, t.TempDir(), never(t), "a")
	q := queue(t, j, "a")
	ctx := context.Background()
	want := committed(t, j, 3)
	items := next(t, q, 3)
	if err := q.Dead(ctx, items[1], "410 Gone"); err != nil {
		t.Fatal(err)
	}
	if got := pendingIDs(t, q); !slices.Equal(got, []string{want[0], want[2]}) {
		t.Errorf("Pending = %v", got)
	}
	if n := q.Outstanding(); n != 2 {
		t.Errorf("Outstanding() = %d, want 2", n)
	}
	letters, err := q.DeadLetters(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(letters) != 1 || letters[0].Ref != items[1].Ref || letters[0].Reason != "410 Gone" ||
		string(letters[0].Body) != string(items[1].Body) || letters[0].Time.IsZero() {
		t.Fatalf("DeadLetters = %+v", letters)
	}
	if err := q.Redeliver(ctx, letters[0].Ref); err != nil {
		t.Fatal(err)
	}
	again := next(t, q, 10)
	if got := ids(t, again); !slices.Equal(got, []string{want[1]}) || again[0].Ref == items[1].Ref {
		t.Errorf("Next after Redeliver = %v (ref %s)", got, again[0].Ref)
	}
	if letters, _ := q.DeadLetters(ctx, 10); len(letters) != 0 {
		t.Errorf("DeadLetters after Redeliver = %+v", letters)
	}
	if err := q.Redeliver(ctx, letters[0].Ref); err == nil {
		t.Error("Redeliver of a dead letter already redelivered succeeded")
	}
}

// TestDeadLettersMax: DeadLetters returns at most max, the oldest.
func TestDeadLettersMax(t *testing.T) {
	j := openJournal(t, t.TempDir(), never(t), "a")
	q := queue(t, j, "a")
	ctx := context.Background()
	committed(t, j, 4)
	items := next(t, q, 4)
	for _, it := range items {
		if err := q.Dead(ctx, it, "down"); err != nil {
			t.Fatal(err)
		}
	}
	letters, err := q.DeadLetters(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(letters) != 2 || letters[0].Ref != items[0].Ref || letters[1].Ref != items[1].Ref {
		t.Errorf("DeadLetters(2) = %+v", letters)
	}
}

// TestBadRef: a Ref that is not a sequence number is refused.
func TestBadRef(t *testing.T) {
	j := openJournal(t, t.TempDir(), never(t), "a")
	q := queue(t, j, "a")
	ctx := context.Background()
	bad := events.Item{Ref: "1-0"}
	if err := q.Ack(ctx, bad); err == nil {
		t.Error("Ack of a bad ref succeeded")
	}
	if err := q.Dead(ctx, bad, "x"); err == nil {
		t.Error("Dead of a bad ref succeeded")
	}
	if err := q.Release(ctx, bad); err == nil {
		t.Error("Release of a bad ref succeeded")
	}
	if err := q.Redeliver(ctx, "0"); err == nil {
		t.Error("Redeliver of ref 0 succeeded")
	}
	if err := q.Hold(ctx, bad); err != nil {
		t.Errorf("Hold: %v", err)
	}
}

// waitNext calls Next with a long wait in the background.
func waitNext(ctx context.Context, q *journal.Queue) <-chan []events.Item {
	ch := make(chan []events.Item, 1)
	go func() {
		items, _ := q.Next(ctx, 10, time.Minute)
		ch <- items
	}()
	return ch
}

// TestNextWakes: a Next waiting is woken by a Commit, a Release and a
// Redeliver (with a minute's wait, it would otherwise return nothing).
func TestNextWakes(t *testing.T) {
	j := openJournal(t, t.TempDir(), never(t), "a")
	q := queue(t, j, "a")
	ctx := context.Background()

	ch := waitNext(ctx, q)
	ev := newEvent(1)
	commit(t, j, ev)
	items := <-ch
	if got := ids(t, items); !slices.Equal(got, []string{ev.ID}) {
		t.Fatalf("Next woken by Commit = %v", got)
	}

	ch = waitNext(ctx, q)
	if err := q.Release(ctx, items...); err != nil {
		t.Fatal(err)
	}
	items = <-ch
	if got := ids(t, items); !slices.Equal(got, []string{ev.ID}) {
		t.Fatalf("Next woken by Release = %v", got)
	}

	if err := q.Dead(ctx, items[0], "down"); err != nil {
		t.Fatal(err)
	}
	ch = waitNext(ctx, q)
	if err := q.Redeliver(ctx, items[0].Ref); err != nil {
		t.Fatal(err)
	}
	if got := ids(t, <-ch); !slices.Equal(got, []string{ev.ID}) {
		t.Fatalf("Next woken by Redeliver = %v", got)
	}
}

// TestNextEnds: a Next waiting returns on its context's end, with its
// error, and on Close, with ErrClosed.
func TestNextEnds(t *testing.T) {
	j := openJournal(t, t.TempDir(), never(t), "a")
	q := queue(t, j, "a")
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := q.Next(ctx, 1, time.Hour)
		errc <- err
	}()
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("Next after cancel: %v", err)
	}
	go func() {
		_, err := q.Next(context.Background(), 1, time.Hour)
		errc <- err
	}()
	j.Close()
	if err := <-errc; !errors.Is(err, journal.ErrClosed) {
		t.Errorf("Next after Close: %v", err)
	}
}

// TestNextWaitEnds: with nothing to hand out, Next returns none once
// wait has passed.
func TestNextWaitEnds(t *testing.T) {
	j := openJournal(t, t.TempDir(), never(t), "a")
	items, err := queue(t, j, "a").Next(context.Background(), 1, time.Millisecond)
	if err != nil || len(items) != 0 {
		t.Errorf("Next = %v, %v", items, err)
	}
}

// TestNextAcrossSegments: with small segments, Next hands out every
// record across them in order, and acknowledged segments are compacted
// without losing Next's place.
func TestNextAcrossSegments(t *testing.T) {
	j := openJournal(t, t.TempDir(), never(t), "a")
	q := queue(t, j, "a")
	want := committed(t, j, 100) // about 30 KB: several 4 KB segments
	var got []string
	for {
		items := next(t, q, 7)
		if len(items) == 0 {
			break
		}
		got = append(got, ids(t, items)...)
		if err := q.Ack(context.Background(), items...); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("handed out %d events, want the %d committed, in order", len(got), len(want))
	}
}

// TestOldest: Oldest is the time of the oldest event pending, handed out
// or not, and none once all are acknowledged.
func TestOldest(t *testing.T) {
	j := openJournal(t, t.TempDir(), never(t), "a")
	q := queue(t, j, "a")
	ctx := context.Background()
	if _, ok, err := q.Oldest(ctx); ok || err != nil {
		t.Fatalf("Oldest of an empty queue: %v, %v", ok, err)
	}
	first, second := newEvent(1), newEvent(2)
	first.Time = first.Time.Add(-time.Hour)
	commit(t, j, first)
	commit(t, j, second)
	items := next(t, q, 1)
	if at, ok, err := q.Oldest(ctx); !ok || err != nil || !at.Equal(first.Time) {
		t.Errorf("Oldest = %v, %v, %v; want %v", at, ok, err, first.Time)
	}
	if err := q.Ack(ctx, items...); err != nil {
		t.Fatal(err)
	}
	if at, ok, err := q.Oldest(ctx); !ok || err != nil || !at.Equal(second.Time) {
		t.Errorf("Oldest = %v, %v, %v; want %v", at, ok, err, second.Time)
	}
}
