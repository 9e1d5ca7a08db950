// Package console is an operator's console for a ccfs server: pages,
// rendered on the server, that show each tenant's share, play and delete
// its prompts, and explain why a chatbot is refused. It is a ccfs
// extension; the vendor's server has no such thing.
//
// New returns it as an http.Handler to mount under Options.Path. It signs
// operators in itself (Options.Users, a file of password hashes that
// github.com/ccfs-go/ccfs/console/accounts reads), or trusts the
// operator's name a handler in front of it has established
// (Options.Operator), for a mount behind one's own sign-in. Every page
// works without script; a little script sorts tables and shows times in
// the operator's locale.
//
// What it guards: sessions are cookies (HttpOnly, SameSite=Strict, Secure
// over TLS); every request that changes something must come from the
// console's own origin (net/http's CrossOriginProtection) and carry the
// session's token; sign-in attempts are rate limited per address and per
// name; pages are sent with a strict Content-Security-Policy. No secret
// key of a tenant's is ever shown: the console sees keys only as
// auth.Grant, which has none.
package console

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/health"
	"github.com/ccfs-go/ccfs/retention"
)

// DefaultPath is where the console is mounted unless Options.Path says
// otherwise.
const DefaultPath = "/console/"

// Users checks operators' passwords, for the console's own sign-in.
// github.com/ccfs-go/ccfs/console/accounts reads a file of them. A Users
// that also has a method Names() []string (as accounts.File has) lists
// its operators: a session whose operator is no longer listed ends at
// its next request.
type Users interface {
	// Authenticate reports whether password is name's. It takes about
	// as long for a name that does not exist, and returns an error only
	// if it could not tell (a file it cannot read).
	Authenticate(ctx context.Context, name, password string) (bool, error)
}

// A Location is one place the store keeps files, for the overview.
type Location struct {
	// Name is how the operator configured it: a directory, "s3://…".
	Name string
	// Protection, if set, says how the location's writes are kept from
	// overwriting a file: "if-none-match", "header", "none", or "rename
	// without replace" for a directory.
	Protection func() string
}

// A Backlog is what one events endpoint has not yet been delivered.
type Backlog struct {
	// Endpoint names it: a URL without query or userinfo.
	Endpoint string
	// Pending is how many events wait to be delivered (up to the count
	// asked for), Dead how many are dead letters.
	Pending, Dead int
	// Oldest is when the oldest pending event happened; zero if none.
	Oldest time.Time
}

// Options configures New.
type Options struct {
	// Handler is the ccfs handler whose prompts the console shows and
	// deletes. Required.
	Handler *ccfs.Handler

	// Recorder is what the console shows of requests: give its Observe
	// as the handler's Options.OnRequest. Zero (nil): the overview and
	// the refusals page say nothing is recorded.
	Recorder *Recorder

	// Users signs operators in with a name and a password. Exactly one
	// of Users and Operator is required.
	Users Users

	// Operator, for a console mounted behind one's own sign-in, returns
	// the name of the operator a request comes from, or false to refuse
	// it (403). The console then keeps no session of its own, and asks
	// no password.
	Operator func(*http.Request) (name string, ok bool)

	// Credentials are the handler's keys; the tenants page names each
	// VDN's keys if they are an auth.GrantLister (auth.Static and
	// auth.FileCredentials are). Never a secret is shown. Zero (nil): no
	// keys are named.
	Credentials auth.Credentials

	// Health is the server's readiness, for the overview. Zero (nil):
	// none is shown.
	Health *health.Checker

	// Retention is the age each VDN's prompts are kept for, for the
	// tenants page. Zero (nil): kept until deleted.
	Retention *retention.Policy

	// Locations are where the store keeps files, for the overview.
	Locations []Location

	// Backlog, if set, reports each events endpoint's backlog, for the
	// overview.
	Backlog func(ctx context.Context) ([]Backlog, error)

	// Path is where the console is mounted, beginning and ending in '/'.
	// Zero: DefaultPath.
	Path string

	// Secure marks session cookies Secure even for a request that did
	// not come over TLS (behind a proxy that ends TLS). A request over
	// TLS always gets Secure cookies.
	Secure bool

	// SessionIdle and SessionMax are how long a session lasts unused and
	// at most. Zero: 30 minutes and 12 hours.
	SessionIdle, SessionMax time.Duration

	// Logger receives the audit lines (sign-ins, deletes). Zero (nil):
	// slog.Default().
	Logger *slog.Logger

	// Now is the clock. Zero (nil): time.Now.
	Now func() time.Time
}

// Console is the console's http.Handler.
type Console struct {
	opts     Options
	mux      *http.ServeMux
	sessions *sessions
	signin   *signinLimits
	pages    *pages
	usage    *usageCache
	flashKey [32]byte // keys the mark of a delete's link (deletedMark)
}

// New returns the console, or an error if opts are invalid.
func New(opts Options) (*Console, error) {
	switch {
	case opts.Handler == nil:
		return nil, errors.New("console: Options.Handler is required")
	case (opts.Users == nil) == (opts.Operator == nil):
		return nil, errors.New("console: exactly one of Options.Users and Options.Operator is required")
	}
	if opts.Path == "" {
		opts.Path = DefaultPath
	}
	if !strings.HasPrefix(opts.Path, "/") || !strings.HasSuffix(opts.Path, "/") || strings.ContainsAny(opts.Path, "{}") {
		return nil, errors.New("console: Options.Path must begin and end in '/'")
	}
	if opts.SessionIdle <= 0 {
		opts.SessionIdle = 30 * time.Minute
	}
	if opts.SessionMax <= 0 {
		opts.SessionMax = 12 * time.Hour
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	c := &Console{opts: opts, mux: http.NewServeMux(), pages: loadPages(), usage: newUsageCache()}
	rand.Read(c.flashKey[:])
	c.sessions = newSessions(opts.Now, opts.SessionIdle, opts.SessionMax)
	c.signin = newSigninLimits(opts.Now)
	c.routes()
	return c, nil
}

// routes registers every page, under Options.Path.
func (c *Console) routes() {
	p := c.opts.Path
	c.mux.HandleFunc("GET "+p+"static/{file}", serveStatic)
	c.mux.HandleFunc("GET "+p+"signin", c.serveSigninForm)
	c.mux.HandleFunc("POST "+p+"signin", c.serveSignin)
	c.mux.Handle("POST "+p+"signout", c.operatorOnly(c.serveSignout))
	c.mux.Handle("GET "+p+"{$}", c.operatorOnly(c.serveOverview))
	c.mux.Handle("GET "+p+"tenants", c.operatorOnly(c.serveTenants))
	c.mux.Handle("GET "+p+"vdn/{vdn}/", c.operatorOnly(c.servePrompts))
	c.mux.Handle("GET "+p+"vdn/{vdn}/prompt/{name}/audio.wav", c.operatorOnly(c.serveAudio))
	c.mux.Handle("GET "+p+"vdn/{vdn}/prompt/{name}/waveform.svg", c.operatorOnly(c.serveWaveform))
	c.mux.Handle("GET "+p+"vdn/{vdn}/prompt/{name}/download", c.operatorOnly(c.serveDownload))
	c.mux.Handle("GET "+p+"vdn/{vdn}/prompt/{name}/delete", c.operatorOnly(c.serveDeleteForm))
	c.mux.Handle("POST "+p+"vdn/{vdn}/prompt/{name}/delete", c.operatorOnly(c.serveDelete))
	c.mux.Handle("GET "+p+"refusals", c.operatorOnly(c.serveRefusals))
	c.mux.Handle("GET "+p+"refusals/{id}", c.operatorOnly(c.serveRefusal))
}

// ServeHTTP serves one request: every answer carries the console's
// security headers, and a request that would change something from
// another origin is refused before any page sees it.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	if err := crossOrigin.Check(r); err != nil {
		c.fail(w, r, http.StatusForbidden, "This request came from another origin (another site, or a page not served by this console), so nothing was done. Use the console's own pages.")
		return
	}
	c.mux.ServeHTTP(w, r)
}

// contentSecurityPolicy lets a page load only the console's own script,
// style, pictures and audio, be framed by nothing and post only to the
// console.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; media-src 'self'; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// crossOrigin refuses a request that changes something (any method but
// GET, HEAD and OPTIONS) when the browser says it comes from another
// origin.
var crossOrigin = http.NewCrossOriginProtection()
