package main

import (
	"context"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
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

// TestWebhookURLChangedKeepsEvents: the receiver is down, uploads are
// acknowledged, and the operator restarts serve with the endpoint's URL
// changed only in its token (a rotation, or the fix for the outage). The
// endpoint's queue is named by a hash of the whole URL, so the events
// recorded for the old URL stay in a directory no deliverer reads: never
// delivered, never dead, not listed by ccfs events, not in the metrics;
// only a WARN line at start says so.
func TestWebhookURLChangedKeepsEvents(t *testing.T) {
	recv := newReceiver(t)
	data := t.TempDir()
	secret := recv.secretFile(t)
	n := startNode(t, nil, "--data", data, "--rate", "0", "--webhook", recv.srv.URL+"/hook?token=OLD",
		"--webhook-secret-file", secret)
	ak, sk := readDevKey(t, data)
	res, err := n.client(ak, sk).Upload(context.Background(), 1, alaw(1200))
	if err != nil {
		t.Fatal(err)
	}
	n.cmd.Process.Signal(syscall.SIGTERM) // a planned restart
	<-n.exited
	startNode(t, nil, "--data", data, "--rate", "0", "--webhook", recv.srv.URL+"/hook?token=NEW",
		"--webhook-secret-file", secret)
	recv.up.Store(true)
	recv.waitDelivered(t, []string{"prompt.uploaded " + res.FileName}, 20*time.Second)
}

// TestRedeliverRefusesCrossSite: /events/redeliver changes state, and is
// answered only to a loopback peer; but a web page the operator opens on
// that machine is such a peer: its script (or a plain form) can POST
// there, with the refs guessed (a local queue's are small numbers), and
// put dead letters back without anyone asking. A browser marks such a
// request cross-site (Sec-Fetch-Site, Origin): it must be refused.
func TestRedeliverRefusesCrossSite(t *testing.T) {
	recv := newReceiver(t)
	n := startAdminNode(t, nil, "--data", t.TempDir(), "--webhook", recv.srv.URL+"/hook",
		"--webhook-secret-file", recv.secretFile(t))
	req, err := http.NewRequest(http.MethodPost, n.admin+"/events/redeliver?ref=1", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Origin", "https://attacker.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("a cross-site POST /events/redeliver: %s, want 403 Forbidden", resp.Status)
	}
	// ccfs events redeliver itself (no browser headers) still gets through.
	code, _, errs := runCmd(t, "events", "redeliver", "--admin", strings.TrimPrefix(n.admin, "http://"), "1")
	if code != 1 || !strings.Contains(errs, "not a dead letter") {
		t.Errorf("ccfs events redeliver of an unknown ref: %d %s", code, errs)
	}
}
