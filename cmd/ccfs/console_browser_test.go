package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
)

// TestConsoleInBrowser drives the console in headless Chromium, as an
// operator would: it signs in; sees VDN 53's usage bar match what `ccfs
// usage` counts; plays its prompts (each audio element loads and reports
// the prompt's duration); deletes one through its confirmation and sees
// the usage drop by the file's size (and `ccfs usage` agree); and opens
// a refused request's explanation. It runs `ccfs serve` and `ccfs
// console-user add` as built commands.
func TestConsoleInBrowser(t *testing.T) {
	browser := chromiumPath()
	if browser == "" {
		t.Skip("no Chromium: install Debian's chromium package (apt-get install chromium), as .ci/run does, to run the console's browser test")
	}
	if testing.Short() {
		t.Skip("builds the command and drives a browser")
	}
	data := t.TempDir()
	key := auth.Key{AccessKey: "chatbot-53", SecretKey: "browser-test-secret-53", VDNs: []int{53}}
	creds := writeKeys(t, 0o600, key)
	users := filepath.Join(t.TempDir(), "console-users")
	const operator, password = "operator", "a browser test's password"
	add := exec.Command(buildCommand(t), "console-user", "add", "--file", users, operator)
	add.Stdin = strings.NewReader(password + "\n")
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("ccfs console-user add: %v\n%s", err, out)
	}
	const quota = "*=1MiB"
	n := startNode(t, nil, "--data", data, "--credentials", creds, "--quota", quota, "--rate", "0",
		"--console", "--console-addr", "127.0.0.1:0", "--console-users", users)
	base := consoleURL(n.banner)
	if !strings.HasPrefix(base, "https://") {
		t.Fatalf("the console is not served over TLS: %q\n%s", base, n.printed)
	}

	// Prompts of known durations: 8000 A-law bytes a second.
	client := n.client(key.AccessKey, key.SecretKey)
	type prompt struct {
		name    string
		size    int
		seconds float64
	}
	var prompts []prompt
	for _, samples := range []int{8000, 12000, 20000} {
		wav := alaw(samples)
		res, err := client.Upload(context.Background(), 53, wav)
		if err != nil {
			t.Fatal(err)
		}
		prompts = append(prompts, prompt{filepath.Base(res.FileName), len(wav), float64(samples) / 8000})
	}
	// A refused request: the key's name with a wrong secret.
	refusedID := "browser-test-refused-1"
	hc := insecureClient()
	hc.Transport = requestID{refusedID, hc.Transport}
	wrong := &ccfs.Client{BaseURL: n.base, AccessKey: key.AccessKey, SecretKey: "not-the-secret", HTTPClient: hc}
	var ce ccfs.Error
	if _, err := wrong.Upload(context.Background(), 53, alaw(800)); !errors.As(err, &ce) || ce.ServerSigned() == nil {
		t.Fatalf("an upload with a wrong secret: %v, want a 401 saying what the server signed", err)
	}

	b := startBrowser(t, browser)

	// Sign in.
	b.do("the sign-in page", chromedp.Navigate(base+"signin"),
		chromedp.SendKeys(chromedp.CSS("input#name"), operator),
		chromedp.SendKeys(chromedp.CSS("input#password"), password))
	if status := b.navigation("signing in", chromedp.Click(chromedp.CSS("button[type=submit]"))); status != 200 {
		b.fatalf("signing in: %d, want 200 (the overview)", status)
	}
	if loc := browse(b, "where signing in led", chromedp.Location()); loc != base {
		b.fatalf("signing in led to %s, want %s", loc, base)
	}

	// The tenants page's bar says what ccfs usage counts.
	bar := `tr[data-vdn="53"] meter.bytes-bar`
	tenantsBar := func(when string) (value, max int64) {
		b.do("the tenants page "+when, chromedp.Navigate(base+"tenants"), chromedp.WaitReady(chromedp.CSS(bar)))
		lo := browse(b, "the bar's min", chromedp.AttributeValue(chromedp.CSS(bar), "min"))
		v := browse(b, "the bar's value", chromedp.AttributeValue(chromedp.CSS(bar), "value"))
		m := browse(b, "the bar's max", chromedp.AttributeValue(chromedp.CSS(bar), "max"))
		sorted := browse(b, "the used bytes", chromedp.AttributeValue(chromedp.CSS(`tr[data-vdn="53"] td.used-bytes`), "data-sort"))
		if lo.Value != "0" || !v.Exists || !m.Exists || sorted.Value != v.Value {
			b.fatalf("the tenants page %s: meter min %q value %q max %q, used-bytes data-sort %q", when, lo.Value, v.Value, m.Value, sorted.Value)
		}
		return atoi(t, v.Value), atoi(t, m.Value)
	}
	used, limit := tenantsBar("after the uploads")
	u := usageOf(t, data, quota, 53)
	if used != u.Bytes || u.Limit == nil || limit != u.Limit.Bytes {
		b.fatalf("VDN 53's bar: %d of %d bytes; ccfs usage: %+v (limit %+v)", used, limit, u, u.Limit)
	}
	var total int64
	for _, p := range prompts {
		total += int64(p.size)
	}
	if used != total {
		b.fatalf("VDN 53's bar: %d bytes, want the %d uploaded", used, total)
	}

	// Each prompt plays: its audio element loads and says its duration.
	b.do("the prompts page", chromedp.Navigate(base+"vdn/53/"))
	for _, p := range prompts {
		audio := fmt.Sprintf(`document.querySelector('tr[data-file="%s"] audio')`, p.name)
		b.do(p.name+"'s audio element", chromedp.WaitReady(chromedp.CSS(fmt.Sprintf(`tr[data-file="%s"] audio`, p.name))))
		browse(b, p.name+"'s audio metadata", chromedp.Poll[bool](audio+`.readyState >= 1`, chromedp.WithPollingTimeout(30*time.Second)))
		d := browse(b, p.name+"'s duration", chromedp.Evaluate[float64](audio+`.duration`))
		if math.Abs(d-p.seconds) > 0.01 {
			b.fatalf("%s: the audio element reports %.3f s, want %.3f s", p.name, d, p.seconds)
		}
		sorted := browse(b, p.name+"'s duration cell", chromedp.AttributeValue(chromedp.CSS(fmt.Sprintf(`tr[data-file="%s"] td.duration`, p.name)), "data-sort"))
		if sorted.Value != strconv.FormatFloat(p.seconds, 'f', 3, 64) {
			b.fatalf("%s: td.duration data-sort %q, want %.3f", p.name, sorted.Value, p.seconds)
		}
	}

	// Delete one through its confirmation page.
	gone := prompts[1]
	row := fmt.Sprintf(`tr[data-file="%s"]`, gone.name)
	b.navigation("the delete link", chromedp.Click(chromedp.CSS(row+" a.delete")))
	b.do("the confirmation page", chromedp.WaitVisible(chromedp.CSS("form button[type=submit].danger")))
	if status := b.navigation("confirming the delete", chromedp.Click(chromedp.CSS("form button[type=submit].danger"))); status != 200 {
		b.fatalf("confirming the delete: %d, want 200 (back on the prompts page)", status)
	}
	said := browse(b, "what the delete says", chromedp.Text(chromedp.CSS(`p.ok[role=status]`)))
	if !strings.Contains(said, gone.name) {
		b.fatalf("after the delete the page says %q, not naming %s", said, gone.name)
	}
	if still := browse(b, "the deleted row", chromedp.Evaluate[bool](fmt.Sprintf(`document.querySelector('%s') !== null`, row))); still {
		b.fatalf("%s is still listed after its delete", gone.name)
	}
	after, _ := tenantsBar("after the delete")
	if after != used-int64(gone.size) {
		b.fatalf("VDN 53's bar after deleting %s (%d bytes): %d, want %d", gone.name, gone.size, after, used-int64(gone.size))
	}
	if u := usageOf(t, data, quota, 53); u.Bytes != after {
		b.fatalf("after the delete the bar says %d bytes, ccfs usage %d", after, u.Bytes)
	}

	// The refused request's explanation, opened from the refusals list.
	refusal := fmt.Sprintf(`tr[data-request-id="%s"]`, refusedID)
	b.do("the refusals page", chromedp.Navigate(base+"refusals"), chromedp.WaitReady(chromedp.CSS(refusal+" a.explain")))
	if claims := browse(b, "the refusal's key", chromedp.Evaluate[bool](fmt.Sprintf(`document.querySelector('%s td.key span.claim') !== null`, refusal))); !claims {
		b.fatalf("the refusal's key (a wrong secret) is not marked a claim")
	}
	b.navigation("the explain link", chromedp.Click(chromedp.CSS(refusal+" a.explain")))
	signed := browse(b, "what the server signed", chromedp.Text(chromedp.CSS("div.side-by-side section#server-signed")))
	for _, want := range []string{ccfs.UploadPath, "vdnId=53"} {
		if !strings.Contains(signed, want) {
			b.fatalf("section#server-signed does not hold %q of the canonical request:\n%s", want, signed)
		}
	}
	if steps := browse(b, "the steps to fix it", chromedp.Text(chromedp.CSS("div.side-by-side section#steps"))); strings.TrimSpace(steps) == "" {
		b.fatalf("section#steps is empty")
	}
}

// chromiumPath is Debian's Chromium, or chromium on $PATH, or "".
func chromiumPath() string {
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	p, _ := exec.LookPath("chromium")
	return p
}

// A browserSession is a headless Chromium's tab, for one test.
type browserSession struct {
	t      *testing.T
	ctx    context.Context
	output *syncBuffer // the browser's own output, for a failure's message
}

// startBrowser starts headless Chromium with a fresh profile, accepting
// the server's self-signed certificate; it is stopped when the test
// ends.
func startBrowser(t *testing.T, path string) *browserSession {
	t.Helper()
	profile, err := os.MkdirTemp("", "ccfs-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	b := &browserSession{t: t, output: &syncBuffer{}}
	allocCtx, stopAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("mute-audio", true),
		chromedp.Flag("ignore-certificate-errors", true),
		chromedp.UserDataDir(profile),
		chromedp.CombinedOutput(b.output),
	)
	ctx, stopTab := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		stopTab()
		stopAlloc()
		// The browser's helpers may still write in the profile for a
		// moment after it stops.
		for range 50 {
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	// The first run starts the browser; it has no deadline of its own,
	// which would stop the browser with it.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v\n%s", path, err, b.output)
	}
	b.ctx = ctx
	return b
}

// stepTimeout bounds one step in the browser: generous, for a loaded
// machine.
const stepTimeout = 60 * time.Second

// do runs steps, failing the test (with the page) if one fails.
func (b *browserSession) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	browse(b, what, chromedp.Steps(steps...))
}

// navigation runs steps that lead to a new page, waits for it, and
// returns its answer's status.
func (b *browserSession) navigation(what string, steps ...chromedp.Action[chromedp.Void]) int64 {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, steps...)
	if err != nil {
		b.fatalf("%s: %v", what, err)
	}
	return resp.Status
}

// browse runs one action and returns its value, failing the test (with the
// page) if it fails.
func browse[T any](b *browserSession, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.fatalf("%s: %v", what, err)
	}
	return v
}

// fatalf fails the test, showing where the browser is and the page.
func (b *browserSession) fatalf(format string, args ...any) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	page, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html")))
	b.t.Fatalf("%s\n(at %s)\n%s", fmt.Sprintf(format, args...), loc, page)
}

// usageOf is VDN vdn's row of `ccfs usage --json` for the data
// directory, with the server's quota.
func usageOf(t *testing.T, data, quota string, vdn int) usageJSON {
	t.Helper()
	code, out, errs := runCmd(t, "usage", "--data", data, "--quota", quota, "--json")
	var rows []usageJSON
	if err := json.NewDecoder(bytes.NewReader([]byte(out))).Decode(&rows); code != 0 || err != nil {
		t.Fatalf("ccfs usage --json: %d %v\n%s%s", code, err, out, errs)
	}
	for _, r := range rows {
		if r.VDN == vdn {
			return r
		}
	}
	t.Fatalf("ccfs usage --json has no VDN %d:\n%s", vdn, out)
	return usageJSON{}
}

// atoi reads an integer attribute.
func atoi(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("%q is not an integer", s)
	}
	return n
}
