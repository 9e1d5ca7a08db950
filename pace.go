package ccfs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

// A pace holds a request body, or a download's response, to the minimum
// rate: after a grace period from the start, the body must have delivered
// (or the client taken) Options.MinBodyRate bytes for every second since
// the grace ended. Before each read (write) it sets the connection's read
// (write) deadline to the moment the bytes due by the end of that read
// (write) become late, so a stalled client is dropped in seconds, not at
// the server's timeout.
//
// Each read (write) is also held to the rate on its own: it must end
// within the grace period plus the time its bytes take at the minimum
// rate. Without that, bytes the kernel's buffers take at once (megabytes,
// for a download to a client that reads nothing) count as taken, and buy
// a stalled client minutes of credit.
//
// Where the ResponseWriter cannot set deadlines (a test recorder, some
// middleware) it checks the rate between reads (writes) instead.
type pace struct {
	h        *Handler
	w        http.ResponseWriter // for the warning that it has no deadlines
	ctx      context.Context
	rc       *http.ResponseController
	write    bool // deadlines for writes, not reads
	start    time.Time
	limit    time.Time // the server's own deadline, if it has one
	grace    time.Duration
	perByte  float64 // seconds per byte at the minimum rate
	deadline bool    // rc can set deadlines
	set      bool    // a deadline is set and must be cleared
}

// newPace returns the pace of one request body of r starting now, or nil
// if the minimum rate is off.
func newPace(w http.ResponseWriter, r *http.Request, h *Handler) *pace {
	return newPaceOf(w, r, h, false)
}

// newWritePace returns the pace of one download to r's client starting
// now, or nil if the minimum rate is off.
func newWritePace(w http.ResponseWriter, r *http.Request, h *Handler) *pace {
	return newPaceOf(w, r, h, true)
}

func newPaceOf(w http.ResponseWriter, r *http.Request, h *Handler, write bool) *pace {
	cfg := h.cfg
	if cfg.MinBodyRate < 0 {
		return nil
	}
	p := &pace{
		h: h, w: w, ctx: r.Context(),
		rc: http.NewResponseController(w), write: write, start: time.Now(), grace: cfg.BodyRateGrace,
		perByte: 1 / float64(cfg.MinBodyRate), deadline: true,
	}
	// A deadline set here replaces the server's: never let it go past
	// what http.Server.ReadTimeout (WriteTimeout) allows, counted from
	// now, a little after the server started on the request.
	if srv, ok := r.Context().Value(http.ServerContextKey).(*http.Server); ok {
		timeout := srv.ReadTimeout
		if write {
			timeout = srv.WriteTimeout
		}
		if timeout > 0 {
			p.limit = p.start.Add(timeout)
		}
	}
	return p
}

// due returns when the first n bytes are late.
func (p *pace) due(n int64) time.Time {
	return p.capped(p.start.Add(p.grace + p.take(int64(n))))
}

// take is how long n bytes take at the minimum rate.
func (p *pace) take(n int64) time.Duration {
	return time.Duration(float64(n) * p.perByte * float64(time.Second))
}

// capped returns t, or the server's own deadline if that is sooner.
func (p *pace) capped(t time.Time) time.Time {
	if !p.limit.IsZero() && t.After(p.limit) {
		return p.limit
	}
	return t
}

// until returns when a read (write) of next bytes, after done, must
// have ended: when the bytes are late on average, or when this one
// operation has taken the grace period and its bytes' time, if sooner.
func (p *pace) until(done int64, next int) time.Time {
	t := p.due(done + int64(next))
	if own := p.capped(time.Now().Add(p.grace + p.take(int64(next)))); own.Before(t) {
		return own
	}
	return t
}

func (p *pace) setDeadline(t time.Time) error {
	if p.write {
		return p.rc.SetWriteDeadline(t)
	}
	return p.rc.SetReadDeadline(t)
}

// before is called with the bytes read (written) so far and the size of
// the next read (write). It returns errSlowBody if they are already late.
func (p *pace) before(done int64, next int) error {
	if p == nil {
		return nil
	}
	if p.deadline {
		err := p.setDeadline(p.until(done, next))
		if err == nil {
			p.set = true
			return nil
		}
		p.deadline = false // not supported: check between reads
		if errors.Is(err, http.ErrNotSupported) {
			p.h.warnNoDeadlines(p.ctx, p.w)
		}
	}
	if time.Now().After(p.due(done)) {
		return errSlowBody
	}
	return nil
}

// done clears the deadline once the body is read to its end (the
// download written), so that nothing after it, such as the server
// watching for the client hanging up, trips over it; a write deadline
// goes back to the server's own. A body abandoned midway keeps its
// deadline: the server then gives up reading the rest (to reuse the
// connection) when it passes, instead of waiting on a stalled client for
// ever.
func (p *pace) done() {
	if p != nil && p.set {
		if p.write {
			p.setDeadline(p.limit)
		} else {
			p.setDeadline(time.Time{})
		}
		p.set = false
	}
}

// errSlowBody is a body (a download) that fell below the minimum rate.
var errSlowBody = errors.New("below the minimum rate")

// warnNoDeadlines logs, once in the Handler's life, that a ResponseWriter
// cannot set deadlines: usually a middleware's wrapper without an Unwrap
// method, which http.ResponseController needs to reach the connection.
func (h *Handler) warnNoDeadlines(ctx context.Context, w http.ResponseWriter) {
	h.noDeadlines.Do(func() {
		h.cfg.Logger.LogAttrs(ctx, slog.LevelWarn, fmt.Sprintf(
			"the ResponseWriter (%T) cannot set read or write deadlines: a stalled request body or download is no longer cut off, and holds its slot until the server's own timeouts", w),
			slog.String("hint", "give the middleware's ResponseWriter an Unwrap() http.ResponseWriter method"))
	})
}
