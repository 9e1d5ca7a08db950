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

// DefaultReplayCapacity is the number of signatures a MemoryReplay
// remembers by default: about 100 uploads a second, sustained, for a
// ±15-minute window.
const DefaultReplayCapacity = 200_000

// MemoryReplay is a bounded in-memory ReplayCache. An entry stays until its
// expiry passes; when the cache is full it refuses new signatures instead of
// forgetting a live one early. So that one key cannot fill it for all the
// others, each access key may hold at most a share of it (a quarter by
// default; MemoryReplayOptions.KeyShare).
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

// MemoryReplayOptions configures NewMemoryReplay. A zero field means its
// default.
type MemoryReplayOptions struct {
	// Capacity is the most live entries. Default: DefaultReplayCapacity.
	Capacity int
	// KeyShare is the most live entries one access key may hold. Default:
	// a quarter of Capacity (at least 1); negative, or more than Capacity:
	// Capacity, no share.
	KeyShare int
	// Now reads the time. Default: time.Now.
	Now func() time.Time
}

// NewMemoryReplay returns a cache as opts say.
func NewMemoryReplay(opts MemoryReplayOptions) *MemoryReplay {
	c := &MemoryReplay{max: opts.Capacity, keyShare: opts.KeyShare, now: opts.Now,
		seen: make(map[[sha256.Size]byte]struct{}), perKey: make(map[string]int)}
	if c.max <= 0 {
		c.max = DefaultReplayCapacity
	}
	switch {
	case c.keyShare == 0:
		c.keyShare = max(1, c.max/4)
	case c.keyShare < 0 || c.keyShare > c.max:
		c.keyShare = c.max
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c
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
