package console

import (
	"io/fs"
	"regexp"
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
