package main

import (
	"cmp"
	"errors"
	"fmt"
	"strings"
	"time"

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
