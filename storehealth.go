package ccfs

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// A store that has no room left, or is read-only, fails every upload with
// 0300016 while its reads (and a ping) still work. The Handler remembers
// such a refusal, so that a readiness check can take the node out of a
// balancer's rotation until a write succeeds again, and it logs each kind
// of storage failure at ERROR once in a while, with a count, rather than
// once a request.

// unwritableFor is how long a refused write keeps StoreWritable failing
// when no write has succeeded since.
const unwritableFor = 30 * time.Second

// errorLogEvery is the least time between two ERROR lines for one kind of
// failure; the requests in between are logged at WARN.
const errorLogEvery = 10 * time.Second

// storeHealth is what the Handler remembers of the store's writes.
type storeHealth struct {
	failing  atomic.Bool // refused, and no write has succeeded since
	mu       sync.Mutex
	refused  time.Time // when a write was last refused for want of room or access
	why      error
	lastLogs map[string]*errorLog
}

type errorLog struct {
	at         time.Time // of the last ERROR line
	suppressed int       // WARN lines since
}

// unwritable reports whether err is a store refusing writes: no space,
// no quota left on its file system, or a read-only one.
func unwritable(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) || errors.Is(err, syscall.EROFS)
}

// wrote records the outcome of a write to the store at now.
func (s *storeHealth) wrote(err error, now time.Time) {
	switch {
	case err == nil:
		if s.failing.Load() { // the hot path only reads
			s.failing.Store(false)
		}
	case unwritable(err):
		s.mu.Lock()
		s.refused, s.why = now, err
		s.mu.Unlock()
		s.failing.Store(true)
	}
}

// StoreWritable reports, for a readiness check, whether the store can
// take files: an error while the store refused a write for want of room
// or write access (ENOSPC, EDQUOT, EROFS) within the last 30 s and no
// upload has been stored since. It costs nothing and asks the store
// nothing; a node that is not ready gets no uploads to prove it writable
// again, so after 30 s it says ready and the next upload tells.
func (h *Handler) StoreWritable(context.Context) error {
	s := &h.cfg.health
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failing.Load() && h.cfg.Now().Sub(s.refused) < unwritableFor {
		return fmt.Errorf("the store refused a write %s ago: %w", h.cfg.Now().Sub(s.refused).Round(time.Second), rootCause(s.why))
	}
	return nil
}

// errorLevel says whether a request that failed with cause, under code,
// is logged at ERROR (the first of its kind in errorLogEvery), and how
// many of its kind were logged at WARN since the last ERROR line.
func (s *storeHealth) errorLevel(code string, cause error, now time.Time) (errorLine bool, since int) {
	key := code + " " + rootCause(cause).Error()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lastLogs == nil || len(s.lastLogs) >= 64 { // kinds of failure, not requests: bounded
		s.lastLogs = map[string]*errorLog{}
	}
	l := s.lastLogs[key]
	if l == nil {
		s.lastLogs[key] = &errorLog{at: now}
		return true, 0
	}
	if now.Sub(l.at) < errorLogEvery {
		l.suppressed++
		return false, 0
	}
	since = l.suppressed
	l.at, l.suppressed = now, 0
	return true, since
}

// rootCause is the innermost error of err's chain (the errno of "write
// /data/x.wav: no space left on device"): what one kind of failure
// shares whatever file it hit.
func rootCause(err error) error {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err
		}
		err = u
	}
}
