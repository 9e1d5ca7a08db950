// Command webhook-receiver receives the events ccfs serve delivers to a
// --webhook URL. It verifies each delivery's Standard Webhooks signature,
// drops an event it has already seen (delivery is at least once), answers
// 204 and prints one line per new event:
//
//	prompt.uploaded 53 Y:/3rdfile/53/thirdvoicebotfile/8fSsBaEb_1631869974029.wav
//
// Usage:
//
//	webhook-receiver -addr 127.0.0.1:8080 -secret-file receiver.secret
//
// The secrets (whsec_…, one a line, as in ccfs serve's
// --webhook-secret-file: a delivery signed with any of them is taken, so
// that a rotation needs no hurry) are read from the file, or from
// $WEBHOOK_SECRET without -secret-file. It is a sample to copy from: docs/events.md says
// what a receiver must do.
package main

import (
	"container/list"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/ccfs-go/ccfs/events"
)

// maxBody bounds a delivery's body: an event is well under 1 KiB.
const maxBody = 64 << 10

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	secretFile := flag.String("secret-file", "", "file holding the whsec_ secrets, one a line (default: $WEBHOOK_SECRET)")
	remember := flag.Int("remember", 100000, "how many event ids to remember, to drop repeats")
	flag.Parse()

	text, source := os.Getenv("WEBHOOK_SECRET"), "$WEBHOOK_SECRET"
	if *secretFile != "" {
		b, err := os.ReadFile(*secretFile)
		if err != nil {
			log.Fatal(err)
		}
		text, source = string(b), *secretFile
	}
	secrets, err := parseSecrets(text)
	if err != nil {
		log.Fatalf("%s: %v", source, err)
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("listening on %s", ln.Addr())
	r := &receiver{secrets: secrets, seen: newSeenIDs(max(*remember, 1)), out: os.Stdout}
	srv := &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second}
	log.Fatal(srv.Serve(ln))
}

// parseSecrets reads one or more whsec_ secrets, one a line (blank lines
// and # comments skipped): during a rotation the receiver accepts either.
func parseSecrets(text string) ([]events.Secret, error) {
	var secrets []events.Secret
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		s, err := events.ParseSecret(line) // its errors never show the secret
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		secrets = append(secrets, s)
	}
	if len(secrets) == 0 {
		return nil, errors.New("no secret: want whsec_… (ccfs events new-secret makes one) in -secret-file FILE or $WEBHOOK_SECRET")
	}
	return secrets, nil
}

// A receiver handles deliveries.
type receiver struct {
	secrets []events.Secret
	seen    *seenIDs
	mu      sync.Mutex // held to handle an event: one at a time
	out     io.Writer
}

// ServeHTTP answers a delivery: 204 once it is handled (or was before),
// 401 if its signature or timestamp is refused, 4xx if it is malformed.
func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		http.Error(w, "body unreadable or too large", http.StatusRequestEntityTooLarge)
		return
	}
	// The signature over webhook-id, webhook-timestamp (at most 5 minutes
	// from now either way) and the body, with any of the v1 signatures.
	for _, s := range rc.secrets { // any of them: a rotation
		if err = events.Verify(s, r.Header, body, time.Now(), events.DefaultTolerance); err == nil {
			break
		}
	}
	if err != nil {
		log.Printf("refused a delivery: %v", err)
		http.Error(w, "signature refused", http.StatusUnauthorized)
		return
	}
	var ev events.Event
	if err := json.Unmarshal(body, &ev); err != nil || ev.ID != r.Header.Get(events.HeaderID) {
		http.Error(w, "not an event, or not the webhook-id's", http.StatusBadRequest)
		return
	}

	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.seen.has(ev.ID) {
		w.WriteHeader(http.StatusNoContent) // a repeat: handled before
		return
	}
	// The work. An event type this program does not know is acknowledged
	// all the same: refused, it would be retried, then set aside.
	fmt.Fprintf(rc.out, "%s %d %s\n", ev.Type, ev.VDN, ev.FileName)
	rc.seen.add(ev.ID) // only once handled: a crash before it means a redelivery
	w.WriteHeader(http.StatusNoContent)
}

// seenIDs remembers the last n event ids added, forgetting the least
// recently seen first. It is in memory, so it is lost on a restart and
// holds only so many: in production, use a table, keyed by the id, whose
// rows are kept for longer than ccfs's --webhook-retry-for, and record the
// id in the same transaction as the work the event causes.
type seenIDs struct {
	n     int
	order *list.List               // ids, most recent first
	at    map[string]*list.Element // each id's element in order
}

func newSeenIDs(n int) *seenIDs {
	return &seenIDs{n: n, order: list.New(), at: make(map[string]*list.Element)}
}

// has reports whether id was added, and makes it the most recent.
func (s *seenIDs) has(id string) bool {
	e, ok := s.at[id]
	if ok {
		s.order.MoveToFront(e)
	}
	return ok
}

// add remembers id, forgetting the least recent if there are n.
func (s *seenIDs) add(id string) {
	s.at[id] = s.order.PushFront(id)
	if s.order.Len() > s.n {
		delete(s.at, s.order.Remove(s.order.Back()).(string))
	}
}
