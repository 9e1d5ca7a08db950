package ccfs

import (
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/internal/b64"
	"github.com/ccfs-go/ccfs/internal/envelope"
	"github.com/ccfs-go/ccfs/store"
	"github.com/ccfs-go/ccfs/wavcheck"
)

// readSize is how much of the body is read at a time.
const readSize = 32 << 10

// An upload is the single pass over one request body. It is the io.Reader
// that Store.Put drains: each Read pulls the next piece of the body through
// the signature check, the JSON scanner, the base64 decoder and the WAV
// checker, and hands on the decoded bytes. At the end of the body it
// returns io.EOF only if everything checked out, signature included;
// otherwise an error, so the store keeps nothing.
type upload struct {
	ctx    context.Context // the request's, for the replay cache
	cfg    *config
	body   io.Reader
	size   int64 // Content-Length
	verify *auth.Verification
	pace   *pace // nil if the minimum body rate is off
	scan   envelope.Scanner
	dec    b64.Decoder
	wav    *wavcheck.Checker

	bodyBytes int64
	fileBytes int64

	// readErr is a failure to read the body itself; end what Read returns
	// once pending is empty (nil while the body goes on): io.EOF, or the
	// first thing wrong.
	readErr  error
	end      error
	verified bool
	// lastRead is set just before the read that can complete the body.
	// From then on the request's context no longer aborts the store: Go's
	// server cancels it when the client half-closes its connection, which
	// it may do as soon as its last byte is sent (and which the server
	// notices inside that very read); a client that really hangs up
	// during it makes the read fail, which aborts the store all the same.
	lastRead atomic.Bool

	pending []byte
	pend    [readSize/4*3 + 3]byte // decoded bytes of one body piece, waiting for Read
	buf     [readSize]byte
}

// uploads recycles uploads: each holds some 60 KB of buffers, which would
// otherwise be allocated, zeroed and collected for every request.
var uploads = sync.Pool{New: func() any { return new(upload) }}

// newUpload returns a ready upload; release it with free.
func newUpload(cfg *config, body io.Reader, size int64, x *auth.Verification, p *pace) *upload {
	u := uploads.Get().(*upload)
	u.cfg, u.body, u.size, u.verify, u.pace = cfg, body, size, x, p
	u.wav = wavcheck.NewChecker(cfg.policy)
	u.scan = envelope.Scanner{Data: &u.dec}
	u.dec.Reset((*decoded)(u))
	u.bodyBytes, u.fileBytes = 0, 0
	u.readErr, u.end, u.verified = nil, nil, false
	u.lastRead.Store(false)
	u.pending = nil
	return u
}

// free returns u to the pool. Nothing may use u afterwards.
func (u *upload) free() {
	u.ctx, u.cfg, u.body, u.verify, u.wav, u.pace = nil, nil, nil, nil, nil, nil
	uploads.Put(u)
}

// decoded receives the decoded file bytes from the base64 decoder.
type decoded upload

func (d *decoded) Write(p []byte) (int, error) {
	u := (*upload)(d)
	u.fileBytes += int64(len(p))
	if u.fileBytes > u.cfg.maxFile {
		return 0, ErrTooLong.with("the length of data is too long: the file exceeds %d MB", u.cfg.MaxFileMB)
	}
	if _, err := u.wav.Write(p); err != nil {
		return 0, wavError(err)
	}
	u.pending = append(u.pending, p...)
	return len(p), nil
}

// Read implements io.Reader for Store.Put.
func (u *upload) Read(p []byte) (int, error) {
	for len(u.pending) == 0 {
		if u.end != nil {
			return 0, u.end
		}
		u.pull()
	}
	n := copy(p, u.pending)
	u.pending = u.pending[n:]
	return n, nil
}

// pull reads the next piece of the body and passes it through every check.
func (u *upload) pull() {
	u.pending = u.pend[:0]
	if err := u.ctx.Err(); err != nil && !u.lastRead.Load() {
		u.readErr, u.end = err, err // the request ended with body bytes still due
		return
	}
	if u.size-u.bodyBytes <= int64(len(u.buf)) {
		u.lastRead.Store(true)
	}
	if err := u.pace.beforeRead(u.bodyBytes, len(u.buf)); err != nil {
		u.readErr, u.end = err, err
		return
	}
	n, err := u.body.Read(u.buf[:])
	if n > 0 {
		u.bodyBytes += int64(n)
		u.verify.Write(u.buf[:n])
		if _, serr := u.scan.Write(u.buf[:n]); serr != nil {
			u.end = contentError(serr)
		}
	}
	switch {
	case u.end != nil:
	case err == io.EOF:
		u.pace.done()
		u.end = u.finish()
	case err != nil:
		u.readErr = err
		u.end = err
	}
}

// finish runs the checks that need the whole body. The signature comes
// first: a caller who cannot sign learns nothing about the rest.
func (u *upload) finish() error {
	if err := u.verifySignature(); err != nil {
		return err
	}
	if err := u.scan.Close(); err != nil {
		return contentError(err)
	}
	if err := u.dec.Close(); err != nil {
		return contentError(err)
	}
	if err := u.checkFields(); err != nil {
		return err
	}
	if err := u.wav.Close(); err != nil {
		return wavError(err)
	}
	return io.EOF
}

// replayTimeout bounds the replay check, which runs on its own context:
// the request's is cancelled by Go's server when a client half-closes its
// connection after its last byte, as many do.
const replayTimeout = 5 * time.Second

// verifySignature runs Verify once, at the end of the body.
func (u *upload) verifySignature() *Error {
	u.verified = true
	ctx, cancel := context.WithTimeout(context.WithoutCancel(u.ctx), replayTimeout)
	defer cancel()
	if err := u.verify.Verify(ctx); err != nil {
		return authError(err)
	}
	return nil
}

// checkFields checks version and data once the body is complete.
func (u *upload) checkFields() *Error {
	v, ok := u.scan.Version()
	switch {
	case u.scan.VersionTooLong():
		return ErrTooLong.with("the length of version is too long (at most %d characters)", envelope.MaxVersionLen)
	case !ok:
		return ErrNull.with("the value of version cannot be null")
	case v == "":
		return ErrEmpty.with("version cannot be an empty string")
	case v != Version:
		return ErrVersion
	case !u.scan.HasData():
		return ErrNull.with("the value of data cannot be null")
	case u.scan.DataLen() == 0:
		return ErrEmpty.with("data cannot be an empty string")
	}
	return nil
}

// contentError maps a failure inside the body to its result.
func contentError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e // from the decoded-bytes sink: size or WAV
	}
	var be *b64.Error
	if errors.As(err, &be) {
		return ErrFormat.with("the format of data is incorrect: %v", be)
	}
	return ErrFormat.with("the format of the request body is incorrect: %v", err)
}

// wavError maps a wavcheck error to its result.
func wavError(err error) *Error {
	var se *wavcheck.SizeError
	if errors.As(err, &se) {
		return ErrTooLong.with("the length of data is too long: %v", err)
	}
	return ErrFormat.with("the format of data is incorrect: %v", err)
}

// run stores the file under name, or returns why not. Whatever happens,
// the body is read to its end and the signature checked before a result
// is chosen, so an authentication failure wins over every other.
func (u *upload) run(ctx context.Context, name string) ([]string, error) {
	u.ctx = ctx
	if !u.verify.VDNAllowed() {
		// It cannot succeed: spare the store, and let the signature decide
		// between 401 and "not your VDN".
		if err := u.drain(); err != nil {
			return nil, u.bodyReadError(err)
		}
		return nil, u.verifySignature()
	}
	// Prime: nothing is stored for a body that fails before its first
	// decoded byte.
	for len(u.pending) == 0 && u.end == nil {
		u.pull()
	}
	// The request's end (the client hanging up, a timeout) aborts the store
	// while the body is still arriving; from its last read on, the reader
	// alone decides: EOF if it checked out, an error if not.
	storeCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	defer context.AfterFunc(ctx, func() {
		if !u.lastRead.Load() {
			cancel()
		}
	})()
	var locations []string
	var putErr error
	if len(u.pending) > 0 || u.end == io.EOF {
		locations, putErr = store.PutSafely(storeCtx, u.cfg.Store, name, u, -1)
		if putErr == nil && u.end == io.EOF && len(u.pending) == 0 {
			return locations, nil
		}
		if putErr == nil {
			// The store said yes without draining the reader: it broke its
			// contract. Take the file back if it can be.
			putErr = errors.New("store returned without reading the file to its end")
			if rm, ok := u.cfg.Store.(store.Remover); ok {
				rm.Remove(context.WithoutCancel(ctx), name)
			}
		}
	}
	if u.readErr != nil {
		return nil, u.bodyReadError(u.readErr)
	}
	if !u.verified {
		if err := u.drain(); err != nil {
			return nil, u.bodyReadError(err)
		}
		if err := u.verifySignature(); err != nil {
			return nil, err
		}
	}
	var e *Error
	switch {
	case errors.As(u.end, &e):
		return nil, e
	case errors.Is(putErr, store.ErrExist):
		return nil, ErrStorage.with("the file could not be stored: the generated name is taken; try again").because(putErr)
	}
	return nil, ErrStorage.because(putErr)
}

// bodyReadError is the result of a body that could not be read to its end.
func (u *upload) bodyReadError(err error) *Error {
	if isSlow(err) {
		return ErrSlowBody.with("the request body arrived too slowly: under %d bytes a second after the first %s",
			u.cfg.MinBodyRate, u.cfg.BodyRateGrace).because(err)
	}
	return ErrFormat.with("the request body could not be read to its end").because(err)
}

// drain reads the rest of the body through the signature check only.
func (u *upload) drain() error {
	for {
		if err := u.pace.beforeRead(u.bodyBytes, len(u.buf)); err != nil {
			return err
		}
		n, err := u.body.Read(u.buf[:])
		u.bodyBytes += int64(n)
		u.verify.Write(u.buf[:n])
		if err == io.EOF {
			u.pace.done()
			return nil
		}
		if err != nil {
			return err
		}
	}
}
