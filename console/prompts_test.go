package console_test

import (
	"context"
	"html"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/ccfstest"
	"github.com/ccfs-go/ccfs/console"
	"github.com/ccfs-go/ccfs/pathrule"
	"github.com/ccfs-go/ccfs/quota"
	"github.com/ccfs-go/ccfs/store"
	"github.com/ccfs-go/ccfs/wavcheck"
)

// A promptsEnv is a console over a real ccfs.Handler on a store.Dir in a
// temporary directory, with quotas on (VDN 53 has its own), whose
// prompts a test writes straight into the store's directories.
type promptsEnv struct {
	t      testing.TB
	h      *ccfs.Handler
	c      *console.Console
	d      *store.Dir
	root   string
	ledger *quota.Memory
	rule   *pathrule.Rule
	cookie *http.Cookie // the session, with Options.Users
}

// newPromptsEnv builds the env. With users nil the console trusts
// Options.Operator ("alice"); otherwise it signs operators in itself.
func newPromptsEnv(t testing.TB, users console.Users) *promptsEnv {
	t.Helper()
	e := &promptsEnv{t: t, root: t.TempDir(), ledger: quota.NewMemory(), rule: pathrule.MustParse(pathrule.Default)}
	d, err := store.NewDir(e.root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	e.d = d
	lim, err := quota.ParseLimits("*=10MiB,53=20MiB/1000")
	if err != nil {
		t.Fatal(err)
	}
	creds, err := auth.NewStatic(auth.Key{AccessKey: "chatbot-a", SecretKey: "sk-chatbot-a-0123456789", VDNs: []int{53, 54}})
	if err != nil {
		t.Fatal(err)
	}
	e.h, err = ccfs.NewHandler(ccfs.Options{Credentials: creds, Store: d, RootPrefix: "Y:", Quota: lim, Usage: e.ledger,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	opts := console.Options{Handler: e.h, Logger: slog.New(slog.DiscardHandler)}
	if users == nil {
		opts.Operator = func(*http.Request) (string, bool) { return "alice", true }
	} else {
		opts.Users = users
	}
	e.c, err = console.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// dir is where VDN vdn's prompts are on disk.
func (e *promptsEnv) dir(vdn int) string {
	return filepath.Join(e.root, filepath.FromSlash(e.rule.Dir(vdn)))
}

// put writes a prompt of VDN vdn straight into the store's directory
// and counts the store again into the quota ledger, as a server starting
// does.
func (e *promptsEnv) put(vdn int, base string, data []byte) {
	e.t.Helper()
	if err := os.MkdirAll(e.dir(vdn), 0o755); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(e.dir(vdn), base), data, 0o644); err != nil {
		e.t.Fatal(err)
	}
	if _, err := quota.Load(context.Background(), e.ledger, e.d, e.rule); err != nil {
		e.t.Fatal(err)
	}
}

// exists reports whether VDN vdn's prompt base is on disk.
func (e *promptsEnv) exists(vdn int, base string) bool {
	_, err := os.Lstat(filepath.Join(e.dir(vdn), base))
	return err == nil
}

// usage is VDN vdn's usage as the handler reports it.
func (e *promptsEnv) usage(vdn int) quota.Usage {
	e.t.Helper()
	u, err := e.h.Usage(context.Background(), []int{vdn})
	if err != nil {
		e.t.Fatal(err)
	}
	return u[vdn].Usage
}

// do sends a request to the console (with the session, if any) and
// returns the answer.
func (e *promptsEnv) do(method, target string, form url.Values, header ...string) *http.Response {
	e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r := httptest.NewRequest(method, target, body)
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	if e.cookie != nil {
		r.AddCookie(e.cookie)
	}
	w := httptest.NewRecorder()
	e.c.ServeHTTP(w, r)
	return w.Result()
}

// get GETs target and returns the answer's status and body.
func (e *promptsEnv) get(target string, header ...string) (int, string) {
	e.t.Helper()
	res := e.do(http.MethodGet, target, nil, header...)
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// signIn signs in with the env's Users, keeping the session cookie.
func (e *promptsEnv) signIn(name, password string) {
	e.t.Helper()
	res := e.do(http.MethodPost, "/console/signin", url.Values{"name": {name}, "password": {password}, "next": {"/console/"}})
	if res.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("sign-in: %d", res.StatusCode)
	}
	for _, ck := range res.Cookies() {
		if ck.Value != "" {
			e.cookie = ck
		}
	}
	if e.cookie == nil {
		e.t.Fatal("sign-in set no cookie")
	}
}

// promptsUsers knows one operator: alice, password "correct horse".
type promptsUsers struct{}

func (promptsUsers) Authenticate(_ context.Context, name, password string) (bool, error) {
	return name == "alice" && password == "correct horse", nil
}

// promptsRows returns the data-file of each prompt row of a page, in order.
func promptsRows(page string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`<tr data-file="([^"]*)"`).FindAllStringSubmatch(page, -1) {
		out = append(out, html.UnescapeString(m[1]))
	}
	return out
}

// promptsAttr returns the value of attribute name in the first tag that
// matches tagRE (a regexp of the tag's opening, such as `<a[^>]*rel="next"`).
func promptsAttr(page, tagRE, name string) (string, bool) {
	tag := regexp.MustCompile(tagRE + `[^>]*>`).FindString(page)
	if tag == "" {
		return "", false
	}
	m := regexp.MustCompile(`\s` + name + `="([^"]*)"`).FindStringSubmatch(tag)
	if m == nil {
		return "", false
	}
	return html.UnescapeString(m[1]), true
}

// promptsRow returns the <tr> of prompt base on a page.
func promptsRow(t *testing.T, page, base string) string {
	t.Helper()
	i := strings.Index(page, `<tr data-file="`+html.EscapeString(base)+`"`)
	if i < 0 {
		t.Fatalf("no row for %s in %.2000s", base, page)
	}
	j := strings.Index(page[i:], "</tr>")
	return page[i : i+j]
}

func TestPromptsPageListsEveryPromptOnceInOrder(t *testing.T) {
	e := newPromptsEnv(t, nil)
	var want []string
	for _, n := range []string{"b.wav", "a.wav", "c 1.wav", "d&e.wav", "f.wav", "g.wav", "h.wav"} {
		e.put(53, n, ccfstest.WAV(100*time.Millisecond, wavcheck.ALaw))
		want = append(want, n)
	}
	e.put(54, "other.wav", ccfstest.WAV(100*time.Millisecond, wavcheck.ALaw))
	slices.Sort(want)

	var got []string
	target, pages := "/console/vdn/53/?limit=3", 0
	for target != "" {
		status, page := e.get(target)
		if status != http.StatusOK {
			t.Fatalf("GET %s: %d %.500s", target, status, page)
		}
		pages++
		if _, first := promptsAttr(page, `<a[^>]*rel="first"`, "href"); first != (pages > 1) {
			t.Errorf("page %d: a link to the first page: %v", pages, first)
		}
		if !strings.Contains(page, `<table class="sortable prompts">`) {
			t.Errorf("page %d has no sortable table", pages)
		}
		got = append(got, promptsRows(page)...)
		target, _ = promptsAttr(page, `<a[^>]*rel="next"`, "href")
		if pages > 10 {
			t.Fatal("the pages do not end")
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("listed %q; want %q", got, want)
	}
	if pages != 3 {
		t.Errorf("%d pages of 3 for 7 prompts", pages)
	}

	_, page := e.get("/console/vdn/53/")
	if rows := promptsRows(page); len(rows) != 7 {
		t.Errorf("the default page shows %d of 7", len(rows))
	}
	if _, ok := promptsAttr(page, `<a[^>]*rel="next"`, "href"); ok {
		t.Error("a next page after the last prompt")
	}
	if !strings.Contains(page, "Y:/3rdfile/53/thirdvoicebotfile") {
		t.Error("the page does not name the VDN's directory")
	}
	if !strings.Contains(page, "of 20 MiB used, 7 of 1000 files") {
		t.Errorf("the page does not show the usage against the quota (7 of 1000 files): %.3000s", page)
	}
	row := promptsRow(t, page, "c 1.wav")
	for _, want := range []string{
		`src="/console/vdn/53/prompt/c%201.wav/waveform.svg"`,
		`<audio controls preload="metadata" src="/console/vdn/53/prompt/c%201.wav/audio.wav"`,
		`class="download" href="/console/vdn/53/prompt/c%201.wav/download"`,
		`class="delete" href="/console/vdn/53/prompt/c%201.wav/delete"`,
		`class="num size" data-sort="`,
		`<td class="time" data-sort="`,
	} {
		if !strings.Contains(row, want) {
			t.Errorf("row lacks %s: %s", want, row)
		}
	}
}

func TestPromptsPageShowsDurations(t *testing.T) {
	e := newPromptsEnv(t, nil)
	e.put(53, "alaw.wav", ccfstest.WAV(1500*time.Millisecond, wavcheck.ALaw))
	e.put(53, "mulaw.wav", ccfstest.WAV(250*time.Millisecond, wavcheck.MuLaw))
	e.put(53, "pcm.wav", ccfstest.WAV(2*time.Second, wavcheck.PCM8))
	e.put(53, "junk.wav", []byte("this is not a WAV file at all"))
	e.put(53, "empty.wav", nil)
	status, page := e.get("/console/vdn/53/")
	if status != http.StatusOK {
		t.Fatalf("%d %.500s", status, page)
	}
	for base, want := range map[string]string{
		"alaw.wav":  `<td class="num duration" data-sort="1.500">1.50 s</td>`,
		"mulaw.wav": `<td class="num duration" data-sort="0.250">0.25 s</td>`,
		"pcm.wav":   `<td class="num duration" data-sort="2.000">2.00 s</td>`,
		"junk.wav":  `>unreadable</td>`,
		"empty.wav": `>unreadable</td>`,
	} {
		if row := promptsRow(t, page, base); !strings.Contains(row, want) {
			t.Errorf("%s: want %s in %s", base, want, row)
		}
	}
}

func TestPromptsPageRefusesABadVDNOrLimit(t *testing.T) {
	e := newPromptsEnv(t, nil)
	for target, want := range map[string]string{
		"/console/vdn/abc/":            "is not a VDN",
		"/console/vdn/0/":              "is not a VDN",
		"/console/vdn/-3/":             "is not a VDN",
		"/console/vdn/053/":            "is not a VDN",
		"/console/vdn/99999999999999/": "is not a VDN",
		"/console/vdn/53/?limit=0":     "from 1 to 200",
		"/console/vdn/53/?limit=201":   "from 1 to 200",
		"/console/vdn/53/?limit=ten":   "from 1 to 200",
	} {
		status, page := e.get(target)
		if status != http.StatusBadRequest || !strings.Contains(page, want) || !strings.Contains(page, `role="alert"`) {
			t.Errorf("GET %s: %d; want 400 saying %q: %.800s", target, status, want, page)
		}
	}
	if status, _ := e.get("/console/vdn/53/?limit=200"); status != http.StatusOK {
		t.Errorf("limit=200: %d", status)
	}
}

func TestPromptsPageSaysWhatWasDeleted(t *testing.T) {
	e := newPromptsEnv(t, nil)
	e.put(53, "<b>x.wav", ccfstest.WAV(time.Second, wavcheck.ALaw))
	res := e.do(http.MethodPost, "/console/vdn/53/prompt/"+url.PathEscape("<b>x.wav")+"/delete", url.Values{})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete: %d", res.StatusCode)
	}
	_, page := e.get(res.Header.Get("Location"))
	if !strings.Contains(page, `<p class="ok" role="status">Deleted &lt;b&gt;x.wav.</p>`) {
		t.Errorf("no escaped flash: %.2000s", page)
	}
	if _, page := e.get("/console/vdn/53/"); strings.Contains(page, `role="status"`) {
		t.Error("a flash without deleted=")
	}
}

// TestPromptsPageShowsNoForgedDeletion: the page says a prompt was
// deleted only when the console's own delete sent the operator there; a
// link anyone can write (?deleted=greeting.wav), or a real delete's link
// made to say another name or VDN, says nothing.
func TestPromptsPageShowsNoForgedDeletion(t *testing.T) {
	e := newPromptsEnv(t, nil)
	e.put(53, "greeting.wav", ccfstest.WAV(time.Second, wavcheck.ALaw))
	e.put(53, "old.wav", ccfstest.WAV(time.Second, wavcheck.ALaw))
	res := e.do(http.MethodPost, "/console/vdn/53/prompt/old.wav/delete", url.Values{})
	real, err := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusSeeOther || err != nil {
		t.Fatalf("delete: %d %v", res.StatusCode, err)
	}
	q := real.Query()
	other := url.Values{}
	for k, v := range q {
		other[k] = v
	}
	other.Set("deleted", "greeting.wav")
	for _, target := range []string{
		"/console/vdn/53/?deleted=greeting.wav",
		"/console/vdn/53/?" + other.Encode(),
		"/console/vdn/54/?" + q.Encode(),
	} {
		if _, page := e.get(target); strings.Contains(page, `role="status"`) {
			t.Errorf("%s says something was deleted", target)
		}
	}
	if _, page := e.get(real.String()); !strings.Contains(page, `<p class="ok" role="status">Deleted old.wav.</p>`) {
		t.Errorf("the real delete's page says nothing")
	}
}

func TestDownloadIsTheFileAsStored(t *testing.T) {
	e := newPromptsEnv(t, nil)
	for i, base := range []string{`say "hi".wav`, "привет; x=1.wav"} {
		data := ccfstest.WAV(time.Duration(300+i)*time.Millisecond, wavcheck.ALaw)
		e.put(53, base, data)
		res := e.do(http.MethodGet, "/console/vdn/53/prompt/"+url.PathEscape(base)+"/download", nil)
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK || string(body) != string(data) {
			t.Fatalf("%s: %d, %d bytes; want 200 and the %d bytes stored", base, res.StatusCode, len(body), len(data))
		}
		if ct := res.Header.Get("Content-Type"); ct != "audio/wav" {
			t.Errorf("Content-Type %q", ct)
		}
		disp, params, err := mime.ParseMediaType(res.Header.Get("Content-Disposition"))
		if err != nil || disp != "attachment" || params["filename"] != base {
			t.Errorf("Content-Disposition %q: %q %v %v", res.Header.Get("Content-Disposition"), disp, params, err)
		}
	}
}

func TestDeleteNeedsTheFormToken(t *testing.T) {
	e := newPromptsEnv(t, promptsUsers{})
	data := ccfstest.WAV(time.Second, wavcheck.ALaw)
	e.put(53, "keep.wav", ccfstest.WAV(time.Second, wavcheck.ALaw))
	e.put(53, "gone.wav", data)
	e.signIn("alice", "correct horse")
	before := e.usage(53)

	status, form := e.get("/console/vdn/53/prompt/gone.wav/delete")
	if status != http.StatusOK {
		t.Fatalf("the confirmation: %d %.500s", status, form)
	}
	token, ok := promptsAttr(form, `<input type="hidden" name="token"`, "value")
	if !ok || token == "" {
		t.Fatalf("no token in the form: %.3000s", form)
	}
	for _, want := range []string{`<form method="post"`, `<button type="submit" class="danger">Delete gone.wav</button>`, `href="/console/vdn/53/"`, "Cancel", "7.9 KiB", "<time "} {
		if !strings.Contains(form, want) {
			t.Errorf("the confirmation lacks %s: %.3000s", want, form)
		}
	}

	for _, f := range []url.Values{{}, {"token": {"wrong"}}} {
		res := e.do(http.MethodPost, "/console/vdn/53/prompt/gone.wav/delete", f)
		if res.StatusCode != http.StatusForbidden || !e.exists(53, "gone.wav") {
			t.Fatalf("POST with token %q: %d, file there: %v; want 403, kept", f.Get("token"), res.StatusCode, e.exists(53, "gone.wav"))
		}
	}
	if e.usage(53) != before {
		t.Fatal("a refused delete changed the usage")
	}

	res := e.do(http.MethodPost, "/console/vdn/53/prompt/gone.wav/delete", url.Values{"token": {token}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST with the token: %d", res.StatusCode)
	}
	loc := res.Header.Get("Location")
	if !strings.HasPrefix(loc, "/console/vdn/53/?deleted=gone.wav&") {
		t.Errorf("sent to %q", loc)
	}
	if e.exists(53, "gone.wav") || !e.exists(53, "keep.wav") {
		t.Fatal("the wrong files were removed")
	}
	after := e.usage(53)
	if after.Bytes != before.Bytes-int64(len(data)) || after.Files != before.Files-1 {
		t.Errorf("usage %+v after deleting %d bytes from %+v", after, len(data), before)
	}
	_, page := e.get(loc)
	if !strings.Contains(page, `<p class="ok" role="status">Deleted gone.wav.</p>`) || slices.Contains(promptsRows(page), "gone.wav") {
		t.Errorf("the prompts page after the delete: %.3000s", page)
	}

	res = e.do(http.MethodPost, "/console/vdn/53/prompt/gone.wav/delete", url.Values{"token": {token}})
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusNotFound || !strings.Contains(string(body), "role=\"alert\"") {
		t.Errorf("deleting it again: %d %.500s", res.StatusCode, body)
	}
}

func TestDeleteFormOfAMissingPromptIs404(t *testing.T) {
	e := newPromptsEnv(t, nil)
	e.put(53, "a.wav", ccfstest.WAV(time.Second, wavcheck.ALaw))
	for _, target := range []string{
		"/console/vdn/53/prompt/nope.wav/delete",
		"/console/vdn/53/prompt/nope.wav/audio.wav",
		"/console/vdn/53/prompt/nope.wav/waveform.svg",
		"/console/vdn/53/prompt/nope.wav/download",
	} {
		if status, page := e.get(target); status != http.StatusNotFound || !strings.Contains(page, "does not exist") {
			t.Errorf("GET %s: %d %.800s", target, status, page)
		}
	}
}

// A name can reach only a prompt of the VDN in the path: not another
// VDN's, not a file outside the store, not one behind a link.
func TestPromptNamesCannotReachAnotherFile(t *testing.T) {
	e := newPromptsEnv(t, nil)
	secret := ccfstest.WAV(time.Second, wavcheck.ALaw)
	e.put(53, "mine.wav", ccfstest.WAV(time.Second, wavcheck.ALaw))
	e.put(54, "theirs.wav", secret)
	outside := filepath.Join(t.TempDir(), "outside.wav")
	if err := os.WriteFile(outside, secret, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(e.dir(53), "link.wav")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(e.dir(54), "theirs.wav"), filepath.Join(e.dir(53), "link2.wav")); err != nil {
		t.Fatal(err)
	}
	names := []string{
		"..", "%2E%2E", "..%2F..%2F54%2Fthirdvoicebotfile%2Ftheirs.wav", "%2E%2E%2F%2E%2E%2F54%2Fthirdvoicebotfile%2Ftheirs.wav",
		"x%2F..%2Ftheirs.wav", "link.wav", "link2.wav", "theirs.wav", "%2Ftmp%2Foutside.wav", "mine.wav%00", "..%5Ctheirs.wav",
	}
	for _, n := range names {
		for _, suffix := range []string{"audio.wav", "waveform.svg", "download", "delete"} {
			target := "/console/vdn/53/prompt/" + n + "/" + suffix
			res := e.do(http.MethodGet, target, nil)
			body, _ := io.ReadAll(res.Body)
			if !promptsRefused(res) || strings.Contains(string(body), string(secret[44:200])) {
				t.Errorf("GET %s: %d %s", target, res.StatusCode, res.Header.Get("Location"))
			}
			if suffix == "delete" {
				if res := e.do(http.MethodPost, target, url.Values{}); !promptsRefused(res) {
					t.Errorf("POST %s: %d %s", target, res.StatusCode, res.Header.Get("Location"))
				}
			}
		}
	}
	if !e.exists(54, "theirs.wav") || !e.exists(53, "mine.wav") {
		t.Fatal("a file was removed")
	}
	if _, err := os.Stat(outside); err != nil {
		t.Fatal("the outside file was removed")
	}
	if _, page := e.get("/console/vdn/53/"); slices.Contains(promptsRows(page), "link.wav") || slices.Contains(promptsRows(page), "link2.wav") {
		t.Error("a link is listed as a prompt")
	}
	if status, _ := e.get("/console/vdn/53/?after=" + url.QueryEscape("../54/x")); status != http.StatusBadRequest {
		t.Errorf("after=../54/x: %d; want 400", status)
	}
}

// promptsRefused reports whether an answer to a name that is no prompt's
// refuses it: an error, or the mux's redirect of a path with ".." in it
// to the cleaned path, which names no prompt.
func promptsRefused(res *http.Response) bool {
	if res.StatusCode >= 400 {
		return true
	}
	loc := res.Header.Get("Location")
	return (res.StatusCode == http.StatusMovedPermanently || res.StatusCode == http.StatusTemporaryRedirect) &&
		!strings.Contains(loc, "/prompt/") && !strings.Contains(loc, "theirs")
}
