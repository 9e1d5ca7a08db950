package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/console/accounts"
	"github.com/ccfs-go/ccfs/events"
)

// TestConsoleFlagRules: the console is off by default; it never listens
// beyond loopback without TLS; its flags need --console; and without an
// accounts file serve refuses to start, before it writes anything.
func TestConsoleFlagRules(t *testing.T) {
	data := t.TempDir()
	users := filepath.Join(t.TempDir(), "console-users")
	for _, tc := range []struct {
		name string
		args []string
		code int
		says string
	}{
		{"addr without console", []string{"--console-addr", "127.0.0.1:0"}, 2, "--console-addr needs --console"},
		{"users without console", []string{"--console-users", users}, 2, "--console-users needs --console"},
		{"admin listener beyond loopback", []string{"--console", "--admin-addr", "0.0.0.0:0"}, 2, "never listens beyond loopback without TLS"},
		{"admin listener on every address", []string{"--console", "--admin-addr", ":0"}, 2, "give the console its own --console-addr"},
		{"own listener beyond loopback, plain HTTP", []string{"--console", "--plain-http", "--console-addr", "0.0.0.0:0"}, 2, "beyond loopback, where the console is served only over TLS"},
		{"own listener on every address, plain HTTP", []string{"--console", "--plain-http", "--console-addr", ":0"}, 2, "--plain-http gives the server no certificate"},
		{"console addr is admin addr", []string{"--console", "--admin-addr", "127.0.0.1:9", "--console-addr", "127.0.0.1:9"}, 2, "--console-addr must not be --admin-addr"},
		{"no accounts", []string{"--console", "--data", data, "--console-users", users}, 1, "no console accounts in " + users + " (--console-users): run `ccfs console-user add --file " + users + " NAME` first"},
		{"no accounts, the default file", []string{"--console", "--data", data}, 1, filepath.Join(data, "console-users")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := runCmd(t, append([]string{"serve", "--addr", "127.0.0.1:0"}, tc.args...)...)
			if code != tc.code || !strings.Contains(errs, tc.says) {
				t.Fatalf("serve %v: exit %d, want %d saying %q:\n%s", tc.args, code, tc.code, tc.says, errs)
			}
		})
	}
	// Refused before anything was written: no development key.
	if entries, _ := os.ReadDir(data); len(entries) > 0 {
		t.Errorf("serve wrote %v before refusing a console without accounts", entries)
	}
	for _, flag := range []string{"console", "console-addr", "console-users"} {
		if !helpFlags(t, "serve")[flag] {
			t.Errorf("serve --help lists no --%s", flag)
		}
	}
	_, out, errs := runCmd(t, "serve", "--help")
	for _, says := range []string{"Off by default", "plain HTTP", "over TLS with the server's certificate", "beyond loopback", "console-user add"} {
		if !strings.Contains(out+errs, says) {
			t.Errorf("serve --help does not say %q", says)
		}
	}
}

// TestConsoleOffByDefault: without --console the admin listener has no
// /console/, and serve prints no console.
func TestConsoleOffByDefault(t *testing.T) {
	b := startServe(t, "--data", t.TempDir(), "--admin-addr", "127.0.0.1:0", "--drain-delay", "0")
	if b.admin == "" {
		t.Fatalf("no admin listener: %s", b.printed)
	}
	for _, p := range []string{"/console/", "/console/signin"} {
		resp, err := http.Get(b.admin + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s on the admin listener without --console: %s, want 404", p, resp.Status)
		}
	}
	if consoleURL(b) != "" {
		t.Errorf("serve printed a console without --console: %s", b.printed)
	}
}

// TestConsoleWhereItListens: on the admin listener (loopback, plain
// HTTP) with --admin-addr; on its own listener over TLS with the server's
// certificate otherwise, where / leads to it; with --plain-http, in plain
// HTTP on loopback.
func TestConsoleWhereItListens(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   []string
		scheme string
		admin  bool
	}{
		{"admin listener", []string{"--admin-addr", "127.0.0.1:0"}, "http", true},
		{"own listener, TLS", []string{"--console-addr", "127.0.0.1:0"}, "https", false},
		{"own listener beside the admin listener", []string{"--admin-addr", "127.0.0.1:0", "--console-addr", "127.0.0.1:0"}, "https", false},
		{"own listener, plain HTTP on loopback", []string{"--plain-http", "--console-addr", "127.0.0.1:0"}, "http", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := t.TempDir()
			if err := accounts.Add(filepath.Join(data, "console-users"), "op", "a long operator password"); err != nil {
				t.Fatal(err)
			}
			b := startServe(t, append([]string{"--data", data, "--console", "--drain-delay", "0"}, tc.args...)...)
			u := consoleURL(b)
			if !strings.HasPrefix(u, tc.scheme+"://127.0.0.1:") {
				t.Fatalf("console on %q, want %s://127.0.0.1:…/console/:\n%s", u, tc.scheme, b.printed)
			}
			if onAdmin := b.admin != "" && strings.HasPrefix(u, b.admin+"/"); onAdmin != tc.admin {
				t.Errorf("console on %s, admin on %s: on the admin listener %v, want %v", u, b.admin, onAdmin, tc.admin)
			}
			client := noRedirects(insecureClient())
			resp, err := client.Get(u + "signin")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(body), `id="password"`) {
				t.Fatalf("GET %ssignin: %s\n%s", u, resp.Status, body)
			}
			if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
				t.Errorf("no strict Content-Security-Policy: %q", csp)
			}
			if tc.admin {
				return
			}
			resp, err = client.Get(strings.TrimSuffix(u, "console/"))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/" {
				t.Errorf("GET / on the console's listener: %s to %q, want 303 to /console/", resp.Status, resp.Header.Get("Location"))
			}
		})
	}
}

// TestConsoleAddrInUse: a --console-addr another program holds is named,
// and serve says to give another.
func TestConsoleAddrInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	data := t.TempDir()
	if err := accounts.Add(filepath.Join(data, "console-users"), "op", "a long operator password"); err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	code, _, errs := runCmd(t, "serve", "--addr", "127.0.0.1:0", "--data", data, "--console", "--console-addr", addr, "--drain-delay", "0")
	if want := `--console-addr "` + addr + `" is in use`; code != 1 || !strings.Contains(errs, want) || !strings.Contains(errs, "give another address with --console-addr") {
		t.Fatalf("serve with --console-addr %s in use: exit %d, want 1 saying %q and what to do:\n%s", addr, code, want, errs)
	}
}

// TestConsoleRefusesOtherOrigins: a delete posted from another origin,
// with the operator's session cookie and the form's token, is refused
// (403) and deletes nothing, whether the browser marks it cross-site or
// names the other origin; the same form posted from the console's own
// page deletes the prompt.
func TestConsoleRefusesOtherOrigins(t *testing.T) {
	s := newConsoleServer(t)
	name := s.upload(t, 53, alaw(8000))
	op := s.signIn(t)
	form := s.console + "vdn/53/prompt/" + name + "/delete"
	token := formToken(t, op.page(t, form))
	file := filepath.Join(s.data, "files", "3rdfile", "53", "thirdvoicebotfile", name)
	for _, header := range []struct{ name, value string }{
		{"Sec-Fetch-Site", "cross-site"},
		{"Origin", "http://evil.example"},
	} {
		code, body := op.post(t, form, url.Values{"token": {token}}, header.name, header.value)
		if code != http.StatusForbidden {
			t.Errorf("a delete with %s: %s: %d, want 403:\n%s", header.name, header.value, code, body)
		}
		if _, err := os.Stat(file); err != nil {
			t.Fatalf("a delete with %s: %s deleted the prompt: %v", header.name, header.value, err)
		}
	}
	// The control: from the console's own page, the same form deletes.
	if code, body := op.post(t, form, url.Values{"token": {token}}, "Sec-Fetch-Site", "same-origin"); code != http.StatusSeeOther {
		t.Fatalf("the delete from the console's own page: %d, want 303:\n%s", code, body)
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Fatalf("the prompt is still there after the console's own delete: %v", err)
	}
}

// TestConsoleSigninRateLimited: after a few wrong passwords the console
// answers 429 with Retry-After, and refuses even the right password
// until the wait is over.
func TestConsoleSigninRateLimited(t *testing.T) {
	s := newConsoleServer(t)
	client := s.client()
	try := func(password string) *http.Response {
		t.Helper()
		resp, err := client.PostForm(s.console+"signin", url.Values{"name": {s.operator}, "password": {password}})
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	limited := 0
	for i := range 20 {
		resp := try(fmt.Sprintf("wrong password %d", i))
		if resp.StatusCode == http.StatusTooManyRequests {
			if resp.Header.Get("Retry-After") == "" {
				t.Fatal("429 without Retry-After")
			}
			limited = i + 1
			break
		}
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: %s, want 401", i, resp.Status)
		}
	}
	if limited == 0 || limited > 10 {
		t.Fatalf("20 wrong passwords were never rate limited")
	}
	resp := try(s.password)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("the right password, after %d wrong ones: %s (Retry-After %q), want 429 with Retry-After", limited, resp.Status, resp.Header.Get("Retry-After"))
	}
	if s.cookie(client) != "" {
		t.Fatal("a session began while sign-ins were rate limited")
	}
}

// TestConsoleLeaksNoSecret: signed in, every page (overview, tenants,
// a prompts page, the delete form, the refusals, a refusal's
// explanation, a prompt's waveform and audio) is fetched: no tenant's
// secret key, no operator's password and no webhook secret appears in
// any body or header.
func TestConsoleLeaksNoSecret(t *testing.T) {
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.Copy(io.Discard, r.Body) }))
	defer receiver.Close()
	secret := events.NewSecret().Text()
	secretFile := writeFile(t, "webhook-secret", []byte(secret+"\n"))
	s := newConsoleServer(t, "--webhook", receiver.URL+"/hook", "--webhook-secret-file", secretFile)
	name := s.upload(t, 53, alaw(12000))
	s.upload(t, 54, alaw(4000))
	id := s.refused(t, 53)

	op := s.signIn(t)
	pages := []string{
		"", "tenants", "vdn/53/", "vdn/54/", "vdn/53/prompt/" + name + "/delete",
		"vdn/53/prompt/" + name + "/waveform.svg", "vdn/53/prompt/" + name + "/audio.wav",
		"refusals", "refusals?key=" + s.keys[0].AccessKey, "refusals/" + id, "signin",
	}
	secrets := map[string]string{"the operator's password": s.password, "the webhook secret": secret,
		"the webhook secret's key": strings.TrimPrefix(secret, "whsec_")}
	for _, k := range s.keys {
		secrets["the secret key of "+k.AccessKey] = k.SecretKey
	}
	for _, p := range pages {
		resp := op.get(t, s.console+p)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %s", p, resp.Status)
		}
		var headers strings.Builder
		resp.Header.Write(&headers)
		for what, value := range secrets {
			if strings.Contains(string(body), value) || strings.Contains(headers.String(), value) {
				t.Errorf("GET %s shows %s", p, what)
			}
		}
	}
	// The explanation is there, so the page looked at was the right one.
	if page := op.page(t, s.console+"refusals/"+id); !strings.Contains(page, `id="server-signed"`) || !strings.Contains(page, ccfs.UploadPath) {
		t.Errorf("refusals/%s has no explanation of what the server signed:\n%s", id, page)
	}
}

// TestConsoleShowsTheServer: what serve gives the console reaches its
// pages: the store's location and its overwrite protection, the
// readiness checks, the requests recorded (through OnRequest, beside the
// metrics), the events backlog of a webhook that refuses deliveries,
// each VDN's retention (--retain) and keys (the credentials file, names
// only); and the admin listener's metrics still count requests.
func TestConsoleShowsTheServer(t *testing.T) {
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		http.Error(w, "not now", http.StatusServiceUnavailable)
	}))
	defer receiver.Close()
	secretFile := writeFile(t, "webhook-secret", []byte(events.NewSecret().Text()+"\n"))
	s := newConsoleServer(t, "--webhook", receiver.URL+"/hook", "--webhook-secret-file", secretFile,
		"--retain", "*=30d,54=7d", "--admin-addr", "127.0.0.1:0", "--drain-delay", "0")
	s.upload(t, 53, alaw(8000))
	s.upload(t, 53, alaw(8000))
	op := s.signIn(t)

	overview := op.page(t, s.console)
	for _, want := range []string{
		filepath.Join(s.data, "files"), dirProtection, // the store and its protection
		"store writes",           // a readiness check
		receiver.URL + "/hook",   // the events endpoint
		`<td class="num last5">`, // requests recorded
	} {
		if !strings.Contains(overview, want) {
			t.Errorf("the overview does not show %q:\n%s", want, overview)
		}
	}
	// Two uploads, two events pending: the receiver refuses them.
	pending := regexp.MustCompile(regexp.QuoteMeta(receiver.URL+"/hook") + `</td><td class="num" data-sort="(\d+)"`).FindStringSubmatch(overview)
	if pending == nil || pending[1] != "2" {
		t.Errorf("the overview's backlog of %s: %v, want 2 pending", receiver.URL, pending)
	}
	if m := regexp.MustCompile(`<tr id="requests"><th scope="row">Requests</th><td class="num last5">(\d+)</td>`).FindStringSubmatch(overview); m == nil || m[1] == "0" {
		t.Errorf("the overview counts no requests in the last 5 minutes: %v", m)
	}

	tenants := op.page(t, s.console+"tenants")
	for _, want := range []string{`<td class="retention">30 days</td>`, `<td class="retention">7 days</td>`, "chatbot-53", "chatbot-54"} {
		if !strings.Contains(tenants, want) {
			t.Errorf("the tenants page does not show %q:\n%s", want, tenants)
		}
	}

	resp, err := http.Get(s.admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !regexp.MustCompile(`(?m)^ccfs_requests_total\{[^}]*interface="upload"[^}]*\} 2$`).Match(metrics) {
		t.Errorf("the metrics do not count the 2 uploads beside the console:\n%s", metrics)
	}
}

// TestConsoleLocations: the console names each --pool location (or the
// --store, or <data>/files) with its overwrite protection.
func TestConsoleLocations(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--data", "/srv/ccfs"}, []string{"/srv/ccfs/files"}},
		{[]string{"--store", "/mnt/prompts"}, []string{"/mnt/prompts"}},
		{[]string{"--pool", "0=/mnt/a,256=/mnt/b"}, []string{"pool location 0: /mnt/a", "pool location 256: /mnt/b"}},
	} {
		c, code := parseServe(tc.args, io.Discard)
		if code >= 0 {
			t.Fatalf("%v: exit %d", tc.args, code)
		}
		locs := c.consoleLocations()
		var got []string
		for _, l := range locs {
			got = append(got, l.Name)
			if p := l.Protection(); p != dirProtection {
				t.Errorf("%v: %s's protection %q, want %q", tc.args, l.Name, p, dirProtection)
			}
		}
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("%v: locations %q, want %q", tc.args, got, tc.want)
		}
	}
}

// TestConsoleShowsS3Protection: an S3 location is shown with the
// overwrite protection its writes carry (versitygw answers
// If-None-Match).
func TestConsoleShowsS3Protection(t *testing.T) {
	cl := startCluster(t)
	users := filepath.Join(t.TempDir(), "console-users")
	if err := accounts.Add(users, "op", "a long operator password"); err != nil {
		t.Fatal(err)
	}
	n := cl.node(t, "--console", "--console-addr", "127.0.0.1:0", "--console-users", users)
	s := &consoleServer{banner: n.banner, console: consoleURL(n.banner), operator: "op", password: "a long operator password"}
	overview := s.signIn(t).page(t, s.console)
	want := `<td class="mono">s3://` + cl.gw.Bucket + `/ccfs/</td><td>if-none-match</td>`
	if !strings.Contains(overview, want) {
		t.Errorf("the overview does not show %s:\n%s", want, overview)
	}
}

// A consoleServer is "ccfs serve --console" on its own listener (TLS,
// the server's self-signed certificate), with --quota and keys for
// VDNs 53 and 54, and one operator.
type consoleServer struct {
	banner
	console            string // the console's URL, ending in /console/
	data               string
	keys               []auth.Key
	operator, password string
}

// newConsoleServer starts it, with extra flags.
func newConsoleServer(t *testing.T, extra ...string) *consoleServer {
	t.Helper()
	s := &consoleServer{data: t.TempDir(), operator: "op", password: "correct horse battery staple",
		keys: []auth.Key{
			{AccessKey: "chatbot-53", SecretKey: "secret-of-chatbot-53-XYZZY", VDNs: []int{53}},
			{AccessKey: "chatbot-54", SecretKey: "secret-of-chatbot-54-PLUGH", VDNs: []int{54}},
		}}
	users := filepath.Join(t.TempDir(), "console-users")
	if err := accounts.Add(users, s.operator, s.password); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"--data", s.data, "--credentials", writeKeys(t, 0o600, s.keys...), "--quota", "*=1MiB",
		"--console", "--console-addr", "127.0.0.1:0", "--console-users", users, "--rate", "0"}, extra...)
	s.banner = startServe(t, args...)
	if s.console = consoleURL(s.banner); s.console == "" {
		t.Fatalf("serve printed no console: %s", s.printed)
	}
	return s
}

// consoleRe reads the console's URL from what serve printed.
var consoleRe = regexp.MustCompile(`console on (https?://127\.0\.0\.1:\d+/console/)`)

// consoleURL is the console's URL serve printed, or "".
func consoleURL(b banner) string {
	if m := consoleRe.FindStringSubmatch(b.printed); m != nil {
		return m[1]
	}
	return ""
}

// upload uploads wav to vdn with the VDN's key and returns its base name.
func (s *consoleServer) upload(t *testing.T, vdn int, wav []byte) string {
	t.Helper()
	for _, k := range s.keys {
		if k.VDNs[0] != vdn {
			continue
		}
		c := &ccfs.Client{BaseURL: s.base, AccessKey: k.AccessKey, SecretKey: k.SecretKey, HTTPClient: insecureClient()}
		res, err := c.Upload(context.Background(), vdn, wav)
		if err != nil {
			t.Fatalf("upload to VDN %d: %v", vdn, err)
		}
		return path.Base(res.FileName)
	}
	t.Fatalf("no key for VDN %d", vdn)
	return ""
}

// refused makes an upload to vdn with its key's name and a wrong secret,
// which the server refuses (401) saying what it signed; it returns the
// request's ID.
func (s *consoleServer) refused(t *testing.T, vdn int) string {
	t.Helper()
	id := fmt.Sprintf("console-test-refused-%d", time.Now().UnixNano())
	var ak string
	for _, k := range s.keys {
		if k.VDNs[0] == vdn {
			ak = k.AccessKey
		}
	}
	hc := insecureClient()
	hc.Transport = requestID{id, hc.Transport}
	c := &ccfs.Client{BaseURL: s.base, AccessKey: ak, SecretKey: "not-the-secret-of-" + ak, HTTPClient: hc}
	_, err := c.Upload(context.Background(), vdn, alaw(800))
	var ce ccfs.Error
	if !errors.As(err, &ce) || ce.ServerSigned() == nil {
		t.Fatalf("an upload with a wrong secret: %v, want a 401 saying what the server signed", err)
	}
	return id
}

// requestID sets X-Request-ID on each request.
type requestID struct {
	id   string
	next http.RoundTripper
}

func (r requestID) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("X-Request-ID", r.id)
	return r.next.RoundTrip(req)
}

// client is an HTTP client for the console: it trusts the self-signed
// certificate, keeps cookies, and follows no redirect.
func (s *consoleServer) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	c := noRedirects(insecureClient())
	c.Jar = jar
	return c
}

// cookie is the console's session cookie in the client's jar, or "".
func (s *consoleServer) cookie(c *http.Client) string {
	u, _ := url.Parse(s.console)
	for _, ck := range c.Jar.Cookies(u) {
		if strings.Contains(ck.Name, "ccfs-console") {
			return ck.Value
		}
	}
	return ""
}

// noRedirects makes c follow no redirect.
func noRedirects(c *http.Client) *http.Client {
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c
}

// consoleOperator is a signed-in operator's client.
type consoleOperator struct {
	http *http.Client
}

// signIn signs the operator in.
func (s *consoleServer) signIn(t *testing.T) *consoleOperator {
	t.Helper()
	c := s.client()
	resp, err := c.PostForm(s.console+"signin", url.Values{"name": {s.operator}, "password": {s.password}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || s.cookie(c) == "" {
		t.Fatalf("sign-in: %s, cookie %q:\n%s", resp.Status, s.cookie(c), body)
	}
	for _, ck := range resp.Cookies() {
		if !ck.HttpOnly || !ck.Secure || ck.SameSite != http.SameSiteStrictMode {
			t.Errorf("session cookie %s: HttpOnly %v, Secure %v, SameSite %v; want HttpOnly, Secure (TLS) and Strict", ck.Name, ck.HttpOnly, ck.Secure, ck.SameSite)
		}
	}
	return &consoleOperator{http: c}
}

// get fetches u.
func (o *consoleOperator) get(t *testing.T, u string) *http.Response {
	t.Helper()
	resp, err := o.http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// page fetches u, which must answer 200, and returns its body.
func (o *consoleOperator) page(t *testing.T, u string) string {
	t.Helper()
	resp := o.get(t, u)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s\n%s", u, resp.Status, body)
	}
	return string(body)
}

// post posts form to u with one more header, and returns the status and
// body.
func (o *consoleOperator) post(t *testing.T, u string, form url.Values, header, value string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set(header, value)
	resp, err := o.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// tokenRe finds a form's hidden token field.
var tokenRe = regexp.MustCompile(`<input[^>]*name="token"[^>]*>`)

// formToken returns the token the page's form carries.
func formToken(t *testing.T, page string) string {
	t.Helper()
	for _, field := range tokenRe.FindAllString(page, -1) {
		if m := regexp.MustCompile(`value="([^"]+)"`).FindStringSubmatch(field); m != nil {
			return m[1]
		}
	}
	t.Fatalf("no token in the page:\n%s", page)
	return ""
}
