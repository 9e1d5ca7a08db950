package console

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"hash/maphash"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// A session is one signed-in operator's.
type session struct {
	operator string
	token    string // the token every form that changes something carries
	started  time.Time
	used     time.Time
}

// sessions are the signed-in operators', in memory: a restart signs
// everyone out. A session is made only by a password that held, so
// strangers cannot grow the map; it is bounded all the same.
type sessions struct {
	mu        sync.Mutex
	byID      map[string]*session
	now       func() time.Time
	idle, max time.Duration
}

// maxSessions bounds the sessions kept: past it, the oldest is dropped.
const maxSessions = 1000

func newSessions(now func() time.Time, idle, max time.Duration) *sessions {
	return &sessions{byID: map[string]*session{}, now: now, idle: idle, max: max}
}

// start begins a session for operator and returns its ID.
func (s *sessions) start(operator string) (string, *session) {
	id, now := randomText(32), s.now()
	ses := &session{operator: operator, token: randomText(24), started: now, used: now}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expire(now)
	if len(s.byID) >= maxSessions {
		var oldest string
		for k, v := range s.byID {
			if oldest == "" || v.started.Before(s.byID[oldest].started) {
				oldest = k
			}
		}
		delete(s.byID, oldest)
	}
	s.byID[id] = ses
	return id, ses
}

// get returns the live session id names, marking it used, or nil.
func (s *sessions) get(id string) *session {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	ses := s.byID[id]
	if ses == nil {
		return nil
	}
	if now.Sub(ses.used) > s.idle || now.Sub(ses.started) > s.max {
		delete(s.byID, id)
		return nil
	}
	ses.used = now
	c := *ses
	return &c
}

// end ends the session id.
func (s *sessions) end(id string) {
	s.mu.Lock()
	delete(s.byID, id)
	s.mu.Unlock()
}

// expire drops the sessions past their time; s.mu is held.
func (s *sessions) expire(now time.Time) {
	for id, ses := range s.byID {
		if now.Sub(ses.used) > s.idle || now.Sub(ses.started) > s.max {
			delete(s.byID, id)
		}
	}
}

// randomText returns n random bytes as unpadded base64url.
func randomText(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// cookieName is the session cookie's name: with the __Host- prefix over
// TLS, which a browser keeps only if Secure, for path / and no domain.
func (c *Console) cookieName(r *http.Request) string {
	if c.secure(r) {
		return "__Host-ccfs-console"
	}
	return "ccfs-console"
}

func (c *Console) secure(r *http.Request) bool { return r.TLS != nil || c.opts.Secure }

// maxSessionCookies bounds the cookies of the console's name looked up.
const maxSessionCookies = 4

// sessionOf returns the live session a request's cookie names, and its
// ID, or nil. Every cookie of the console's name is tried (the first few):
// cookies are not kept apart by port, so another site on the console's
// host can set one of its name for a longer path, which the browser
// sends first.
func (c *Console) sessionOf(r *http.Request) (string, *session) {
	for i, ck := range r.CookiesNamed(c.cookieName(r)) {
		if i == maxSessionCookies {
			break
		}
		if ses := c.sessions.get(ck.Value); ses != nil {
			return ck.Value, ses
		}
	}
	return "", nil
}

// operatorKey is the context key of a request's operator.
type operatorKey struct{}

// A signedIn is the operator a request comes from, and the token its
// forms must carry ("" when Options.Operator vouches for it: the
// front's own sign-in then guards its forms, with CrossOriginProtection).
type signedIn struct {
	name, token string
}

// operatorOf returns the operator of a request operatorOnly let through.
func operatorOf(r *http.Request) signedIn {
	op, _ := r.Context().Value(operatorKey{}).(signedIn)
	return op
}

// operatorOnly serves a page only to a signed-in operator: a request
// without a session is sent to the sign-in page (a GET) or refused (any
// other). A request that changes something must carry its session's
// token in the form field "token".
func (c *Console) operatorOnly(page http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var op signedIn
		if c.opts.Operator != nil {
			name, ok := c.opts.Operator(r)
			if !ok || name == "" {
				c.fail(w, r, http.StatusForbidden, "You are not allowed to use this console.")
				return
			}
			op = signedIn{name: name}
		} else {
			id, ses := c.sessionOf(r)
			if ses != nil && !c.stillOperator(ses.operator) {
				c.sessions.end(id)
				c.opts.Logger.Info("audit: a removed operator's session ended", "operator", ses.operator)
				ses = nil
			}
			if ses == nil {
				if r.Method == http.MethodGet {
					http.Redirect(w, r, c.opts.Path+"signin?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
					return
				}
				c.fail(w, r, http.StatusUnauthorized, "Your session has ended. Sign in again, then repeat what you were doing.")
				return
			}
			op = signedIn{name: ses.operator, token: ses.token}
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead && op.token != "" &&
			subtle.ConstantTimeCompare([]byte(r.PostFormValue("token")), []byte(op.token)) != 1 {
			c.fail(w, r, http.StatusForbidden, "This form is out of date or did not come from this console, so nothing was done. Reload the page and try again.")
			return
		}
		page(w, r.WithContext(context.WithValue(r.Context(), operatorKey{}, op)))
	})
}

// A userLister lists the names of the operators Users knows, as
// console/accounts.File does.
type userLister interface{ Names() []string }

// stillOperator reports whether name is still an operator's: false only
// if Users lists its names and name is no longer among them (its
// account was removed), so that its sessions end at once rather than
// after Options.SessionMax.
func (c *Console) stillOperator(name string) bool {
	l, ok := c.opts.Users.(userLister)
	return !ok || slices.Contains(l.Names(), name)
}

// signinLimits rate-limit sign-in attempts, per address and per name
// tried. A stranger may name any address or account, so the limiters
// are a fixed table, each name or address hashed (with a seed of this
// process's) to one of its slots: memory does not grow with what is
// tried, and no flood of names can push out a name's limiter. Two names
// that share a slot share its limit.
type signinLimits struct {
	seed    maphash.Seed
	mu      sync.Mutex
	byAddr  [signinSlots]*rate.Limiter
	byName  [signinSlots]*rate.Limiter
	now     func() time.Time
	hashing chan struct{} // password checks at once: argon2id holds memory
}

const (
	signinSlots = 4096
	// A name or an address may try signinBurst passwords at once, then
	// one every signinEvery.
	signinBurst = 5
	signinEvery = 20 * time.Second
	// maxHashing bounds the password checks running at once.
	maxHashing = 2
)

func newSigninLimits(now func() time.Time) *signinLimits {
	return &signinLimits{seed: maphash.MakeSeed(), now: now, hashing: make(chan struct{}, maxHashing)}
}

// allow spends one attempt for addr and one for name, and returns how
// long to wait if either has none left. A name is counted without case
// or surrounding space: Users may compare names so, and the ways of
// writing one name must not each have attempts of their own.
func (l *signinLimits) allow(addr, name string) (bool, time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	a := l.slot(&l.byAddr, "a"+addr)
	n := l.slot(&l.byName, "n"+strings.ToLower(strings.TrimSpace(name)))
	ra, rn := a.ReserveN(now, 1), n.ReserveN(now, 1)
	wait := max(ra.DelayFrom(now), rn.DelayFrom(now))
	if wait > 0 {
		ra.CancelAt(now)
		rn.CancelAt(now)
		return false, wait
	}
	return true, 0
}

func (l *signinLimits) slot(table *[signinSlots]*rate.Limiter, key string) *rate.Limiter {
	i := maphash.String(l.seed, key) % signinSlots
	if table[i] == nil {
		table[i] = rate.NewLimiter(rate.Every(signinEvery), signinBurst)
	}
	return table[i]
}

// remoteHost is the address a request came from, without its port: the
// peer's, never a header a client writes.
func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// limitedAddr is what the limit per address counts an address as: an
// IPv6 address's /64 (one holder has all of it, so a limit per address
// would be none), an IPv4 address itself, unmapped if written as IPv6.
func limitedAddr(host string) string {
	a, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	a = a.Unmap().WithZone("")
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// maxFormBytes bounds the body of a form the console reads (a sign-in, a
// form that changes something): net/http would read a url-encoded one up
// to 10 MB, and a multipart one to its end.
const maxFormBytes = 4 << 10

// maxNameLen and maxPasswordLen bound what a sign-in form may carry.
const (
	maxNameLen     = 64
	maxPasswordLen = 256
)

// serveSignin checks a sign-in form: rate limited first, then the
// password checked (a few at once), then a session begun and the
// operator sent where they were going.
func (c *Console) serveSignin(w http.ResponseWriter, r *http.Request) {
	if c.opts.Users == nil {
		http.Redirect(w, r, c.opts.Path, http.StatusSeeOther)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	name, password, next := r.PostFormValue("name"), r.PostFormValue("password"), safeNext(c.opts.Path, r.PostFormValue("next"))
	if name == "" || password == "" || len(name) > maxNameLen || len(password) > maxPasswordLen {
		c.signinPage(w, r, http.StatusBadRequest, name, next, "Give your name and your password.")
		return
	}
	addr := remoteHost(r)
	if ok, wait := c.signin.allow(limitedAddr(addr), name); !ok {
		secs := int(wait/time.Second) + 1
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		c.opts.Logger.Warn("console: sign-in attempts rate limited", "name", clip(name), "addr", addr)
		c.signinPage(w, r, http.StatusTooManyRequests, name, next, "Too many sign-in attempts for this name or from this address. Wait "+strconv.Itoa(secs)+" seconds, then try again.")
		return
	}
	select {
	case c.signin.hashing <- struct{}{}:
	case <-r.Context().Done():
		return
	}
	ok, err := c.opts.Users.Authenticate(r.Context(), name, password)
	<-c.signin.hashing
	switch {
	case err != nil:
		c.opts.Logger.Error("console: passwords could not be checked", "err", err)
		c.signinPage(w, r, http.StatusServiceUnavailable, name, next, "Passwords cannot be checked now; the server's log says why.")
		return
	case !ok:
		c.opts.Logger.Info("console: sign-in refused: wrong name or password", "name", clip(name), "addr", addr)
		c.signinPage(w, r, http.StatusUnauthorized, name, next, "Wrong name or password. Check both and try again; whoever runs the server can set a new password.")
		return
	}
	id, _ := c.sessions.start(name)
	http.SetCookie(w, &http.Cookie{
		Name: c.cookieName(r), Value: id, Path: "/", HttpOnly: true, Secure: c.secure(r),
		SameSite: http.SameSiteStrictMode, MaxAge: int(c.opts.SessionMax / time.Second),
	})
	c.opts.Logger.Info("audit: an operator signed in to the console", "operator", name, "addr", addr)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// serveSignout ends the operator's session.
func (c *Console) serveSignout(w http.ResponseWriter, r *http.Request) {
	if id, ses := c.sessionOf(r); ses != nil {
		c.sessions.end(id)
	}
	http.SetCookie(w, &http.Cookie{Name: c.cookieName(r), Value: "", Path: "/", HttpOnly: true, Secure: c.secure(r), SameSite: http.SameSiteStrictMode, MaxAge: -1})
	c.opts.Logger.Info("audit: an operator signed out of the console", "operator", operatorOf(r).name)
	http.Redirect(w, r, c.opts.Path+"signin", http.StatusSeeOther)
}

// serveSigninForm shows the sign-in form.
func (c *Console) serveSigninForm(w http.ResponseWriter, r *http.Request) {
	if c.opts.Users == nil {
		http.Redirect(w, r, c.opts.Path, http.StatusSeeOther)
		return
	}
	c.signinPage(w, r, http.StatusOK, "", safeNext(c.opts.Path, r.URL.Query().Get("next")), "")
}

// safeNext returns next if it is a path of the console's, else the
// console's front page: a sign-in never sends anyone elsewhere. A path
// that begins with "//" names another host (even when the console is
// mounted at "/"), and one with a "." or ".." segment, plain or
// percent-encoded, may leave the console's path once a browser resolves
// it, so neither is one.
func safeNext(base, next string) string {
	if len(next) > 2048 || !strings.HasPrefix(next, base) || strings.HasPrefix(next, "//") {
		return base
	}
	for _, r := range next {
		if r < 0x21 || r == 0x7f || r == '\\' {
			return base
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return base
	}
	clean := path.Clean(u.Path)
	if strings.HasSuffix(u.Path, "/") && clean != "/" {
		clean += "/"
	}
	if clean != u.Path {
		return base
	}
	return next
}

// clip cuts what a stranger typed to a loggable length.
func clip(s string) string {
	if len(s) > maxNameLen {
		return s[:maxNameLen] + "…"
	}
	return s
}
