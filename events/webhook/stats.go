package webhook

import "time"

// Stats is what a Deliverer has done since New, for metrics.
type Stats struct {
	// Endpoint is the endpoint's Name: a metric's label.
	Endpoint string
	// Delivered counts events delivered (answered with a 2xx).
	Delivered uint64
	// Retried counts failed attempts that will be retried.
	Retried uint64
	// Dead counts events moved aside as dead letters.
	Dead uint64
	// Oldest is the Time of the oldest event held (read from the queue)
	// and not yet delivered; zero if none. Updated every 100 ms. The
	// events still in the queue are newer (a queue hands them out oldest
	// first), but for those another deliverer has released since.
	Oldest time.Time
}

// Stats returns what d has done. It may be called at any time,
// concurrently with Run.
func (d *Deliverer) Stats() Stats {
	d.mu.Lock()
	oldest := d.oldest
	d.mu.Unlock()
	return Stats{
		Endpoint:  d.name,
		Delivered: d.delivered.Load(),
		Retried:   d.retried.Load(),
		Dead:      d.buried.Load(),
		Oldest:    oldest,
	}
}

// setOldest records the Time of the oldest event held and not delivered.
func (d *Deliverer) setOldest(t time.Time) {
	d.mu.Lock()
	d.oldest = t
	d.mu.Unlock()
}
