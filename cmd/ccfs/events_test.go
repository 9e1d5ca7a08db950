package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs/events"
)

// TestEventsCommand: events a receiver never took become dead letters
// after --webhook-retry-for; ccfs events lists them (with why) and puts
// them back, and the receiver, back up, gets them; new-secret makes a
// secret serve reads.
func TestEventsCommand(t *testing.T) {
	recv := newReceiver(t)
	data := t.TempDir()
	n := startAdminNode(t, nil, "--data", data, "--webhook", recv.srv.URL+"/hook", "--webhook-secret-file", recv.secretFile(t),
		"--webhook-retry-for", "1s", "--webhook-max-backoff", "100ms")
	ak, sk := n.devKey(t)
	admin := strings.TrimPrefix(n.admin, "http://")
	var names []string
	for i := range 2 {
		res, err := n.client(ak, sk).Upload(context.Background(), 1, alaw(1000+i))
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, res.FileName)
	}
	var l eventsListing
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		code, out, errs := runCmd(t, "events", "list", "--admin", admin, "--dead", "--json")
		if code != 0 {
			t.Fatalf("list: %d %s", code, errs)
		}
		if err := json.Unmarshal([]byte(out), &l); err != nil || len(l.Endpoints) != 1 {
			t.Fatalf("list --json: %q: %v", out, err)
		}
		if len(l.Endpoints[0].Dead) == 2 && len(l.Endpoints[0].Pending) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not two dead letters: %s", out)
		}
	}
	ep := l.Endpoints[0]
	if ep.Endpoint != recv.srv.URL+"/hook" || ep.Key != endpointKey(recv.srv.URL+"/hook") {
		t.Fatalf("endpoint %q key %q", ep.Endpoint, ep.Key)
	}
	_, text, _ := runCmd(t, "events", "list", "--admin", admin, "--dead")
	for _, want := range []string{ep.Endpoint + " (--endpoint " + ep.Key + "): 0 pending, 2 dead\n", "KIND", "REF", "WHY", "prompt.uploaded", names[0], "undelivered for", "HTTP 503"} {
		if !strings.Contains(text, want) {
			t.Errorf("list --dead does not say %q:\n%s", want, text)
		}
	}
	if _, text, _ := runCmd(t, "events", "list", "--admin", admin); !strings.Contains(text, "0 pending, 2 dead (--dead lists them)") || strings.Contains(text, names[0]) {
		t.Errorf("list without --dead:\n%s", text)
	}
	recv.up.Store(true)
	args := []string{"events", "redeliver", "--admin", admin}
	for _, d := range ep.Dead {
		args = append(args, d.Ref)
	}
	if code, out, errs := runCmd(t, args...); code != 0 || strings.Count(out, "back in the queue") != 2 {
		t.Fatalf("redeliver: %d %s %s", code, out, errs)
	}
	recv.waitDelivered(t, []string{"prompt.uploaded " + names[0], "prompt.uploaded " + names[1]}, 30*time.Second)
	if code, _, errs := runCmd(t, "events", "redeliver", "--admin", admin, ep.Dead[0].Ref); code != 1 || !strings.Contains(errs, "is not a dead letter") {
		t.Errorf("a second redeliver of one dead letter: %d %s", code, errs)
	}
	var id struct{ ID string }
	json.Unmarshal(ep.Dead[0].Event, &id)
	if code, _, errs := runCmd(t, "events", "redeliver", "--admin", admin, id.ID); code != 1 || !strings.Contains(errs, "is an event's id") {
		t.Errorf("redeliver of an event's id: %d %s", code, errs)
	}
	if code, _, errs := runCmd(t, "events", "list", "--admin", "127.0.0.1:1"); code != 1 || !strings.Contains(errs, "--admin-addr 127.0.0.1:1") {
		t.Errorf("list of no listener: %d %s", code, errs)
	}

	code, out, _ := runCmd(t, "events", "new-secret")
	if s, err := events.ParseSecret(strings.TrimSpace(out)); code != 0 || err != nil || s.IsZero() {
		t.Fatalf("new-secret: %d %q %v", code, out, err)
	}
	for _, bad := range [][]string{{"events", "list"}, {"events"}, {"events", "tidy", "--admin", admin}, {"events", "redeliver", "--admin", admin}} {
		if code, _, errs := runCmd(t, bad...); code != 2 || errs == "" {
			t.Errorf("%v: exit %d, %q", bad, code, errs)
		}
	}
}

// TestWebhookRetryBringsBackoffDown: a --webhook-retry-for shorter than
// the longest wait's default brings that default down; given, a longer
// wait is refused (TestWebhookFlagsRefuse).
func TestWebhookRetryBringsBackoffDown(t *testing.T) {
	secret := writeFile(t, "secret", []byte(events.NewSecret().Text()+"\n"))
	c, code := parseServe([]string{"--webhook", "https://h.example/x", "--webhook-secret-file", secret, "--webhook-retry-for", "5s"}, io.Discard)
	if code >= 0 || c.events.maxBackoff != 5*time.Second {
		t.Fatalf("exit %d, max backoff %v", code, c.events.maxBackoff)
	}
}

// TestWebhookFlagsRefuse: serve refuses webhook flags it cannot honour,
// before it starts, and never repeats a URL's query or a secret's text.
func TestWebhookFlagsRefuse(t *testing.T) {
	good := writeFile(t, "secret", []byte(events.NewSecret().Text()+"\n"))
	open := writeFile(t, "open-secret", []byte(events.NewSecret().Text()+"\n"))
	os.Chmod(open, 0o644)
	wrong := writeFile(t, "wrong-secret", []byte("# rotation\nwhsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\nnot-a-secret-TOPSECRET\n"))
	for _, tc := range []struct {
		args []string
		says string
	}{
		{[]string{"--webhook", "https://h.example/x?token=SEKRIT"}, "--webhook needs --webhook-secret-file"},
		{[]string{"--webhook", "ftp://h.example/x?token=SEKRIT", "--webhook-secret-file", good}, "want an http:// or https:// URL"},
		{[]string{"--webhook", "https:///x", "--webhook-secret-file", good}, "has no host"},
		{[]string{"--webhook", "https://h.example/x", "--webhook", "https://h.example/x", "--webhook-secret-file", good}, "given twice"},
		{[]string{"--webhook-secret-file", good}, "--webhook-secret-file needs --webhook"},
		{[]string{"--events-downloads"}, "--events-downloads needs --webhook"},
		{[]string{"--webhook", "https://h.example/x", "--webhook-secret-file", open}, "open to every user"},
		{[]string{"--webhook", "https://h.example/x", "--webhook-secret-file", wrong}, "line 3 is not a secret"},
		{[]string{"--webhook", "https://h.example/x", "--webhook-secret-file", good, "--webhook-max-backoff", "48h"}, "--webhook-max-backoff"},
	} {
		code, _, errs := runCmd(t, append([]string{"serve", "--data", t.TempDir()}, tc.args...)...)
		if code != 2 || !strings.Contains(errs, tc.says) || strings.Contains(errs, "SEKRIT") || strings.Contains(errs, "TOPSECRET") {
			t.Errorf("%v: exit %d, %q; want 2 and %q, no secret", tc.args, code, errs, tc.says)
		}
	}
}
