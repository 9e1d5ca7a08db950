package main

import (
	"strings"
	"testing"
)

// TestWebhookMetricsSameNameEndpoints: two --webhook URLs that differ only
// in their query (a token per tenant, say, at one receiver) are distinct
// endpoints, each with a queue of its own; /metrics must still answer,
// with one series per endpoint. The endpoint label drops the query, so
// the two used to collide, and the whole scrape failed (500): every ccfs
// metric lost.
func TestWebhookMetricsSameNameEndpoints(t *testing.T) {
	recv := newReceiver(t)
	n := startAdminNode(t, nil, "--data", t.TempDir(),
		"--webhook", recv.srv.URL+"/hook?token=TENANT-A-SEKRIT",
		"--webhook", recv.srv.URL+"/hook?token=TENANT-B-SEKRIT",
		"--webhook-secret-file", recv.secretFile(t))
	code, body := n.get(t, "/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d: %.300s", code, body)
	}
	if strings.Contains(string(body), "SEKRIT") {
		t.Errorf("/metrics shows a URL's query")
	}
	if c := strings.Count(string(body), "ccfs_events_delivered_total{"); c != 2 {
		t.Errorf("%d series of ccfs_events_delivered_total, want 2", c)
	}
}
