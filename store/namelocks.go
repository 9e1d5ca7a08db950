package store

import (
	"hash/maphash"
	"sync"
)

// NameLocks serialises what a process does to one name: a Remover that
// must look before it removes (an object store, whose DELETE succeeds
// for a key that is not there; a pool, which removes a copy at each
// location) holds the name's lock across both, so that of concurrent
// Removes of one name exactly one succeeds and the others find nothing.
// Names share one of a fixed number of locks, by hash: memory does not
// grow with the names asked for. The zero value is ready to use.
type NameLocks struct {
	once sync.Once
	seed maphash.Seed
	mu   [64]sync.Mutex
}

// Lock locks name's lock and returns its unlock.
func (l *NameLocks) Lock(name string) (unlock func()) {
	l.once.Do(func() { l.seed = maphash.MakeSeed() })
	mu := &l.mu[maphash.String(l.seed, name)%uint64(len(l.mu))]
	mu.Lock()
	return mu.Unlock
}
