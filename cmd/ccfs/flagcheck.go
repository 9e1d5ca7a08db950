package main

import (
	"cmp"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/pathrule"
)

// checkServeFlags refuses, by the flag's name and value, what NewHandler
// would refuse by an Options field's name, and the values that would
// silently mean something else than they say: a zero that the library
// reads as "the default", a rule under which no file can be deleted.
func checkServeFlags(c *serveConfig, rate float64, allowRuleWithoutVDN bool) error {
	o := &c.opts
	checks := []struct {
		bad  bool
		flag string
		val  any
		want string
	}{
		{rate < 0, "rate", rate, "0 (no limit) or more"},
		{o.Burst < 1, "burst", o.Burst, "at least 1"},
		{o.MaxInFlight < 1, "max-inflight", o.MaxInFlight, "at least 1"},
		{o.MaxInFlightPerKey < 1 || o.MaxInFlightPerKey > o.MaxInFlight, "max-inflight-per-key", o.MaxInFlightPerKey, fmt.Sprintf("1 to --max-inflight (%d)", o.MaxInFlight)},
		{o.MaxDraining < 1, "max-draining", o.MaxDraining, "at least 1"},
		{o.MinBodyRate < 1 && o.MinBodyRate != -1, "min-body-rate", o.MinBodyRate, "at least 1 (bytes a second), or -1 for no minimum"},
		{o.Window <= 0, "skew", o.Window, "more than 0, such as 15m"},
		{strings.ContainsFunc(o.RootPrefix, func(r rune) bool { return r < 0x20 || r == 0x7f }) || strings.HasSuffix(o.RootPrefix, "/"),
			"root", o.RootPrefix, "no control character and no '/' at the end"},
	}
	for _, ck := range checks {
		if ck.bad {
			return fmt.Errorf("--%s %s: want %s", ck.flag, quoteValue(ck.val), ck.want)
		}
	}
	// Parsed here, so a bad rule is named by its flag rather than by
	// NewHandler's Options field; the quota count and the sweeper use it.
	rule, err := pathrule.Parse(cmp.Or(o.PathRule, pathrule.Default))
	if err != nil {
		return withoutPrefix("--path-rule", err, "pathrule")
	}
	c.rule = rule
	if o.DownloadPathRule != "" {
		if _, err := pathrule.ParseList(o.DownloadPathRule); err != nil {
			return withoutPrefix("--download-rule", err, "pathrule")
		}
	}
	if allowRuleWithoutVDN {
		return nil
	}
	if !strings.Contains(o.PathRule, pathrule.Placeholder) {
		return fmt.Errorf("--path-rule %q has no %s: deleteFile and downloadFile could never reach an upload (no file would say whose it is); add %s, or pass --allow-rule-without-vdn if only anyVdn keys are to delete and download", o.PathRule, pathrule.Placeholder, pathrule.Placeholder)
	}
	for _, r := range strings.Split(o.DownloadPathRule, ";") {
		if r = strings.TrimSpace(r); r != "" && !strings.Contains(r, pathrule.Placeholder) {
			return fmt.Errorf("--download-rule: %q has no %s: downloadFile could never read under it for a key with a list of VDNs; add %s, or pass --allow-rule-without-vdn if only anyVdn keys are to download there", r, pathrule.Placeholder, pathrule.Placeholder)
		}
	}
	return nil
}

// quoteValue writes a flag's value as the operator would type it: text
// quoted exactly, numbers and durations as they are.
func quoteValue(v any) string {
	switch v := v.(type) {
	case string:
		return fmt.Sprintf("%q", v)
	case time.Duration:
		return v.String()
	}
	return fmt.Sprint(v)
}

// withoutPrefix words a library's error under the flag that was read:
// "--quota: "53=x": …" rather than "--quota: quota: "53=x": …".
func withoutPrefix(flag string, err error, prefix string) error {
	if err == nil {
		return nil
	}
	return errors.New(flag + ": " + strings.TrimPrefix(err.Error(), prefix+": "))
}

// checkConvertFlags reads --convert and --max-input-mb: the VDNs to
// convert for (nil for every VDN; unused while --convert is off), refusing
// a list that is not positive 32-bit VDNs each given once, a
// --max-input-mb outside 1..1024, and a --max-input-mb given without
// --convert, where it would do nothing.
func checkConvertFlags(f *convertFlags, maxGiven bool) ([]int, error) {
	if !f.on.on {
		if maxGiven {
			return nil, errors.New("--max-input-mb needs --convert: it bounds the files to convert, and without --convert none is")
		}
		return nil, nil
	}
	if mb := *f.maxMB; mb < 1 || mb > 1024 {
		return nil, fmt.Errorf("--max-input-mb %d: want 1 to 1024 (MB, the largest file to convert as uploaded)", mb)
	}
	if f.on.bare {
		return nil, nil
	}
	return parseVDNList(f.on.list)
}

// parseVDNList reads --convert's list: VDNs, comma-separated, each a
// whole number from 1 to 2147483647 (a vdnId the upload interface
// takes), each once.
func parseVDNList(list string) ([]int, error) {
	const want = "want VDNs from 1 to 2147483647, comma-separated, such as --convert=53,54 (or --convert alone for every VDN)"
	if strings.TrimSpace(list) == "" {
		return nil, fmt.Errorf("--convert %q: no VDN; %s", list, want)
	}
	var vdns []int
	seen := map[int]bool{}
	for _, s := range strings.Split(list, ",") {
		s = strings.TrimSpace(s)
		n, err := strconv.ParseInt(s, 10, 32)
		switch {
		case s == "":
			return nil, fmt.Errorf("--convert %q: a VDN is missing between commas; %s", list, want)
		case err != nil || n < 1 || s[0] < '0' || s[0] > '9':
			return nil, fmt.Errorf("--convert %q: %q is not a VDN; %s", list, s, want)
		case seen[int(n)]:
			return nil, fmt.Errorf("--convert %q: VDN %d is given twice", list, n)
		}
		seen[int(n)] = true
		vdns = append(vdns, int(n))
	}
	return vdns, nil
}

// convertFor is Options.Convert for the VDNs checkConvertFlags read: every
// VDN for nil.
func convertFor(vdns []int) func(int) bool {
	if vdns == nil {
		return ccfs.ConvertEvery
	}
	set := make(map[int]bool, len(vdns))
	for _, v := range vdns {
		set[v] = true
	}
	return func(vdn int) bool { return set[vdn] }
}

// checkConsoleFlags refuses a console that would listen beyond loopback
// without TLS, and the console's flags given without --console. The
// admin listener is plain HTTP: the console is served there only on a
// loopback address. Its own listener (--console-addr) is served over TLS
// with the server's certificate, so it is refused beyond loopback only
// with --plain-http, where the server has none.
func checkConsoleFlags(c *serveConfig) error {
	f := c.console
	if !f.on {
		switch {
		case f.addrGiven:
			return errors.New("--console-addr needs --console: the console is off by default")
		case f.usersGiven:
			return errors.New("--console-users needs --console: the console is off by default")
		}
		return nil
	}
	if f.onAdmin(c.adminAddr) {
		if !loopbackAddr(c.adminAddr) {
			return fmt.Errorf("--console with --admin-addr %q: the admin listener is plain HTTP, and the console never listens beyond loopback without TLS (operators' passwords and sessions would cross the network in the clear); "+
				"give the console its own --console-addr, which is served over TLS with the server's certificate, or put --admin-addr on 127.0.0.1", c.adminAddr)
		}
		return nil
	}
	switch {
	case f.addr == "":
		return errors.New("--console-addr is empty: want HOST:PORT, such as " + defaultConsoleAddr)
	case f.addr == c.addr && !strings.HasSuffix(f.addr, ":0"):
		return errors.New("--console-addr must not be the public --addr")
	case f.addr == c.adminAddr && !strings.HasSuffix(f.addr, ":0"):
		return errors.New("--console-addr must not be --admin-addr: leave --console-addr out to serve the console on the admin listener (loopback only)")
	case c.plain && !loopbackAddr(f.addr):
		return fmt.Errorf("--console-addr %q is beyond loopback, where the console is served only over TLS, and --plain-http gives the server no certificate: "+
			"put --console-addr on 127.0.0.1 (and reach it through an SSH tunnel), or serve TLS (without --plain-http: --tls-cert and --tls-key, or the self-signed certificate in <data>)", f.addr)
	}
	return nil
}

// loopbackAddr reports whether a HOST:PORT to listen on is on a loopback
// address (127.0.0.1, ::1, localhost); ":PORT", every address, is not.
func loopbackAddr(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	return err == nil && loopbackHost(host)
}
