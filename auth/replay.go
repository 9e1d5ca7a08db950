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
	// Add records e.Signature until e.Expires. It returns ErrReplay if the
	// signature is already recorded and not yet expired, or if e.Expires
	// has already passed (the entry cannot be kept, so the signature
	// cannot be told from one accepted and forgotten), and
	// ErrReplayUnavailable (or another error) if it cannot record it; a
	// Verifier refuses the request in every error case.
	Add(ctx context.Context, e ReplayEntry) error
}

// A ReplayEntry is one accepted signature, for a ReplayCache.
type ReplayEntry struct {
	// AccessKey is the key that made the signature. The Verifier has
	// proven it, so a cache may account entries to it.
	AccessKey string
	Signature [sha256.Size]byte
	// Expires is when the signature can no longer be accepted: its signing
	// time plus the window plus ReplayMargin.
	Expires time.Time
}

// ReplayMargin is how long a replay entry outlives the signature's window,
// so that servers sharing a cache whose clocks differ by less than this
// still refuse a replay.
const ReplayMargin = time.Minute

// DefaultReplayCapacity is the number of signatures a MemoryReplay made by
// NewMemoryReplay(0, nil) remembers: about 100 uploads a second, sustained,
// for a ±15-minute window.
const DefaultReplayCapacity = 200_000

// MemoryReplay is a bounded in-memory ReplayCache. An entry stays until its
// expiry passes; when the cache is full it refuses new signatures instead of
// forgetting a live one early. So that one key cannot fill it for all the
// others, each access key may hold at most a share of it (a quarter by
// default; see SetKeyShare).
type MemoryReplay struct {
	mu       sync.Mutex
	max      int
	keyShare int
	now      func() time.Time
	seen     map[[sha256.Size]byte]struct{}
	perKey   map[string]int // live entries of each key that has any
	order    expiryHeap
}

var _ ReplayCache = (*MemoryReplay)(nil)

// NewMemoryReplay returns a cache of at most capacity live entries
// (DefaultReplayCapacity if capacity <= 0), at most capacity/4 (and at
// least 1) of them from one access key, that reads the time from now
// (time.Now if nil).
func NewMemoryReplay(capacity int, now func() time.Time) *MemoryReplay {
	if capacity <= 0 {
		capacity = DefaultReplayCapacity
	}
	if now == nil {
		now = time.Now
	}
	return &MemoryReplay{
		max: capacity, keyShare: max(1, capacity/4), now: now,
		seen: make(map[[sha256.Size]byte]struct{}), perKey: make(map[string]int),
	}
}

// SetKeyShare sets how many live entries one access key may hold, at most
// the capacity (n <= 0 means the capacity: no share). Call it before the
// cache is used.
func (c *MemoryReplay) SetKeyShare(n int) {
	if n <= 0 || n > c.max {
		n = c.max
	}
	c.keyShare = n
}

// Add implements ReplayCache. It refuses with ErrReplayUnavailable a
// signature that would take the cache, or its key's share, past its limit.
func (c *MemoryReplay) Add(_ context.Context, e ReplayEntry) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	for len(c.order) > 0 && !c.order[0].expires.After(now) {
		old := heap.Pop(&c.order).(expiry)
		delete(c.seen, old.sig)
		if c.perKey[old.ak]--; c.perKey[old.ak] == 0 {
			delete(c.perKey, old.ak)
		}
	}
	if _, ok := c.seen[e.Signature]; ok || !e.Expires.After(now) {
		return ErrReplay
	}
	if len(c.seen) >= c.max || c.perKey[e.AccessKey] >= c.keyShare {
		return ErrReplayUnavailable
	}
	c.seen[e.Signature] = struct{}{}
	c.perKey[e.AccessKey]++
	heap.Push(&c.order, expiry{e.Expires, e.Signature, e.AccessKey})
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
	ak      string
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
