package events_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs/events"
)

func commit(t *testing.T, s events.Sink, name string) {
	t.Helper()
	ctx := context.Background()
	ev := events.New(events.PromptUploaded, time.Now())
	ev.FileName = name
	in, err := s.Prepare(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Commit(ctx, ev); err != nil {
		t.Fatal(err)
	}
}

// TestSubscriber: events reach the function in order, on its own
// goroutine; while the function is busy and the buffer full, Commit does
// not wait and the events are dropped and counted; an abandoned event
// never arrives; Close delivers what is buffered, and drops what comes
// after.
func TestSubscriber(t *testing.T) {
	release := make(chan struct{})
	taken := make(chan struct{}, 10)
	var mu sync.Mutex
	var got []string
	s := events.NewSubscriber(3, func(ev events.Event) {
		taken <- struct{}{}
		<-release
		mu.Lock()
		got = append(got, ev.FileName)
		mu.Unlock()
	})
	// The first is taken by the function (which waits), three fill the
	// buffer, and the rest are dropped; none of it blocks this goroutine.
	commit(t, s, "f0")
	<-taken
	for i := 1; i <= 5; i++ {
		commit(t, s, fmt.Sprint("f", i))
	}
	in, _ := s.Prepare(context.Background(), events.Event{FileName: "abandoned"})
	in.Abandon(context.Background())
	close(release)
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	commit(t, s, "after close")
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(got) != "[f0 f1 f2 f3]" {
		t.Fatalf("got %v", got)
	}
	if d := s.Dropped(); d != 3 { // f4, f5 and the one after Close
		t.Fatalf("dropped %d, want 3", d)
	}
}
