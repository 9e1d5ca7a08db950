package ccfs_test

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// markdownLink finds the target of each inline Markdown link or image,
// [text](target) or [text](target "title").
var markdownLink = regexp.MustCompile(`\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)`)

// outsideMentions are texts no page may carry: the project's working
// notes outside the repository, which a reader of the repository cannot
// open.
var outsideMentions = []string{"../shared", "/work/shared", "shared/spec", "shared/DESIGN"}

// docPages returns the Markdown pages a reader of the repository sees:
// docs/*.md and the top-level *.md files, as slash paths from the root.
func docPages(t *testing.T) []string {
	t.Helper()
	var pages []string
	for _, pattern := range []string{"*.md", "docs/*.md"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, m...)
	}
	if len(pages) < 10 {
		t.Fatalf("found only %d pages: %v", len(pages), pages)
	}
	return pages
}

// checkPageLinks returns a complaint for each link of page (a slash path
// from the repository's root, whose text is text) that leads outside the
// repository or to a file that is not there, and for each mention of a
// path outside it. exists reports whether a slash path from the root is
// in the repository.
func checkPageLinks(page, text string, exists func(string) bool) []string {
	var bad []string
	for _, s := range outsideMentions {
		if strings.Contains(text, s) {
			bad = append(bad, page+": mentions "+s+", which is outside the repository")
		}
	}
	for _, m := range markdownLink.FindAllStringSubmatch(text, -1) {
		target := m[1]
		if target == "" || strings.HasPrefix(target, "#") {
			continue
		}
		if i := strings.Index(target, ":"); i > 0 && !strings.ContainsAny(target[:i], "/.#") {
			scheme := strings.ToLower(target[:i])
			if scheme != "https" && scheme != "http" {
				bad = append(bad, page+": links to "+target+", which is not a web address or a file in the repository")
			}
			continue
		}
		file, _, _ := strings.Cut(target, "#")
		file, _, _ = strings.Cut(file, "?")
		if strings.HasPrefix(file, "/") {
			bad = append(bad, page+": links to "+target+", an absolute path: link relative to the page")
			continue
		}
		resolved := path.Clean(path.Join(path.Dir(page), file))
		if resolved == ".." || strings.HasPrefix(resolved, "../") {
			bad = append(bad, page+": links to "+target+", which is outside the repository")
			continue
		}
		if !exists(resolved) {
			bad = append(bad, page+": links to "+target+", which is not in the repository")
		}
	}
	return bad
}

// TestDocsLinkInsideTheRepository: every page a reader of the repository
// sees links only to files in it (or to web addresses), and names no
// path outside it, so the docs carry everything a reader needs.
func TestDocsLinkInsideTheRepository(t *testing.T) {
	exists := func(p string) bool { _, err := os.Stat(filepath.FromSlash(p)); return err == nil }
	for _, page := range docPages(t) {
		text, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		for _, complaint := range checkPageLinks(filepath.ToSlash(page), string(text), exists) {
			t.Error(complaint)
		}
	}
}

// TestDocsLinkCheckRefuses holds the checker itself: each link that leaves
// the repository, or leads nowhere, is reported; the links the pages use
// are not.
func TestDocsLinkCheckRefuses(t *testing.T) {
	exists := func(p string) bool {
		return p == "docs/signing.md" || p == "README.md" || p == "examples/python/ccfs_client.py"
	}
	for _, c := range []struct {
		page, text string
		bad        bool
	}{
		{"docs/upload-file.md", "see [signing](signing.md)", false},
		{"docs/upload-file.md", "see [replays](signing.md#replays-and-retries)", false},
		{"docs/signing.md", "[client](../examples/python/ccfs_client.py)", false},
		{"README.md", "[signing](docs/signing.md)", false},
		{"docs/upload-file.md", "[S3](https://docs.aws.amazon.com/x.html)", false},
		{"docs/upload-file.md", "[here](#the-algorithm)", false},
		{"docs/signing.md", "[spec](../../shared/spec/auth-v2.md)", true},
		{"docs/signing.md", "[spec](../../outside.md)", true},
		{"README.md", "[spec](../shared/spec/auth-v2.md)", true},
		{"README.md", "[up](..)", true},
		{"docs/signing.md", "[spec](/work/shared/spec/auth-v2.md)", true},
		{"docs/signing.md", "[spec](file:///etc/passwd)", true},
		{"docs/signing.md", "[gone](missing.md)", true},
		{"docs/signing.md", "[gone](docs/signing.md)", true},
		{"docs/signing.md", "the algorithm is in ../shared/spec/auth-v2.md", true},
		{"docs/signing.md", "see /work/shared/DESIGN.md", true},
	} {
		got := checkPageLinks(c.page, c.text, exists)
		if (len(got) > 0) != c.bad {
			t.Errorf("%s %q: complaints %q, want any: %v", c.page, c.text, got, c.bad)
		}
	}
}

// TestDocsAnchorsResolve: every link of a page to a section of a
// Markdown page (its own, or another's: page.md#section) names a heading
// that page has, by GitHub's anchors, so no "see there" leads nowhere.
func TestDocsAnchorsResolve(t *testing.T) {
	for _, page := range docPages(t) {
		text, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		page = filepath.ToSlash(page)
		for _, m := range markdownLink.FindAllStringSubmatch(string(text), -1) {
			file, anchor, ok := strings.Cut(m[1], "#")
			if !ok || anchor == "" || strings.Contains(file, ":") || (file != "" && !strings.HasSuffix(file, ".md")) {
				continue
			}
			target, body := page, text
			if file != "" {
				target = path.Clean(path.Join(path.Dir(page), file))
				if body, err = os.ReadFile(filepath.FromSlash(target)); err != nil {
					continue // TestDocsLinkInsideTheRepository reports it
				}
			}
			if !slices.Contains(headingAnchors(string(body)), anchor) {
				t.Errorf("%s links to %s#%s, and %s has no such heading", page, file, anchor, target)
			}
		}
	}
}

// headingAnchors returns the anchors GitHub gives markdown's headings
// (outside fenced code): lower case, letters, digits, '-' and '_' kept,
// spaces made '-', the rest dropped; a repeated one numbered "-1", "-2".
func headingAnchors(markdown string) []string {
	var anchors []string
	seen := map[string]int{}
	fenced := false
	for _, line := range strings.Split(markdown, "\n") {
		if strings.HasPrefix(line, "```") {
			fenced = !fenced
		}
		if fenced || !strings.HasPrefix(line, "#") {
			continue
		}
		var b strings.Builder
		for _, r := range strings.ToLower(strings.TrimSpace(strings.TrimLeft(line, "#"))) {
			switch {
			case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_':
				b.WriteRune(r)
			case r == ' ':
				b.WriteRune('-')
			}
		}
		a := b.String()
		if n := seen[a]; n > 0 {
			anchors = append(anchors, fmt.Sprintf("%s-%d", a, n))
		} else {
			anchors = append(anchors, a)
		}
		seen[a]++
	}
	return anchors
}
