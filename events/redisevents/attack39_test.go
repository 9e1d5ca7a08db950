package redisevents_test

import (
	"context"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs/auth/redisreplay/redistest"
	"github.com/ccfs-go/ccfs/events"
	"github.com/ccfs-go/ccfs/events/redisevents"
)

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
