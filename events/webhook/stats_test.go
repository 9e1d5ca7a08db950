package webhook

import (
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs/events"
)

// Stats counts deliveries, failed attempts and dead letters, and tells
// the Time of the oldest event held and not delivered.
func TestStats(t *testing.T) {
	secret := events.NewSecret()
	clk := newClock()
	t0 := clk.Now()
	var up atomic.Bool
	rc := &receiver{secret: secret, now: clk.Now, answer: func(_ *http.Request, ev events.Event) int {
		if ev.VDN == 1 && !up.Load() {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	}}
	srv := serve(t, rc)
	q := newMemQueue()
	for i := range 5 {
		b, _ := event(t, 2, t0, i)
		q.add(b)
	}
	old, _ := event(t, 1, t0.Add(-time.Hour), 0)
	q.add(old, []byte("[]"))
	d := newDeliverer(t, srv.URL+"/x?k=v", q, fast(Options{Now: clk.Now}), secret)
	if s := d.Stats(); s != (Stats{Endpoint: srv.URL + "/x"}) {
		t.Errorf("Stats before Run: %+v", s)
	}
	start(t, d)
	waitFor(t, "VDN 2 delivered, VDN 1 failing, the junk dead", func() bool {
		s := d.Stats()
		return s.Delivered == 5 && s.Retried >= 3 && s.Dead == 1 && !s.Oldest.IsZero()
	})
	if s := d.Stats(); !s.Oldest.Equal(t0.Add(-time.Hour)) || s.Endpoint != srv.URL+"/x" {
		t.Errorf("Stats %+v, want Oldest %v", s, t0.Add(-time.Hour))
	}
	up.Store(true)
	waitFor(t, "everything delivered, nothing held", func() bool {
		s := d.Stats()
		return s.Delivered == 6 && s.Oldest.IsZero()
	})
	if s := d.Stats(); s.Dead != 1 {
		t.Errorf("Stats %+v", s)
	}
}
