package journal_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs/events"
	"github.com/ccfs-go/ccfs/events/journal"
)

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
