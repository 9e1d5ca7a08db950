package journal_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs/events"
	"github.com/ccfs-go/ccfs/events/journal"
	"github.com/ccfs-go/ccfs/events/outbox"
)

// newEvent returns a valid upload event numbered n.
func newEvent(n int) events.Event {
	ev := events.New(events.PromptUploaded, time.Now())
	ev.VDN = 53
	ev.FileName = fmt.Sprintf("Y:/3rdfile/53/thirdvoicebotfile/f%d.wav", n)
	ev.Size = int64(1000 + n)
	ev.Codec = "alaw"
	ev.AccessKey = "key-1"
	return ev
}

// never is a Resolver for a journal that must have no leftover intents.
func never(t *testing.T) events.Resolver {
	return func(_ context.Context, ev events.Event) (events.Event, bool, error) {
		t.Errorf("Resolve asked about %s, with no intent left open", ev.ID)
		return ev, false, nil
	}
}

// openJournal opens a journal in dir with endpoints keys and small
// segments, closed at the end of the test.
func openJournal(t *testing.T, dir string, resolve events.Resolver, keys ...string) *journal.Journal {
	t.Helper()
	j, err := journal.Open(context.Background(), dir, journal.Options{
		Endpoints: keys, Resolve: resolve, SegmentSize: 4 << 10, RetryEvery: 5 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

func queue(t *testing.T, j *journal.Journal, key string) *journal.Queue {
	t.Helper()
	q, ok := j.Queue(key)
	if !ok {
		t.Fatalf("no queue %s", key)
	}
	return q
}

// commit prepares and commits ev.
func commit(t *testing.T, j *journal.Journal, ev events.Event) {
	t.Helper()
	in, err := j.Prepare(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Commit(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
}

// pendingIDs returns the IDs of the events pending in q, oldest first.
func pendingIDs(t *testing.T, q *journal.Queue) []string {
	t.Helper()
	items, err := q.Pending(context.Background(), journal.MaxBatch)
	if err != nil {
		t.Fatal(err)
	}
	return ids(t, items)
}

// handOutAll hands out every event in q not yet handed out, and returns
// their IDs, oldest first.
func handOutAll(t *testing.T, q *journal.Queue) []string {
	t.Helper()
	var out []string
	for {
		items, err := q.Next(context.Background(), journal.MaxBatch, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(items) == 0 {
			return out
		}
		out = append(out, ids(t, items)...)
	}
}

func ids(t *testing.T, items []events.Item) []string {
	t.Helper()
	var out []string
	for _, it := range items {
		var ev events.Event
		if err := json.Unmarshal(it.Body, &ev); err != nil {
			t.Fatalf("item %s: %v", it.Ref, err)
		}
		out = append(out, ev.ID)
	}
	return out
}

// intentsPending counts the intents pending in a closed journal's dir.
func intentsPending(t *testing.T, dir string) int {
	t.Helper()
	ob, err := outbox.Open(filepath.Join(dir, "intents"), outbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ob.Close()
	recs, err := ob.Pending(0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	return len(recs)
}

func TestOpenChecksOptions(t *testing.T) {
	dir := t.TempDir()
	resolve := never(t)
	for _, opts := range []journal.Options{
		{Endpoints: []string{"a"}},
		{Endpoints: []string{"A"}, Resolve: resolve},
		{Endpoints: []string{""}, Resolve: resolve},
		{Endpoints: []string{"a/b"}, Resolve: resolve},
		{Endpoints: []string{"..", "a"}, Resolve: resolve},
		{Endpoints: []string{"a", "a"}, Resolve: resolve},
	} {
		if j, err := journal.Open(context.Background(), dir, opts); err == nil {
			j.Close()
			t.Errorf("Open with %+v succeeded", opts.Endpoints)
		}
	}
}

func TestValidKey(t *testing.T) {
	for key, want := range map[string]bool{
		"a": true, "crm-1": true, "0": true, string(make([]byte, 0)): false,
		"Crm": false, "a_b": false, "a.b": false, "..": false, "a/b": false,
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa":  true,
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa": false,
	} {
		if got := journal.ValidKey(key); got != want {
			t.Errorf("ValidKey(%q) = %v", key, got)
		}
	}
}

func TestOpenLocks(t *testing.T) {
	dir := t.TempDir()
	openJournal(t, dir, never(t), "a")
	_, err := journal.Open(context.Background(), dir, journal.Options{Endpoints: []string{"a"}, Resolve: never(t)})
	if !errors.Is(err, outbox.ErrLocked) {
		t.Fatalf("a second Open: %v, want ErrLocked", err)
	}
}

func TestEndpoints(t *testing.T) {
	j := openJournal(t, t.TempDir(), never(t), "crm", "audit", "ivr")
	if got := fmt.Sprint(j.Endpoints()); got != "[crm audit ivr]" {
		t.Errorf("Endpoints() = %s", got)
	}
	if _, ok := j.Queue("other"); ok {
		t.Error("Queue of an unknown key")
	}
	if q := queue(t, j, "audit"); q.Key() != "audit" {
		t.Errorf("Key() = %q", q.Key())
	}
}

// TestCloseFlushesAcks: the intents of committed events are acknowledged
// by Close at the latest, so the next Open has nothing to resolve.
func TestCloseFlushesAcks(t *testing.T) {
	dir := t.TempDir()
	j := openJournal(t, dir, never(t), "a", "b")
	for n := range 50 {
		commit(t, j, newEvent(n))
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if n := intentsPending(t, dir); n != 0 {
		t.Fatalf("%d intents pending after Close", n)
	}
	j = openJournal(t, dir, never(t), "a", "b")
	if got := len(pendingIDs(t, queue(t, j, "b"))); got != 50 {
		t.Errorf("%d events in b after reopening, want 50", got)
	}
}

func TestClosed(t *testing.T) {
	j := openJournal(t, t.TempDir(), never(t), "a")
	ev := newEvent(1)
	in, err := j.Prepare(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	q := queue(t, j, "a")
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := j.Prepare(context.Background(), newEvent(2)); !errors.Is(err, journal.ErrClosed) {
		t.Errorf("Prepare after Close: %v", err)
	}
	if err := in.Commit(context.Background(), ev); err == nil {
		t.Error("Commit after Close succeeded")
	}
	if _, err := q.Next(context.Background(), 1, 0); !errors.Is(err, journal.ErrClosed) {
		t.Errorf("Next after Close: %v", err)
	}
}

// TestConcurrent runs producers (a third of them abandoning) and two
// deliverers per queue (acknowledging, sometimes releasing) at once:
// every committed event is acknowledged exactly once in each queue, no
// abandoned one ever is.
func TestConcurrent(t *testing.T) {
	const producers, each = 8, 40
	dir := t.TempDir()
	keys := []string{"a", "b", "c"}
	j := openJournal(t, dir, never(t), keys...)
	ctx := context.Background()

	var mu sync.Mutex
	committed := map[string]bool{}
	got := map[string]map[string]int{} // key → id → acks
	for _, k := range keys {
		got[k] = map[string]int{}
	}
	var producing sync.WaitGroup
	for p := range producers {
		producing.Go(func() {
			for i := range each {
				n := p*each + i
				ev := newEvent(n)
				in, err := j.Prepare(ctx, ev)
				if err != nil {
					t.Error(err)
					return
				}
				if n%3 == 0 {
					if err := in.Abandon(ctx); err != nil {
						t.Error(err)
					}
					continue
				}
				ev.LocationIDs = []string{"loc1"}
				if err := in.Commit(ctx, ev); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				committed[ev.ID] = true
				mu.Unlock()
			}
		})
	}
	done := make(chan struct{})
	var delivering sync.WaitGroup
	for _, k := range keys {
		q := queue(t, j, k)
		for d := range 2 {
			delivering.Go(func() {
				for round := 0; ; round++ {
					items, err := q.Next(ctx, 7, 20*time.Millisecond)
					if err != nil {
						t.Error(err)
						return
					}
					if len(items) == 0 {
						select {
						case <-done:
							return
						default:
							continue
						}
					}
					if (round+d)%5 == 0 {
						if err := q.Release(ctx, items[len(items)/2:]...); err != nil {
							t.Error(err)
						}
						items = items[:len(items)/2]
					}
					if err := q.Ack(ctx, items...); err != nil {
						t.Error(err)
					}
					mu.Lock()
					for _, id := range ids(t, items) {
						got[k][id]++
					}
					mu.Unlock()
				}
			})
		}
	}
	producing.Wait()
	// Wait until every queue is empty, then stop the deliverers.
	deadline := time.Now().Add(time.Minute)
	for _, k := range keys {
		for len(pendingIDs(t, queue(t, j, k))) > 0 {
			if time.Now().After(deadline) {
				t.Fatalf("queue %s not drained", k)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	close(done)
	delivering.Wait()
	want := 0
	for n := range producers * each {
		if n%3 != 0 {
			want++
		}
	}
	if len(committed) != want {
		t.Errorf("%d events committed, want %d", len(committed), want)
	}
	for _, k := range keys {
		for id := range committed {
			if got[k][id] != 1 {
				t.Errorf("queue %s: event %s acknowledged %d times", k, id, got[k][id])
			}
		}
		for id := range got[k] {
			if !committed[id] {
				t.Errorf("queue %s: event %s delivered, never committed", k, id)
			}
		}
		if n := queue(t, j, k).Outstanding(); n != 0 {
			t.Errorf("queue %s: %d outstanding at the end", k, n)
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if n := intentsPending(t, dir); n != 0 {
		t.Errorf("%d intents pending after Close", n)
	}
}

// TestCloseDuringCommits: Close while Prepares and Commits run ends them
// with errors, not a hang; every event whose Commit returned is in the
// queue after reopening, and an intent cut off is settled by Resolve.
func TestCloseDuringCommits(t *testing.T) {
	dir := t.TempDir()
	j, err := journal.Open(context.Background(), dir, journal.Options{Endpoints: []string{"a", "b"}, Resolve: never(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var mu sync.Mutex
	ok := map[string]bool{}
	var wg sync.WaitGroup
	started := make(chan struct{}, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				ev := newEvent(g*1000 + i)
				in, err := j.Prepare(ctx, ev)
				if err != nil {
					return
				}
				if err := in.Commit(ctx, ev); err != nil {
					return
				}
				mu.Lock()
				ok[ev.ID] = true
				mu.Unlock()
				if i == 3 {
					started <- struct{}{}
				}
			}
		})
	}
	for range 8 {
		<-started
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	made := func(_ context.Context, ev events.Event) (events.Event, bool, error) { return ev, true, nil }
	j = openJournal(t, dir, made, "a", "b")
	for _, k := range j.Endpoints() {
		in := map[string]bool{}
		for _, id := range handOutAll(t, queue(t, j, k)) {
			in[id] = true
		}
		for id := range ok {
			if !in[id] {
				t.Errorf("queue %s lacks %s, committed before Close", k, id)
			}
		}
	}
}
