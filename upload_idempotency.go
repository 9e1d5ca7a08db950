package ccfs

// Idempotent upload retries (a ccfs extension): an upload sent with an
// Idempotency-Key header is remembered (Options.Idempotency), so that a
// retry of it — the answer was lost — answers the file first stored and
// stores nothing more.

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"time"

	"github.com/ccfs-go/ccfs/idempotency"
)

// The headers of idempotent upload retries, a ccfs extension.
const (
	// HeaderIdempotencyKey names an upload, so that a retry of it with
	// the same key and file stores nothing more: 1 to idempotency.MaxKey
	// printable ASCII characters (0x21–0x7e), chosen by the client, new
	// for each file. It may be signed (listed in the Authorization's
	// signed headers) or not.
	HeaderIdempotencyKey = "Idempotency-Key"
	// HeaderIdempotencyReplayed, "true" on a success answer, says the
	// upload repeated an earlier one under the same key: the answer is
	// the earlier one's, and nothing was stored.
	HeaderIdempotencyReplayed = "Idempotency-Replayed"
)

// idempotencyTimeout bounds a call to Options.Idempotency, which runs on
// its own context: the request's may have ended, and a key begun must be
// settled.
const idempotencyTimeout = 5 * time.Second

// errRepeat ends the chain of an upload that repeats a finished one: the
// store keeps nothing, and the earlier answer is given.
var errRepeat = errors.New("a repeat of an upload under its Idempotency-Key: nothing is stored")

// resolveIdempotency sets Idempotency's and IdempotencyTTL's defaults.
func (c *config) resolveIdempotency() error {
	if c.Idempotency == nil {
		c.Idempotency = idempotency.NewMemory(0)
	}
	switch {
	case c.IdempotencyTTL == 0:
		c.IdempotencyTTL = idempotency.DefaultTTL
	case c.IdempotencyTTL < 0:
		return errors.New("ccfs: Options.IdempotencyTTL must not be negative")
	}
	return nil
}

// idempotencyKey returns the request's Idempotency-Key, "" if it has
// none or Options.Idempotency is idempotency.Off (the header is then
// ignored), or why it is refused: given more than once, empty, longer
// than idempotency.MaxKey, or holding a byte outside 0x21–0x7e.
func (c *config) idempotencyKey(h http.Header) (string, error) {
	vs := h.Values(HeaderIdempotencyKey)
	if len(vs) == 0 || c.Idempotency == idempotency.Off {
		return "", nil
	}
	if len(vs) > 1 {
		return "", ErrFormat.with("the format of Idempotency-Key is incorrect: it is given %d times", len(vs))
	}
	k := vs[0]
	switch {
	case k == "":
		return "", ErrEmpty.with("Idempotency-Key cannot be an empty string")
	case len(k) > idempotency.MaxKey:
		return "", ErrTooLong.with("the length of Idempotency-Key is too long: %d bytes (at most %d)", len(k), idempotency.MaxKey)
	}
	for i := range len(k) {
		if b := k[i]; b < 0x21 || b > 0x7e {
			return "", ErrFormat.with("the format of Idempotency-Key is incorrect: byte %d is %#02x; use printable ASCII (0x21-0x7e), no spaces", i, b)
		}
	}
	return k, nil
}

// beginKey runs at the file's end, once the signature holds, for an
// upload with an Idempotency-Key: it records the key as in flight for
// this file (Fresh: the upload goes on), or refuses the upload: a repeat
// of a finished one (errRepeat: the store keeps nothing, and the answer
// is the earlier one's), the key used for another file
// (ErrIdempotencyMismatch), or a repeat of one still in flight (ErrBusy).
func (u *upload) beginKey() error {
	if u.key == "" {
		return nil
	}
	if err := u.hash.finish(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(u.ctx), idempotencyTimeout)
	defer cancel()
	st, rec, err := u.cfg.Idempotency.Begin(ctx, u.scope(), u.hash.sum, idempotency.InFlightLease)
	if err != nil {
		return ErrStorage.with("the file could not be stored: its Idempotency-Key could not be looked up").because(err)
	}
	switch st {
	case idempotency.Fresh:
		u.keyBegun = true
		return nil
	case idempotency.Repeat:
		u.repeat = rec
		return errRepeat
	case idempotency.InFlight:
		u.keyBusy = true
		return ErrBusy.with("an upload with Idempotency-Key %q is in progress; retry once it has ended", clipText(u.key))
	case idempotency.Mismatch:
		return ErrIdempotencyMismatch.with("the Idempotency-Key %q was used for another file; a new file needs a new key", clipText(u.key))
	}
	return ErrStorage.with("the file could not be stored: its Idempotency-Key could not be looked up").
		because(fmt.Errorf("idempotency: Begin returned an unknown state %d", st))
}

// settleKey ends the key an upload began, once the store has answered:
// recorded with its answer if the file was stored, forgotten if not (a
// retry may then store it). A Store that fails is logged: the key stays
// in flight until its lease runs out.
func (u *upload) settleKey(stored bool, locations []string) {
	if !u.keyBegun {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(u.ctx), idempotencyTimeout)
	defer cancel()
	var err error
	if stored {
		rec := idempotency.Record{Hash: u.hash.sum, FileName: u.cfg.RootPrefix + "/" + u.name, LocationIDs: locations}
		err = u.cfg.Idempotency.Finish(ctx, u.scope(), rec, u.cfg.IdempotencyTTL)
	} else {
		err = u.cfg.Idempotency.Abort(ctx, u.scope(), u.hash.sum)
	}
	if err != nil {
		u.cfg.Logger.Warn("idempotency: a key could not be settled; it stays in flight until its lease runs out",
			"vdn", u.vdn, "file", u.name, "stored", stored, "err", err)
	}
}

// repeated reports whether the upload repeated a finished one, and that
// one's answer.
func (u *upload) repeated() (idempotency.Record, bool) {
	return u.repeat, errors.Is(u.failed, errRepeat)
}

// scope is the upload's key, scoped by its verified access key and VDN.
func (u *upload) scope() idempotency.Scope {
	return idempotency.Scope{AccessKey: u.verify.AccessKey(), VDN: u.vdn, Key: u.key}
}

// repeatAnswer answers an upload that repeated a finished one: the
// earlier answer, marked replayed.
func repeatAnswer(w http.ResponseWriter, ev *Event, rec idempotency.Record) *Response {
	w.Header().Set(HeaderIdempotencyReplayed, "true")
	ev.FileName, ev.IdempotencyReplayed = rec.FileName, true
	return &Response{ResultCode: SuccessCode, ResultDesc: "success",
		ResultData: &ResultData{FileName: rec.FileName, LocationID: rec.LocationIDs}}
}

// hashing passes the decoded file on and hashes it (SHA-256), for an
// upload with an Idempotency-Key: the file as sent, before conversion.
type hashing struct {
	r   io.Reader
	h   hash.Hash
	eof bool
	sum idempotency.Hash
}

func (x *hashing) reset(r io.Reader) {
	if x.h == nil {
		x.h = sha256.New()
	}
	x.r, x.eof, x.sum = r, false, idempotency.Hash{}
	x.h.Reset()
}

func (x *hashing) Read(p []byte) (int, error) {
	n, err := x.r.Read(p)
	x.h.Write(p[:n])
	if err == io.EOF {
		x.eof = true
	}
	return n, err
}

// finish reads what is left of the file (nothing, once the stages after
// it have seen its end) and takes the sum.
func (x *hashing) finish() error {
	if !x.eof {
		if _, err := io.Copy(io.Discard, x); err != nil {
			return err
		}
	}
	x.h.Sum(x.sum[:0])
	return nil
}
