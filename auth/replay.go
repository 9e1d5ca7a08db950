package auth

import (
	"container/heap"
	"context"
	"crypto/sha256"
	"sync"
	"time"
)

// A ReplayCache remembers the signatures a Verifier accepted. A shared
// implementation lets several servers refuse a request replayed against any
// of them. Implementations must be safe for concurrent use.
type ReplayCache interface {
	// Add records signature until expires. It returns ErrReplay if the
	// signature is already recorded and not yet expired, and
	// ErrReplayUnavailable (or another error) if it cannot record it; a
	// Verifier refuses the request in every error case.
	Add(ctx context.Context, signature [sha256.Size]byte, expires time.Time) error
}

// DefaultReplayCapacity is the number of signatures a MemoryReplay made by
// NewMemoryReplay(0, nil) remembers: about 110 uploads a second, sustained,
// for a ±15-minute window.
const DefaultReplayCapacity = 200_000

// MemoryReplay is a bounded in-memory ReplayCache. An entry stays until its
// expiry passes; when the cache is full it refuses new signatures instead of
// forgetting a live one early.
type MemoryReplay struct {
	mu    sync.Mutex
	max   int
	now   func() time.Time
	seen  map[[sha256.Size]byte]time.Time
	order expiryHeap
}

var _ ReplayCache = (*MemoryReplay)(nil)

// NewMemoryReplay returns a cache of at most capacity live entries
// (DefaultReplayCapacity if capacity <= 0) that reads the time from now
// (time.Now if nil).
func NewMemoryReplay(capacity int, now func() time.Time) *MemoryReplay {
	if capacity <= 0 {
		capacity = DefaultReplayCapacity
	}
	if now == nil {
		now = time.Now
	}
	return &MemoryReplay{max: capacity, now: now, seen: make(map[[sha256.Size]byte]time.Time)}
}

// Add implements ReplayCache. A signature whose expiry has already passed
// is not recorded: it can no longer be replayed.
func (c *MemoryReplay) Add(_ context.Context, sig [sha256.Size]byte, expires time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	for len(c.order) > 0 && !c.order[0].expires.After(now) {
		e := heap.Pop(&c.order).(expiry)
		delete(c.seen, e.sig)
	}
	if _, ok := c.seen[sig]; ok {
		return ErrReplay
	}
	if !expires.After(now) {
		return nil
	}
	if len(c.seen) >= c.max {
		return ErrReplayUnavailable
	}
	c.seen[sig] = expires
	heap.Push(&c.order, expiry{expires, sig})
	return nil
}

// Len returns the number of live entries.
func (c *MemoryReplay) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}

type expiry struct {
	expires time.Time
	sig     [sha256.Size]byte
}

// expiryHeap is a min-heap of entries by expiry.
type expiryHeap []expiry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].expires.Before(h[j].expires) }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any)        { *h = append(*h, x.(expiry)) }
func (h *expiryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}
