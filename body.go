package ccfs

// The request body as the handler reads it: counted, held to the minimum
// rate (pace.go), cut off by the request's end.

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"
	"time"
)

// requestBody is the bottom of the chain: the request body, counted, held
// to the minimum rate, and cut off by the request's end until its last
// read. Its failures are bodyErrors.
type requestBody struct {
	r    io.Reader
	ctx  context.Context
	size int64 // Content-Length
	n    int64 // read so far
	pace *pace // nil if the minimum rate is off
	// lastRead is set just before the read that can complete the body.
	// From then on the request's context no longer aborts the store: Go's
	// server cancels it when the client half-closes its connection, which
	// it may do as soon as its last byte is sent (and which the server
	// notices inside that very read); a client that really hangs up
	// during it makes the read fail, which aborts the store all the same.
	lastRead atomic.Bool
}

func (b *requestBody) Read(p []byte) (int, error) {
	if err := b.ctx.Err(); err != nil && !b.lastRead.Load() {
		return 0, bodyError{err} // the request ended with body bytes still due
	}
	if b.size-b.n <= int64(len(p)) {
		b.lastRead.Store(true)
	}
	if err := b.pace.before(b.n, len(p)); err != nil {
		return 0, bodyError{err}
	}
	n, err := b.r.Read(p)
	b.n += int64(n)
	switch {
	case err == io.EOF:
		b.pace.done()
	case err != nil:
		err = bodyError{err}
	}
	return n, err
}

// A bodyError is a failure to read the request body itself.
type bodyError struct{ err error }

func (e bodyError) Error() string { return fmt.Sprintf("reading the request body: %v", e.err) }

func (e bodyError) Unwrap() error { return e.err }

// replayTimeout bounds the replay check, which runs on its own context:
// the request's is cancelled by Go's server when a client half-closes its
// connection after its last byte, as many do.
const replayTimeout = 5 * time.Second
