package pathrule_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs/pathrule"
)

func TestParseAndExpand(t *testing.T) {
	for rule, want := range map[string]string{
		pathrule.Default:                 "3rdfile/53/thirdvoicebotfile",
		"/3rdfile/%VDNNO%":               "3rdfile/53",
		"/prompts/":                      "prompts",
		"/a/%VDNNO%/b/%VDNNO%/":          "a/53/b/53",
		"/IVR Voice/%VDNNO%/bot files/":  "IVR Voice/53/bot files",
		"/ünïcode/%VDNNO%/thirdvoicebot": "ünïcode/53/thirdvoicebot",
	} {
		r, err := pathrule.Parse(rule)
		if err != nil {
			t.Fatalf("%q: %v", rule, err)
		}
		if got := r.Dir(53); got != want {
			t.Errorf("%q.Dir(53) = %q, want %q", rule, got, want)
		}
		if r.String() != rule {
			t.Errorf("String() = %q", r.String())
		}
	}
}

func TestParseRefuses(t *testing.T) {
	for _, rule := range []string{
		"", "3rdfile/%VDNNO%/", "/", "//", "/a//b/", "/a/./b", "/a/../b", "/../etc", "/a/..",
		`/a\b/`, "Y:/3rdfile/", "/%VDNID%/", "/vdn%VDNNO%/", "/%VDNNO%%VDNNO%/", "/a/%/", "/a\x00b/", "/a\nb/",
	} {
		if _, err := pathrule.Parse(rule); err == nil {
			t.Errorf("Parse(%q) accepted", rule)
		}
	}
}

func TestName(t *testing.T) {
	r := pathrule.MustParse(pathrule.Default)
	now := time.UnixMilli(1631869974029)
	re := regexp.MustCompile(`^3rdfile/53/thirdvoicebotfile/[A-Za-z0-9]{8}_1631869974029\.wav$`)
	seen := map[string]bool{}
	for range 1000 {
		name, err := r.Name(53, now)
		if err != nil {
			t.Fatal(err)
		}
		if !re.MatchString(name) {
			t.Fatalf("name %q", name)
		}
		if seen[name] {
			t.Fatalf("name %q twice in 1000", name)
		}
		seen[name] = true
	}
	for _, vdn := range []int{0, -1} {
		if _, err := r.Name(vdn, now); err == nil {
			t.Errorf("Name(%d) accepted", vdn)
		}
	}
}

func TestFileNameAlphabet(t *testing.T) {
	counts := map[rune]int{}
	for range 2000 {
		n, _ := pathrule.NewFileName(time.Now())
		for _, c := range n[:8] {
			counts[c]++
		}
	}
	if len(counts) != 62 {
		t.Fatalf("%d distinct characters in 16000, want all 62", len(counts))
	}
	for c, n := range counts {
		if n < 150 || n > 400 { // expected 258
			t.Errorf("%q drawn %d times of 16000", c, n)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(pathrule.Default)
	f.Add("/a/../b")
	f.Fuzz(func(t *testing.T, rule string) {
		r, err := pathrule.Parse(rule)
		if err != nil {
			return
		}
		dir := r.Dir(2147483647)
		for _, seg := range strings.Split(dir, "/") {
			if seg == "" || seg == "." || seg == ".." || strings.ContainsAny(seg, "\\:%") {
				t.Fatalf("rule %q expands to %q", rule, dir)
			}
		}
	})
}
