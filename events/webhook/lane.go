package webhook

import (
	"time"

	"github.com/ccfs-go/ccfs/events"
)

// held is an event read from the queue and not yet settled (delivered
// and acknowledged, or moved aside).
type held struct {
	it       events.Item
	id       string    // the event's ID: webhook-id
	vdn      int       // its VDN: its lane
	time     time.Time // its Time: RetryFor runs from it
	attempts int       // attempts made
	last     string    // the last failed attempt's error
}

// A lane is one VDN's events, oldest first, delivered one at a time: its
// head is being tried, or waits for its next attempt, or for a worker.
// A lane with no events is dropped.
type lane struct {
	vdn   int
	items []*held
	due   time.Time // when the head's next attempt is due, while waiting
}

// lanes waiting for their head's next attempt, soonest first
// (container/heap).
type laneHeap []*lane

func (h laneHeap) Len() int           { return len(h) }
func (h laneHeap) Less(i, j int) bool { return h[i].due.Before(h[j].due) }
func (h laneHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *laneHeap) Push(x any)        { *h = append(*h, x.(*lane)) }

func (h *laneHeap) Pop() any {
	old := *h
	l := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return l
}
