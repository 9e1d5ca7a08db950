package prom_test

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ccfs-go/ccfs/events"
	"github.com/ccfs-go/ccfs/metrics/prom"
	"github.com/ccfs-go/ccfs/metrics/prom/promtest"
)

// TestEventMetrics: events recorded are counted by type (every known type
// has a series from the start, an unknown one none); each endpoint's
// deliveries are read at the scrape, the oldest undelivered event as an
// age.
func TestEventMetrics(t *testing.T) {
	m := prom.New(prom.Options{})
	reg := prometheus.NewRegistry()
	reg.MustRegister(m)
	m.EventRecorded(events.PromptUploaded)
	m.EventRecorded(events.PromptUploaded)
	m.EventRecorded(events.PromptExpired)
	m.EventRecorded("prompt.renamed")
	f := scrape(t, reg)
	for typ, want := range map[string]float64{"prompt.uploaded": 2, "prompt.deleted": 0, "prompt.expired": 1, "recording.downloaded": 0, "prompt.renamed": -1} {
		if got := promtest.Value(f, "ccfs_events_recorded_total", "type="+typ); got != want {
			t.Errorf("recorded %s = %v, want %v", typ, got, want)
		}
	}
	if _, ok := f["ccfs_events_delivered_total"]; ok {
		t.Error("delivery series before any endpoint is tracked")
	}

	oldest := time.Now().Add(-90 * time.Second)
	m.TrackDeliveries(func() []prom.Delivery {
		return []prom.Delivery{
			{Endpoint: "https://hooks.example/a", Delivered: 7, Retried: 3, Dead: 1, Oldest: oldest},
			{Endpoint: "https://hooks.example/b", Delivered: 2},
		}
	})
	f = scrape(t, reg)
	for _, c := range []struct {
		family, endpoint string
		want             float64
	}{
		{"ccfs_events_delivered_total", "https://hooks.example/a", 7},
		{"ccfs_events_retried_total", "https://hooks.example/a", 3},
		{"ccfs_events_dead_total", "https://hooks.example/a", 1},
		{"ccfs_events_delivered_total", "https://hooks.example/b", 2},
		{"ccfs_events_oldest_undelivered_seconds", "https://hooks.example/b", 0},
	} {
		if got := promtest.Value(f, c.family, "endpoint="+c.endpoint); got != c.want {
			t.Errorf("%s{%s} = %v, want %v", c.family, c.endpoint, got, c.want)
		}
	}
	if age := promtest.Value(f, "ccfs_events_oldest_undelivered_seconds", "endpoint=https://hooks.example/a"); age < 90 || age > 3600 {
		t.Errorf("oldest undelivered: %v s, want about 90", age)
	}
}
