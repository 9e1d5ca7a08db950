package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"time"
)

// A Fence lets one of several removers of a file act at a time, and each
// thing be done to a file once: the deleteFile requests and the retention
// sweeps of every server that shares a store. NameLocks does this within
// one process; a Fence shared by several servers (one in Redis, say) does
// it across them, where an object store's DELETE succeeds for a key
// already gone and two servers would each count the file removed.
//
// Claim claims key for ttl and reports whether the caller now holds it: a
// key claimed by another and not yet given up or expired is not granted.
// Unclaim gives a claim up early (the removal it guarded failed).
type Fence interface {
	Claim(ctx context.Context, key string, ttl time.Duration) (bool, error)
	Unclaim(ctx context.Context, key string) error
}

// FenceTTL is how long a removal's claim is held: longer than a removal
// may take (deleteFile gives one 30 s), so no second remover of the file
// starts while the first may still be at it. A claim is kept after a
// removal succeeds, so removers that come after it within FenceTTL are
// told the file does not exist without asking the store (an object
// store's DELETE of a key already gone succeeds, and each would count
// the file removed). This holds because a name is never stored twice:
// the handler gives every upload a new, random name.
const FenceTTL = 2 * time.Minute

// RemoveFenced removes name from rm, claiming it through f first (as
// "remove:" and the name): if another remover holds the claim, the file is
// on its way out, and RemoveFenced returns an error wrapping
// fs.ErrNotExist without touching the store. A removal that fails for
// another reason gives its claim up, so a retry may remove the file. With
// f nil it is rm.Remove.
func RemoveFenced(ctx context.Context, rm Remover, f Fence, name string) error {
	if f == nil {
		return rm.Remove(ctx, name)
	}
	return fenced(ctx, f, "remove:"+name, name, func() error { return rm.Remove(ctx, name) })
}

// RemoveAtFenced is RemoveFenced for the copy of name at one location of
// a pool, claimed as "remove:", the location, "@" and the name.
func RemoveAtFenced(ctx context.Context, lr LocationRemover, f Fence, location, name string) error {
	if f == nil {
		return lr.RemoveAt(ctx, location, name)
	}
	return fenced(ctx, f, "remove:"+location+"@"+name, name, func() error { return lr.RemoveAt(ctx, location, name) })
}

func fenced(ctx context.Context, f Fence, key, name string, remove func() error) error {
	ok, err := f.Claim(ctx, key, FenceTTL)
	switch {
	case err != nil:
		return fmt.Errorf("store: claiming the removal of %s: %w", name, err)
	case !ok:
		return &fs.PathError{Op: "remove", Path: name, Err: fmt.Errorf("%w (another remover has it)", fs.ErrNotExist)}
	}
	if err := remove(); err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			f.Unclaim(context.WithoutCancel(ctx), key)
		}
		return err
	}
	return nil
}

// ClaimOnce claims key through f for FenceTTL, once: it reports whether
// this caller is the first, as a removed file's size is given back to its
// quota by the first remover to find it gone. With f nil it reports true.
func ClaimOnce(ctx context.Context, f Fence, key string) (bool, error) {
	if f == nil {
		return true, nil
	}
	return f.Claim(ctx, key, FenceTTL)
}

// MemoryFence is a Fence for the removers of one process (a server's
// deleteFile and its retention sweeps). Expired claims are dropped as new
// ones are made: it holds the claims of the last FenceTTL, and removals
// are made only for callers whose signature held. The zero value is
// ready to use.
type MemoryFence struct {
	mu        sync.Mutex
	claims    map[string]time.Time // key: when its claim expires
	nextPrune int                  // the size at which expired claims are next dropped
}

// Claim implements Fence.
func (m *MemoryFence) Claim(_ context.Context, key string, ttl time.Duration) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	if m.claims == nil {
		m.claims = map[string]time.Time{}
	}
	if until, ok := m.claims[key]; ok && now.Before(until) {
		return false, nil
	}
	if len(m.claims) >= m.nextPrune { // amortised: the map at most doubles between prunes
		for k, until := range m.claims {
			if !now.Before(until) {
				delete(m.claims, k)
			}
		}
		m.nextPrune = max(64, 2*len(m.claims))
	}
	m.claims[key] = now.Add(ttl)
	return true, nil
}

// Unclaim implements Fence.
func (m *MemoryFence) Unclaim(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.claims, key)
	return nil
}
