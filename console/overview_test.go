package console

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/health"
)

// cell returns the text of the cell of class class in the row whose
// opening tag starts with rowStart, or fails the test.
func cell(t *testing.T, html, rowStart, class string) string {
	t.Helper()
	row := regexp.MustCompile(`(?s)` + regexp.QuoteMeta(rowStart) + `(.*?)</tr>`).FindStringSubmatch(html)
	if row == nil {
		t.Fatalf("no row %s in\n%s", rowStart, html)
	}
	c := regexp.MustCompile(`<td class="[^"]*\b` + regexp.QuoteMeta(class) + `\b[^"]*"[^>]*>([^<]*)</td>`).FindStringSubmatch(row[1])
	if c == nil {
		t.Fatalf("no cell %s in row %s:\n%s", class, rowStart, row[1])
	}
	return c[1]
}

// TestOverviewNumbersMatchWhatWasSent: requests sent to a real handler,
// some refused, and some recorded earlier, are counted in the last 5 and
// 15 minutes by reason.
func TestOverviewNumbersMatchWhatWasSent(t *testing.T) {
	e := newObsEnv(t, "", nil)
	// 10 minutes ago (by the Recorder's clock): 2 uploads, 1 refused.
	e.upload(obsAKa, obsSKa, 53, time.Second)
	e.refusedUpload(obsAKb, obsSKb, 53) // 0300013
	waitFor(t, "2 requests", func() bool { return e.rec.Summary(1).Total.Requests == 2 })
	e.advance(10 * time.Minute)
	// Now: 3 uploads, 2 refused (a wrong secret, an unknown key).
	e.upload(obsAKa, obsSKa, 54, time.Second)
	e.refusedUpload(obsAKa, obsWrong, 53)
	e.refusedUpload("nobody", "x", 53)
	waitFor(t, "3 requests", func() bool { return e.rec.Summary(1).Total.Requests == 3 })

	html := e.page("/console/")
	for _, c := range []struct{ row, class, want string }{
		{`<tr id="requests">`, "last5", "3"}, {`<tr id="requests">`, "last15", "5"},
		{`<tr id="refused">`, "last5", "2"}, {`<tr id="refused">`, "last15", "3"},
		{`<tr data-code="0300010">`, "last5", "2"}, {`<tr data-code="0300010">`, "last15", "2"},
		{`<tr data-code="0300013">`, "last5", "0"}, {`<tr data-code="0300013">`, "last15", "1"},
	} {
		if got := cell(t, html, c.row, c.class); got != c.want {
			t.Errorf("%s %s: %s, want %s", c.row, c.class, got, c.want)
		}
	}
	if !strings.Contains(html, ccfs.ErrVDNForbidden.Desc()) {
		t.Error("a reason is not described")
	}
	if !strings.Contains(html, `<dd id="in-flight">0</dd>`) || !strings.Contains(html, `<dd id="draining">0</dd>`) {
		t.Error("no in-flight and draining counts")
	}
	if !strings.Contains(html, "Readiness: not configured") || !strings.Contains(html, "Events are not configured") {
		t.Error("missing readiness and events say nothing")
	}
	noSecrets(t, html)
}

// TestOverviewShowsReadinessStoresAndBacklog: each check's outcome, the
// node's draining, the locations' protection and each endpoint's backlog.
func TestOverviewShowsReadinessStoresAndBacklog(t *testing.T) {
	var hc health.Checker
	hc.Add("store", func(context.Context) error { return nil })
	hc.Add("replay", func(context.Context) error { return errors.New("redis: connection refused") })
	oldest := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	e := newObsEnv(t, "", func(o *Options) {
		o.Health = &hc
		o.Locations = []Location{{Name: "/srv/ccfs/a", Protection: func() string { return "rename without replace" }}, {Name: "s3://bucket/p"}}
		o.Backlog = func(context.Context) ([]Backlog, error) {
			return []Backlog{{Endpoint: "https://hooks.example/ccfs", Pending: 7, Dead: 2, Oldest: oldest}}, nil
		}
	})
	html := e.page("/console/")
	for _, want := range []string{
		`id="ready-status">not ready</strong>`, "<td>store</td><td class=\"ok\">ok</td>", "redis: connection refused",
		`<dd id="node-draining">no</dd>`,
		`<td class="mono">/srv/ccfs/a</td><td>rename without replace</td>`, `<td class="mono">s3://bucket/p</td><td>not known</td>`,
		`https://hooks.example/ccfs`, `data-sort="7">7</td>`, `data-sort="2">2</td>`, `datetime="2026-12-05T09:00:00Z"`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("the overview lacks %q", want)
		}
	}
	hc.Drain()
	html = e.page("/console/")
	if !strings.Contains(html, `id="ready-status">draining</strong>`) || !strings.Contains(html, `<dd id="node-draining">yes</dd>`) {
		t.Error("a draining node is not shown as draining")
	}
}

func TestOverviewBacklogError(t *testing.T) {
	e := newObsEnv(t, "", func(o *Options) {
		o.Backlog = func(context.Context) ([]Backlog, error) { return nil, errors.New("outbox unreadable <x>") }
	})
	if html := e.page("/console/"); !strings.Contains(html, "The backlog could not be read: outbox unreadable &lt;x&gt;") {
		t.Error("the backlog's error is not shown (escaped)")
	}
}

func TestOverviewWithoutRecorder(t *testing.T) {
	e := newObsEnv(t, "", func(o *Options) { o.Recorder = nil })
	html := e.page("/console/")
	if !strings.Contains(html, "Requests are not recorded") {
		t.Error("no word that requests are not recorded")
	}
	if strings.Contains(html, `id="requests"`) {
		t.Error("counts shown without a recorder")
	}
}
