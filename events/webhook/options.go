package webhook

import (
	"errors"
	"log/slog"
	"net/http"
	"time"
)

// Options tune a Deliverer. The zero value of each field means its
// default.
type Options struct {
	// RetryFor is how long after an event's Time it is retried; then it is
	// moved aside as a dead letter. Default: 24h.
	RetryFor time.Duration
	// MinBackoff and MaxBackoff bound the wait between attempts: the
	// n-th retry waits a random time up to min(MaxBackoff,
	// MinBackoff·2ⁿ). Defaults: 1s and 10m.
	MinBackoff time.Duration
	MaxBackoff time.Duration
	// Timeout bounds one attempt, from connecting to reading the answer.
	// Default: 10s.
	Timeout time.Duration
	// Workers is how many VDNs are delivered to at once: the most
	// requests in flight. Default: 8.
	Workers int
	// Window is how many events the Deliverer holds at once (read from
	// the queue and not yet settled): what bounds its memory. A VDN whose
	// undelivered events fill the window holds the others back until
	// some are delivered or dead. Default: 256.
	Window int
	// HoldEvery is how often the events held are reported still being
	// delivered (events.Queue.Hold); on a queue several nodes share, it
	// must be well under the time after which another node takes them
	// over. Default: 20s.
	HoldEvery time.Duration
	// Client makes the requests. Default: a client of its own Transport
	// (proxy from the environment, as http.DefaultTransport). Redirects
	// are never followed, with this client or one given here: a copy of
	// it is used, with its CheckRedirect replaced.
	Client *http.Client
	// Logger receives the delivery's log lines. Default: slog.Default().
	Logger *slog.Logger
	// Now is the clock: it signs each attempt (webhook-timestamp) and
	// tells when an event's RetryFor has passed; it is called
	// concurrently. Default: time.Now.
	Now func() time.Time
}

// Defaults.
const (
	DefaultRetryFor   = 24 * time.Hour
	DefaultMinBackoff = time.Second
	DefaultMaxBackoff = 10 * time.Minute
	DefaultTimeout    = 10 * time.Second
	DefaultWorkers    = 8
	DefaultWindow     = 256
	DefaultHoldEvery  = 20 * time.Second
)

// withDefaults returns o with its zero fields set to their defaults, or
// an error for a negative field or backoffs the wrong way round.
func (o Options) withDefaults() (Options, error) {
	if o.RetryFor < 0 || o.MinBackoff < 0 || o.MaxBackoff < 0 || o.Timeout < 0 || o.HoldEvery < 0 || o.Workers < 0 || o.Window < 0 {
		return o, errors.New("webhook: an option is negative")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&o.RetryFor, DefaultRetryFor)
	def(&o.MinBackoff, DefaultMinBackoff)
	def(&o.MaxBackoff, DefaultMaxBackoff)
	def(&o.Timeout, DefaultTimeout)
	def(&o.HoldEvery, DefaultHoldEvery)
	if o.Workers == 0 {
		o.Workers = DefaultWorkers
	}
	if o.Window == 0 {
		o.Window = DefaultWindow
	}
	if o.MinBackoff > o.MaxBackoff {
		return o, errors.New("webhook: MinBackoff is above MaxBackoff")
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	o.Client = noRedirects(o.Client, o.Workers)
	return o, nil
}

// noRedirects returns a copy of c (or, if nil, a client of its own
// Transport, keeping up to workers idle connections) that never follows a
// redirect: a 3xx is returned as it is.
func noRedirects(c *http.Client, workers int) *http.Client {
	var cc http.Client
	if c != nil {
		cc = *c
	} else {
		t, ok := http.DefaultTransport.(*http.Transport)
		if ok {
			t = t.Clone()
		} else { // replaced by the program: start afresh
			t = &http.Transport{Proxy: http.ProxyFromEnvironment, ForceAttemptHTTP2: true}
		}
		t.MaxIdleConnsPerHost = workers
		cc.Transport = t
	}
	cc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cc
}
