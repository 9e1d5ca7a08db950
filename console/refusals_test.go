package console

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs"
)

// TestRefusalsPageShowsRealRefusals: a wrong secret, an unknown key and
// a VDN the key may not use, sent to a real handler, are listed, each
// key marked claimed or verified, and each with a link to its page.
func TestRefusalsPageShowsRealRefusals(t *testing.T) {
	e := newObsEnv(t, "", nil)
	mis := e.refusedUpload(obsAKa, obsWrong, 53)
	if mis.Code() != ccfs.ErrAuth.Code() || mis.ServerSigned() == nil {
		t.Fatalf("a wrong secret: %v, serverSigned %v", mis, mis.ServerSigned())
	}
	e.refusedUpload("nobody-knows-me", "x", 53)
	forbidden := e.refusedUpload(obsAKb, obsSKb, 53)
	if forbidden.Code() != ccfs.ErrVDNForbidden.Code() {
		t.Fatalf("chatbot-b to VDN 53: %v", forbidden)
	}
	waitFor(t, "three refusals", func() bool { return len(e.rec.Refusals("")) == 3 })

	html := e.page("/console/refusals")
	noSecrets(t, html)
	for _, r := range e.rec.Refusals("") {
		row := regexp.MustCompile(`(?s)<tr data-request-id="` + regexp.QuoteMeta(r.ID) + `">(.*?)</tr>`).FindStringSubmatch(html)
		if row == nil {
			t.Fatalf("no row for %s in\n%s", r.ID, html)
		}
		mark := `<span class="claim"`
		if r.KeyVerified {
			mark = `<span class="verified"`
		}
		for _, want := range []string{`<td class="key">` + mark, `<td class="code mono">` + r.Code + `</td>`,
			`<a class="explain" href="/console/refusals/` + url.PathEscape(r.ID) + `?n=`, ">" + r.AccessKey + "</span>"} {
			if !strings.Contains(row[1], want) {
				t.Errorf("the row of %s (%s) lacks %q:\n%s", r.ID, r.AccessKey, want, row[1])
			}
		}
	}
	if got := e.rec.Refusals(obsAKb); len(got) != 1 || !got[0].KeyVerified {
		t.Errorf("chatbot-b's refusal: %+v", got)
	}
	if !strings.Contains(html, `class="sortable refusals"`) || !strings.Contains(html, `<input id="key" name="key"`) || !strings.Contains(html, `<label for="key">`) {
		t.Error("the page lacks its sortable table or its labelled filter")
	}
}

// TestRefusalExplainsAMismatch: a wrong secret's refusal shows what the
// server signed, laid out as auth.Explanation.String() lays it out, beside
// the steps to fix it, and never a secret.
func TestRefusalExplainsAMismatch(t *testing.T) {
	e := newObsEnv(t, "", nil)
	mis := e.refusedUpload(obsAKa, obsWrong, 53)
	waitFor(t, "the refusal", func() bool { return len(e.rec.Refusals(obsAKa)) == 1 })
	r := e.rec.Refusals(obsAKa)[0]
	if r.KeyVerified || r.ServerSigned == nil {
		t.Fatalf("a wrong secret's refusal: %+v", r)
	}
	html := e.page("/console/refusals/" + url.PathEscape(r.ID))
	noSecrets(t, html)
	side := strings.Index(html, `<div class="side-by-side">`)
	signed := strings.Index(html, `<section id="server-signed"`)
	steps := strings.Index(html, `<section id="steps"`)
	if side < 0 || signed < side || steps < signed {
		t.Fatalf("no side-by-side server-signed and steps sections:\n%s", html)
	}
	pre := regexp.MustCompile(`(?s)<pre class="explanation">(.*?)</pre>`).FindStringSubmatch(html)
	if pre == nil {
		t.Fatal("no explanation")
	}
	want := mis.ServerSigned().String()
	if got := unescapeHTML(pre[1]) + "\n"; got != want {
		t.Errorf("the explanation is laid out\n%s\nnot as the 401 says it\n%s", got, want)
	}
	ak, at := prefixFields(mis.ServerSigned().AuthStringPrefix)
	if ak != obsAKa || at == "" {
		t.Fatalf("the prefix %q gives key %q, time %q", mis.ServerSigned().AuthStringPrefix, ak, at)
	}
	for _, s := range []string{"ccfs sign --explain --timestamp " + at + " --ak " + obsAKa + " --sk SK", "auth.ExplainRequest", "wrong secret key", "proxy", "bodyLength", "percent-encoding", "timestamp"} {
		if !strings.Contains(html, s) {
			t.Errorf("the steps do not mention %q", s)
		}
	}
}

// unescapeHTML undoes html/template's escaping of text.
func unescapeHTML(s string) string {
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&#34;", `"`, "&#39;", "'", "&amp;", "&", "&#43;", "+").Replace(s)
}

func TestRefusalAdviceForOtherCodes(t *testing.T) {
	e := newObsEnv(t, "", nil)
	e.rec.Observe(refusalEvent("q-1", obsAKa, true, ccfs.ErrQuota))
	html := e.page("/console/refusals/q-1")
	if strings.Contains(html, `id="server-signed"`) {
		t.Error("a quota refusal shows a signature explanation")
	}
	if !strings.Contains(html, `<section id="steps"`) || !strings.Contains(html, "Delete prompts of the VDN") {
		t.Errorf("no advice for a quota refusal:\n%s", html)
	}
	for _, c := range ccfs.ResultCodes() {
		if _, ok := advices[c.Code()]; !ok {
			t.Errorf("no advice for %s", c.Code())
		}
	}
	if code, _ := e.get("/console/refusals/no-such-id"); code != http.StatusNotFound {
		t.Errorf("an unknown ID: %d", code)
	}
}

func TestRefusalsFilterByKey(t *testing.T) {
	e := newObsEnv(t, "", nil)
	e.rec.Observe(refusalEvent("a-1", obsAKa, true, ccfs.ErrQuota))
	e.rec.Observe(refusalEvent("b-1", obsAKb, true, ccfs.ErrQuota))
	e.rec.Observe(refusalEvent("c-1", obsAKa, false, ccfs.ErrAuth))
	html := e.page("/console/refusals?key=" + obsAKa)
	if !strings.Contains(html, `data-request-id="a-1"`) || !strings.Contains(html, `data-request-id="c-1"`) || strings.Contains(html, `data-request-id="b-1"`) {
		t.Errorf("filtered by %s:\n%s", obsAKa, html)
	}
	if !strings.Contains(html, `value="chatbot-a"`) || !strings.Contains(html, `href="/console/refusals" class="clear"`) {
		t.Error("the filter form does not keep the key or offer to clear it")
	}
	if code, _ := e.get("/console/refusals?key=" + strings.Repeat("k", 1000)); code != http.StatusBadRequest {
		t.Errorf("a key longer than any kept: %d", code)
	}
}

// TestHostileRequestIDAndKeyAreEscaped: a request ID and a claimed key a
// stranger chose are shown as text on every page, never as markup.
func TestHostileRequestIDAndKeyAreEscaped(t *testing.T) {
	e := newObsEnv(t, "", nil)
	id := `x"><script>alert(1)</script>/../a`
	ak := `<img src=x onerror=alert(2)>`
	ev := refusalEvent(id, ak, false, ccfs.ErrAuth)
	ev.Desc = `<b>desc</b>`
	e.rec.Observe(ev)
	for _, path := range []string{"/console/refusals", "/console/refusals?key=" + url.QueryEscape(ak), "/console/refusals/" + url.PathEscape(id)} {
		html := e.page(path)
		for _, bad := range []string{"<script>alert", "<img src=x", "<b>desc", `x">`} {
			if strings.Contains(html, bad) {
				t.Errorf("%s shows %q unescaped", path, bad)
			}
		}
		if !strings.Contains(html, "&lt;img src=x onerror=alert(2)&gt;") {
			t.Errorf("%s does not show the claimed key as text", path)
		}
	}
	if html := e.page("/console/refusals"); !strings.Contains(html, `href="/console/refusals/`+url.PathEscape(id)) &&
		!strings.Contains(html, `href="/console/refusals/x%22%3e%3cscript%3ealert%281%29%3c%2fscript%3e%2f..%2fa"`) {
		t.Errorf("the explain link does not escape the ID:\n%s", html)
	}
}

func TestRefusalsWithoutRecorder(t *testing.T) {
	e := newObsEnv(t, "", func(o *Options) { o.Recorder = nil })
	if html := e.page("/console/refusals"); !strings.Contains(html, "not recorded") {
		t.Error("no word that nothing is recorded")
	}
	if code, _ := e.get("/console/refusals/x"); code != http.StatusNotFound {
		t.Errorf("a refusal without a recorder: %d", code)
	}
}

// TestRefusalIDChosenTwiceIsToldApart: a client chooses its request ID,
// so a stranger (or another tenant) can be refused under the ID of a
// tenant's refusal; each row's explain link still leads to its own
// refusal, not to the newest of that ID.
func TestRefusalIDChosenTwiceIsToldApart(t *testing.T) {
	e := newObsEnv(t, "", nil)
	e.rec.Observe(refusalEvent("req-1", obsAKb, true, ccfs.ErrVDNForbidden))
	e.advance(time.Second)
	e.rec.Observe(refusalEvent("req-1", "intruder", false, ccfs.ErrAuth))
	list := e.page("/console/refusals")
	rows := regexp.MustCompile(`(?s)<tr data-request-id="req-1">.*?</tr>`).FindAllString(list, -1)
	if len(rows) != 2 {
		t.Fatalf("%d rows of req-1, want 2:\n%s", len(rows), list)
	}
	for _, row := range rows {
		m := regexp.MustCompile(`<a class="explain" href="([^"]*)"`).FindStringSubmatch(row)
		k := regexp.MustCompile(`<span class="(verified|claim)"[^>]*>([^<]*)</span>`).FindStringSubmatch(row)
		if m == nil || k == nil {
			t.Fatalf("a row without its link or key:\n%s", row)
		}
		page := e.page(html.UnescapeString(m[1]))
		if want := `<span class="` + k[1] + `">` + k[2] + `</span>`; !strings.Contains(page, want) {
			t.Errorf("the row of %s's link %s leads to another refusal:\n%s", k[2], m[1], page)
		}
	}
	// The bare ID still leads to the newest.
	if page := e.page("/console/refusals/req-1"); !strings.Contains(page, `<span class="claim">intruder</span>`) {
		t.Errorf("refusals/req-1 is not the newest:\n%s", page)
	}
}
