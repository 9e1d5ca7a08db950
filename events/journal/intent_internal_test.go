package journal

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs/events"
	"github.com/ccfs-go/ccfs/events/outbox"
)

func testEvent() events.Event {
	ev := events.New(events.PromptUploaded, time.Now())
	ev.VDN, ev.FileName, ev.Size, ev.Codec, ev.AccessKey = 53, "Y:/3rdfile/53/x/a.wav", 10, "alaw", "key-1"
	return ev
}

func pendingCount(t *testing.T, q *Queue) int {
	t.Helper()
	items, err := q.Pending(context.Background(), MaxBatch)
	if err != nil {
		t.Fatal(err)
	}
	return len(items)
}

// TestCommitPartWay: a Commit that fails for one endpoint (its outbox
// closed, as a failed disk leaves it) leaves the event in the others,
// refuses Abandon, and a second Commit appends it only where it lacks.
func TestCommitPartWay(t *testing.T) {
	dir := t.TempDir()
	resolve := func(_ context.Context, ev events.Event) (events.Event, bool, error) { return ev, true, nil }
	j, err := Open(context.Background(), dir, Options{Endpoints: []string{"a", "b"}, Resolve: resolve})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	ctx := context.Background()
	ev := testEvent()
	in, err := j.Prepare(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	b := j.queues[1]
	b.ob.Close()
	if err := in.Commit(ctx, ev); err == nil {
		t.Fatal("Commit succeeded with b's outbox closed")
	}
	if n := pendingCount(t, j.queues[0]); n != 1 {
		t.Fatalf("a holds %d events after a Commit that failed at b, want 1", n)
	}
	if err := in.Abandon(ctx); err == nil {
		t.Fatal("Abandon succeeded after the event reached a")
	}
	// b's disk is back.
	b.ob, err = outbox.Open(filepath.Join(dir, "endpoints", "b"), outbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Commit(ctx, ev); err != nil {
		t.Fatal(err)
	}
	for _, q := range j.queues {
		if n := pendingCount(t, q); n != 1 {
			t.Errorf("%s holds %d events, want 1", q.key, n)
		}
	}
}

// TestCommitPartWayThenCrash: an intent whose Commit failed part way
// stays open; the next Open's Resolve puts the event in every queue (a
// repeat where it was already).
func TestCommitPartWayThenCrash(t *testing.T) {
	dir := t.TempDir()
	resolve := func(_ context.Context, ev events.Event) (events.Event, bool, error) { return ev, true, nil }
	j, err := Open(context.Background(), dir, Options{Endpoints: []string{"a", "b"}, Resolve: resolve})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ev := testEvent()
	in, err := j.Prepare(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	j.queues[1].ob.Close()
	if err := in.Commit(ctx, ev); err == nil {
		t.Fatal("Commit succeeded with b's outbox closed")
	}
	j.Close()
	j, err = Open(context.Background(), dir, Options{Endpoints: []string{"a", "b"}, Resolve: resolve})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	got := fmt.Sprint(pendingCount(t, j.queues[0]), pendingCount(t, j.queues[1]))
	if got != "2 1" {
		t.Errorf("a and b hold %s events, want 2 1", got)
	}
}
