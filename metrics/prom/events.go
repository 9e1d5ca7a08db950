package prom

import (
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ccfs-go/ccfs/events"
)

// Delivery is what the metrics report of one webhook endpoint's
// deliveries (webhook.Deliverer's Stats).
type Delivery struct {
	// Endpoint names it: its URL without userinfo, query or fragment,
	// fit for a label (the operator's endpoints, a bounded set).
	Endpoint string
	// Delivered, Retried and Dead count events delivered, failed
	// attempts to be retried, and events moved aside as dead letters.
	Delivered, Retried, Dead uint64
	// Oldest is the time of the oldest event not yet delivered that the
	// deliverer holds; zero if none.
	Oldest time.Time
}

// eventsCollector reports the events recorded and each endpoint's
// deliveries.
type eventsCollector struct {
	recorded   *prometheus.CounterVec
	deliveries atomic.Pointer[func() []Delivery]
	now        func() time.Time

	delivered, retried, dead, oldest *prometheus.Desc
}

func newEventsCollector(ns string) *eventsCollector {
	c := &eventsCollector{
		recorded: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "events_recorded_total",
			Help: "Events recorded (committed to the events' sink, to be delivered), by type."}, []string{"type"}),
		now: time.Now,
		delivered: prometheus.NewDesc(prometheus.BuildFQName(ns, "", "events_delivered_total"),
			"Events delivered to a webhook endpoint (answered 2xx), by endpoint.", []string{"endpoint"}, nil),
		retried: prometheus.NewDesc(prometheus.BuildFQName(ns, "", "events_retried_total"),
			"Failed deliveries to a webhook endpoint, to be retried, by endpoint.", []string{"endpoint"}, nil),
		dead: prometheus.NewDesc(prometheus.BuildFQName(ns, "", "events_dead_total"),
			"Events moved aside as dead letters after their retry time (ccfs events list --dead), by endpoint.", []string{"endpoint"}, nil),
		oldest: prometheus.NewDesc(prometheus.BuildFQName(ns, "", "events_oldest_undelivered_seconds"),
			"Age of the oldest event a node holds and has not yet delivered to an endpoint (0: none), by endpoint.", []string{"endpoint"}, nil),
	}
	for _, t := range events.Types() {
		c.recorded.WithLabelValues(string(t))
	}
	return c
}

func (c *eventsCollector) Describe(ch chan<- *prometheus.Desc) {
	c.recorded.Describe(ch)
	ch <- c.delivered
	ch <- c.retried
	ch <- c.dead
	ch <- c.oldest
}

func (c *eventsCollector) Collect(ch chan<- prometheus.Metric) {
	c.recorded.Collect(ch)
	f := c.deliveries.Load()
	if f == nil {
		return
	}
	now := c.now()
	for _, d := range (*f)() {
		ch <- prometheus.MustNewConstMetric(c.delivered, prometheus.CounterValue, float64(d.Delivered), d.Endpoint)
		ch <- prometheus.MustNewConstMetric(c.retried, prometheus.CounterValue, float64(d.Retried), d.Endpoint)
		ch <- prometheus.MustNewConstMetric(c.dead, prometheus.CounterValue, float64(d.Dead), d.Endpoint)
		age := 0.0
		if !d.Oldest.IsZero() {
			age = max(0, now.Sub(d.Oldest).Seconds())
		}
		ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, age, d.Endpoint)
	}
}

// EventRecorded counts an event committed to the events' sink (wrap
// ccfs.Options.Events so that each Commit that succeeds calls it).
func (m *Metrics) EventRecorded(t events.Type) {
	if t.Known() { // a bounded label
		m.events.recorded.WithLabelValues(string(t)).Inc()
	}
}

// TrackDeliveries makes the delivery metrics report what deliveries
// returns at each scrape: one Delivery per webhook endpoint.
func (m *Metrics) TrackDeliveries(deliveries func() []Delivery) {
	m.events.deliveries.Store(&deliveries)
}
