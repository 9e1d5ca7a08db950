package webhook

import (
	"context"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs/events"
)

// Run refuses to run twice at once; once it has returned, it may run
// again, and delivers what came since.
func TestRunAgain(t *testing.T) {
	secret := events.NewSecret()
	rc := &receiver{secret: secret, now: time.Now}
	srv := serve(t, rc)
	q := newMemQueue()
	d := newDeliverer(t, srv.URL, q, fast(Options{}), secret)
	stop := start(t, d)
	waitFor(t, "Run to start", d.running.Load)
	if err := d.Run(context.Background()); err == nil {
		t.Fatal("a second Run at once returned nil")
	}
	b, _ := event(t, 1, time.Now(), 0)
	q.add(b)
	waitFor(t, "the first event", func() bool { return q.count(acked) == 1 })
	stop()

	b, _ = event(t, 1, time.Now(), 1)
	q.add(b)
	start(t, d)
	waitFor(t, "the second event", func() bool { return q.count(acked) == 2 })
	noMisuse(t, q)
}
