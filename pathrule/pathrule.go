// Package pathrule parses the CC-FS system parameters "Third-Party Upload
// File Path Rule" (default /3rdfile/%VDNNO%/thirdvoicebotfile/) and
// "Third-Party Recording Download Path Rule" (a ';'-separated list of
// rules), expands a rule for a VDN, matches a path against it, and makes
// the server-generated file names that go under it.
//
// A rule is checked once, when parsed: it is absolute, uses no placeholder
// but %VDNNO%, and has no empty, "." or ".." segment and no backslash, so
// whatever a request says, its expansion stays inside the rule's directory.
package pathrule

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Default is the vendor's default rule.
const Default = "/3rdfile/%VDNNO%/thirdvoicebotfile/"

// Placeholder is the one placeholder a rule may hold: the VDN number.
const Placeholder = "%VDNNO%"

// A Rule is a parsed path rule. It is immutable and safe for concurrent use.
type Rule struct {
	raw  string
	segs []string // each a literal or exactly Placeholder
}

// Parse checks s and returns the rule.
func Parse(s string) (*Rule, error) {
	if !strings.HasPrefix(s, "/") {
		return nil, fmt.Errorf("pathrule: %q is not absolute (must start with /)", s)
	}
	if strings.ContainsAny(s, "\\:") {
		return nil, fmt.Errorf("pathrule: %q holds a backslash or a colon (put a drive letter in the root prefix instead)", s)
	}
	trimmed := strings.TrimSuffix(s[1:], "/")
	if trimmed == "" {
		return nil, fmt.Errorf("pathrule: %q names no directory", s)
	}
	r := &Rule{raw: s}
	for _, seg := range strings.Split(trimmed, "/") {
		switch {
		case seg == "":
			return nil, fmt.Errorf("pathrule: %q has an empty segment", s)
		case seg == "." || seg == "..":
			return nil, fmt.Errorf("pathrule: %q has a %q segment", s, seg)
		case seg != Placeholder && strings.Contains(seg, "%"):
			return nil, fmt.Errorf("pathrule: %q: segment %q holds a placeholder other than %s (a placeholder must be a whole segment)", s, seg, Placeholder)
		}
		for _, c := range []byte(seg) {
			if c < 0x20 || c == 0x7f {
				return nil, fmt.Errorf("pathrule: %q holds a control character", s)
			}
		}
		r.segs = append(r.segs, seg)
	}
	return r, nil
}

// DefaultDownload is the vendor's default Third-Party Recording Download
// Path Rule: recordings, and the prompts a third party uploaded.
const DefaultDownload = "/voice/%VDNNO%/IVRrecordFile;/3rdfile/%VDNNO%/IVRrecordFile;/3rdfile/%VDNNO%/thirdvoicebotfile"

// ParseList parses a ';'-separated list of rules, such as
// DefaultDownload. Empty elements (a trailing ';') are skipped; the list
// must hold at least one rule.
func ParseList(s string) ([]*Rule, error) {
	var rules []*Rule
	for part := range strings.SplitSeq(s, ";") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		r, err := Parse(part)
		if err != nil {
			return nil, err
		}
		rules = append(rules, r)
	}
	if len(rules) == 0 {
		return nil, fmt.Errorf("pathrule: %q holds no rule", s)
	}
	return rules, nil
}

// Match reports whether name, a clean slash-separated path without a
// leading slash (a store name, such as
// "3rdfile/53/thirdvoicebotfile/x.wav"), lies under the rule: its leading
// segments are the rule's, with each %VDNNO% a VDN written as Dir writes
// it (a positive 32-bit decimal, no sign, no leading zero), the same one
// at every placeholder. It returns that VDN (0 if the rule has no
// placeholder) and the rest of name after the rule's directory, "" if
// name is that directory itself.
func (r *Rule) Match(name string) (vdn int, rest string, ok bool) {
	for i, seg := range r.segs {
		head, tail, more := strings.Cut(name, "/")
		if seg == Placeholder {
			n, err := strconv.ParseInt(head, 10, 32)
			if err != nil || n <= 0 || head[0] == '0' || head[0] == '+' || vdn != 0 && int(n) != vdn {
				return 0, "", false
			}
			vdn = int(n)
		} else if head != seg {
			return 0, "", false
		}
		if !more {
			if i == len(r.segs)-1 {
				return vdn, "", true
			}
			return 0, "", false
		}
		name = tail
	}
	return vdn, name, true
}

// MatchFile reports whether name is a file directly in the rule's
// directory for some VDN — where an upload under the rule goes — and
// returns that VDN. A file in a subdirectory, or the directory itself,
// is not.
func (r *Rule) MatchFile(name string) (vdn int, ok bool) {
	vdn, rest, ok := r.Match(name)
	if !ok || rest == "" || strings.Contains(rest, "/") {
		return 0, false
	}
	return vdn, true
}

// MustParse is Parse for rules known to be valid; it panics otherwise.
func MustParse(s string) *Rule {
	r, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return r
}

// String returns the rule as written.
func (r *Rule) String() string { return r.raw }

// Dir returns the rule expanded for vdn, slash-separated, without a
// leading or trailing slash: "3rdfile/53/thirdvoicebotfile".
func (r *Rule) Dir(vdn int) string {
	segs := make([]string, len(r.segs))
	for i, s := range r.segs {
		if s == Placeholder {
			s = strconv.Itoa(vdn)
		}
		segs[i] = s
	}
	return strings.Join(segs, "/")
}

// Prefix returns the rule's leading segments before its first
// placeholder, slash-separated ("3rdfile" for the default rule), "" if it
// begins with one: the directory that holds every VDN's expansion.
func (r *Rule) Prefix() string {
	var segs []string
	for _, s := range r.segs {
		if s == Placeholder {
			break
		}
		segs = append(segs, s)
	}
	return strings.Join(segs, "/")
}

// Name returns a new file path under the rule's directory for vdn:
// Dir(vdn) + "/" + NewFileName(now).
func (r *Rule) Name(vdn int, now time.Time) (string, error) {
	if vdn <= 0 {
		return "", errors.New("pathrule: VDN must be positive")
	}
	f, err := NewFileName(now)
	if err != nil {
		return "", err
	}
	return r.Dir(vdn) + "/" + f, nil
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// NewFileName returns 8 random letters or digits from crypto/rand, "_",
// the Unix time of now in milliseconds and ".wav", as
// "8fSsBaEb_1631869974029.wav".
func NewFileName(now time.Time) (string, error) {
	var out [8]byte
	var buf [16]byte
	for n := 0; n < len(out); {
		if _, err := rand.Read(buf[:]); err != nil {
			return "", fmt.Errorf("pathrule: %w", err)
		}
		for _, b := range buf {
			// 248 = 4 × 62: keep only bytes that map evenly.
			if b < 248 && n < len(out) {
				out[n] = alnum[b%62]
				n++
			}
		}
	}
	return string(out[:]) + "_" + strconv.FormatInt(now.UnixMilli(), 10) + ".wav", nil
}
