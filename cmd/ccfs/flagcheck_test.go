package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ccfs-go/ccfs/auth"
)

// TestServeRefusalsSpeakTheOperatorsLanguage: a bad setting is refused at
// start by the flag's name and the value as typed, with no Options field,
// no Go type and no prefix said twice; and the values that would silently
// mean something else (a zero read as "the default", a rule under which
// nothing can be deleted) are refused too.
func TestServeRefusalsSpeakTheOperatorsLanguage(t *testing.T) {
	dir := t.TempDir()
	creds := filepath.Join(dir, "keys.json")
	quotaFile := filepath.Join(dir, "quota")
	os.WriteFile(creds, []byte("{\"keys\": [\n  {\"ak\": \"bot\", \"sk\": \"s-1\", \"vdns\": [53, \"54\"]}\n]}\n"), 0o600)
	os.WriteFile(quotaFile, []byte("# tenants\n*=1GiB\n\n53=lots\n"), 0o600)
	goodQuotaFile := filepath.Join(dir, "quota-ok")
	os.WriteFile(goodQuotaFile, []byte("*=1GiB\n"), 0o600)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--credentials", creds}, "credentials file " + creds + `: line 2: keys[0].vdns[1] must be a whole number, not "54"`},
		{[]string{"--quota-file", quotaFile}, "quota file " + quotaFile + `: line 4: "53=lots": "lots" is not a size such as 2GiB, 500MiB or 1048576, or none`},
		{[]string{"--quota", "*=1GiB,53=20GB"}, `--quota: "53=20GB": "20GB" is not a size such as 2GiB, 500MiB or 1048576, or none`},
		{[]string{"--retain", "*=30d,53=week"}, `--retain: "53=week": "week" is not an age of at least 1m0s such as 30d or 12h, or none`},
		{[]string{"--codecs", "alaw,g729"}, `--codecs: unknown codec "g729" (want alaw, mulaw or pcm8)`},
		{[]string{"--pool", "0=" + dir + "/a,0=" + dir + "/b"}, `--pool: pool location ID "0" is given twice`},
		{[]string{"--rate", "-1"}, "--rate -1: want 0 (no limit) or more"},
		{[]string{"--idempotency-ttl", "-1h"}, "--idempotency-ttl must not be negative (0 ignores the header)"},
		{[]string{"--burst", "0"}, "--burst 0: want at least 1"},
		{[]string{"--max-file-mb", "0"}, "--max-file-mb 0: want 1 to 1024 (MB; the vendor's default is 5)"},
		{[]string{"--max-file-mb", "2048"}, "--max-file-mb 2048: want 1 to 1024 (MB; the vendor's default is 5)"},
		{[]string{"--max-inflight", "0"}, "--max-inflight 0: want at least 1"},
		{[]string{"--max-inflight", "8", "--max-inflight-per-key", "16"}, "--max-inflight-per-key 16: want 1 to --max-inflight (8)"},
		{[]string{"--max-draining", "0"}, "--max-draining 0: want at least 1"},
		{[]string{"--min-body-rate", "0"}, "--min-body-rate 0: want at least 1 (bytes a second), or -1 for no minimum"},
		{[]string{"--skew", "0s"}, "--skew 0s: want more than 0, such as 15m"},
		{[]string{"--root", "Y:/"}, `--root "Y:/": want no control character and no '/' at the end`},
		{[]string{"--path-rule", "/3rdfile/prompts/"}, `--path-rule "/3rdfile/prompts/" has no %VDNNO%: deleteFile and downloadFile could never reach an upload`},
		{[]string{"--download-rule", "/voice/%VDNNO%/IVRrecordFile;/shared"}, `--download-rule: "/shared" has no %VDNNO%`},
		{[]string{"--pool-min", "2"}, "--pool-min needs --pool: a single store keeps one copy"},
		{[]string{"--addr", "nope"}, `--addr "nope": listen tcp: address nope: missing port in address`},
		{[]string{"--path-rule", "/3rdfile/%VDNNO%/../x/"}, `--path-rule: "/3rdfile/%VDNNO%/../x/" has a ".." segment`},
		{[]string{"--path-rule", "3rdfile/%VDNNO%/x/", "--allow-rule-without-vdn"}, `--path-rule: "3rdfile/%VDNNO%/x/" is not absolute (must start with /)`},
		{[]string{"--download-rule", "/voice/%VDNNO%/IVRrecordFile;/a/%VDNNO%/b:c"}, `--download-rule: "/a/%VDNNO%/b:c" holds a backslash or a colon`},
		{[]string{"--download-rule", ";;"}, `--download-rule: ";;" holds no rule`},
		{[]string{"--path-rule", "/3rdfile/prompts/", "--allow-rule-without-vdn", "--quota", "*=1GiB"}, `--quota needs a --path-rule with %VDNNO%`},
		{[]string{"--path-rule", "/3rdfile/prompts/", "--allow-rule-without-vdn", "--quota-file", goodQuotaFile}, `--quota-file needs a --path-rule with %VDNNO%`},
		{[]string{"--convert=0"}, `--convert "0": "0" is not a VDN; want VDNs from 1 to 2147483647, comma-separated, such as --convert=53,54 (or --convert alone for every VDN)`},
		{[]string{"--convert=x"}, `--convert "x": "x" is not a VDN; want VDNs from 1 to 2147483647`},
		{[]string{"--convert", "53,x"}, `--convert "53,x": "x" is not a VDN; want VDNs from 1 to 2147483647`},
		{[]string{"--convert=53,2147483648"}, `--convert "53,2147483648": "2147483648" is not a VDN`},
		{[]string{"--convert=53,-54"}, `--convert "53,-54": "-54" is not a VDN`},
		{[]string{"--convert=53,,54"}, `--convert "53,,54": a VDN is missing between commas`},
		{[]string{"--convert="}, `--convert "": no VDN; want VDNs from 1 to 2147483647`},
		{[]string{"--convert=53,54,53"}, `--convert "53,54,53": VDN 53 is given twice`},
		{[]string{"--max-input-mb", "100"}, "--max-input-mb needs --convert: it bounds the files to convert, and without --convert none is"},
		{[]string{"--convert", "--max-input-mb", "0"}, "--max-input-mb 0: want 1 to 1024 (MB, the largest file to convert as uploaded)"},
		{[]string{"--convert=53", "--max-input-mb", "2000"}, "--max-input-mb 2000: want 1 to 1024 (MB, the largest file to convert as uploaded)"},
		{[]string{"--convert", "53", "extra"}, `unexpected argument "extra"`},
		{[]string{"--convert", "true"}, `unexpected argument "true"`},
	} {
		code, _, errs := runCmd(t, append([]string{"serve", "--data", filepath.Join(dir, "data"), "--addr", "127.0.0.1:0"}, c.args...)...)
		if code == 0 || !strings.HasPrefix(errs, "ccfs serve: "+c.want) {
			t.Errorf("%q: exit %d\n got %s\nwant ccfs serve: %s", c.args, code, errs, c.want)
		}
		for _, internal := range []string{"Options.", "Go struct", "quota: quota", "credentials: credentials", "pathrule:", "stays in use", "s-1"} {
			if strings.Contains(errs, internal) {
				t.Errorf("%q: %q in %s", c.args, internal, errs)
			}
		}
	}
}

// TestServerTextIsShownNotObeyed: what a server says (a description, the
// lines of what it signed) reaches the terminal with its control
// characters, bidirectional overrides and invalid bytes escaped, so a
// hostile server cannot move the cursor or recolour the screen.
func TestServerTextIsShownNotObeyed(t *testing.T) {
	for in, want := range map[string]string{
		"plain text, «quoted»":     "plain text, «quoted»",
		"red\x1b[31m alert\r\n":    `red\x1b[31m alert\r\n`,
		"tab\there \u202eevil":     `tab\there \u202eevil`,
		"bad \xff byte, C1 \u009b": `bad \xff byte, C1 \u009b`,
		"a real \uFFFD stays":      "a real \uFFFD stays",
	} {
		if got := printable(in); got != want {
			t.Errorf("printable(%q) = %s, want %s", in, got, want)
		}
	}
	var b strings.Builder
	layOut(&b, &auth.Explanation{AuthStringPrefix: "auth-v2/ak\x1b]0;owned\x07/t/host"})
	if strings.ContainsAny(b.String(), "\x1b\x07") || !strings.Contains(b.String(), `ak\x1b]0;owned\a/t/host`) {
		t.Errorf("layOut passed a server's escape through:\n%q", b.String())
	}
}

// TestServeConvertFlagForms: --convert alone is every VDN; its list may
// follow it after "=" or as the next argument, with flags after it; the
// last --convert given wins, and --convert=false is off.
func TestServeConvertFlagForms(t *testing.T) {
	data := t.TempDir()
	for _, c := range []struct {
		args  []string
		vdns  []int // nil: every VDN
		off   bool
		maxMB int
	}{
		{args: []string{"--convert"}, maxMB: 50},
		{args: []string{"--convert", "--max-input-mb", "200"}, maxMB: 200},
		{args: []string{"--max-input-mb", "200", "--convert"}, maxMB: 200},
		{args: []string{"--convert=53,54"}, vdns: []int{53, 54}, maxMB: 50},
		{args: []string{"--convert", "53, 54", "--max-input-mb", "10", "--root", "Y:"}, vdns: []int{53, 54}, maxMB: 10},
		{args: []string{"-convert", "7"}, vdns: []int{7}, maxMB: 50},
		{args: []string{"--convert=53", "--convert"}, maxMB: 50},
		{args: []string{"--convert", "--convert=2147483647"}, vdns: []int{2147483647}, maxMB: 50},
		{args: []string{"--convert=false"}, off: true},
		{args: nil, off: true},
	} {
		var errs strings.Builder
		cfg, code := parseServe(append([]string{"--data", data}, c.args...), &errs)
		if code >= 0 {
			t.Errorf("%q: exit %d: %s", c.args, code, errs.String())
			continue
		}
		if c.off {
			if cfg.opts.Convert != nil || cfg.opts.MaxInputMB != 0 {
				t.Errorf("%q: conversion on", c.args)
			}
			continue
		}
		if cfg.opts.Convert == nil {
			t.Errorf("%q: conversion off", c.args)
			continue
		}
		if !slices.Equal(cfg.convertVDNs, c.vdns) || cfg.opts.MaxInputMB != c.maxMB {
			t.Errorf("%q: VDNs %v, --max-input-mb %d; want %v, %d", c.args, cfg.convertVDNs, cfg.opts.MaxInputMB, c.vdns, c.maxMB)
		}
		for _, vdn := range []int{1, 7, 53, 54, 55, 2147483647} {
			if want := c.vdns == nil || slices.Contains(c.vdns, vdn); cfg.opts.Convert(vdn) != want {
				t.Errorf("%q: Convert(%d) = %v, want %v", c.args, vdn, !want, want)
			}
		}
	}
}
