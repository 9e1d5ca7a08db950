package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/events"
)

// receiver is a webhook endpoint for the tests: down (503) until up is
// set, then it verifies each delivery's signature and counts each event
// it gets, by ID.
type receiver struct {
	t       *testing.T
	srv     *httptest.Server
	secret  events.Secret
	up      atomic.Bool
	mu      sync.Mutex
	got     map[string]events.Event
	times   map[string]int
	bad     int // deliveries whose signature did not hold
	refused atomic.Int64
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{t: t, secret: events.NewSecret(), got: map[string]events.Event{}, times: map[string]int{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	if !r.up.Load() {
		r.refused.Add(1)
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		return
	}
	body, _ := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := events.Verify(r.secret, req.Header, body, time.Now(), 0); err != nil {
		r.bad++
		r.t.Errorf("a delivery's signature: %v", err)
		http.Error(w, "", http.StatusUnauthorized)
		return
	}
	var ev events.Event
	if err := json.Unmarshal(body, &ev); err != nil || req.Header.Get(events.HeaderID) != ev.ID {
		r.t.Errorf("a delivery %q (webhook-id %q): %v", body, req.Header.Get(events.HeaderID), err)
	}
	r.got[ev.ID] = ev
	r.times[ev.ID]++
	w.WriteHeader(http.StatusNoContent)
}

// secretFile writes the receiver's secret where serve reads it.
func (r *receiver) secretFile(t *testing.T) string {
	return writeFile(t, "webhook-secret", []byte("# the receiver's\n"+r.secret.Text()+"\n"))
}

// byFile returns the events received, by type and file name, and how
// many deliveries were repeats.
func (r *receiver) byFile() (map[string]events.Event, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out, repeats := map[string]events.Event{}, 0
	for id, ev := range r.got {
		out[string(ev.Type)+" "+ev.FileName] = ev
		repeats += r.times[id] - 1
	}
	return out, repeats
}

// churn uploads to and deletes from the nodes (round robin) from several
// goroutines until stop is closed, and returns what was acknowledged:
// "prompt.uploaded NAME" and "prompt.deleted NAME", each answered with
// success.
func churn(t *testing.T, clients func(i int) *ccfs.Client, vdn int, stop <-chan struct{}) <-chan []string {
	out := make(chan []string, 1)
	go func() {
		var mu sync.Mutex
		var acked []string
		var wg sync.WaitGroup
		for g := range 6 {
			wg.Go(func() {
				ctx := context.Background()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					c := clients(g + i)
					res, err := c.Upload(ctx, vdn, alaw(2000+100*g+i%50))
					if err != nil {
						continue // unanswered (a node killed): nothing is promised
					}
					mu.Lock()
					acked = append(acked, "prompt.uploaded "+res.FileName)
					mu.Unlock()
					if i%2 == 0 {
						if err := clients(g+i+1).Delete(ctx, res.FileName, ""); err == nil {
							mu.Lock()
							acked = append(acked, "prompt.deleted "+res.FileName)
							mu.Unlock()
						}
					}
				}
			})
		}
		wg.Wait()
		out <- acked
	}()
	return out
}

// waitDelivered waits until every acknowledged change's event has been
// received, and fails the test with those missing if they do not come.
func (r *receiver) waitDelivered(t *testing.T, acked []string, within time.Duration) map[string]events.Event {
	t.Helper()
	var missing []string
	for deadline := time.Now().Add(within); ; time.Sleep(50 * time.Millisecond) {
		got, _ := r.byFile()
		missing = missing[:0]
		for _, a := range acked {
			if _, ok := got[a]; !ok {
				missing = append(missing, a)
			}
		}
		if len(missing) == 0 {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d acknowledged changes have no event delivered after %v, such as %q", len(missing), len(acked), within, missing[0])
		}
	}
}

// kill9 kills the node at once, as a crash does.
func kill9(t *testing.T, n *node) {
	t.Helper()
	if err := n.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-n.exited
}

// TestEventsSurviveKill9: with the receiver down for the first part of
// the run and the server killed with SIGKILL in the middle of uploads and
// deletes, every upload and delete answered with success is delivered at
// least once, signed; after the restart no event names a file that was
// never stored, and every stored file has its event. Repeats are counted.
func TestEventsSurviveKill9(t *testing.T) {
	recv := newReceiver(t)
	data := t.TempDir()
	args := []string{"--data", data, "--rate", "0", "--webhook", recv.srv.URL + "/hooks/ccfs?token=t0ken",
		"--webhook-secret-file", recv.secretFile(t), "--webhook-max-backoff", "500ms"}
	var acked []string
	for round := range 3 {
		n := startNode(t, nil, args...)
		if round == 0 {
			n.waitLog(t, "events: delivering to a webhook")
			if strings.Contains(n.stderr.String(), "t0ken") {
				t.Fatal("the log shows the webhook URL's query")
			}
		}
		ak, sk := readDevKey(t, data)
		stop := make(chan struct{})
		done := churn(t, func(int) *ccfs.Client { c := n.client(ak, sk); c.Retries = -1; return c }, 1, stop)
		waitChurn(t, recv, n, round)
		kill9(t, n) // in the middle of uploads and deletes
		close(stop)
		acked = append(acked, <-done...)
	}
	if len(acked) < 30 {
		t.Fatalf("only %d changes acknowledged", len(acked))
	}
	// The receiver comes back; the last node delivers what the others
	// recorded.
	startNode(t, nil, args...)
	recv.up.Store(true)
	recv.waitDelivered(t, acked, 60*time.Second)
	// No event for a file that was never stored, and every stored file
	// has its event: what was uploaded and not deleted is what the store
	// holds.
	held := map[string]bool{}
	files := filepath.Join(data, "files")
	filepath.WalkDir(files, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".wav") {
			rel, _ := filepath.Rel(files, p)
			held["/"+filepath.ToSlash(rel)] = true // serve without --root
		}
		return nil
	})
	// Wait for the open intents the kills left to be settled and their
	// events delivered (the restart settles them at once).
	var got map[string]events.Event
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		got, _ = recv.byFile()
		var wrong []string
		for f := range held {
			if _, up := got["prompt.uploaded "+f]; !up {
				wrong = append(wrong, "no upload event for the stored "+f)
			}
			if _, del := got["prompt.deleted "+f]; del {
				wrong = append(wrong, "a delete event for the stored "+f)
			}
		}
		for k := range got {
			if f, ok := strings.CutPrefix(k, "prompt.uploaded "); ok && !held[f] {
				if _, del := got["prompt.deleted "+f]; !del {
					wrong = append(wrong, "an upload event for "+f+", neither stored nor deleted")
				}
			}
		}
		if len(wrong) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d disagreements between the store and the events, such as: %s", len(wrong), wrong[0])
		}
	}
	_, repeats := recv.byFile()
	t.Logf("%d changes acknowledged, %d events received, %d repeated deliveries, %d refused while down", len(acked), len(got), repeats, recv.refused.Load())
	if repeats > len(got)/4 {
		t.Errorf("%d repeats for %d events: repeats should be rare", repeats, len(got))
	}
}

// waitChurn lets the churn run until the node has answered some uploads
// (read from its log), so that the kill lands in the middle of the work.
func waitChurn(t *testing.T, recv *receiver, n *node, round int) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); strings.Count(n.stderr.String(), `code=0`) < 20; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("round %d: the node answered too few requests: %s", round, n.stderr)
		}
	}
}

// readDevKey reads the development key serve generated in data.
func readDevKey(t *testing.T, data string) (ak, sk string) {
	t.Helper()
	var f struct {
		Keys []struct {
			AccessKey string `json:"ak"`
			SecretKey string `json:"sk"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(readFile(t, filepath.Join(data, "credentials.json")), &f); err != nil || len(f.Keys) == 0 {
		t.Fatalf("credentials.json: %v", err)
	}
	return f.Keys[0].AccessKey, f.Keys[0].SecretKey
}

// TestEventsSurviveKill9TwoNodes: two nodes share a bucket and Redis, the
// receiver is down, and one node is killed with SIGKILL in the middle of
// uploads and deletes: every change either node acknowledged is
// delivered at least once, signed, by the node left (the events of the
// dead one, those it had taken for delivery included, are taken over).
func TestEventsSurviveKill9TwoNodes(t *testing.T) {
	cl := startCluster(t)
	recv := newReceiver(t)
	args := []string{"--rate", "0", "--webhook", recv.srv.URL + "/hooks/ccfs", "--webhook-secret-file", recv.secretFile(t),
		"--webhook-max-backoff", "500ms", "--events-takeover", "2s"}
	a, b := cl.node(t, args...), cl.node(t, args...)
	var aDead atomic.Bool
	clients := func(i int) *ccfs.Client {
		n := b
		if i%2 == 0 && !aDead.Load() {
			n = a
		}
		c := n.client(cl.key.AccessKey, cl.key.SecretKey)
		c.Retries = -1
		return c
	}
	stop := make(chan struct{})
	done := churn(t, clients, 53, stop)
	answered := func(n *node) int { return strings.Count(n.stderr.String(), `code=0`) }
	for deadline := time.Now().Add(60 * time.Second); answered(a) < 20 || answered(b) < 20; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the nodes answered %d and %d requests", answered(a), answered(b))
		}
	}
	kill9(t, a)
	aDead.Store(true)
	for target, deadline := answered(b)+20, time.Now().Add(60*time.Second); answered(b) < target; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the node left stopped answering: %s", b.stderr)
		}
	}
	close(stop)
	acked := <-done
	recv.up.Store(true)
	got := recv.waitDelivered(t, acked, 90*time.Second)
	_, repeats := recv.byFile()
	t.Logf("%d changes acknowledged over two nodes, %d events received, %d repeated deliveries", len(acked), len(got), repeats)
	if repeats > len(got)/4 {
		t.Errorf("%d repeats for %d events: repeats should be rare", repeats, len(got))
	}
}

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
