package webhook

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/ccfs-go/ccfs/events"
)

// The states of an item in a memQueue.
const (
	pending = iota // not handed out
	out            // handed out, not settled
	acked
	buried
)

// memQueue is an in-memory events.Queue for the tests: it records what a
// deliverer does with it, and can be told to fail.
type memQueue struct {
	mu       sync.Mutex
	items    []events.Item // Ref is the index
	state    []int
	first    int // no item before it is pending
	reasons  map[string]string
	holds    map[string]int
	ackCalls int
	released int
	out      int // items handed out and not settled
	maxOut   int
	misuse   []string // settling an item not handed out: a deliverer's bug
	changed  chan struct{}
	// fail, if set, makes a method fail when it returns true.
	fail func(method string) bool
}

func newMemQueue() *memQueue {
	return &memQueue{reasons: map[string]string{}, holds: map[string]int{}, changed: make(chan struct{})}
}

// add appends bodies to the queue and returns their refs.
func (q *memQueue) add(bodies ...[]byte) []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	var refs []string
	for _, b := range bodies {
		ref := strconv.Itoa(len(q.items))
		q.items = append(q.items, events.Item{Ref: ref, Body: b})
		q.state = append(q.state, pending)
		refs = append(refs, ref)
	}
	q.notify()
	return refs
}

func (q *memQueue) notify() {
	close(q.changed)
	q.changed = make(chan struct{})
}

func (q *memQueue) failing(method string) bool {
	return q.fail != nil && q.fail(method)
}

// Next implements events.Queue.
func (q *memQueue) Next(ctx context.Context, n int, wait time.Duration) ([]events.Item, error) {
	if n <= 0 {
		return nil, fmt.Errorf("Next(%d)", n)
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		q.mu.Lock()
		if q.failing("Next") {
			q.mu.Unlock()
			return nil, errors.New("queue down")
		}
		var got []events.Item
		for i := q.first; i < len(q.items) && len(got) < n; i++ {
			if q.state[i] == pending {
				q.state[i] = out
				got = append(got, q.items[i])
			}
		}
		for q.first < len(q.items) && q.state[q.first] != pending {
			q.first++
		}
		q.out += len(got)
		q.maxOut = max(q.maxOut, q.out)
		ch := q.changed
		q.mu.Unlock()
		if len(got) > 0 {
			return got, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-timer.C:
			return nil, nil
		case <-ch:
		}
	}
}

// settle moves an item handed out to state to.
func (q *memQueue) settle(method string, it events.Item, to int) int {
	i, err := strconv.Atoi(it.Ref)
	if err != nil || i < 0 || i >= len(q.items) || q.state[i] != out {
		q.misuse = append(q.misuse, fmt.Sprintf("%s of item %q not handed out", method, it.Ref))
		return -1
	}
	q.state[i] = to
	if to == pending {
		q.first = min(q.first, i)
	}
	q.out--
	return i
}

// Ack implements events.Queue.
func (q *memQueue) Ack(_ context.Context, items ...events.Item) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.failing("Ack") {
		return errors.New("queue down")
	}
	q.ackCalls++
	for _, it := range items {
		q.settle("Ack", it, acked)
	}
	q.notify()
	return nil
}

// Dead implements events.Queue.
func (q *memQueue) Dead(_ context.Context, it events.Item, reason string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.failing("Dead") {
		return errors.New("queue down")
	}
	q.settle("Dead", it, buried)
	q.reasons[it.Ref] = reason
	q.notify()
	return nil
}

// Hold implements events.Queue.
func (q *memQueue) Hold(_ context.Context, items ...events.Item) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, it := range items {
		if i, err := strconv.Atoi(it.Ref); err != nil || q.state[i] != out {
			q.misuse = append(q.misuse, fmt.Sprintf("Hold of item %q not handed out", it.Ref))
		}
		q.holds[it.Ref]++
	}
	return nil
}

// Release implements events.Queue.
func (q *memQueue) Release(_ context.Context, items ...events.Item) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, it := range items {
		if q.settle("Release", it, pending) >= 0 {
			q.released++
		}
	}
	q.notify()
	return nil
}

// count returns how many items are in state s.
func (q *memQueue) count(s int) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := 0
	for _, st := range q.state {
		if st == s {
			n++
		}
	}
	return n
}

// settled reports whether every item is acknowledged or dead.
func (q *memQueue) settled() bool {
	return q.count(acked)+q.count(buried) == q.len()
}

func (q *memQueue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}

// misuses returns the misuses recorded.
func (q *memQueue) misuses() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]string(nil), q.misuse...)
}
