package ccfs_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs/events"
)

// A fenced is a fenced code block of a Markdown page.
type fenced struct {
	line int    // of the opening fence
	info string // what follows the opening ```, trimmed: "go file=x.go"
	code string
}

// fencedBlocks returns the ``` blocks of a Markdown text that begin a line.
func fencedBlocks(md string) []fenced {
	var (
		out []fenced
		cur *fenced
	)
	for i, line := range strings.Split(md, "\n") {
		switch {
		case cur == nil && strings.HasPrefix(line, "```"):
			cur = &fenced{line: i + 1, info: strings.TrimSpace(line[3:])}
		case cur != nil && strings.TrimSpace(line) == "```":
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			cur.code += line + "\n"
		}
	}
	return out
}

// fileOf returns the PATH of a block whose info holds file=PATH, or "".
func fileOf(b fenced) string {
	for _, f := range strings.Fields(b.info) {
		if p, ok := strings.CutPrefix(f, "file="); ok {
			return p
		}
	}
	return ""
}

// fileBlockComplaints returns a complaint for each block of page (text
// md) that says it is a file (```LANG file=PATH, PATH from the
// repository's root) and differs from it, as read, and for each Go block
// that is neither a snippet (```go, which TestDocSnippetsAreExamples
// holds to its code) nor such a file.
func fileBlockComplaints(page, md string, read func(path string) ([]byte, error)) []string {
	var bad []string
	for _, b := range fencedBlocks(md) {
		where := fmt.Sprintf("%s:%d", page, b.line)
		path := fileOf(b)
		if path == "" {
			if lang, _, _ := strings.Cut(b.info, " "); lang == "go" && b.info != "go" {
				bad = append(bad, where+": a Go block that is neither ```go (a snippet) nor ```go file=PATH")
			}
			continue
		}
		want, err := read(path)
		if err != nil {
			bad = append(bad, fmt.Sprintf("%s: %v", where, err))
			continue
		}
		if b.code != string(want) {
			got, wantLines := strings.Split(b.code, "\n"), strings.Split(string(want), "\n")
			i := 0
			for i < len(got) && i < len(wantLines) && got[i] == wantLines[i] {
				i++
			}
			bad = append(bad, fmt.Sprintf("%s: the block differs from %s from its line %d on: copy the file into the page", where, path, i+1))
		}
	}
	return bad
}

// TestDocFileBlocksAreTheFiles: a page's copy of a file (the receivers in
// docs/events.md) is the file, byte for byte; and docs/events.md carries
// both receivers.
func TestDocFileBlocksAreTheFiles(t *testing.T) {
	pages, _ := filepath.Glob("docs/*.md")
	pages = append(pages, "README.md")
	read := func(p string) ([]byte, error) { return os.ReadFile(filepath.FromSlash(p)) }
	embedded := map[string]bool{}
	for _, page := range pages {
		md, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range fileBlockComplaints(filepath.ToSlash(page), string(md), read) {
			t.Error(c)
		}
		for _, b := range fencedBlocks(string(md)) {
			if p := fileOf(b); p != "" {
				embedded[filepath.ToSlash(page)+" "+p] = true
			}
		}
	}
	for _, want := range []string{"docs/events.md examples/webhook-receiver/main.go", "docs/events.md examples/python/webhook_receiver.py"} {
		if !embedded[want] {
			t.Errorf("no copy of %s in %s", strings.Fields(want)[1], strings.Fields(want)[0])
		}
	}
}

// TestDocFileBlockCheckFails: the check reports a copy that drifted, a
// file that is not there and a Go block that escapes both checks, and
// passes a faithful copy.
func TestDocFileBlockCheckFails(t *testing.T) {
	files := map[string]string{"x/main.go": "package main\n\nfunc main() {}\n"}
	read := func(p string) ([]byte, error) {
		if s, ok := files[p]; ok {
			return []byte(s), nil
		}
		return nil, os.ErrNotExist
	}
	for _, c := range []struct {
		md  string
		bad bool
	}{
		{"text\n```go file=x/main.go\npackage main\n\nfunc main() {}\n```\n", false},
		{"```go\nx := 1\n```\n", false},
		{"```sh\nls\n```\n", false},
		{"```go file=x/main.go\npackage main\n\nfunc main() { }\n```\n", true},
		{"```go file=x/main.go\npackage main\n```\n", true},
		{"```go file=x/other.go\npackage main\n```\n", true},
		{"```go title=main.go\npackage main\n```\n", true},
	} {
		if got := fileBlockComplaints("p.md", c.md, read); (len(got) > 0) != c.bad {
			t.Errorf("%q: complaints %q, want any: %v", c.md, got, c.bad)
		}
	}
}

// eventsPage returns docs/events.md's blocks whose info is info.
func eventsPage(t *testing.T, info string) []fenced {
	t.Helper()
	md, err := os.ReadFile(filepath.Join("docs", "events.md"))
	if err != nil {
		t.Fatal(err)
	}
	var out []fenced
	for _, b := range fencedBlocks(string(md)) {
		if b.info == info {
			out = append(out, b)
		}
	}
	return out
}

// TestEventsPageExamplesAreEvents: each example event of docs/events.md
// (```json event) is an event as the events package writes it: it reads
// back, is valid, and is written again as the page has it, field for
// field in the same order; there is one of each type.
func TestEventsPageExamplesAreEvents(t *testing.T) {
	var types []events.Type
	for _, b := range eventsPage(t, "json event") {
		var ev events.Event
		if err := json.Unmarshal([]byte(b.code), &ev); err != nil {
			t.Errorf("docs/events.md:%d: %v", b.line, err)
			continue
		}
		if err := ev.Validate(); err != nil {
			t.Errorf("docs/events.md:%d: %v", b.line, err)
		}
		var page bytes.Buffer
		if err := json.Compact(&page, []byte(b.code)); err != nil {
			t.Fatal(err)
		}
		if got, _ := json.Marshal(ev); !bytes.Equal(got, page.Bytes()) {
			t.Errorf("docs/events.md:%d: the package writes\n%s\nthe page has\n%s", b.line, got, page.Bytes())
		}
		types = append(types, ev.Type)
	}
	slices.Sort(types)
	want := events.Types()
	slices.Sort(want)
	if !slices.Equal(types, want) {
		t.Errorf("the page's examples are of the types %v, want one of each of %v", types, want)
	}
}

// TestEventsPageDeliveryIsSigned: docs/events.md's example delivery
// (```http delivery) is signed with the secret the page names, at its
// timestamp, and its body is the page's prompt.uploaded, compact.
func TestEventsPageDeliveryIsSigned(t *testing.T) {
	blocks := eventsPage(t, "http delivery")
	if len(blocks) != 1 {
		t.Fatalf("%d example deliveries in docs/events.md, want 1", len(blocks))
	}
	req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(strings.ReplaceAll(blocks[0].code, "\n", "\r\n"))))
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		t.Fatal(err)
	}
	if rest := strings.TrimSuffix(blocks[0].code, "\n"); !strings.HasSuffix(rest, string(body)) {
		t.Fatalf("Content-Length %d does not cover the body", req.ContentLength)
	}
	secret, err := events.ParseSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		t.Fatal(err)
	}
	ts, err := strconv.ParseInt(req.Header.Get(events.HeaderTimestamp), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	if err := events.Verify(secret, req.Header, body, time.Unix(ts, 0), 0); err != nil {
		t.Error(err)
	}
	var ev events.Event
	if err := json.Unmarshal(body, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.ID != req.Header.Get(events.HeaderID) {
		t.Errorf("webhook-id %s, the event's id %s", req.Header.Get(events.HeaderID), ev.ID)
	}
	var uploaded bytes.Buffer
	for _, b := range eventsPage(t, "json event") {
		if strings.Contains(b.code, `"prompt.uploaded"`) {
			json.Compact(&uploaded, []byte(b.code))
		}
	}
	if !bytes.Equal(body, uploaded.Bytes()) {
		t.Errorf("the delivery's body\n%s\nis not the page's prompt.uploaded\n%s", body, uploaded.Bytes())
	}
}

// TestEventsPageVector: the Standard Webhooks test vector in
// docs/events.md's table is signed as the table says.
func TestEventsPageVector(t *testing.T) {
	md, err := os.ReadFile(filepath.Join("docs", "events.md"))
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `?(secret|webhook-id|webhook-timestamp|body|webhook-signature)`? \\| `([^`]+)` \\|$")
	v := map[string]string{}
	for _, m := range row.FindAllStringSubmatch(string(md), -1) {
		v[m[1]] = m[2]
	}
	if len(v) != 5 {
		t.Fatalf("the vector's table has %d of its 5 rows: %v", len(v), v)
	}
	secret, err := events.ParseSecret(v["secret"])
	if err != nil {
		t.Fatal(err)
	}
	ts, err := strconv.ParseInt(v["webhook-timestamp"], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	if got := events.Sign(secret, v["webhook-id"], time.Unix(ts, 0), []byte(v["body"])); got != v["webhook-signature"] {
		t.Errorf("the table's vector signs as %s, the table says %s", got, v["webhook-signature"])
	}
}
