package console

import (
	"io/fs"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// TestTemplatesHaveNothingTheCSPForbids: no page, and no waveform,
// holds what the console's Content-Security-Policy (script-src 'self',
// style-src 'self') would block, so nothing is silently lost in a
// browser: no style attribute or element, no inline script or event
// handler, no javascript: URL.
func TestTemplatesHaveNothingTheCSPForbids(t *testing.T) {
	forbidden := regexp.MustCompile(`(?i)\sstyle\s*=|<style|<script(?:\s[^>]*)?>\s*[^<\s]|<script(?:\s(?:[^s>]|s[^r>])*)?>|\son[a-z]+\s*=|javascript:`)
	for _, bad := range []string{`<p style="color:red">`, `<style>p{}</style>`, `<script>alert(1)</script>`, `<img src=x onerror="x()">`, `<a href="javascript:x()">`, `<script type="module">`} {
		if !forbidden.MatchString(bad) {
			t.Fatalf("the check misses %s", bad)
		}
	}
	if forbidden.MatchString(`<script src="/console/static/console.js" defer></script>`) {
		t.Fatal("the check refuses the console's own script")
	}
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil || len(files) == 0 {
		t.Fatal(files, err)
	}
	for _, f := range files {
		b, _ := templateFS.ReadFile(f)
		if m := forbidden.Find(b); m != nil {
			t.Errorf("%s holds %q", f, m)
		}
	}
	if svg := waveSVG([]column{{-100, 100}, {0, 0}}, `</title><script>alert(1)</script><style>`); forbidden.Match(svg) {
		t.Errorf("a waveform holds what the CSP forbids: %s", svg)
	}
}

// TestErrorPageLeadsBack: an error page is headed in plain words, not
// HTTP's, and leads back to where the operator was: a VDN's prompts from
// one of its prompts, the refusals from a refusal, else the overview.
func TestErrorPageLeadsBack(t *testing.T) {
	e := newObsEnv(t, "", nil)
	for _, tc := range []struct {
		path, title, back, backText string
		status                      int
	}{
		{"/console/vdn/53/prompt/nope.wav/delete", "Not found", "/console/vdn/53/", "Back to the prompts of VDN 53", http.StatusNotFound},
		{"/console/vdn/53/prompt/nope.wav/waveform.svg", "Not found", "/console/vdn/53/", "Back to the prompts of VDN 53", http.StatusNotFound},
		{"/console/refusals/NOPE", "Not found", "/console/refusals", "Back to the refusals", http.StatusNotFound},
		{"/console/vdn/x/", "Not understood", "/console/", "Back to the overview", http.StatusBadRequest},
	} {
		code, page := e.get(tc.path)
		if code != tc.status {
			t.Errorf("GET %s: %d, want %d", tc.path, code, tc.status)
		}
		if !strings.Contains(page, "<h1>"+tc.title+"</h1>") {
			t.Errorf("GET %s: no heading %q:\n%s", tc.path, tc.title, page)
		}
		if link := `<a href="` + tc.back + `">` + tc.backText + `</a>`; !strings.Contains(page, link) {
			t.Errorf("GET %s: no link %s:\n%s", tc.path, link, page)
		}
	}
}
