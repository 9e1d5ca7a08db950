package journal_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/ccfs-go/ccfs/events"
	"github.com/ccfs-go/ccfs/events/journal"
)

// TestPrepareCommit: a committed event, as committed (LocationIDs added),
// is in every endpoint's queue.
func TestPrepareCommit(t *testing.T) {
	j := openJournal(t, t.TempDir(), never(t), "a", "b", "c")
	ctx := context.Background()
	ev := newEvent(1)
	in, err := j.Prepare(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range j.Endpoints() {
		if got := pendingIDs(t, queue(t, j, k)); len(got) != 0 {
			t.Fatalf("queue %s holds %v before Commit", k, got)
		}
	}
	ev.LocationIDs = []string{"loc1", "loc2"}
	if err := in.Commit(ctx, ev); err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(ev)
	for _, k := range j.Endpoints() {
		items, err := queue(t, j, k).Pending(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(items) != 1 || string(items[0].Body) != string(want) {
			t.Errorf("queue %s holds %q, want %s", k, items, want)
		}
	}
}

// TestAbandon: an abandoned event is in no queue, and its intent is
// acknowledged at once (nothing left to resolve).
func TestAbandon(t *testing.T) {
	dir := t.TempDir()
	j := openJournal(t, dir, never(t), "a", "b")
	ctx := context.Background()
	in, err := j.Prepare(ctx, newEvent(1))
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Abandon(ctx); err != nil {
		t.Fatal(err)
	}
	for _, k := range j.Endpoints() {
		if got := pendingIDs(t, queue(t, j, k)); len(got) != 0 {
			t.Errorf("queue %s holds %v", k, got)
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if n := intentsPending(t, dir); n != 0 {
		t.Errorf("%d intents pending", n)
	}
}

// TestSettledOnce: an intent is committed or abandoned once.
func TestSettledOnce(t *testing.T) {
	j := openJournal(t, t.TempDir(), never(t), "a")
	ctx := context.Background()
	ev := newEvent(1)
	in, _ := j.Prepare(ctx, ev)
	if err := in.Commit(ctx, ev); err != nil {
		t.Fatal(err)
	}
	if err := in.Commit(ctx, ev); !errors.Is(err, journal.ErrSettled) {
		t.Errorf("second Commit: %v", err)
	}
	if err := in.Abandon(ctx); !errors.Is(err, journal.ErrSettled) {
		t.Errorf("Abandon after Commit: %v", err)
	}
	in, _ = j.Prepare(ctx, newEvent(2))
	if err := in.Abandon(ctx); err != nil {
		t.Fatal(err)
	}
	if err := in.Commit(ctx, newEvent(2)); !errors.Is(err, journal.ErrSettled) {
		t.Errorf("Commit after Abandon: %v", err)
	}
	if got := pendingIDs(t, queue(t, j, "a")); !slices.Equal(got, []string{ev.ID}) {
		t.Errorf("queue holds %v, want only %s", got, ev.ID)
	}
}

// TestCommitKeepsIDAndType: Commit refuses an event with another ID or
// type, or one not valid, and the intent stays open for a right one.
func TestCommitKeepsIDAndType(t *testing.T) {
	j := openJournal(t, t.TempDir(), never(t), "a")
	ctx := context.Background()
	ev := newEvent(1)
	in, err := j.Prepare(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	other := ev
	other.ID = newEvent(2).ID
	retyped := ev
	retyped.Type = events.PromptDeleted
	invalid := ev
	invalid.Codec = ""
	for _, bad := range []events.Event{other, retyped, invalid} {
		if err := in.Commit(ctx, bad); err == nil {
			t.Errorf("Commit of %+v succeeded", bad)
		}
	}
	if got := pendingIDs(t, queue(t, j, "a")); len(got) != 0 {
		t.Fatalf("queue holds %v after refused Commits", got)
	}
	if err := in.Commit(ctx, ev); err != nil {
		t.Fatal(err)
	}
	if got := pendingIDs(t, queue(t, j, "a")); !slices.Equal(got, []string{ev.ID}) {
		t.Errorf("queue holds %v", got)
	}
}

// TestPrepareValidates: an invalid event is refused, and no intent is
// recorded for it.
func TestPrepareValidates(t *testing.T) {
	dir := t.TempDir()
	j := openJournal(t, dir, never(t), "a")
	ev := newEvent(1)
	ev.AccessKey = ""
	if _, err := j.Prepare(context.Background(), ev); err == nil {
		t.Fatal("Prepare of an event without accessKey succeeded")
	}
	j.Close()
	if n := intentsPending(t, dir); n != 0 {
		t.Errorf("%d intents pending", n)
	}
}

// TestNoEndpoints: with no endpoint, Commit records nothing but settles
// the intent.
func TestNoEndpoints(t *testing.T) {
	dir := t.TempDir()
	j := openJournal(t, dir, never(t))
	commit(t, j, newEvent(1))
	j.Close()
	if n := intentsPending(t, dir); n != 0 {
		t.Errorf("%d intents pending", n)
	}
}

// TestPreparedNotCommitted: an intent neither committed nor abandoned
// when the journal closes is left open, for the next Open's Resolve.
func TestPreparedNotCommitted(t *testing.T) {
	dir := t.TempDir()
	j := openJournal(t, dir, never(t), "a")
	if _, err := j.Prepare(context.Background(), newEvent(1)); err != nil {
		t.Fatal(err)
	}
	j.Close()
	if n := intentsPending(t, dir); n != 1 {
		t.Errorf("%d intents pending, want 1", n)
	}
}
