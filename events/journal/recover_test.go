package journal_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs/events"
	"github.com/ccfs-go/ccfs/events/journal"
	"github.com/ccfs-go/ccfs/events/outbox"
)

// leave prepares evs in a journal in dir and closes it without settling
// them, as a crash would leave them.
func leave(t *testing.T, dir string, keys []string, evs ...events.Event) {
	t.Helper()
	j, err := journal.Open(context.Background(), dir, journal.Options{Endpoints: keys, Resolve: never(t)})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		if _, err := j.Prepare(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
}

// asked is a Resolver's record of what it was asked.
type asked struct {
	mu  sync.Mutex
	ids []string
}

func (a *asked) add(id string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.ids = append(a.ids, id)
	n := 0
	for _, x := range a.ids {
		if x == id {
			n++
		}
	}
	return n
}

func (a *asked) list() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.ids)
}

// TestLeftoverIntents: intents left open are settled at Open: made → the
// resolved event (as Resolve returns it) in every queue; not made → in
// none; cannot tell → kept, and settled by the retry loop once Resolve
// can tell.
func TestLeftoverIntents(t *testing.T) {
	dir := t.TempDir()
	keys := []string{"a", "b"}
	made, notMade, later := newEvent(1), newEvent(2), newEvent(3)
	leave(t, dir, keys, made, notMade, later)

	var a asked
	release := make(chan struct{})
	resolve := func(_ context.Context, ev events.Event) (events.Event, bool, error) {
		a.add(ev.ID)
		switch ev.ID {
		case made.ID:
			ev.LocationIDs = []string{"loc9"}
			return ev, true, nil
		case notMade.ID:
			return ev, false, nil
		case later.ID:
			select {
			case <-release:
				return ev, true, nil
			default:
				return ev, false, errors.New("store unavailable")
			}
		}
		t.Errorf("asked about %s", ev.ID)
		return ev, false, nil
	}
	j := openJournal(t, dir, resolve, keys...)
	if n := j.Unresolved(); n != 1 {
		t.Errorf("Unresolved() = %d after Open, want 1", n)
	}
	for _, k := range keys {
		if got := pendingIDs(t, queue(t, j, k)); !slices.Equal(got, []string{made.ID}) {
			t.Errorf("queue %s holds %v after Open, want [%s]", k, got, made.ID)
		}
	}
	close(release)
	deadline := time.Now().Add(time.Minute)
	for j.Unresolved() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("still unresolved; asked %v", a.list())
		}
		time.Sleep(5 * time.Millisecond)
	}
	for _, k := range keys {
		got := pendingIDs(t, queue(t, j, k))
		if !slices.Equal(got, []string{made.ID, later.ID}) {
			t.Errorf("queue %s holds %v, want [%s %s]", k, got, made.ID, later.ID)
		}
		items, _ := queue(t, j, k).Pending(context.Background(), 1)
		if !bytes.Contains(items[0].Body, []byte(`"locationIds":["loc9"]`)) {
			t.Errorf("queue %s holds %s, not the resolved event", k, items[0].Body)
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if n := intentsPending(t, dir); n != 0 {
		t.Errorf("%d intents pending after all were settled", n)
	}
}

// TestRetryAsksOnlyLeftovers: the retry loop asks about the intents the
// previous process left, never about one of this process still open.
func TestRetryAsksOnlyLeftovers(t *testing.T) {
	dir := t.TempDir()
	left := newEvent(1)
	leave(t, dir, []string{"a"}, left)
	var a asked
	release := make(chan struct{})
	resolve := func(_ context.Context, ev events.Event) (events.Event, bool, error) {
		a.add(ev.ID)
		select {
		case <-release:
			return ev, true, nil
		default:
			return ev, false, errors.New("store unavailable")
		}
	}
	j := openJournal(t, dir, resolve, "a")
	mine := newEvent(2)
	if _, err := j.Prepare(context.Background(), mine); err != nil {
		t.Fatal(err)
	}
	// Let the retry loop run a few times with mine open.
	deadline := time.Now().Add(time.Minute)
	for len(a.list()) < 5 {
		if time.Now().After(deadline) {
			t.Fatalf("the retry loop asked only %v", a.list())
		}
		time.Sleep(time.Millisecond)
	}
	close(release)
	for j.Unresolved() > 0 {
		if time.Now().After(deadline) {
			t.Fatal("still unresolved")
		}
		time.Sleep(time.Millisecond)
	}
	for _, id := range a.list() {
		if id != left.ID {
			t.Fatalf("Resolve asked about %s, an intent of this process", id)
		}
	}
	if got := pendingIDs(t, queue(t, j, "a")); !slices.Equal(got, []string{left.ID}) {
		t.Errorf("queue holds %v", got)
	}
}

// TestResolveMustKeepID: an event Resolve returns with another ID is not
// queued; the intent stays unresolved.
func TestResolveMustKeepID(t *testing.T) {
	dir := t.TempDir()
	leave(t, dir, []string{"a"}, newEvent(1))
	other := newEvent(2)
	j, err := journal.Open(context.Background(), dir, journal.Options{
		Endpoints: []string{"a"}, RetryEvery: time.Hour,
		Resolve: func(context.Context, events.Event) (events.Event, bool, error) { return other, true, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if j.Unresolved() != 1 {
		t.Errorf("Unresolved() = %d, want 1", j.Unresolved())
	}
	if got := pendingIDs(t, queue(t, j, "a")); len(got) != 0 {
		t.Errorf("queue holds %v", got)
	}
}

// TestOpenCanceled: Open fails if its context ends while it resolves,
// and leaves the intents for the next Open.
func TestOpenCanceled(t *testing.T) {
	dir := t.TempDir()
	leave(t, dir, []string{"a"}, newEvent(1), newEvent(2))
	ctx, cancel := context.WithCancel(context.Background())
	_, err := journal.Open(ctx, dir, journal.Options{
		Endpoints: []string{"a"},
		Resolve: func(ctx context.Context, ev events.Event) (events.Event, bool, error) {
			cancel()
			return ev, false, ctx.Err()
		},
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Open: %v, want context.Canceled", err)
	}
	if n := intentsPending(t, dir); n != 2 {
		t.Errorf("%d intents pending, want 2", n)
	}
}

// TestIntentNotAnEvent: an intent record that is not an event is moved
// aside as a dead letter of the intents outbox, not given to Resolve.
func TestIntentNotAnEvent(t *testing.T) {
	dir := t.TempDir()
	ob, err := outbox.Open(filepath.Join(dir, "intents"), outbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ob.Append(context.Background(), []byte("not json")); err != nil {
		t.Fatal(err)
	}
	ob.Close()
	j := openJournal(t, dir, never(t), "a")
	j.Close()
	ob, err = outbox.Open(filepath.Join(dir, "intents"), outbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ob.Close()
	letters, err := ob.DeadLetters()
	if err != nil {
		t.Fatal(err)
	}
	if len(letters) != 1 || string(letters[0].Data) != "not json" || !strings.HasPrefix(letters[0].Reason, "not an event") {
		t.Errorf("dead letters %+v", letters)
	}
}

// TestUnknownEndpointLeftAlone: an endpoint directory no longer
// configured keeps its events, is logged at WARN with its pending count,
// and delivers them again once configured again.
func TestUnknownEndpointLeftAlone(t *testing.T) {
	dir := t.TempDir()
	j := openJournal(t, dir, never(t), "a", "gone")
	for n := range 3 {
		commit(t, j, newEvent(n))
	}
	j.Close()
	if err := os.MkdirAll(filepath.Join(dir, "endpoints", "stray"), 0o750); err != nil {
		t.Fatal(err)
	}

	var logs bytes.Buffer
	j, err := journal.Open(context.Background(), dir, journal.Options{
		Endpoints: []string{"a"}, Resolve: never(t),
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	j.Close()
	var gone, stray bool
	for _, line := range strings.Split(logs.String(), "\n") {
		switch {
		case strings.Contains(line, filepath.Join("endpoints", "gone")):
			gone = strings.Contains(line, "level=WARN") && strings.Contains(line, "pending=3")
		case strings.Contains(line, filepath.Join("endpoints", "stray")):
			stray = strings.Contains(line, "level=WARN")
		}
	}
	if !gone || !stray {
		t.Errorf("want a WARN line for gone with pending=3 and one for stray; log:\n%s", logs.String())
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, "endpoints", "stray")); len(entries) != 0 {
		t.Errorf("stray, not an outbox, was written to: %v", entries)
	}

	j = openJournal(t, dir, never(t), "a", "gone")
	if got := pendingIDs(t, queue(t, j, "gone")); len(got) != 3 {
		t.Errorf("gone holds %d events after being configured again, want 3", len(got))
	}
}
