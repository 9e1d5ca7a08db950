package console

import (
	"context"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs/retention"
)

// tenantRowOf returns VDN vdn's row on the tenants page, or fails.
func tenantRowOf(t *testing.T, html string, vdn int) string {
	t.Helper()
	row := regexp.MustCompile(`(?s)<tr data-vdn="` + strconv.Itoa(vdn) + `">(.*?)</tr>`).FindStringSubmatch(html)
	if row == nil {
		t.Fatalf("no row for VDN %d in\n%s", vdn, html)
	}
	return row[1]
}

// attr returns the value of attribute name of the first element of
// class class in s, and whether it has one.
func attr(s, tag, class, name string) (string, bool) {
	el := regexp.MustCompile(`<` + tag + ` class="` + regexp.QuoteMeta(class) + `"[^>]*>`).FindString(s)
	m := regexp.MustCompile(`\s` + name + `="([^"]*)"`).FindStringSubmatch(el)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// TestTenantsMeterMatchesUsage: with quotas on, each VDN's bar, bytes and
// files are Handler.Usage's, its max the quota; its keys are named with
// when each was last seen, and a key for every VDN is listed once apart.
func TestTenantsMeterMatchesUsage(t *testing.T) {
	policy, err := retention.ParsePolicy("*=30d,53=7d,55=none")
	if err != nil {
		t.Fatal(err)
	}
	e := newObsEnv(t, "*=1MiB,53=2MiB/10,60=5MiB", func(o *Options) { o.Retention = policy })
	e.upload(obsAKa, obsSKa, 53, time.Second)
	e.upload(obsAKa, obsSKa, 53, 2*time.Second)
	e.upload(obsAKb, obsSKb, 55, time.Second)
	e.upload(obsAKany, obsSKany, 77, time.Second)
	waitFor(t, "every upload recorded", func() bool {
		return !e.rec.LastSeen(obsAKa).IsZero() && !e.rec.LastSeen(obsAKb).IsZero() && !e.rec.LastSeen(obsAKany).IsZero() &&
			slices.Contains(e.rec.VDNs(), 77)
	})

	usage, err := e.h.Usage(context.Background(), []int{53, 54, 55, 60})
	if err != nil {
		t.Fatal(err)
	}
	html := e.page("/console/tenants")
	noSecrets(t, html)
	for _, vdn := range []int{53, 54, 55, 60} {
		row := tenantRowOf(t, html, vdn)
		u := usage[vdn]
		if v, _ := attr(row, "meter", "bytes-bar", "value"); v != strconv.FormatInt(u.Bytes, 10) {
			t.Errorf("VDN %d: meter value %s, want %d", vdn, v, u.Bytes)
		}
		if v, _ := attr(row, "meter", "bytes-bar", "max"); v != strconv.FormatInt(u.Limit.Bytes, 10) {
			t.Errorf("VDN %d: meter max %s, want %d", vdn, v, u.Limit.Bytes)
		}
		if v, _ := attr(row, "meter", "bytes-bar", "min"); v != "0" {
			t.Errorf("VDN %d: meter min %q", vdn, v)
		}
		if v, _ := attr(row, "td", "num used-bytes", "data-sort"); v != strconv.FormatInt(u.Bytes, 10) {
			t.Errorf("VDN %d: used-bytes %s, want %d", vdn, v, u.Bytes)
		}
		if v, _ := attr(row, "td", "num used-files", "data-sort"); v != strconv.FormatInt(u.Files, 10) {
			t.Errorf("VDN %d: used-files %s, want %d", vdn, v, u.Files)
		}
		if !strings.Contains(row, `<a class="prompts" href="/console/vdn/`+strconv.Itoa(vdn)+`/"`) {
			t.Errorf("VDN %d does not link to its prompts", vdn)
		}
	}
	if usage[53].Files != 2 || usage[53].Bytes == 0 {
		t.Fatalf("VDN 53's usage: %+v", usage[53])
	}
	r53 := tenantRowOf(t, html, 53)
	if !strings.Contains(r53, humanSize(usage[53].Bytes)+" of 2 MiB") || !strings.Contains(r53, "2 of 10 files") {
		t.Errorf("VDN 53's text:\n%s", r53)
	}
	for vdn, want := range map[int]string{53: "7 days", 54: "30 days", 55: keptUntilDeleted} {
		if got := regexp.MustCompile(`<td class="retention">([^<]*)</td>`).FindStringSubmatch(tenantRowOf(t, html, vdn)); got == nil || got[1] != want {
			t.Errorf("VDN %d's retention: %v, want %q", vdn, got, want)
		}
	}
	// chatbot-a was seen (its uploads' signatures held); its key is named
	// in 53 and 54 with a time, chatbot-b's in 55; 60 has none.
	seenA := e.rec.LastSeen(obsAKa).UTC().Format(time.RFC3339Nano)
	for _, vdn := range []int{53, 54} {
		keys := regexp.MustCompile(`(?s)<td class="keys">(.*?)</td>`).FindStringSubmatch(tenantRowOf(t, html, vdn))
		if keys == nil || !strings.Contains(keys[1], `<span class="key-name">chatbot-a</span>, last seen <time datetime="`+seenA+`"`) {
			t.Errorf("VDN %d's keys: %v", vdn, keys)
		}
		if strings.Contains(keys[1], obsAKany) || strings.Contains(keys[1], obsAKb) {
			t.Errorf("VDN %d names a key that is not its own: %s", vdn, keys[1])
		}
	}
	if !strings.Contains(tenantRowOf(t, html, 55), `<span class="key-name">chatbot-b</span>`) {
		t.Error("VDN 55 does not name chatbot-b")
	}
	if strings.Count(html, obsAKany) != 1 || !regexp.MustCompile(`(?s)<p class="any-vdn">Keys for every VDN: .*`+obsAKany).MatchString(html) {
		t.Error("the key for every VDN is not listed once, apart")
	}
	// VDN 77, written by the key for every VDN, has no key and no quota of
	// its own: the ledger lists no VDNs, but the Recorder saw the upload.
	if v, _ := attr(tenantRowOf(t, html, 77), "td", "num used-files", "data-sort"); v != "1" {
		t.Errorf("VDN 77: %s files", v)
	}
}

// TestTenantsWithoutQuotas: the VDNs the store holds prompts of are
// shown, counted from the store, without a max; the count is kept for
// 30 s.
func TestTenantsWithoutQuotas(t *testing.T) {
	e := newObsEnv(t, "", nil)
	e.upload(obsAKany, obsSKany, 77, time.Second)
	html := e.page("/console/tenants")
	row := tenantRowOf(t, html, 77)
	usage, err := e.h.Usage(context.Background(), []int{77})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := attr(row, "meter", "bytes-bar", "value"); v != strconv.FormatInt(usage[77].Bytes, 10) || usage[77].Files != 1 {
		t.Errorf("VDN 77: meter value %s, usage %+v", v, usage[77])
	}
	if _, ok := attr(row, "meter", "bytes-bar", "max"); ok {
		t.Error("a meter without a quota has a max")
	}
	if !strings.Contains(row, "(no quota)") || !strings.Contains(row, keptUntilDeleted) {
		t.Errorf("VDN 77's row:\n%s", row)
	}
	for _, vdn := range []int{53, 54, 55} { // the keys' VDNs, empty
		if v, _ := attr(tenantRowOf(t, html, vdn), "td", "num used-files", "data-sort"); v != "0" {
			t.Errorf("VDN %d: %s files", vdn, v)
		}
	}
	// Another upload is not counted until 30 s have passed.
	e.upload(obsAKany, obsSKany, 77, time.Second)
	if v, _ := attr(tenantRowOf(t, e.page("/console/tenants"), 77), "td", "num used-files", "data-sort"); v != "1" {
		t.Errorf("counted again within 30 s: %s files", v)
	}
	e.advance(usageTTL)
	if v, _ := attr(tenantRowOf(t, e.page("/console/tenants"), 77), "td", "num used-files", "data-sort"); v != "2" {
		t.Errorf("not counted again after 30 s: %s files", v)
	}
}

func TestAgeText(t *testing.T) {
	for d, want := range map[time.Duration]string{0: keptUntilDeleted, 24 * time.Hour: "1 day", 30 * 24 * time.Hour: "30 days", 12 * time.Hour: "12h0m0s"} {
		if got := ageText(d); got != want {
			t.Errorf("ageText(%v) = %q, want %q", d, got, want)
		}
	}
}
