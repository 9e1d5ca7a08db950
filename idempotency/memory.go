package idempotency

import (
	"container/list"
	"context"
	"sync"
	"time"
)

// DefaultMaxEntries is how many keys a Memory made with NewMemory(0)
// remembers: with keys of at most MaxKey bytes, a few tens of MB at
// most.
const DefaultMaxEntries = 100000

// Memory is a Store in memory, for one server: at most its bound of
// entries, the least recently used dropped first to make room; an entry
// past its TTL (or an upload's lease) is never returned, and is dropped
// when met. It is safe for concurrent use.
type Memory struct {
	// Now is the clock. Zero (nil): time.Now. Set it before first use.
	Now func() time.Time

	mu      sync.Mutex
	max     int
	entries map[Scope]*list.Element // of *entry
	lru     list.List               // most recently used first
}

// entry is one key's state.
type entry struct {
	scope   Scope
	hash    Hash
	done    bool   // finished: rec is its answer; else in flight
	rec     Record // when done
	expires time.Time
}

// NewMemory returns a Memory that remembers at most max keys; max <= 0
// means DefaultMaxEntries.
func NewMemory(max int) *Memory {
	if max <= 0 {
		max = DefaultMaxEntries
	}
	return &Memory{max: max, entries: map[Scope]*list.Element{}}
}

func (m *Memory) now() time.Time {
	if m.Now == nil {
		return time.Now()
	}
	return m.Now()
}

// lookup returns scope's live entry, moved to the front, or nil; an
// expired one is dropped. m.mu is held.
func (m *Memory) lookup(scope Scope, now time.Time) *list.Element {
	el := m.entries[scope]
	if el == nil {
		return nil
	}
	if !now.Before(el.Value.(*entry).expires) {
		m.drop(el)
		return nil
	}
	m.lru.MoveToFront(el)
	return el
}

// put records e, making room by dropping the least recently used entry
// if the bound is reached. m.mu is held.
func (m *Memory) put(e *entry) {
	if el := m.entries[e.scope]; el != nil {
		el.Value = e
		m.lru.MoveToFront(el)
		return
	}
	for len(m.entries) >= m.max {
		m.drop(m.lru.Back())
	}
	m.entries[e.scope] = m.lru.PushFront(e)
}

func (m *Memory) drop(el *list.Element) {
	delete(m.entries, el.Value.(*entry).scope)
	m.lru.Remove(el)
}

// Begin implements Store.
func (m *Memory) Begin(_ context.Context, scope Scope, h Hash, lease time.Duration) (State, Record, error) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if el := m.lookup(scope, now); el != nil {
		e := el.Value.(*entry)
		switch {
		case e.hash != h:
			return Mismatch, Record{}, nil
		case e.done:
			return Repeat, cloneRecord(e.rec), nil
		default:
			return InFlight, Record{}, nil
		}
	}
	m.put(&entry{scope: scope, hash: h, expires: now.Add(lease)})
	return Fresh, Record{}, nil
}

// Finish implements Store. An entry dropped meanwhile (its lease ran
// out, or it made room) is recorded all the same.
func (m *Memory) Finish(_ context.Context, scope Scope, rec Record, ttl time.Duration) error {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.put(&entry{scope: scope, hash: rec.Hash, done: true, rec: cloneRecord(rec), expires: now.Add(ttl)})
	return nil
}

// Abort implements Store: it forgets the upload of the file hashing to h
// begun under scope, if it is still in flight.
func (m *Memory) Abort(_ context.Context, scope Scope, h Hash) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if el := m.entries[scope]; el != nil {
		if e := el.Value.(*entry); !e.done && e.hash == h {
			m.drop(el)
		}
	}
	return nil
}

// Len returns the number of entries held, expired ones not yet dropped
// included.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries)
}

// cloneRecord copies r, so that no caller shares its LocationIDs.
func cloneRecord(r Record) Record {
	if r.LocationIDs != nil {
		r.LocationIDs = append([]string(nil), r.LocationIDs...)
	}
	return r
}
