package ccfs

// Admission: the checks every interface makes before it reads a body,
// and the per-key rate and slots a request holds while it runs.

import (
	"context"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ccfs-go/ccfs/auth"
	"golang.org/x/time/rate"
)

// admit makes the checks every interface makes before it reads a body,
// once the caller has checked the method (and an upload its vdnId), in
// this order: Content-Type, Content-Length (at most maxBody; tooLong says
// what allows that much), and the Authorization header, through begin,
// which refuses an unknown key. Then it takes the slots the request
// holds while it runs: a token must be ready in its key's bucket, a slot
// of the key's share must be free, and one of the handler's. The caller
// must call the returned release.
//
// From here on the request names a known access key, but until its body
// has been read to the end and the signature holds the caller is a
// stranger: what it can hold is bounded (a slot of the key's share, for
// no longer than the minimum body rate allows) and nothing it does lasts.
func (h *Handler) admit(w http.ResponseWriter, r *http.Request, ev *Event, maxBody int64, tooLong string,
	begin func(context.Context, *http.Request) (*auth.Verification, error)) (_ *auth.Verification, _ func(), err error) {
	defer func() { err = early(err) }() // every refusal here comes before the body
	if err := checkContentType(r.Header.Values("Content-Type")); err != nil {
		return nil, nil, err
	}
	switch {
	case r.ContentLength < 0:
		return nil, nil, ErrNull.with("the value of Content-Length cannot be null (chunked bodies are not accepted)")
	case r.ContentLength == 0:
		return nil, nil, ErrBodyNull
	case r.ContentLength > maxBody:
		return nil, nil, ErrTooLong.with("the length of the request body is too long: %d bytes; %s allows at most %d",
			r.ContentLength, tooLong, maxBody)
	}
	x, err := begin(r.Context(), r)
	if err != nil {
		ev.AccessKey = clipKey(claimedKey(r.Header.Get("Authorization")))
		return nil, nil, err
	}
	ak := x.AccessKey()
	ev.AccessKey = clipKey(ak)
	if wait, ok := h.limits.ready(ak, h.cfg.Now()); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(max(1, (wait+time.Second-1)/time.Second))))
		return nil, nil, ErrRateLimited.with("flow-control threshold reached for access key %q", clipText(ak))
	}
	if !h.perKey.acquire(ak) {
		w.Header().Set("Retry-After", "1")
		return nil, nil, ErrBusy.with("too many requests in progress for access key %q (at most %d)", clipText(ak), h.cfg.MaxInFlightPerKey)
	}
	select {
	case h.inflight <- struct{}{}:
	default:
		h.perKey.release(ak)
		w.Header().Set("Retry-After", "1")
		return nil, nil, ErrBusy
	}
	return x, func() { <-h.inflight; h.perKey.release(ak) }, nil
}

// settle charges the rate of a request's key once its signature has been
// checked, and records in ev whether it held. Only a key that has proven
// itself is charged: forged requests that name it cannot spend its rate.
func (h *Handler) settle(x *auth.Verification, ev *Event) {
	ev.PreviousSecret, ev.EmptyQueryLine = x.UsedPreviousSecret(), x.EmptyQueryLine()
	if ev.KeyVerified = x.Proven(); ev.KeyVerified {
		h.limits.charge(x.AccessKey(), h.cfg.Now())
	}
}

// checkMethod refuses every method but POST.
func checkMethod(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return early(ErrMethod)
	}
	return nil
}

// checkContentType accepts application/json with charset UTF-8 or none.
func checkContentType(values []string) error {
	switch len(values) {
	case 0:
		return ErrNull.with("the value of Content-Type cannot be null")
	case 1:
	default:
		return ErrFormat.with("the format of Content-Type is incorrect: it is given %d times", len(values))
	}
	mt, params, err := mime.ParseMediaType(values[0])
	if err == nil && mt == "application/json" {
		cs, hasCharset := params["charset"]
		if len(params) == 0 || len(params) == 1 && hasCharset && strings.EqualFold(cs, "utf-8") {
			return nil
		}
	}
	return ErrFormat.with("the format of Content-Type is incorrect: %q; use application/json;charset=UTF-8", clipText(values[0]))
}

// claimedKey returns the access key an Authorization header claims, or
// "", for the log line of a request refused before it was parsed.
func claimedKey(authorization string) string {
	rest, ok := strings.CutPrefix(authorization, auth.Scheme+"/")
	if !ok {
		return ""
	}
	ak, _, _ := strings.Cut(rest, "/")
	return ak
}

// maxKeyInEvent is how much of a claimed access key an Event and the log
// line keep.
const maxKeyInEvent = 128

func clipKey(ak string) string { return clip(ak, maxKeyInEvent) }

// clipText shortens untrusted text quoted in an answer.
func clipText(s string) string { return clip(s, 64) }

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// keyLimits holds a token bucket per access key that has proven itself.
// A request is let in if its key's bucket holds a token (ready), and the
// token is taken only once its signature holds (charge), so forged
// requests naming a key cannot spend its rate, and the map holds no key
// that did not sign. Buckets idle long enough to be full again are
// dropped.
type keyLimits struct {
	mu     sync.Mutex
	limit  rate.Limit
	burst  int
	idle   time.Duration
	lastGC time.Time
	keys   map[string]*keyLimit
}

type keyLimit struct {
	*rate.Limiter
	lastUse time.Time
}

func (k *keyLimits) init(limit rate.Limit, burst int) {
	k.limit, k.burst = limit, burst
	k.keys = map[string]*keyLimit{}
	k.idle = time.Minute
	if limit != rate.Inf && limit > 0 {
		k.idle = max(k.idle, time.Duration(float64(burst)/float64(limit)*float64(time.Second)))
	}
}

// ready reports whether ak may start a request (of any interface) now,
// or how long until it may. It changes nothing.
func (k *keyLimits) ready(ak string, now time.Time) (time.Duration, bool) {
	if k.limit == rate.Inf {
		return 0, true
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	l := k.keys[ak]
	if l == nil {
		return 0, true // a full bucket
	}
	tokens := l.TokensAt(now)
	if tokens >= 1 {
		return 0, true
	}
	return time.Duration((1 - tokens) / float64(k.limit) * float64(time.Second)), false
}

// charge takes a token from ak's bucket, going into debt if requests
// that were ready at the same time took the last one.
func (k *keyLimits) charge(ak string, now time.Time) {
	if k.limit == rate.Inf {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if now.Sub(k.lastGC) > k.idle {
		for key, l := range k.keys {
			if now.Sub(l.lastUse) > k.idle {
				delete(k.keys, key)
			}
		}
		k.lastGC = now
	}
	l := k.keys[ak]
	if l == nil {
		l = &keyLimit{Limiter: rate.NewLimiter(k.limit, k.burst)}
		k.keys[ak] = l
	}
	l.lastUse = now
	l.ReserveN(now, 1)
}

// keySlots counts the requests in progress of each access key (uploads,
// deletes and downloads together), up to a limit. A key is in the map
// only while it has one.
type keySlots struct {
	mu    sync.Mutex
	limit int
	n     map[string]int
}

func (k *keySlots) init(limit int) {
	k.limit = limit
	k.n = map[string]int{}
}

// acquire takes a slot for ak, or reports that all of its slots are taken.
func (k *keySlots) acquire(ak string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.n[ak] >= k.limit {
		return false
	}
	k.n[ak]++
	return true
}

// release gives back a slot taken by acquire.
func (k *keySlots) release(ak string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.n[ak]--; k.n[ak] <= 0 {
		delete(k.n, ak)
	}
}
