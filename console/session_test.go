package console

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/store"
)

// fakeUsers knows one operator, and counts the passwords it checks.
type fakeUsers struct {
	mu     sync.Mutex
	checks int
	fail   error
}

const (
	opName     = "alice"
	opPassword = "correct horse battery staple"
)

func (u *fakeUsers) Authenticate(_ context.Context, name, password string) (bool, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.checks++
	return name == opName && password == opPassword, u.fail
}

// clock is a test's clock, moved by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// signinEnv is a console with its own sign-in over an empty handler.
type signinEnv struct {
	c     *Console
	users *fakeUsers
	clock *clock
	logs  *strings.Builder
}

func newSigninEnv(t *testing.T, edit func(*Options)) *signinEnv {
	t.Helper()
	creds, err := auth.NewStatic(auth.Key{AccessKey: "bot", SecretKey: "sk-never-shown", VDNs: []int{53}})
	if err != nil {
		t.Fatal(err)
	}
	h, err := ccfs.NewHandler(ccfs.Options{Credentials: creds, Store: store.NewMemory(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	e := &signinEnv{users: &fakeUsers{}, clock: &clock{now: time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)}, logs: &strings.Builder{}}
	opts := Options{Handler: h, Users: e.users, Credentials: creds, Now: e.clock.Now, Logger: slog.New(slog.NewTextHandler(e.logs, nil))}
	if edit != nil {
		edit(&opts)
	}
	if e.c, err = New(opts); err != nil {
		t.Fatal(err)
	}
	return e
}

// do sends one request to the console and returns its answer and body.
func (e *signinEnv) do(method, target string, form url.Values, edit func(*http.Request)) (*http.Response, string) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r := httptest.NewRequest(method, target, body)
	r.RemoteAddr = "192.0.2.7:5555"
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if edit != nil {
		edit(r)
	}
	w := httptest.NewRecorder()
	e.c.ServeHTTP(w, r)
	return w.Result(), w.Body.String()
}

// signIn signs the operator in and returns the session cookie.
func (e *signinEnv) signIn(t *testing.T) *http.Cookie {
	t.Helper()
	resp, body := e.do("POST", "/console/signin", url.Values{"name": {opName}, "password": {opPassword}, "next": {"/console/tenants"}}, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/tenants" {
		t.Fatalf("sign-in: %d %s %s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	for _, ck := range resp.Cookies() {
		return ck
	}
	t.Fatal("sign-in set no cookie")
	return nil
}

// TestSignIn: a right password begins a session whose cookie is
// HttpOnly and SameSite=Strict (and Secure with the __Host- prefix over
// TLS); a page without one sends the browser to the sign-in form, which
// brings it back.
func TestSignIn(t *testing.T) {
	e := newSigninEnv(t, nil)
	resp, _ := e.do("GET", "/console/tenants?x=1", nil, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/signin?next=%2Fconsole%2Ftenants%3Fx%3D1" {
		t.Fatalf("no session: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body := e.do("GET", "/console/signin?next=%2Fconsole%2Ftenants", nil, nil)
	if resp.StatusCode != 200 || !strings.Contains(body, `id="password"`) || !strings.Contains(body, `value="/console/tenants"`) {
		t.Fatalf("sign-in form: %d %s", resp.StatusCode, body)
	}
	ck := e.signIn(t)
	if ck.Name != "ccfs-console" || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Secure || len(ck.Value) < 40 {
		t.Fatalf("cookie %+v", ck)
	}
	resp, _ = e.do("GET", "/console/tenants", nil, func(r *http.Request) { r.AddCookie(ck) })
	if resp.StatusCode == http.StatusSeeOther {
		t.Fatal("the session was not accepted")
	}
	if !strings.Contains(e.logs.String(), "audit: an operator signed in") {
		t.Fatalf("no audit line: %s", e.logs)
	}

	// Over TLS: Secure, and the __Host- prefix.
	resp, _ = e.do("POST", "https://ccfs.example/console/signin", url.Values{"name": {opName}, "password": {opPassword}}, nil)
	tlsCookie := resp.Cookies()[0]
	if tlsCookie.Name != "__Host-ccfs-console" || !tlsCookie.Secure || tlsCookie.Path != "/" {
		t.Fatalf("TLS cookie %+v", tlsCookie)
	}
}

// TestSignInRefused: a wrong password, an unknown name and a form
// without them are refused, and no session begins; a broken password
// file is a 503 that says so.
func TestSignInRefused(t *testing.T) {
	e := newSigninEnv(t, nil)
	for _, form := range []url.Values{
		{"name": {opName}, "password": {"wrong"}},
		{"name": {"mallory"}, "password": {opPassword}},
		{"name": {opName}},
		{"name": {strings.Repeat("a", 65)}, "password": {opPassword}},
	} {
		resp, body := e.do("POST", "/console/signin", form, nil)
		if resp.StatusCode < 400 || len(resp.Cookies()) != 0 || !strings.Contains(body, `role="alert"`) {
			t.Errorf("%v: %d, cookies %v", form, resp.StatusCode, resp.Cookies())
		}
	}
	e.users.fail = errors.New("cannot read the file")
	if resp, _ := e.do("POST", "/console/signin", url.Values{"name": {opName}, "password": {opPassword}}, nil); resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("a broken file: %d", resp.StatusCode)
	}
}

// TestSignInRateLimited: after a few wrong passwords a name (or an
// address) is refused without its password being checked, even the
// right one, until time has passed; another address and name are not
// held back.
func TestSignInRateLimited(t *testing.T) {
	e := newSigninEnv(t, nil)
	wrong := url.Values{"name": {opName}, "password": {"wrong"}}
	for i := range signinBurst {
		if resp, _ := e.do("POST", "/console/signin", wrong, nil); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i+1, resp.StatusCode)
		}
	}
	checked := e.users.checks
	resp, body := e.do("POST", "/console/signin", url.Values{"name": {opName}, "password": {opPassword}}, nil)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || !strings.Contains(body, "Too many sign-in attempts") {
		t.Fatalf("past the limit: %d %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if e.users.checks != checked {
		t.Fatal("a rate-limited attempt had its password checked")
	}
	// The same name from another address is still held (the limit is
	// per name as well as per address).
	other := func(r *http.Request) { r.RemoteAddr = "198.51.100.9:1" }
	if resp, _ := e.do("POST", "/console/signin", url.Values{"name": {opName}, "password": {opPassword}}, other); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("the name from another address: %d", resp.StatusCode)
	}
	// Another name from the first address is held too (per address).
	if resp, _ := e.do("POST", "/console/signin", url.Values{"name": {"bob"}, "password": {"x"}}, nil); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("another name from the address: %d", resp.StatusCode)
	}
	e.clock.advance(signinEvery)
	e.signIn(t)
}

// TestFormsNeedTheToken: a request that changes something must carry the
// session's token; without it, or with another session's, nothing is
// done.
func TestFormsNeedTheToken(t *testing.T) {
	e := newSigninEnv(t, nil)
	ck := e.signIn(t)
	withCookie := func(r *http.Request) { r.AddCookie(ck) }
	ses := e.c.sessions.get(ck.Value)
	for _, token := range []string{"", "forged", e.c.sessions.get(e.signIn(t).Value).token} {
		resp, _ := e.do("POST", "/console/signout", url.Values{"token": {token}}, withCookie)
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("token %q: %d", token, resp.StatusCode)
		}
	}
	if e.c.sessions.get(ck.Value) == nil {
		t.Fatal("signed out without the token")
	}
	resp, _ := e.do("POST", "/console/signout", url.Values{"token": {ses.token}}, withCookie)
	if resp.StatusCode != http.StatusSeeOther || e.c.sessions.get(ck.Value) != nil {
		t.Fatalf("sign-out: %d", resp.StatusCode)
	}
}

// TestCrossOriginRefused: a request that changes something, sent by a
// page of another origin, is refused before anything looks at it, the
// sign-in form included.
func TestCrossOriginRefused(t *testing.T) {
	e := newSigninEnv(t, nil)
	for name, edit := range map[string]func(*http.Request){
		"Sec-Fetch-Site": func(r *http.Request) { r.Header.Set("Sec-Fetch-Site", "cross-site") },
		"Origin":         func(r *http.Request) { r.Header.Set("Origin", "http://evil.example") },
	} {
		resp, body := e.do("POST", "/console/signin", url.Values{"name": {opName}, "password": {opPassword}}, edit)
		if resp.StatusCode != http.StatusForbidden || len(resp.Cookies()) != 0 || !strings.Contains(body, "another origin") {
			t.Errorf("%s: %d", name, resp.StatusCode)
		}
	}
	if e.users.checks != 0 {
		t.Fatal("a cross-origin sign-in had its password checked")
	}
}

// TestSessionsEnd: a session ends after its idle time, and after its
// longest time however used.
func TestSessionsEnd(t *testing.T) {
	e := newSigninEnv(t, func(o *Options) { o.SessionIdle, o.SessionMax = time.Minute, 3*time.Minute })
	ck := e.signIn(t)
	for range 5 {
		e.clock.advance(50 * time.Second)
		if e.c.sessions.get(ck.Value) == nil && e.clock.Now().Sub(time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)) <= 3*time.Minute {
			t.Fatal("a session in use ended early")
		}
	}
	if e.c.sessions.get(ck.Value) != nil {
		t.Fatal("a session outlived SessionMax")
	}
	ck = e.signIn(t)
	e.clock.advance(61 * time.Second)
	if e.c.sessions.get(ck.Value) != nil {
		t.Fatal("an idle session outlived SessionIdle")
	}
}

// TestSecurityHeaders: every answer carries the strict CSP and its
// companions, the sign-in page included.
func TestSecurityHeaders(t *testing.T) {
	e := newSigninEnv(t, nil)
	for _, target := range []string{"/console/signin", "/console/", "/console/static/console.css", "/console/nowhere"} {
		resp, _ := e.do("GET", target, nil, nil)
		h := resp.Header
		if h.Get("Content-Security-Policy") != contentSecurityPolicy || h.Get("X-Frame-Options") != "DENY" ||
			h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("%s: %v", target, h)
		}
	}
	if !strings.Contains(contentSecurityPolicy, "script-src 'self'") || strings.Contains(contentSecurityPolicy, "unsafe") {
		t.Fatalf("CSP %q", contentSecurityPolicy)
	}
}

// TestSafeNext: a sign-in sends the operator only to a page of the
// console.
func TestSafeNext(t *testing.T) {
	for next, want := range map[string]string{
		"/console/tenants":         "/console/tenants",
		"/console/vdn/53/?after=a": "/console/vdn/53/?after=a",
		"":                         "/console/",
		"/console":                 "/console/",
		"https://evil.example/":    "/console/",
		"//evil.example/console/":  "/console/",
		"/console/\\evil":          "/console/",
		"/console/ x":              "/console/",
		"/metrics":                 "/console/",
	} {
		if got := safeNext("/console/", next); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", next, got, want)
		}
	}
}

// TestNewRefuses: New needs a handler and exactly one way to know the
// operator, and a path that begins and ends in '/'.
func TestNewRefuses(t *testing.T) {
	e := newSigninEnv(t, nil)
	h := e.c.opts.Handler
	for name, opts := range map[string]Options{
		"no handler":  {Users: e.users},
		"neither":     {Handler: h},
		"both":        {Handler: h, Users: e.users, Operator: func(*http.Request) (string, bool) { return "", false }},
		"a bare path": {Handler: h, Users: e.users, Path: "/console"},
	} {
		if _, err := New(opts); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestOperatorFromFront: with Options.Operator, the console trusts the
// front's word, keeps no session, and refuses whom it refuses.
func TestOperatorFromFront(t *testing.T) {
	e := newSigninEnv(t, func(o *Options) {
		o.Users = nil
		o.Operator = func(r *http.Request) (string, bool) {
			name := r.Header.Get("X-Operator")
			return name, name != ""
		}
	})
	if resp, _ := e.do("GET", "/console/tenants", nil, nil); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("no operator: %d", resp.StatusCode)
	}
	resp, body := e.do("GET", "/console/tenants", nil, func(r *http.Request) { r.Header.Set("X-Operator", "bob") })
	if resp.StatusCode != 200 || !strings.Contains(body, "bob") || strings.Contains(body, "Sign out") {
		t.Fatalf("the front's operator: %d %s", resp.StatusCode, body)
	}
	if resp, _ := e.do("GET", "/console/signin", nil, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("a sign-in form without Users: %d", resp.StatusCode)
	}
}

// TestSignInNeverRedirectsAway: whatever next a sign-in is given, the
// operator lands on a page of the console's own origin and path, even
// for a console mounted at "/" (where "//evil.example" begins with the
// console's path) and for a next that leaves the path by "..".
func TestSignInNeverRedirectsAway(t *testing.T) {
	for _, base := range []string{"/", "/console/"} {
		e := newSigninEnv(t, func(o *Options) { o.Path = base })
		for _, next := range []string{
			"//evil.example/", base + "/evil.example/", "/\t/evil.example/", base + "../metrics",
			base + "x/../../metrics", base + "%2e%2e/metrics", base + "./../metrics",
		} {
			resp, body := e.do("POST", base+"signin", url.Values{"name": {opName}, "password": {opPassword}, "next": {next}}, nil)
			loc := resp.Header.Get("Location")
			u, err := url.Parse(loc)
			if resp.StatusCode != http.StatusSeeOther || err != nil || u.Host != "" || u.Scheme != "" ||
				!strings.HasPrefix(path.Clean("/"+u.Path)+"/", base) || strings.HasPrefix(loc, "//") {
				t.Errorf("mounted at %s, sign-in with next=%q: %d Location %q\n%s", base, next, resp.StatusCode, loc, body)
			}
			e.clock.advance(time.Minute) // no rate limit between attempts
		}
	}
}

// TestSignInLimitPerIPv6Network: one holder of an IPv6 /64 has 2^64
// addresses; the limit per address holds for the whole network, so that
// it cannot spray passwords over many names (or spend every name's
// limit) by changing address each attempt. An IPv4 address written as
// IPv6 is the same address.
func TestSignInLimitPerIPv6Network(t *testing.T) {
	e := newSigninEnv(t, nil)
	limited := 0
	for i := range 4 * signinBurst {
		from := func(r *http.Request) { r.RemoteAddr = fmt.Sprintf("[2001:db8:1:2::%x]:40000", i+1) }
		resp, _ := e.do("POST", "/console/signin", url.Values{"name": {fmt.Sprintf("user%d", i)}, "password": {"guess"}}, from)
		if resp.StatusCode == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited != 3*signinBurst {
		t.Errorf("%d attempts from one /64 with as many names: %d held back, want %d", 4*signinBurst, limited, 3*signinBurst)
	}
	// Another /64 is another network.
	if resp, _ := e.do("POST", "/console/signin", url.Values{"name": {"carol"}, "password": {"guess"}}, func(r *http.Request) { r.RemoteAddr = "[2001:db8:1:3::1]:1" }); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("another /64: %d, want 401", resp.StatusCode)
	}
	// 192.0.2.7 (the default address) spends its attempts, written as IPv6.
	for i := range signinBurst {
		e.do("POST", "/console/signin", url.Values{"name": {fmt.Sprintf("v4user%d", i)}, "password": {"guess"}}, nil)
	}
	mapped := func(r *http.Request) { r.RemoteAddr = "[::ffff:192.0.2.7]:1" }
	if resp, _ := e.do("POST", "/console/signin", url.Values{"name": {"dave"}, "password": {"guess"}}, mapped); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("192.0.2.7 written as ::ffff:192.0.2.7 after its burst: %d, want 429", resp.StatusCode)
	}
}

// countingReader is an endless form body that counts what is read of it.
type countingReader struct{ n int64 }

func (c *countingReader) Read(b []byte) (int, error) {
	for i := range b {
		b[i] = 'a'
	}
	c.n += int64(len(b))
	return len(b), nil
}

// TestFormBodiesAreBounded: a form that changes something is read only
// up to a small bound, url-encoded or multipart (which net/http would
// otherwise read to the end, to memory and then to temporary files), so
// a huge body costs the server nothing much.
func TestFormBodiesAreBounded(t *testing.T) {
	e := newSigninEnv(t, nil)
	ck := e.signIn(t)
	for _, contentType := range []string{"application/x-www-form-urlencoded", "multipart/form-data; boundary=xyz"} {
		body := &countingReader{}
		prefix := "token=x&big="
		if strings.HasPrefix(contentType, "multipart") {
			prefix = "--xyz\r\nContent-Disposition: form-data; name=\"big\"; filename=\"big\"\r\n\r\n"
		}
		r := httptest.NewRequest("POST", "/console/signout", io.MultiReader(strings.NewReader(prefix), io.LimitReader(body, 64<<20)))
		r.RemoteAddr = "192.0.2.7:5555"
		r.Header.Set("Content-Type", contentType)
		r.AddCookie(ck)
		w := httptest.NewRecorder()
		e.c.ServeHTTP(w, r)
		if w.Code < 400 || body.n > 1<<20 {
			t.Errorf("%s: a 64 MiB form: %d, %d bytes read", contentType, w.Code, body.n)
		}
	}
	if e.c.sessions.get(ck.Value) == nil {
		t.Error("signed out by a form without its token")
	}
}

// foldingUsers knows alice under any case of her name, as a directory
// that compares names without case does.
type foldingUsers struct{}

func (foldingUsers) Authenticate(_ context.Context, name, password string) (bool, error) {
	return strings.EqualFold(name, opName) && password == opPassword, nil
}

// TestSignInLimitPerNameIgnoresCase: the limit per name counts the ways
// of writing one name with other cases (or around spaces) as one name,
// in case Users compares names so: else "alice", "Alice", "aLice"… would
// each have guesses of their own at one account.
func TestSignInLimitPerNameIgnoresCase(t *testing.T) {
	e := newSigninEnv(t, func(o *Options) { o.Users = foldingUsers{} })
	limited := 0
	for i := range 4 * signinBurst {
		name := []byte(opName)
		for j := range name {
			if i>>j&1 == 1 {
				name[j] -= 'a' - 'A'
			}
		}
		from := func(r *http.Request) { r.RemoteAddr = fmt.Sprintf("198.51.100.%d:1", i+1) }
		resp, _ := e.do("POST", "/console/signin", url.Values{"name": {string(name)}, "password": {"guess"}}, from)
		if resp.StatusCode == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited != 3*signinBurst {
		t.Errorf("%d guesses at alice written in as many cases: %d held back, want %d", 4*signinBurst, limited, 3*signinBurst)
	}
}

// listingUsers are fakeUsers that also list their names, as
// console/accounts.File does; remove takes a name off the list.
type listingUsers struct {
	fakeUsers
	mu    sync.Mutex
	names []string
}

func (u *listingUsers) Names() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return slices.Clone(u.names)
}

func (u *listingUsers) remove(name string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.names = slices.DeleteFunc(u.names, func(n string) bool { return n == name })
}

// TestRemovedOperatorIsSignedOut: an operator whose account is removed
// (ccfs console-user remove) loses their sessions at their next
// request, when Users lists its names; they are not left signed in for
// up to Options.SessionMax.
func TestRemovedOperatorIsSignedOut(t *testing.T) {
	users := &listingUsers{names: []string{"bob", opName}}
	e := newSigninEnv(t, func(o *Options) { o.Users = users })
	ck := e.signIn(t)
	withCookie := func(r *http.Request) { r.AddCookie(ck) }
	if resp, _ := e.do("GET", "/console/tenants", nil, withCookie); resp.StatusCode != http.StatusOK {
		t.Fatalf("signed in: %d", resp.StatusCode)
	}
	users.remove(opName)
	resp, _ := e.do("GET", "/console/tenants", nil, withCookie)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/console/signin") {
		t.Errorf("after the account's removal: %d %s, want a 303 to the sign-in", resp.StatusCode, resp.Header.Get("Location"))
	}
	if e.c.sessions.get(ck.Value) != nil {
		t.Error("the removed operator's session is kept")
	}
}

// TestLogsCarryNoSessionOrSecret: whatever an operator or a stranger
// does (sign in, fail, be held back, sign out, send a forged form), the
// log never carries a password, a session's ID or its form token.
func TestLogsCarryNoSessionOrSecret(t *testing.T) {
	e := newSigninEnv(t, nil)
	ck := e.signIn(t)
	token := e.c.sessions.get(ck.Value).token
	withCookie := func(r *http.Request) { r.AddCookie(ck) }
	e.do("POST", "/console/signout", url.Values{"token": {"forged"}}, withCookie)
	e.do("GET", "/console/tenants", nil, withCookie)
	for range signinBurst + 1 {
		e.do("POST", "/console/signin", url.Values{"name": {opName}, "password": {"wrong-password-guess"}}, nil)
	}
	e.do("POST", "/console/signout", url.Values{"token": {token}}, withCookie)
	logs := e.logs.String()
	if !strings.Contains(logs, "signed in") || !strings.Contains(logs, "signed out") {
		t.Fatalf("no audit lines:\n%s", logs)
	}
	for what, s := range map[string]string{"the password": opPassword, "a wrong password": "wrong-password-guess", "the session ID": ck.Value, "the form token": token} {
		if strings.Contains(logs, s) {
			t.Errorf("the log carries %s:\n%s", what, logs)
		}
	}
}

// TestTossedCookieDoesNotSignOut: cookies are not kept apart by port,
// so another site on the console's host (another port of 127.0.0.1)
// can set a cookie of the console's name for a longer path, which the
// browser then sends first; the console still finds the operator's own
// session among the cookies of its name, rather than sending them to
// sign in again and again.
func TestTossedCookieDoesNotSignOut(t *testing.T) {
	e := newSigninEnv(t, nil)
	ck := e.signIn(t)
	tossed := func(r *http.Request) {
		r.Header.Set("Cookie", ck.Name+"=tossed-by-another-port; "+ck.Name+"="+ck.Value)
	}
	if resp, _ := e.do("GET", "/console/tenants", nil, tossed); resp.StatusCode != http.StatusOK {
		t.Errorf("with a tossed cookie before the session's: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}
