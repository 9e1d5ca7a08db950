package events_test

import (
	"sync"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs/events"
)

// 100k IDs, made by four goroutines at once under a clock that stands
// still (every ID in one millisecond), are unique and valid, and each
// goroutine's are strictly increasing.
func TestIDUnique(t *testing.T) {
	const n, workers = 100_000, 4
	ids := make([][]string, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for range n / workers {
				ids[w] = append(ids[w], events.NewID(at))
			}
		})
	}
	wg.Wait()
	seen := make(map[string]bool, n)
	for _, list := range ids {
		for i, id := range list {
			if seen[id] {
				t.Fatalf("%s made twice", id)
			}
			seen[id] = true
			if !events.ValidID(id) {
				t.Fatalf("%s is not valid", id)
			}
			if i > 0 && id <= list[i-1] {
				t.Fatalf("%s after %s", id, list[i-1])
			}
		}
	}
}

// IDs sort as their times do, and keep increasing while the clock stands
// still or steps back.
func TestIDOrder(t *testing.T) {
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := []time.Time{t0, t0.Add(time.Millisecond), t0.Add(time.Millisecond), t0.Add(time.Second), t0.Add(-time.Hour), t0.Add(-time.Hour), t0.Add(2 * time.Second), t0.Add(24 * time.Hour)}
	var last string
	for i, c := range clock {
		id := events.NewID(c)
		if id <= last {
			t.Errorf("clock[%d] %v: %s after %s", i, c, id, last)
		}
		last = id
	}
	// Across milliseconds the time leads: a later millisecond's ID sorts
	// after this one's whatever the random bits, and its time prefix (the
	// first 10 characters after evt_) is the millisecond's.
	a, b := events.NewID(t0.Add(48*time.Hour)), events.NewID(t0.Add(48*time.Hour+time.Millisecond))
	if a[:14] == b[:14] || b <= a {
		t.Errorf("%s then %s", a, b)
	}
}

func TestValidID(t *testing.T) {
	for _, tc := range []struct {
		id string
		ok bool
	}{
		{"evt_01kbr3n5g0aaaaaaaaaaaaaaaa", true},
		{"evt_7zzzzzzzzzzzzzzzzzzzzzzzzz", true},
		{"evt_8zzzzzzzzzzzzzzzzzzzzzzzzz", false}, // over 128 bits
		{"evt_01kbr3n5g0aaaaaaaaaaaaaaa", false},
		{"evt_01kbr3n5g0aaaaaaaaaaaaaaaaa", false},
		{"evt_01KBR3N5G0AAAAAAAAAAAAAAAA", false},
		{"evt_01kbr3n5g0aaaaaaaaaaaaaaai", false},
		{"evt_01kbr3n5g0aaaaaaaaaaaaaaa.", false},
		{"msg_01kbr3n5g0aaaaaaaaaaaaaaaa", false},
		{"", false},
	} {
		if got := events.ValidID(tc.id); got != tc.ok {
			t.Errorf("ValidID(%q) = %v", tc.id, got)
		}
	}
}
