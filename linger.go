package ccfs

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/ccfs-go/ccfs/auth"
)

// A request answered before its body was read still has that body on its
// way. Go's server reads at most 256 KB of it and then closes the
// connection; a client that writes its whole request before it reads the
// answer, as Python's http.client and Java's HttpURLConnection do, is then
// reset while it writes and never sees the answer. So, as nginx's
// lingering_close does, the Handler answers at once and then reads and
// discards the body before it closes the connection: bounded in bytes,
// held to the minimum body rate, and holding no request slot, only one of
// the MaxDraining draining ones.

// refusedEarly marks a failure that refused a request before a byte of
// its body was read.
type refusedEarly struct{ error }

func (e refusedEarly) Unwrap() error { return e.error }

// early marks err, if not nil, as a refusal before the body.
func early(err error) error {
	if err == nil {
		return nil
	}
	return refusedEarly{err}
}

// lingerTimeout bounds a drain when the minimum body rate is off.
const lingerTimeout = 10 * time.Second

// shouldLinger reports whether the body of r, refused with err before it
// was read, is to be drained after the answer, and for which claimed
// access key. Draining is for a client that may be genuine: it is not for
// a request without an Authorization header, with a malformed one, or
// naming an access key that does not exist (a stranger: cut off, as Go's
// server does), nor for one that asked to be told before it sends its
// body (Expect: 100-continue: it has sent nothing), one without a body,
// or one declaring more than twice the largest body the handler accepts.
func (h *Handler) shouldLinger(r *http.Request, err error) (ak string, ok bool) {
	var re refusedEarly
	switch {
	case !errors.As(err, &re), r.ContentLength == 0, r.ContentLength > 2*h.cfg.maxBody,
		strings.Contains(strings.ToLower(r.Header.Get("Expect")), "100-continue"):
		return "", false
	case errors.Is(err, auth.ErrUnknownKey), errors.Is(err, auth.ErrMalformedHeader):
		return "", false
	}
	a, perr := auth.ParseAuthorization(r.Header.Get("Authorization"))
	if perr != nil {
		return "", false
	}
	// A refusal made before the key was looked up (the method, the path,
	// the content type or length, the clock): look it up now. A server
	// too busy for the request is not asked for more work.
	if !errors.Is(err, ErrRateLimited) && !errors.Is(err, ErrBusy) {
		if _, err := h.cfg.Credentials.Lookup(r.Context(), a.AccessKey); errors.Is(err, auth.ErrUnknownKey) {
			return "", false
		}
	}
	return a.AccessKey, true
}

// startDrain takes a draining slot for a request claiming ak, if one is
// free and ak holds less than its share (drainKeys: a quarter of
// MaxDraining). Strangers who know a key's name, but not its secret, can
// hold that key's share, not another key's.
func (h *Handler) startDrain(ak string) bool {
	if !h.drainKeys.acquire(ak) {
		return false
	}
	select {
	case h.draining <- struct{}{}:
		return true
	default:
		h.drainKeys.release(ak)
		return false
	}
}

// endDrain gives back the slot startDrain took for ak.
func (h *Handler) endDrain(ak string) {
	<-h.draining
	h.drainKeys.release(ak)
}

// linger drains the body of r, which claims the access key ak, after its
// answer was written with Connection: close, if a draining slot is free
// within ak's share: at most its declared length (twice the largest body
// the handler accepts for one of unknown length), at the minimum body
// rate.
func (h *Handler) linger(w http.ResponseWriter, r *http.Request, ak string) {
	if !h.startDrain(ak) {
		return // too many draining: close at once
	}
	defer h.endDrain(ak)
	rc := http.NewResponseController(w)
	rc.Flush() // the answer goes out now, not when the drain ends
	limit := 2 * h.cfg.maxBody
	if r.ContentLength > 0 {
		limit = r.ContentLength
	}
	body := requestBody{r: r.Body, ctx: r.Context(), size: limit, pace: newPace(w, r, h)}
	if body.pace == nil {
		rc.SetReadDeadline(time.Now().Add(lingerTimeout))
	}
	buf := lingerBufs.Get().(*[lingerBufSize]byte)
	defer lingerBufs.Put(buf)
	for n := int64(0); n < limit; {
		k, err := body.Read(buf[:min(int64(len(buf)), limit-n)])
		n += int64(k)
		if err != nil {
			return
		}
	}
}

const lingerBufSize = 32 << 10

var lingerBufs = sync.Pool{New: func() any { return new([lingerBufSize]byte) }}
