package ccfs

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"

	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/events"
	"github.com/ccfs-go/ccfs/idempotency"
	"github.com/ccfs-go/ccfs/internal/b64"
	"github.com/ccfs-go/ccfs/internal/envelope"
	"github.com/ccfs-go/ccfs/internal/safeput"
	"github.com/ccfs-go/ccfs/wavcheck"
)

// serveUpload runs one upload: the checks that need no body, then the
// single pass over it.
func (h *Handler) serveUpload(w http.ResponseWriter, r *http.Request, ev *Event) (*Response, error) {
	if err := checkMethod(w, r); err != nil {
		return nil, err
	}
	vdn, err := parseVDN(r.URL.RawQuery)
	if err != nil {
		return nil, early(err)
	}
	ev.VDN = vdn
	key, err := h.cfg.idempotencyKey(r.Header)
	if err != nil {
		return nil, early(err)
	}
	conv := h.cfg.converts(vdn)
	maxBody, tooLong := h.cfg.uploadLimit(conv)
	x, release, err := h.admit(w, r, ev, maxBody, tooLong,
		func(ctx context.Context, r *http.Request) (*auth.Verification, error) {
			return h.cfg.verifier.Begin(ctx, r, vdn)
		})
	if err != nil {
		return nil, err
	}
	defer release()
	name, err := h.cfg.rule.Name(vdn, h.cfg.Now())
	if err != nil {
		return nil, early(ErrStorage.because(err))
	}
	u := newUpload(r.Context(), h.cfg, vdn, r.Body, r.ContentLength, x, newPace(w, r, h), conv, key)
	u.req = ev
	locations, err := u.run(name)
	ev.BodyBytes, ev.FileBytes = u.body.n, u.wav.Written()
	var converted *Conversion
	if conv {
		ev.ConvertedFrom, converted = u.conv.source(u.failed), u.conv.conversion()
	}
	rec, repeated := u.repeated()
	if u.keyBusy {
		w.Header().Set("Retry-After", "1")
	}
	u.free()
	h.settle(x, ev)
	if err != nil {
		return nil, err
	}
	if repeated {
		return repeatAnswer(w, ev, rec), nil
	}
	ev.FileName = h.cfg.RootPrefix + "/" + name
	return &Response{ResultCode: SuccessCode, ResultDesc: "success",
		ResultData: &ResultData{FileName: ev.FileName, LocationID: locations, Converted: converted}}, nil
}

// parseVDN reads vdnId: present once, a positive decimal integer that
// fits in 32 bits.
func parseVDN(rawQuery string) (int, error) {
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return 0, ErrFormat.with("the format of the query string is incorrect")
	}
	vs, ok := q["vdnId"]
	switch {
	case !ok:
		return 0, ErrNull.with("the value of vdnId cannot be null")
	case len(vs) > 1:
		return 0, ErrFormat.with("the format of vdnId is incorrect: it is given %d times", len(vs))
	case vs[0] == "":
		return 0, ErrEmpty.with("vdnId cannot be an empty string")
	}
	s := vs[0]
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil || n <= 0 || s[0] < '0' || s[0] > '9' {
		return 0, ErrFormat.with("the format of vdnId is incorrect: %q is not a positive 32-bit integer", clipText(s))
	}
	return int(n), nil
}

// An upload is the single pass over one request body: a chain of readers
// that Store.Put drains, each Read pulling just enough of the body through
// every stage to fill the store's buffer:
//
//	body    the request body: counted, held to the minimum rate, cut off
//	        by the request's end until its last read
//	tee     every body byte into the signature check
//	env     the JSON envelope, scanned whole; yields msgBody.data unescaped
//	fields  at the envelope's end: version and data present and right
//	dec     base64, strictly
//	conv    for a VDN Options.Convert is on for: the file converted as it
//	        is read (upload_convert.go)
//	hash    for an upload with an Idempotency-Key: the file hashed
//	        (upload_idempotency.go)
//	wav     the WAV checks (of the converted file, if it is)
//	end     at the file's end: the signature (io.EOF only if it holds)
//
// So the store sees io.EOF only once the whole request checked out, and
// an error from any stage otherwise. The chain is wired once, when the
// upload is made; newUpload points it at a request.
type upload struct {
	ctx      context.Context
	cfg      *config
	vdn      int
	verify   *auth.Verification
	verified bool   // Verify has run
	convert  bool   // the file is converted: conv is in the chain
	failed   error  // the first error the chain returned to the store
	claimed  int64  // the file's size, claimed from the VDN's quota; -1: nothing claimed
	name     string // the file's name in the store
	req      *Event // the request's log event: its key and request ID

	key      string             // the Idempotency-Key; "" for none (upload_idempotency.go)
	keyBegun bool               // the key was begun for this upload: settle it
	keyBusy  bool               // an upload with the key is in flight: answered busy
	repeat   idempotency.Record // the finished upload this one repeats

	intent events.Intent // the file's event, prepared at its end (Options.Events)
	event  events.Event

	body   requestBody
	tee    tee
	env    envelope.Reader
	fields atEOF
	dec    b64.Reader
	hash   hashing
	conv   converting
	wav    wavcheck.Reader
	end    atEOF

	head    []byte // primed bytes not yet handed to the store
	headBuf [4 << 10]byte
}

// uploads recycles uploads: each holds about 70 KB of buffers (the
// envelope's 32 KiB of body, base64's 32 KiB of text, 4 KiB for the first
// file bytes), and, once one has converted a file, the converter's
// (Options.Convert), which would otherwise be allocated, zeroed and
// collected for every request.
var uploads = sync.Pool{New: func() any {
	u := new(upload)
	u.tee.r = &u.body
	u.env.Reset(&u.tee)
	u.fields = atEOF{r: &u.env, fn: u.checkFields}
	u.dec.Reset(&u.fields)
	u.end = atEOF{r: &u.wav, fn: u.atFileEnd}
	return u
}}

// newUpload returns an upload of body, which is size bytes long and signed
// as x says, converting its file if convert, under the Idempotency-Key
// key ("" for none); release it with free.
func newUpload(ctx context.Context, cfg *config, vdn int, body io.Reader, size int64, x *auth.Verification, p *pace, convert bool, key string) *upload {
	u := uploads.Get().(*upload)
	u.ctx, u.cfg, u.vdn, u.verify, u.verified, u.failed, u.claimed = ctx, cfg, vdn, x, false, nil, -1
	u.convert = convert
	u.name, u.req, u.intent, u.event = "", nil, nil, events.Event{}
	u.key, u.keyBegun, u.keyBusy, u.repeat = key, false, false, idempotency.Record{}
	u.body.r, u.body.ctx, u.body.size, u.body.n, u.body.pace = body, ctx, size, 0, p
	u.body.lastRead.Store(false) // atomically: a late AfterFunc of the last request may read it
	u.tee.w = x
	u.env.Reset(&u.tee)
	u.fields.reset()
	u.dec.Reset(&u.fields)
	file := io.Reader(&u.dec)
	if key != "" {
		u.hash.reset(&u.dec)
		file = &u.hash
	}
	if convert {
		u.conv.reset(file, cfg)
		u.wav.Reset(&u.conv, cfg.policy)
	} else {
		u.wav.Reset(file, cfg.policy)
	}
	u.end.reset()
	u.head = nil
	return u
}

// free returns u to the pool. Nothing may use u afterwards.
func (u *upload) free() {
	u.ctx, u.cfg, u.verify, u.failed, u.req, u.intent = nil, nil, nil, nil, nil, nil
	u.body.r, u.body.ctx, u.body.pace = nil, nil, nil
	u.tee.w = nil
	u.hash.r, u.repeat = nil, idempotency.Record{}
	if u.convert {
		u.conv.free()
	}
	uploads.Put(u)
}

// run stores the file under name, or says why not. A failure is answered
// only once the body has been read to its end and the signature checked,
// so an authentication failure wins over every other.
func (u *upload) run(name string) ([]string, error) {
	if !u.verify.VDNAllowed() {
		// It cannot succeed: spare the store, and let the signature decide
		// between 401 and "not your VDN".
		return nil, u.refuse(nil)
	}
	// Prime: nothing is stored for a body that fails before its first
	// file byte.
	n, err := u.end.Read(u.headBuf[:])
	if err != nil && err != io.EOF {
		u.failed = err
		u.settleKey(false, nil) // a small file's end is met here
		if _, repeated := u.repeated(); repeated {
			return nil, nil
		}
		return nil, u.refuse(nil)
	}
	u.head = u.headBuf[:n]
	// The request's end (the client hanging up, a timeout) aborts the store
	// while the body is still arriving; from its last read on, the chain
	// alone decides: EOF if it checked out, an error if not.
	storeCtx, cancel := context.WithCancel(context.WithoutCancel(u.ctx))
	defer cancel()
	lastRead := &u.body.lastRead
	defer context.AfterFunc(u.ctx, func() {
		if !lastRead.Load() {
			cancel()
		}
	})()
	u.name = name
	locations, err := safeput.Put(storeCtx, u.cfg.Store, name, u, -1)
	u.settleKey(err == nil, locations)
	u.cfg.health.wrote(err, u.cfg.Now())
	u.settleClaim(err == nil)
	u.event.LocationIDs = locations
	u.cfg.settleEvent(u.ctx, u.intent, u.event, err == nil)
	if _, repeated := u.repeated(); repeated {
		return nil, nil // the answer is the earlier upload's (serveUpload)
	}
	if err != nil {
		return nil, u.refuse(err)
	}
	return locations, nil
}

// Read is what the store drains: the primed bytes, then the chain. It
// remembers the chain's first error, which is why the store failed.
func (u *upload) Read(p []byte) (int, error) {
	if len(u.head) > 0 {
		n := copy(p, u.head)
		u.head = u.head[n:]
		return n, nil
	}
	n, err := u.end.Read(p)
	if err != nil && err != io.EOF && u.failed == nil {
		u.failed = err
	}
	return n, err
}

// refuse chooses the answer for an upload that failed, with putErr the
// store's error (nil if the store was not called).
func (u *upload) refuse(putErr error) error {
	cause := u.failed
	if cause == nil {
		cause = putErr
	}
	var be bodyError
	if !u.verified && !errors.As(cause, &be) { // a body that cannot be read cannot be verified
		if err := u.drain(); err != nil {
			return u.cfg.resultFor(err)
		}
		if err := u.verifySignature(); err != nil {
			return err
		}
	}
	return u.cfg.resultFor(cause)
}

// drain reads the rest of the body through the signature check only.
func (u *upload) drain() error {
	buf := u.headBuf[:]
	for {
		_, err := u.tee.Read(buf)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// atFileEnd runs at the end of the file: the signature must hold, then
// its Idempotency-Key, if it has one, be new (beginKey,
// upload_idempotency.go), then the file must fit in its VDN's quota
// (claim, quota.go), and then its event be prepared (Options.Events).
// Only then does the store see io.EOF, and keep the file.
func (u *upload) atFileEnd() error {
	if err := u.verifySignature(); err != nil {
		return err
	}
	if err := u.beginKey(); err != nil {
		return err
	}
	if err := u.claim(); err != nil {
		return err
	}
	return u.prepareEvent()
}

// prepareEvent prepares the file's prompt.uploaded event, before the
// store commits it: if it cannot be, the file is not kept.
func (u *upload) prepareEvent() error {
	if u.cfg.Events == nil {
		return nil
	}
	u.event = u.cfg.newEvent(events.PromptUploaded, u.vdn, u.name, u.wav.Written(), u.req)
	u.event.AccessKey = u.verify.AccessKey()
	if f, ok := u.wav.Format(); ok {
		u.event.Codec = f.Codec.Name()
	}
	if u.convert {
		u.event.ConvertedFrom = u.conv.source(nil).From
	}
	in, err := u.cfg.prepareEvent(u.ctx, u.event)
	if err != nil {
		return eventRefused("stored", err)
	}
	u.intent = in
	return nil
}

// verifySignature runs Verify once, at the end of the body.
func (u *upload) verifySignature() error {
	u.verified = true
	ctx, cancel := context.WithTimeout(context.WithoutCancel(u.ctx), replayTimeout)
	defer cancel()
	if err := u.verify.Verify(ctx); err != nil {
		if errors.Is(err, auth.ErrVDNNotAllowed) {
			return vdnForbidden(u.vdn)
		}
		return u.cfg.resultFor(err)
	}
	return nil
}

// checkFields checks version and data once the envelope has ended.
func (u *upload) checkFields() error {
	s := u.env.Scanner()
	v, ok := s.Version()
	if err := versionError(v, ok, s.VersionTooLong()); err != nil {
		return err
	}
	switch {
	case !s.HasData():
		return ErrNull.with("the value of data cannot be null")
	case s.DataLen() == 0:
		return ErrEmpty.with("data cannot be an empty string")
	}
	return nil
}

// tee is io.TeeReader into the signature check, without an allocation per
// request.
type tee struct {
	r io.Reader
	w *auth.Verification
}

func (t *tee) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	t.w.Write(p[:n])
	return n, err
}

// atEOF passes r on, and at its end runs fn, once: r's io.EOF becomes
// fn's error if it has one.
type atEOF struct {
	r    io.Reader
	fn   func() error
	done bool
	err  error // fn's, sticky
}

func (a *atEOF) Read(p []byte) (int, error) {
	if a.err != nil {
		return 0, a.err
	}
	n, err := a.r.Read(p)
	if err == io.EOF && !a.done {
		a.done = true
		if a.err = a.fn(); a.err != nil {
			return n, a.err
		}
	}
	return n, err
}

// reset makes a ready for a new stream.
func (a *atEOF) reset() { a.done, a.err = false, nil }
