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

func TestMatch(t *testing.T) {
	def := pathrule.MustParse(pathrule.Default)
	two := pathrule.MustParse("/a/%VDNNO%/b/%VDNNO%/")
	flat := pathrule.MustParse("/prompts/")
	for _, tt := range []struct {
		rule *pathrule.Rule
		name string
		vdn  int
		rest string
		ok   bool
	}{
		{def, "3rdfile/53/thirdvoicebotfile/x.wav", 53, "x.wav", true},
		{def, "3rdfile/53/thirdvoicebotfile", 53, "", true},
		{def, "3rdfile/53/thirdvoicebotfile/sub/x.wav", 53, "sub/x.wav", true},
		{def, "3rdfile/2147483647/thirdvoicebotfile/x.wav", 2147483647, "x.wav", true},
		{def, "3rdfile/2147483648/thirdvoicebotfile/x.wav", 0, "", false},
		{def, "3rdfile/053/thirdvoicebotfile/x.wav", 0, "", false},
		{def, "3rdfile/+53/thirdvoicebotfile/x.wav", 0, "", false},
		{def, "3rdfile/-53/thirdvoicebotfile/x.wav", 0, "", false},
		{def, "3rdfile/0/thirdvoicebotfile/x.wav", 0, "", false},
		{def, "3rdfile/5a/thirdvoicebotfile/x.wav", 0, "", false},
		{def, "3rdfile//thirdvoicebotfile/x.wav", 0, "", false},
		{def, "3rdfile/53/thirdvoicebotfileX/x.wav", 0, "", false},
		{def, "3rdfile/53", 0, "", false},
		{def, "3rdfile", 0, "", false},
		{def, "", 0, "", false},
		{def, "voice/53/IVRrecordFile/x.wav", 0, "", false},
		{two, "a/53/b/53/x", 53, "x", true},
		{two, "a/53/b/54/x", 0, "", false},
		{flat, "prompts/x.wav", 0, "x.wav", true},
		{flat, "prompt/x.wav", 0, "", false},
	} {
		vdn, rest, ok := tt.rule.Match(tt.name)
		if vdn != tt.vdn || rest != tt.rest || ok != tt.ok {
			t.Errorf("%s.Match(%q) = %d, %q, %v; want %d, %q, %v", tt.rule, tt.name, vdn, rest, ok, tt.vdn, tt.rest, tt.ok)
		}
	}
}

func TestMatchAgreesWithDir(t *testing.T) {
	for _, rule := range []string{pathrule.Default, "/a/%VDNNO%/b/%VDNNO%/", "/%VDNNO%"} {
		r := pathrule.MustParse(rule)
		for _, vdn := range []int{1, 53, 2147483647} {
			vdnGot, rest, ok := r.Match(r.Dir(vdn) + "/f.wav")
			if !ok || vdnGot != vdn || rest != "f.wav" {
				t.Errorf("%s: Match(Dir(%d)+/f.wav) = %d, %q, %v", rule, vdn, vdnGot, rest, ok)
			}
		}
	}
}

func TestParseList(t *testing.T) {
	rules, err := pathrule.ParseList(pathrule.DefaultDownload)
	if err != nil || len(rules) != 3 || rules[0].String() != "/voice/%VDNNO%/IVRrecordFile" {
		t.Fatalf("ParseList(default) = %v, %v", rules, err)
	}
	if rules, err := pathrule.ParseList("/a/%VDNNO%; /b/;"); err != nil || len(rules) != 2 {
		t.Fatalf("ParseList with spaces and a trailing ';' = %v, %v", rules, err)
	}
	for _, bad := range []string{"", ";", " ; ", "/a;b/", "/a;/../b"} {
		if _, err := pathrule.ParseList(bad); err == nil {
			t.Errorf("ParseList(%q) accepted", bad)
		}
	}
}

func TestPrefix(t *testing.T) {
	for rule, want := range map[string]string{
		pathrule.Default:          "3rdfile",
		"/%VDNNO%/prompts/":       "",
		"/a/b/%VDNNO%/c/%VDNNO%/": "a/b",
		"/no/placeholder/":        "no/placeholder",
	} {
		if got := pathrule.MustParse(rule).Prefix(); got != want {
			t.Errorf("Prefix of %s = %q, want %q", rule, got, want)
		}
	}
}

func TestMatchFile(t *testing.T) {
	r := pathrule.MustParse(pathrule.Default)
	for name, want := range map[string]int{
		"3rdfile/53/thirdvoicebotfile/a.wav":     53,
		"3rdfile/53/thirdvoicebotfile":           0, // the directory itself
		"3rdfile/53/thirdvoicebotfile/sub/a.wav": 0,
		"3rdfile/53/IVRrecordFile/a.wav":         0,
		"3rdfile/053/thirdvoicebotfile/a.wav":    0,
	} {
		vdn, ok := r.MatchFile(name)
		if ok != (want != 0) || vdn != want {
			t.Errorf("MatchFile(%q) = %d, %v; want %d", name, vdn, ok, want)
		}
	}
}
