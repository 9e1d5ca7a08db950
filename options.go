package ccfs

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/events"
	"github.com/ccfs-go/ccfs/idempotency"
	"github.com/ccfs-go/ccfs/pathrule"
	"github.com/ccfs-go/ccfs/quota"
	"github.com/ccfs-go/ccfs/store"
	"github.com/ccfs-go/ccfs/wavcheck"
	"golang.org/x/time/rate"
)

// Defaults of Options.
const (
	DefaultMaxFileMB   = 5
	DefaultRatePerKey  = rate.Limit(5)
	DefaultBurst       = 10
	DefaultMaxInFlight = 64
	// DefaultMaxInFlightPerKey is a quarter of DefaultMaxInFlight: one key,
	// or strangers who know it, cannot take every slot.
	DefaultMaxInFlightPerKey = 16
	// DefaultMinBodyRate is 16 KiB/s: a 5 MB file's body (about 7 MB) in
	// under 8 minutes. A chatbot on a LAN sends it in well under a second.
	DefaultMinBodyRate = 16 << 10
	// DefaultBodyRateGrace gives a body 5 s before its rate is held to the
	// minimum: time for a TLS handshake's worth of hiccups, or a client's
	// garbage collection pause.
	DefaultBodyRateGrace = 5 * time.Second
	// DefaultMaxDraining is how many refused requests' bodies are drained
	// at once (Options.MaxDraining).
	DefaultMaxDraining = 64
	// DefaultMaxInputMB bounds a file to convert (Options.MaxInputMB) at
	// 50 MB, Amazon Connect's limit for a prompt: a TTS engine's or sound
	// editor's output a contact centre already uses fits.
	DefaultMaxInputMB = 50
)

// ConvertEvery is an Options.Convert that converts the uploads of every
// VDN.
func ConvertEvery(int) bool { return true }

// Options configures NewHandler. Its fields come in groups, each under a
// heading comment in the source:
//
//   - required: Credentials, Store
//   - paths: PathRule, DownloadPathRule, RootPrefix
//   - files: MaxFileMB, Codecs, Convert, MaxInputMB
//   - signing: Window, SignedHeaders, TerseSignatureErrors, Replay
//   - limits: RatePerKey, Burst, MaxInFlight, MaxInFlightPerKey
//   - slow clients: MinBodyRate, BodyRateGrace, MaxDraining
//   - quotas: Quota and Usage, which go together, and Fence
//   - events: Events, DownloadEvents
//   - listing: ListFiles
//   - retries: Idempotency, IdempotencyTTL
//   - hooks: Logger, Now, OnRequest
//
// A zero field means its default, which each field states. A feature that
// can be turned off says how, under "Off:": an optional part (Quota,
// OnRequest) is off while nil; a limit is off at its unlimited value,
// which is rate.Inf for RatePerKey and a negative MinBodyRate (zero
// already means the default).
type Options struct {
	// Required.

	// Credentials looks access keys up. Required: NewHandler refuses nil.
	Credentials auth.Credentials

	// Store keeps the files. Required: NewHandler refuses nil. deleteFile
	// is served only if it is a store.Remover, downloadFile only if it is
	// a store.Opener (Handler.Interfaces).
	Store store.Store

	// Paths: where files go, and where they may be deleted and read.

	// PathRule is the "Third-Party Upload File Path Rule": where uploads
	// go, and where deleteFile may remove them. Zero: pathrule.Default,
	// "/3rdfile/%VDNNO%/thirdvoicebotfile/". A rule without %VDNNO% says
	// of no file whose it is: only anyVdn keys may delete (or download)
	// there, and NewHandler logs a WARN naming it.
	PathRule string

	// DownloadPathRule is the "Third-Party Recording Download Path Rule",
	// a ';'-separated list of rules under which downloadFile may read.
	// Zero: pathrule.DefaultDownload, recordings and uploaded prompts.
	DownloadPathRule string

	// RootPrefix is shown before the path in fileName, such as a drive
	// letter "Y:" in OP deployments. Zero: none, fileName starts with "/".
	RootPrefix string

	// Files: what an upload may hold.

	// MaxFileMB is the "Third-Party Upload File Size Limit" in MB of the
	// decoded WAV file (1 MB = 1024 × 1024 bytes), at most 1024. Zero:
	// DefaultMaxFileMB (5).
	MaxFileMB int

	// Codecs are the accepted WAV codecs. Zero (nil): A-law only.
	Codecs []wavcheck.Codec

	// Convert turns on conversion on upload, a ccfs extension the
	// vendor's server does not have: an upload to a VDN it reports true
	// for may be any file package convert reads (WAV of any PCM/float/G.711
	// kind, rate and channel count; MP3 when a decoder is registered, e.g.
	// with a blank import of github.com/ccfs-go/ccfs/convert/mp3), and is
	// stored converted to the first of Codecs at 8000 Hz mono. A file
	// Codecs already accept is stored as it is. The answer of a converted
	// upload says so (ResultData.Converted); one that cannot be read is
	// refused with ErrFormat, and nothing of it is kept. ConvertEvery
	// converts for every VDN. Zero (nil): nothing is converted, and a
	// file Codecs do not accept is refused with every reason, as the
	// vendor's server refuses it.
	Convert func(vdn int) bool

	// MaxInputMB is the largest file to convert, as uploaded (decoded from
	// base64, before conversion), in MB (1 MB = 1024 × 1024 bytes), for a
	// VDN Convert is on for: every upload to such a VDN, converted or not,
	// is held to it (or to MaxFileMB if that is larger, so that a file
	// stored as it is sent may be as large as without conversion), and
	// its request body to what a file of that size needs, as MaxFileMB's
	// is. The stored file is still bounded by MaxFileMB. Zero: DefaultMaxInputMB (50, Amazon Connect's limit for
	// prompts); at most 1024. Unused without Convert.
	MaxInputMB int

	// Signing: what a request's auth-v2 signature must meet.

	// Window is how far the signing time may be from Now, either way.
	// Zero: auth.DefaultWindow (15 minutes). Negative is refused.
	Window time.Duration

	// SignedHeaders must be signed by every request; host always is.
	// Zero (nil): host alone, as the vendor's demo signs. The body is
	// inside the signature whatever the list, so requiring more secures
	// nothing; it only shuts out clients that sign less.
	SignedHeaders []string

	// TerseSignatureErrors answers a signature that does not match with
	// the bare 401 result, as the vendor's server does. Zero (false): the
	// answer also says what the server signed (Response.ServerSigned):
	// nothing secret, all of it from the request, for the client to
	// compare with what it signed.
	TerseSignatureErrors bool

	// Replay remembers accepted signatures, so that each is accepted
	// once. Zero (nil): an in-memory cache of auth.DefaultReplayCapacity
	// entries, for one server; servers behind one balancer share one
	// (auth/redisreplay).
	Replay auth.ReplayCache

	// Limits: how many requests run, per access key and in all.

	// RatePerKey is the sustained number of requests (uploads, deletes
	// and downloads together) a second one access key may start. Only a
	// request whose signature held spends it. Zero: DefaultRatePerKey (5).
	// Off: rate.Inf. Negative is refused.
	RatePerKey rate.Limit

	// Burst is how many requests one access key may start at once, above
	// RatePerKey: the size of its token bucket. Zero: DefaultBurst (10).
	// Negative is refused; it has no effect while RatePerKey is rate.Inf.
	Burst int

	// MaxInFlight is the most requests the handler processes at once (a
	// download holds its slot until its last byte); more are refused with
	// ErrBusy. Zero: DefaultMaxInFlight (64). Negative is refused.
	MaxInFlight int

	// MaxInFlightPerKey is the most requests one access key may have in
	// progress at once; more are refused with ErrBusy. The slot is taken
	// before the signature can be checked, so this is also what strangers
	// who know a key (but not its secret) can hold. Zero:
	// DefaultMaxInFlightPerKey (16), at most MaxInFlight. It must not be
	// above MaxInFlight.
	MaxInFlightPerKey int

	// Slow clients: how long a stalled or trickling client holds a slot.

	// MinBodyRate, in bytes a second, is the slowest a request body may
	// arrive once BodyRateGrace has passed; a slower body is dropped with
	// ErrSlowBody. It is also the slowest a client may take a download:
	// one that reads slower is cut off. It bounds how long a stalled
	// client holds a slot. The rate is enforced with read and write
	// deadlines (http.ResponseController) where the ResponseWriter
	// supports them. Zero: DefaultMinBodyRate (16 KiB/s). Off: any
	// negative value (ccfs serve's --min-body-rate -1): no minimum, and a
	// stalled client holds its slot until the server's own timeouts.
	MinBodyRate int

	// BodyRateGrace is how long a body may take before MinBodyRate
	// applies. Zero: DefaultBodyRateGrace (5 seconds). Negative is
	// refused.
	BodyRateGrace time.Duration

	// MaxDraining is the most requests, answered before their body was
	// read, whose body the handler reads and discards at once so that a
	// client that writes its whole request before reading hears the
	// answer instead of a reset. A draining request holds none of the
	// MaxInFlight slots, and is held to MinBodyRate; past this many, a
	// refused request's connection is closed at once. One claimed access
	// key holds at most a quarter of them (at least one), so strangers
	// who know one key's name cannot take another key's. A request
	// without a well-formed Authorization naming a key that exists is
	// never drained. Zero: DefaultMaxDraining (64). Negative is refused.
	MaxDraining int

	// Quotas: Quota and Usage go together; the section "Quotas" of
	// docs/mounting.md says how a claim works, what each needs, and how
	// servers share them.

	// Quota keeps the prompts each VDN uploads within a limit in bytes
	// and, optionally, files: fixed limits (quota.ParseLimits reads
	// "*=2GiB,53=20GiB/100000"), or a quota.File reloaded while the
	// handler serves. An upload that would pass its VDN's limit is refused
	// with ErrQuota, and nothing of it is kept; deleteFile gives the space
	// back. It needs Usage, a PathRule with %VDNNO%, and, where files can
	// be deleted, a store that stats or opens them; NewHandler refuses it
	// without. When a size is claimed and given back, and how servers
	// share a ledger: the section "Quotas" of docs/mounting.md. Off: nil
	// (no quotas; Usage is then unused).
	Quota quota.Source

	// Usage counts what each VDN keeps, for Quota, loaded from the store
	// with quota.Load before the handler serves: a quota.Memory for one
	// server, a ledger several servers share (redisquota) for more.
	// Required with Quota; unused without it.
	Usage quota.Ledger

	// Fence lets one remover of a file act at a time, and its size be
	// given back to its quota once, among every deleteFile and retention
	// sweep that share it: of concurrent deletes of one file, one removes
	// it and the others are told it does not exist. Give the same Fence
	// to a retention.Sweeper of the same store. Servers that share a
	// store share a Fence (redisquota.Fence); one server alone needs
	// none. Zero (nil): a store.MemoryFence of the handler's own.
	Fence store.Fence

	// Events: what other systems hear of (a ccfs extension; docs/events.md).

	// Events records an event for each prompt stored and deleted, in two
	// steps around the change (events.Sink): prepared before the store
	// commits the upload or removes the file, committed once it has,
	// abandoned if it failed, and the request answered only after that.
	// A durable Sink (events/journal, events/redisevents) thus holds an
	// event for every upload and delete answered with success, across a
	// crash at any point, and none for a file not stored. An upload or
	// delete whose event cannot be prepared is refused (ErrStorage) and
	// changes nothing. Give the same Sink to a retention.Sweeper, for its
	// removals. Off: nil.
	Events events.Sink

	// DownloadEvents adds an event (recording.downloaded) for each file
	// downloaded whole, for an audit trail. Needs Events. Off: false.
	DownloadEvents bool

	// Listing: listFiles, a ccfs extension (docs/list-files.md).

	// ListFiles serves listFiles at ListPath: a key's own VDN's prompts,
	// a page at a time. The vendor's server has no such interface, and
	// by default neither has this one: its path answers 404, as the
	// vendor's would. Needs a store that lists (a store.Lister or
	// store.PageLister); NewHandler refuses one that does not. Off: false.
	ListFiles bool

	// Retries: uploads retried under an Idempotency-Key header (a ccfs
	// extension; the section "Idempotency-Key" of docs/upload-file.md).

	// Idempotency remembers the uploads made under an Idempotency-Key, so
	// that a retry of one (same access key, VDN, key and file) answers
	// the file first stored and stores nothing more; the same key with
	// another file is refused (ErrIdempotencyMismatch), and a retry while
	// the first is still in flight answered busy (ErrBusy, Retry-After:
	// 1). An upload without the header is not affected. Servers behind one
	// balancer share one Store. Zero (nil): an idempotency.Memory of the
	// handler's own (idempotency.DefaultMaxEntries keys). Off:
	// idempotency.Off: the header is ignored, as the vendor's server
	// ignores it.
	Idempotency idempotency.Store

	// IdempotencyTTL is how long a key is remembered after its upload.
	// Zero: idempotency.DefaultTTL (24 h). Negative is refused.
	IdempotencyTTL time.Duration

	// Hooks: the log, the clock, and what each request did.

	// Logger receives one line per request. Zero (nil): slog.Default().
	Logger *slog.Logger

	// Now is the clock. Zero (nil): time.Now.
	Now func() time.Time

	// OnRequest, if set, is called after every request with what the log
	// line says, so that any metrics system can be fed. It runs
	// synchronously, on the request's goroutine, before the answer is
	// flushed to the client: whatever it takes, the chatbot waits for
	// (and the request's connection stays held). It is called from many
	// requests at once. Keep it to a counter, or a send that never blocks
	// to a buffered channel that a goroutine of your own drains to
	// slower places (a database, a queue), as ExampleOptions_onRequest
	// shows; such a hand-off is in memory only, and lost if the process
	// stops. Off: nil.
	OnRequest func(Event)
}

// config is Options resolved and checked.
type config struct {
	Options
	health   storeHealth // the store's refused writes, and the ERROR lines' pace
	rule     *pathrule.Rule
	download []*pathrule.Rule
	remover  store.Remover // the Store, if it can remove files; else nil
	opener   store.Opener  // the Store, if it can open files; else nil
	// locationRemover is the Store, if it can remove the copy at one
	// location (a CTI pool); else nil.
	locationRemover store.LocationRemover
	policy          wavcheck.Policy
	maxFile         int64
	maxBody         int64
	maxInput        int64 // a file to convert (MaxInputMB), in bytes
	maxInputBody    int64 // the body of a file to convert
	verifier        *auth.Verifier
}

func (o Options) resolve() (*config, error) {
	c := &config{Options: o}
	if o.Credentials == nil {
		return nil, errors.New("ccfs: Options.Credentials is required")
	}
	if o.Store == nil {
		return nil, errors.New("ccfs: Options.Store is required")
	}
	c.remover, _ = o.Store.(store.Remover)
	if c.Fence == nil {
		c.Fence = new(store.MemoryFence)
	}
	c.opener, _ = o.Store.(store.Opener)
	c.locationRemover, _ = o.Store.(store.LocationRemover)
	if c.PathRule == "" {
		c.PathRule = pathrule.Default
	}
	rule, err := pathrule.Parse(c.PathRule)
	if err != nil {
		return nil, fmt.Errorf("ccfs: Options.PathRule: %w", err)
	}
	c.rule = rule
	if c.Quota != nil {
		_, stater := o.Store.(store.Stater)
		switch {
		case c.Usage == nil:
			return nil, errors.New("ccfs: Options.Quota needs Options.Usage (quota.NewMemory, loaded with quota.Load)")
		case !strings.Contains(c.PathRule, pathrule.Placeholder):
			return nil, fmt.Errorf("ccfs: Options.Quota needs a PathRule with %s: without it no file says whose it is", pathrule.Placeholder)
		case c.remover != nil && c.opener == nil && !stater:
			return nil, errors.New("ccfs: Options.Quota needs a store that stats or opens files, to give back a deleted file's size")
		}
	}
	if c.Events != nil && c.remover != nil && c.opener == nil {
		if _, stater := o.Store.(store.Stater); !stater {
			return nil, errors.New("ccfs: Options.Events needs a store that stats or opens files, to give a deleted file's size")
		}
	}
	if c.DownloadEvents && c.Events == nil {
		return nil, errors.New("ccfs: Options.DownloadEvents needs Options.Events")
	}
	if c.ListFiles && !canList(o.Store) {
		return nil, fmt.Errorf("ccfs: Options.ListFiles needs a store that lists (a store.Lister or store.PageLister); %s is neither", storeType(o.Store))
	}
	if c.DownloadPathRule == "" {
		c.DownloadPathRule = pathrule.DefaultDownload
	}
	if c.download, err = pathrule.ParseList(c.DownloadPathRule); err != nil {
		return nil, fmt.Errorf("ccfs: Options.DownloadPathRule: %w", err)
	}
	if strings.ContainsFunc(c.RootPrefix, func(r rune) bool { return r < 0x20 || r == 0x7f }) || strings.HasSuffix(c.RootPrefix, "/") {
		return nil, errors.New("ccfs: Options.RootPrefix holds a control character or ends in '/'")
	}
	switch {
	case c.MaxFileMB == 0:
		c.MaxFileMB = DefaultMaxFileMB
	case c.MaxFileMB < 0 || c.MaxFileMB > 1024:
		return nil, fmt.Errorf("ccfs: Options.MaxFileMB %d is not in 1..1024", c.MaxFileMB)
	}
	c.maxFile = int64(c.MaxFileMB) << 20
	c.maxBody = bodyFor(c.maxFile)
	switch {
	case c.MaxInputMB == 0:
		c.MaxInputMB = DefaultMaxInputMB
	case c.MaxInputMB < 0 || c.MaxInputMB > 1024:
		return nil, fmt.Errorf("ccfs: Options.MaxInputMB %d is not in 1..1024", c.MaxInputMB)
	}
	// A file Codecs accept passes through the converter: it may be as
	// large as without conversion.
	c.maxInput = int64(max(c.MaxInputMB, c.MaxFileMB)) << 20
	c.maxInputBody = bodyFor(c.maxInput)
	c.policy = wavcheck.Policy{Codecs: c.Codecs, MaxSize: c.maxFile}
	if err := c.policy.Validate(); err != nil {
		return nil, fmt.Errorf("ccfs: Options.Codecs: %w", err)
	}
	if c.RatePerKey == 0 {
		c.RatePerKey = DefaultRatePerKey
	}
	if c.Burst == 0 {
		c.Burst = DefaultBurst
	}
	if c.RatePerKey < 0 || c.Burst < 0 {
		return nil, errors.New("ccfs: Options.RatePerKey and Burst must not be negative")
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = DefaultMaxInFlight
	}
	if c.MaxInFlight < 0 {
		return nil, errors.New("ccfs: Options.MaxInFlight must not be negative")
	}
	switch {
	case c.MaxInFlightPerKey == 0:
		c.MaxInFlightPerKey = min(DefaultMaxInFlightPerKey, c.MaxInFlight)
	case c.MaxInFlightPerKey < 0 || c.MaxInFlightPerKey > c.MaxInFlight:
		return nil, fmt.Errorf("ccfs: Options.MaxInFlightPerKey %d is not in 1..MaxInFlight (%d)", c.MaxInFlightPerKey, c.MaxInFlight)
	}
	switch {
	case c.MaxDraining == 0:
		c.MaxDraining = DefaultMaxDraining
	case c.MaxDraining < 0:
		return nil, errors.New("ccfs: Options.MaxDraining must not be negative")
	}
	if c.MinBodyRate == 0 {
		c.MinBodyRate = DefaultMinBodyRate
	}
	switch {
	case c.BodyRateGrace == 0:
		c.BodyRateGrace = DefaultBodyRateGrace
	case c.BodyRateGrace < 0:
		return nil, errors.New("ccfs: Options.BodyRateGrace must not be negative")
	}
	if err := c.resolveIdempotency(); err != nil {
		return nil, err
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	c.verifier, err = auth.NewVerifier(auth.VerifierOptions{
		Credentials: c.Credentials, Replay: c.Replay, Window: c.Window,
		SignedHeaders: c.SignedHeaders, Now: c.Now,
	})
	if err != nil {
		return nil, fmt.Errorf("ccfs: %w", err)
	}
	c.warnRulesWithoutVDN()
	return c, nil
}

// bodyFor returns the largest request body a file of size bytes allows:
// its base64, 1/32 more for JSON-escaped slashes ("\/", as some encoders
// write them), and 64 KiB for the envelope.
func bodyFor(size int64) int64 {
	b64 := (size + 2) / 3 * 4
	return b64 + b64/32 + 64<<10
}

// converts reports whether uploads to vdn are converted (Options.Convert).
func (c *config) converts(vdn int) bool { return c.Convert != nil && c.Convert(vdn) }

// uploadLimit returns the largest body an upload may have, converted
// (convert: MaxInputMB's) or not (MaxFileMB's), and what allows that
// much, for the early refusal of a longer one.
func (c *config) uploadLimit(convert bool) (int64, string) {
	if convert {
		return c.maxInputBody, fmt.Sprintf("a %d MB file to convert (MaxInputMB)", max(c.MaxInputMB, c.MaxFileMB))
	}
	return c.maxBody, fmt.Sprintf("a %d MB file", c.MaxFileMB)
}

// warnRulesWithoutVDN logs, once, each path rule that says of no file
// whose it is: deleteFile and downloadFile then refuse every key without
// anyVdn there (0300013), though uploads under it succeed.
func (c *config) warnRulesWithoutVDN() {
	rules := append([]string{c.PathRule}, strings.Split(c.DownloadPathRule, ";")...)
	for i, r := range rules {
		option, off := "PathRule", "deleteFile and downloadFile refuse its files to every key without anyVdn (0300013), and quotas cannot count them"
		if i > 0 {
			option, off = "DownloadPathRule", "downloadFile refuses its files to every key without anyVdn (0300013)"
		}
		if r = strings.TrimSpace(r); r != "" && !strings.Contains(r, pathrule.Placeholder) {
			c.Logger.Warn("a path rule without "+pathrule.Placeholder+": "+off, "option", option, "rule", r)
		}
	}
}
