package ccfs

import (
	"errors"
	"net/http"
	"time"
)

// A pace holds a request body to the minimum rate: after a grace period
// from the start of the upload, the body must have delivered
// Options.MinBodyRate bytes for every second since the grace ended. Before
// each read it sets the connection's read deadline to the moment the bytes
// due by the end of that read become late, so a stalled body is dropped in
// seconds, not at the server's read timeout. Where the ResponseWriter
// cannot set deadlines (a test recorder, some middleware) it checks the
// rate between reads instead.
type pace struct {
	rc       *http.ResponseController
	start    time.Time
	limit    time.Time // the server's own read deadline, if it has one
	grace    time.Duration
	perByte  float64 // seconds per byte at the minimum rate
	deadline bool    // rc can set read deadlines
	set      bool    // a deadline is set and must be cleared
}

// newPace returns the pace of one upload of r starting now, or nil if the
// minimum rate is off.
func newPace(w http.ResponseWriter, r *http.Request, cfg *config) *pace {
	if cfg.MinBodyRate < 0 {
		return nil
	}
	p := &pace{
		rc: http.NewResponseController(w), start: time.Now(), grace: cfg.BodyRateGrace,
		perByte: 1 / float64(cfg.MinBodyRate), deadline: true,
	}
	// A deadline set here replaces the server's: never let it go past
	// what http.Server.ReadTimeout allows (counted from now, a little
	// after the server started reading the request).
	if srv, ok := r.Context().Value(http.ServerContextKey).(*http.Server); ok && srv.ReadTimeout > 0 {
		p.limit = p.start.Add(srv.ReadTimeout)
	}
	return p
}

// due returns when the first n bytes of the body are late.
func (p *pace) due(n int64) time.Time {
	t := p.start.Add(p.grace + time.Duration(float64(n)*p.perByte*float64(time.Second)))
	if !p.limit.IsZero() && t.After(p.limit) {
		return p.limit
	}
	return t
}

// beforeRead is called with the body bytes read so far and the size of the
// next read. It returns errSlowBody if the body is already late.
func (p *pace) beforeRead(read int64, next int) error {
	if p == nil {
		return nil
	}
	if p.deadline {
		err := p.rc.SetReadDeadline(p.due(read + int64(next)))
		if err == nil {
			p.set = true
			return nil
		}
		p.deadline = false // not supported: check between reads
	}
	if time.Now().After(p.due(read)) {
		return errSlowBody
	}
	return nil
}

// done clears the deadline once the body is read to its end, so that
// nothing after it, such as the server watching for the client hanging up,
// trips over it. A body abandoned midway keeps its deadline: the server
// then gives up reading the rest (to reuse the connection) when it passes,
// instead of waiting on a stalled client for ever.
func (p *pace) done() {
	if p != nil && p.set {
		p.rc.SetReadDeadline(time.Time{})
		p.set = false
	}
}

// errSlowBody is a body that fell below the minimum rate.
var errSlowBody = errors.New("the request body arrived below the minimum rate")
