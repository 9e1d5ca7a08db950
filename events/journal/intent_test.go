package journal_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/ccfs-go/ccfs/events"
	"github.com/ccfs-go/ccfs/events/journal"
	"runtime"
	"strings"
	"time"
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

// TestCommitFailedIsNotLost: a Commit that fails (here its context has
// ended; a full disk does the same) does not fail the upload, which the
// handler then answers with success (ccfs.settleEvent logs the error).
// The intent stays open, and used to be settled only at the next Open,
// by asking the store whether the file is there. Meanwhile the chatbot,
// told of its upload, may delete the file, or retention expire it: the
// next Open then finds no file and drops the upload's event, though the
// upload was acknowledged and the delete's event is delivered. The event
// of a change the caller said was made must reach the queues while the
// journal runs, whatever the store says later.
func TestCommitFailedIsNotLost(t *testing.T) {
	dir := t.TempDir()
	gone := func(_ context.Context, ev events.Event) (events.Event, bool, error) {
		return ev, false, nil // the file was deleted since its upload
	}
	j, err := journal.Open(context.Background(), dir, journal.Options{
		Endpoints: []string{"a"}, Resolve: gone, RetryEvery: 5 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	ev := newEvent(1)
	in, err := j.Prepare(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := in.Commit(ctx, ev); err == nil {
		t.Fatal("Commit with an ended context succeeded; the test needs it to fail")
	}
	// The upload is answered with success now. Its event must not wait
	// for a restart.
	deadline := time.Now().Add(2 * time.Second)
	for !slices.Contains(pendingIDs(t, queue(t, j, "a")), ev.ID) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	// The file is deleted; the node restarts.
	j = openJournal(t, dir, gone, "a")
	if got := pendingIDs(t, queue(t, j, "a")); !slices.Contains(got, ev.ID) {
		t.Fatalf("the acknowledged upload's event %s is lost: queue holds %v", ev.ID, got)
	}
}

// TestDeadLettersBoundedMemory: a receiver that stays down turns every
// event into a dead letter, so dead letters are as many as the events
// of its outage, not few. Listing the first one (the admin listener's
// /events?dead=1, ccfs events list --dead) must not read every dead
// letter into memory: it used to read dead.log whole, on every call,
// and Redeliver did for each letter put back.
func TestDeadLettersBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes thousands of dead letters")
	}
	j := openJournal(t, t.TempDir(), never(t), "a")
	q := queue(t, j, "a")
	ctx := context.Background()
	const n = 3000
	for i := range n {
		commit(t, j, newEvent(i))
	}
	reason := strings.Repeat("HTTP 503 Service Unavailable; ", 30) // as long as a reason gets
	for left := n; left > 0; {
		items, err := q.Next(ctx, journal.MaxBatch, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			if err := q.Dead(ctx, it, reason); err != nil {
				t.Fatal(err)
			}
		}
		left -= len(items)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	letters, err := q.DeadLetters(ctx, 1)
	runtime.ReadMemStats(&after)
	if err != nil || len(letters) != 1 {
		t.Fatalf("DeadLetters(1) = %d letters, %v", len(letters), err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
		t.Errorf("listing one of %d dead letters allocated %d KiB: it reads them all", n, alloc>>10)
	}
	runtime.ReadMemStats(&before)
	if err := q.Redeliver(ctx, letters[0].Ref); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
		t.Errorf("redelivering one of %d dead letters allocated %d KiB: it reads them all", n, alloc>>10)
	}
}
