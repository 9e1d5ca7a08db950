package ccfs

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/ccfs-go/ccfs/auth"
)

// Handler serves the interfaces: uploadFile, deleteFile and
// downloadFile, each at its path. Make one with NewHandler; it is safe for
// concurrent use.
type Handler struct {
	cfg      *config
	inflight chan struct{} // a slot for each request in progress
	draining chan struct{} // a slot for each refused request whose body is drained
	perKey   keySlots      // requests in progress by access key
	limits   keyLimits     // proven requests by access key
}

// NewHandler returns a Handler, or an error if opts are invalid.
func NewHandler(opts Options) (*Handler, error) {
	cfg, err := opts.resolve()
	if err != nil {
		return nil, err
	}
	h := &Handler{cfg: cfg, inflight: make(chan struct{}, cfg.MaxInFlight), draining: make(chan struct{}, cfg.MaxDraining)}
	h.perKey.init(cfg.MaxInFlightPerKey)
	h.limits.init(cfg.RatePerKey, cfg.Burst)
	return h, nil
}

// ServeHTTP handles one request. Every answer but a downloaded file is
// JSON: HTTP 200 with a result code, 401 for an authentication failure,
// 404 and 405 for a wrong path or method. deleteFile is served only if
// the store is a store.Remover, downloadFile only if it is a
// store.Opener; otherwise their paths answer 404.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := h.cfg.Now()
	ev := Event{RequestID: requestID(r.Header.Get("X-Request-ID"))}
	w.Header().Set("X-Request-ID", ev.RequestID)
	var (
		data *ResultData
		err  error
	)
	switch {
	case r.URL.Path == UploadPath:
		ev.Interface = InterfaceUpload
		data, err = h.serveUpload(w, r, &ev)
	case r.URL.Path == DeletePath && h.cfg.remover != nil:
		ev.Interface = InterfaceDelete
		err = h.serveDelete(w, r, &ev)
	case r.URL.Path == DownloadPath && h.cfg.opener != nil:
		ev.Interface = InterfaceDownload
		err = h.serveDownload(w, r, &ev)
	default:
		err = early(ErrNotFound.with("no such interface: %s", clipText(r.URL.Path)))
	}
	ev.Duration = h.cfg.Now().Sub(start)
	var cut cutShort
	switch {
	case errors.As(err, &cut):
		// The file's first bytes are sent: no answer can follow. Log it,
		// and cut the response off so that the client sees it end early.
		ev.Code, ev.Desc, ev.Status, ev.Err = ErrCutShort.code, ErrCutShort.desc, http.StatusOK, cut.err
		h.log(r.Context(), ev)
		panic(http.ErrAbortHandler)
	case err != nil:
		e := h.cfg.resultFor(err)
		ev.Code, ev.Desc, ev.Status, ev.Err = e.code, e.desc, e.status, e.cause
		// Answered before its body: answer, then drain the body, so that
		// a client still writing it hears the answer (linger.go).
		linger := h.shouldLinger(r, err)
		if linger {
			w.Header().Set("Connection", "close")
		}
		writeResponse(w, e.status, e.response())
		if linger {
			h.log(r.Context(), ev)
			h.linger(w, r)
			return
		}
	case ev.Interface == InterfaceDownload:
		ev.Code, ev.Status = SuccessCode, http.StatusOK // the file is sent
	case ev.Interface == InterfaceDelete:
		ev.Code, ev.Status = SuccessCode, http.StatusOK
		writeResponse(w, http.StatusOK, Response{ResultCode: SuccessCode, ResultDesc: "operate success"})
	default:
		ev.Code, ev.Status, ev.FileName = SuccessCode, http.StatusOK, data.FileName
		writeResponse(w, http.StatusOK, Response{ResultCode: SuccessCode, ResultDesc: "success", ResultData: data})
	}
	h.log(r.Context(), ev)
}

func (h *Handler) log(ctx context.Context, ev Event) {
	attrs := []slog.Attr{
		slog.String("requestId", ev.RequestID),
		slog.String("ak", ev.AccessKey), slog.Bool("akVerified", ev.KeyVerified), slog.Int("vdn", ev.VDN), slog.String("code", ev.Code),
		slog.Int("status", ev.Status), slog.Int64("bodyBytes", ev.BodyBytes), slog.Int64("fileBytes", ev.FileBytes),
		slog.Duration("duration", ev.Duration),
	}
	level := slog.LevelInfo
	if ev.PreviousSecret {
		attrs = append(attrs, slog.Bool("akPreviousSecret", true))
	}
	if ev.EmptyQueryLine {
		attrs = append(attrs, slog.Bool("emptyQueryLine", true))
	}
	if ev.FileName != "" {
		attrs = append(attrs, slog.String("file", ev.FileName))
	}
	if ev.Desc != "" {
		attrs = append(attrs, slog.String("desc", ev.Desc))
	}
	if ev.Err != nil {
		attrs = append(attrs, slog.String("cause", ev.Err.Error()))
		var fe fileReadError
		if ev.Code == ErrStorage.code || ev.Code == ErrReplayUnavailable.code || errors.As(ev.Err, &fe) {
			level = slog.LevelError
		}
	}
	msg := ev.Interface
	if msg == "" {
		msg = "request"
	}
	h.cfg.Logger.LogAttrs(ctx, level, msg, attrs...)
	if h.cfg.OnRequest != nil {
		h.cfg.OnRequest(ev)
	}
}

// admit makes the checks every interface makes before it reads a body,
// once the caller has checked the method (and an upload its vdnId), in
// this order: Content-Type, Content-Length (at most maxBody; tooLong says
// what allows that much), and the Authorization header, through begin,
// which refuses an unknown key. Then it takes the
// slots the request holds while it runs: a token must be ready in its
// key's bucket, a slot of the key's share must be free, and one of the
// handler's. The caller must call the returned release.
//
// From here on the request names a known access key, but until its body
// has been read to the end and the signature holds the caller is a
// stranger: what it can hold is bounded (a slot of the key's share, for
// no longer than the minimum body rate allows) and nothing it does lasts.
func (h *Handler) admit(w http.ResponseWriter, r *http.Request, ev *Event, maxBody int64, tooLong string,
	begin func(context.Context, *http.Request) (*auth.Verification, error)) (*auth.Verification, func(), error) {
	x, release, err := h.admitChecks(w, r, ev, maxBody, tooLong, begin)
	return x, release, early(err)
}

func (h *Handler) admitChecks(w http.ResponseWriter, r *http.Request, ev *Event, maxBody int64, tooLong string,
	begin func(context.Context, *http.Request) (*auth.Verification, error)) (*auth.Verification, func(), error) {
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

// serveUpload runs one upload: the checks that need no body, then the
// single pass over it.
func (h *Handler) serveUpload(w http.ResponseWriter, r *http.Request, ev *Event) (*ResultData, error) {
	if err := checkMethod(w, r); err != nil {
		return nil, err
	}
	vdn, err := parseVDN(r.URL.RawQuery)
	if err != nil {
		return nil, early(err)
	}
	ev.VDN = vdn
	x, release, err := h.admit(w, r, ev, h.cfg.maxBody, fmt.Sprintf("a %d MB file", h.cfg.MaxFileMB),
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
	u := newUpload(r.Context(), h.cfg, r.Body, r.ContentLength, x, newPace(w, r, h.cfg))
	locations, err := u.run(name)
	ev.BodyBytes, ev.FileBytes = u.body.n, u.wav.Written()
	u.free()
	h.settle(x, ev)
	if err != nil {
		return nil, err
	}
	return &ResultData{FileName: h.cfg.RootPrefix + "/" + name, LocationID: locations}, nil
}

// InFlight returns the number of requests in progress: those holding one
// of the Options.MaxInFlight slots, for a gauge.
func (h *Handler) InFlight() int { return len(h.inflight) }

// Draining returns the number of requests refused before their body whose
// body is being read and discarded (of Options.MaxDraining), for a gauge.
func (h *Handler) Draining() int { return len(h.draining) }

// maxRequestIDLen bounds an X-Request-ID taken from the request.
const maxRequestIDLen = 128

// requestID returns id if it is usable as a request ID — 1 to 128
// characters of letters, digits and - _ . : / + = — or else a new random
// one, 26 characters of base32.
func requestID(id string) string {
	ok := id != "" && len(id) <= maxRequestIDLen
	for i := 0; ok && i < len(id); i++ {
		c := id[i]
		ok = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-_.:/+=", c) >= 0
	}
	if ok {
		return id
	}
	return rand.Text()
}

// checkMethod refuses every method but POST.
func checkMethod(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return early(ErrMethod)
	}
	return nil
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

// ready reports whether ak may start an upload now, or how long until it
// may. It changes nothing.
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

// charge takes a token from ak's bucket, going into debt if uploads that
// were ready at the same time took the last one.
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

// keySlots counts the uploads in progress of each access key, up to a
// limit. A key is in the map only while it has one.
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
