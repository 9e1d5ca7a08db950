package ccfs

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/convert"
	"github.com/ccfs-go/ccfs/store"
)

// Handler serves the interfaces: uploadFile, deleteFile and
// downloadFile, each at its path. Make one with NewHandler; it is safe for
// concurrent use.
type Handler struct {
	cfg       *config
	routes    map[string]*iface // the interfaces offered, by path
	inflight  chan struct{}     // a slot for each request in progress
	draining  chan struct{}     // a slot for each refused request whose body is drained
	drainKeys keySlots          // draining slots by claimed access key (linger.go)
	perKey    keySlots          // requests in progress by access key
	limits    keyLimits         // proven requests by access key
	served    []string          // the names of the interfaces offered, for Interfaces
	// noDeadlines warns, once, that the ResponseWriter cannot set
	// deadlines (pace.go).
	noDeadlines sync.Once
}

// Interfaces returns the names of the interfaces the Handler serves —
// InterfaceUpload, InterfaceDelete, InterfaceDownload, in that order —
// which depend on its store: deleteFile needs a store.Remover and
// downloadFile a store.Opener. NewHandler logs a WARN for each one left
// out. InterfaceList follows them if Options.ListFiles is set.
func (h *Handler) Interfaces() []string { return slices.Clone(h.served) }

// storeType names the type of s for an operator, and what it wraps, if
// it says (store.Wrap's stores do).
func storeType(s store.Store) string {
	if u, ok := s.(interface{ Unwrap() store.Store }); ok {
		return fmt.Sprintf("store.Wrap of %T", u.Unwrap())
	}
	return fmt.Sprintf("%T", s)
}

// NewHandler returns a Handler, or an error if opts are invalid.
func NewHandler(opts Options) (*Handler, error) {
	cfg, err := opts.resolve()
	if err != nil {
		return nil, err
	}
	h := &Handler{cfg: cfg, inflight: make(chan struct{}, cfg.MaxInFlight), draining: make(chan struct{}, cfg.MaxDraining)}
	h.routes = map[string]*iface{}
	for i, it := range interfaces {
		if it.offered(cfg) {
			h.routes[it.path] = &interfaces[i]
			h.served = append(h.served, it.name)
		} else if it.lacks[0] != "" {
			// Said once, out loud: a wrapper that embeds only store.Store
			// turns these interfaces off, and their paths answer 404.
			cfg.Logger.Warn(fmt.Sprintf("%s is not served: the store (%s) has no %s method (%s)",
				it.path[len(InterfacePrefix):], storeType(cfg.Store), it.lacks[0], it.lacks[1]),
				slog.String("hint", "its path answers 404; wrap a store with store.Wrap, or embed the concrete store, to keep it"))
		}
	}
	h.perKey.init(cfg.MaxInFlightPerKey)
	h.drainKeys.init(max(1, cfg.MaxDraining/4)) // a claimed key's share: a quarter
	h.limits.init(cfg.RatePerKey, cfg.Burst)
	return h, nil
}

// An iface is one interface the Handler serves. The interfaces are
// described once, in this table: adding one is a row here and a file of
// its own.
type iface struct {
	name string // Event.Interface
	path string
	// offered reports whether the handler's store can serve it.
	offered func(*config) bool
	// lacks is the method, and the interface, a store without it lacks.
	lacks [2]string
	// serve runs one request and returns its answer, or nil if it sent
	// the answer itself (a downloaded file).
	serve func(*Handler, http.ResponseWriter, *http.Request, *Event) (*Response, error)
}

var interfaces = []iface{
	{InterfaceUpload, UploadPath, func(*config) bool { return true }, [2]string{}, (*Handler).serveUpload},
	{InterfaceDelete, DeletePath, func(c *config) bool { return c.remover != nil }, [2]string{"Remove", "store.Remover"}, (*Handler).serveDelete},
	{InterfaceDownload, DownloadPath, func(c *config) bool { return c.opener != nil }, [2]string{"Open", "store.Opener"}, (*Handler).serveDownload},
	// A ccfs extension, off unless asked for (NewHandler refuses it on a
	// store that cannot list, so it has nothing to warn of).
	{InterfaceList, ListPath, func(c *config) bool { return c.ListFiles }, [2]string{}, (*Handler).serveList},
}

// ServeHTTP handles one request. Every answer but a downloaded file is
// JSON: HTTP 200 with a result code, 401 for an authentication failure,
// 404 and 405 for a wrong path or method. deleteFile is served only if
// the store is a store.Remover, downloadFile only if it is a
// store.Opener; otherwise their paths answer 404 (Interfaces says which
// are served).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := h.cfg.Now()
	ev := Event{RequestID: requestID(r.Header.Get("X-Request-ID"))}
	w.Header().Set("X-Request-ID", ev.RequestID)
	var (
		resp *Response
		err  error
	)
	if it := h.routes[r.URL.Path]; it != nil {
		ev.Interface = it.name
		resp, err = it.serve(h, w, r, &ev)
	} else {
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
		ev.Code, ev.Desc, ev.Status, ev.Err, ev.ServerSigned = e.code, e.desc, e.status, e.cause, e.signed
		// Answered before its body: answer, then drain the body, so that
		// a client still writing it hears the answer (linger.go).
		ak, linger := h.shouldLinger(r, err)
		if linger {
			w.Header().Set("Connection", "close")
		}
		writeResponse(w, e.status, e.response())
		if linger {
			h.log(r.Context(), ev)
			h.linger(w, r, ak)
			return
		}
	default:
		ev.Code, ev.Status = SuccessCode, http.StatusOK
		if resp != nil { // else the interface sent its answer itself (a file)
			writeResponse(w, http.StatusOK, *resp)
		}
	}
	h.log(r.Context(), ev)
}

// Event describes one finished request, for Options.OnRequest.
type Event struct {
	// Interface is InterfaceUpload, InterfaceDelete or InterfaceDownload;
	// "" for a request to no interface (a 404).
	Interface string
	// RequestID identifies the request in the log line and the
	// X-Request-ID response header: the balancer's X-Request-ID if it set
	// a usable one, else one made here.
	RequestID string
	// AccessKey is the key the request names, clipped to 128 bytes; "" if
	// none. Unless KeyVerified, it is only a claim, and a stranger can put
	// any text there: never use it as a metrics label unverified.
	AccessKey string
	// KeyVerified says the request's signature held: the caller holds
	// AccessKey's secret.
	KeyVerified bool
	// PreviousSecret says the signature held with the key's previous
	// secret (a rotation in progress): this caller has not moved yet.
	PreviousSecret bool
	// EmptyQueryLine says the signature held for the canonical request
	// with an empty query line, which the request had no query for: its
	// client writes the line always, as some ports of the signer do.
	EmptyQueryLine bool
	VDN            int    // 0 if not parsed
	Code           string // result code
	Desc           string // result description, on failure
	Status         int    // HTTP status
	BodyBytes      int64  // request body bytes read
	FileBytes      int64  // decoded file bytes uploaded (as stored: converted, if it was), or file bytes downloaded
	// ConvertedFrom, for an upload converted on upload (Options.Convert,
	// a ccfs extension), describes the file as uploaded: set on success,
	// and on failure once the file's header was read. Its Kind is "" for
	// an upload not converted (a file stored as it was sent). Its
	// Encoding is from a small fixed set, fit for a metrics label.
	ConvertedFrom convert.Source
	// FileName is the file uploaded, deleted or downloaded, as the caller
	// names it (root prefix included); an upload's only on success.
	FileName string
	// IdempotencyReplayed says the upload repeated an earlier one under
	// the same Idempotency-Key (a ccfs extension): FileName is the earlier
	// one's, and nothing was stored.
	IdempotencyReplayed bool
	// Duration is how long the handler took over the request, by
	// Options.Now, up to the writing of its JSON result; a download's
	// includes sending the file.
	Duration time.Duration
	// ServerSigned, for a signature that did not match (0300010), is what
	// the server signed for the request, as the 401's serverSigned says
	// it (set even under TerseSignatureErrors, whose answer leaves it
	// out): nothing secret, all of it from the request. Nil otherwise.
	ServerSigned *auth.Explanation
	// Err is the internal cause of a failure (a store error, say), if any.
	// It never holds a secret, but it is for operators, not callers.
	Err error
}

// log writes ev's log line, and hands ev to Options.OnRequest.
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
	if ev.IdempotencyReplayed {
		attrs = append(attrs, slog.Bool("idempotencyReplayed", true))
	}
	if ev.ConvertedFrom.From != "" {
		attrs = append(attrs, slog.String("convertedFrom", ev.ConvertedFrom.From))
	}
	if ev.Desc != "" {
		attrs = append(attrs, slog.String("desc", ev.Desc))
	}
	if ev.Err != nil {
		attrs = append(attrs, slog.String("cause", ev.Err.Error()))
		var fe fileReadError
		if ev.Code == ErrStorage.code || ev.Code == ErrReplayUnavailable.code || errors.As(ev.Err, &fe) {
			// One ERROR line for a kind of failure every errorLogEvery,
			// with how many came since; WARN for the rest.
			level = slog.LevelWarn
			if line, since := h.cfg.health.errorLevel(ev.Code, ev.Err, h.cfg.Now()); line {
				level = slog.LevelError
				if since > 0 {
					attrs = append(attrs, slog.Int("alikeSinceLastError", since))
				}
			}
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
