package retention_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs/events"
	"github.com/ccfs-go/ccfs/pathrule"
	"github.com/ccfs-go/ccfs/quota"
	"github.com/ccfs-go/ccfs/retention"
	"github.com/ccfs-go/ccfs/store"
)

func TestParsePolicy(t *testing.T) {
	p, err := retention.ParsePolicy("*=30d, 53=7d,54=none,55=12h")
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]time.Duration{53: 7 * 24 * time.Hour, 54: 0, 55: 12 * time.Hour}
	if p.Default != 30*24*time.Hour || !maps.Equal(p.VDN, want) || p.For(99) != p.Default || p.For(54) != 0 {
		t.Fatalf("parsed %+v", p)
	}
	if got := p.String(); got != "*=30d,53=7d,54=none,55=12h0m0s" {
		t.Fatalf("String: %q", got)
	}
	if again, err := retention.ParsePolicy(p.String()); err != nil || again.String() != p.String() {
		t.Fatalf("round trip: %v %v", again, err)
	}
	if p, err := retention.ParsePolicy("90d"); err != nil || p.Default != 90*24*time.Hour {
		t.Fatalf("a lone age: %+v %v", p, err)
	}
	for _, bad := range []string{"", "53", "x=1d", "0=1d", "53=1y", "53=-1d", "53=10s", "53=0d", "*=1d,*=2d", "53=1d,53=2d"} {
		if _, err := retention.ParsePolicy(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

var quiet = slog.New(slog.DiscardHandler)

// files puts each name with the given size into s.
func files(t *testing.T, s store.Store, sizes map[string]int) {
	t.Helper()
	for name, size := range sizes {
		if _, err := s.Put(context.Background(), name, bytes.NewReader(make([]byte, size)), int64(size)); err != nil {
			t.Fatal(err)
		}
	}
}

func names(t *testing.T, s store.Lister) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	if err := s.List(context.Background(), "", func(f store.FileInfo) error { out[f.Name] = true; return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSweepRemovesExpiredPromptsOnly: each VDN's prompts older than its
// age go, in batches, and their size goes back to the quota; younger
// ones, a VDN kept for ever, recordings, other files under the rule's
// prefix and files elsewhere stay.
func TestSweepRemovesExpiredPromptsOnly(t *testing.T) {
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			files(t, s, map[string]int{
				"3rdfile/53/thirdvoicebotfile/a.wav":     10,
				"3rdfile/53/thirdvoicebotfile/b.wav":     20,
				"3rdfile/53/thirdvoicebotfile/c.wav":     30,
				"3rdfile/54/thirdvoicebotfile/kept.wav":  40,
				"3rdfile/55/thirdvoicebotfile/young.wav": 50,
				"3rdfile/53/IVRrecordFile/rec.wav":       60,
				"3rdfile/53/thirdvoicebotfile/sub/x.wav": 70,
				"voice/53/IVRrecordFile/rec.wav":         80,
			})
			rule := pathrule.MustParse(pathrule.Default)
			usage := quota.NewMemory()
			if _, err := quota.Load(context.Background(), usage, s, rule); err != nil {
				t.Fatal(err)
			}
			policy, _ := retention.ParsePolicy("*=30d,53=7d,54=none")
			var removed []int
			sw := &retention.Sweeper{Store: s, Rule: rule, Policy: policy, Usage: usage, Batch: 2, Logger: quiet,
				Now:      func() time.Time { return time.Now().Add(10 * 24 * time.Hour) },
				OnRemove: func(vdn int, size int64) { removed = append(removed, vdn) }}
			res, err := sw.Sweep(context.Background())
			if err != nil || res != (retention.Result{Files: 3, Bytes: 60}) || len(removed) != 3 {
				t.Fatalf("swept %+v, %v, OnRemove %v", res, err, removed)
			}
			want := map[string]bool{
				"3rdfile/54/thirdvoicebotfile/kept.wav": true, "3rdfile/55/thirdvoicebotfile/young.wav": true,
				"3rdfile/53/IVRrecordFile/rec.wav": true, "3rdfile/53/thirdvoicebotfile/sub/x.wav": true,
				"voice/53/IVRrecordFile/rec.wav": true,
			}
			if got := names(t, s); !maps.Equal(got, want) {
				t.Fatalf("left %v, want %v", got, want)
			}
			if u, _ := usage.Usage(context.Background(), 53); u != (quota.Usage{}) {
				t.Fatalf("VDN 53 still uses %+v", u)
			}
		})
	}
}

// TestSweepersAtOnce: four sweepers on one store remove each expired file
// once between them, and none fails.
func TestSweepersAtOnce(t *testing.T) {
	d, err := store.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	all := map[string]int{}
	for i := range 200 {
		all["3rdfile/53/thirdvoicebotfile/"+string(rune('a'+i%26))+string(rune('a'+i/26))+".wav"] = 100
	}
	files(t, d, all)
	policy, _ := retention.ParsePolicy("1d")
	var mu sync.Mutex
	var total retention.Result
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			sw := &retention.Sweeper{Store: d, Rule: pathrule.MustParse(pathrule.Default), Policy: policy, Batch: 7, Logger: quiet,
				Now: func() time.Time { return time.Now().Add(48 * time.Hour) }}
			res, err := sw.Sweep(context.Background())
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			total.Files, total.Bytes, total.Failed = total.Files+res.Files, total.Bytes+res.Bytes, total.Failed+res.Failed
			mu.Unlock()
		})
	}
	wg.Wait()
	if total != (retention.Result{Files: 200, Bytes: 20000}) || len(names(t, d)) != 0 {
		t.Fatalf("four sweepers removed %+v, left %d", total, len(names(t, d)))
	}
}

// TestSweepDuringADownload: a file being read when it expires is read to
// its end.
func TestSweepDuringADownload(t *testing.T) {
	d, err := store.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	content := bytes.Repeat([]byte("prompt"), 100_000)
	name := "3rdfile/53/thirdvoicebotfile/a.wav"
	d.Put(context.Background(), name, bytes.NewReader(content), -1)
	f, err := d.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	head := make([]byte, 1000)
	io.ReadFull(f, head)
	policy, _ := retention.ParsePolicy("1d")
	sw := &retention.Sweeper{Store: d, Rule: pathrule.MustParse(pathrule.Default), Policy: policy, Logger: quiet,
		Now: func() time.Time { return time.Now().Add(48 * time.Hour) }}
	if res, err := sw.Sweep(context.Background()); err != nil || res.Files != 1 {
		t.Fatalf("%+v %v", res, err)
	}
	rest, err := io.ReadAll(f)
	if err != nil || !bytes.Equal(append(head, rest...), content) {
		t.Fatalf("the download in progress got %d bytes, %v", len(head)+len(rest), err)
	}
}

// fullStore is a store that lists and removes.
type fullStore interface {
	store.Store
	retention.Store
}

func stores(t *testing.T) map[string]fullStore {
	d, err := store.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	d2, err := store.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d2.Close() })
	pool, err := store.NewPool(0, store.Location{ID: "0", Store: d2}, store.Location{ID: "256", Store: store.NewMemory()})
	if err != nil {
		t.Fatal(err)
	}
	return map[string]fullStore{"Dir": d, "Memory": store.NewMemory(), "Pool": pool}
}

// capture is a slog handler that keeps its records.
type capture struct {
	mu      sync.Mutex
	records []slog.Record
}

func (c *capture) Enabled(context.Context, slog.Level) bool { return true }
func (c *capture) Handle(_ context.Context, r slog.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.records = append(c.records, r.Clone())
	return nil
}
func (c *capture) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *capture) WithGroup(string) slog.Handler      { return c }

// removals returns the attributes of each "removed" line, by key.
func (c *capture) removals() []map[string]slog.Value {
	var out []map[string]slog.Value
	for _, r := range c.records {
		if r.Message != "retention: removed expired prompts" {
			continue
		}
		if r.Level != slog.LevelInfo {
			panic("a removals line not at INFO")
		}
		attrs := map[string]slog.Value{}
		r.Attrs(func(a slog.Attr) bool { attrs[a.Key] = a.Value; return true })
		out = append(out, attrs)
	}
	return out
}

// TestSweepNamesWhatItRemoved: each batch removed is one INFO line naming
// its files as their uploads answered, up to 20; a larger batch is a count
// with its first and last names. A sweep that removes nothing names
// nothing.
func TestSweepNamesWhatItRemoved(t *testing.T) {
	s := store.NewMemory()
	expiring := map[string]int{}
	for i := range 25 {
		expiring[fmt.Sprintf("3rdfile/53/thirdvoicebotfile/p%02d.wav", i)] = 10
	}
	files(t, s, expiring)
	files(t, s, map[string]int{"3rdfile/54/thirdvoicebotfile/kept.wav": 10})
	policy, _ := retention.ParsePolicy("*=1d,54=none")
	later := func() time.Time { return time.Now().Add(48 * time.Hour) }
	log := &capture{}
	sw := &retention.Sweeper{Store: s, Rule: pathrule.MustParse(pathrule.Default), Policy: policy, Batch: 3, Logger: slog.New(log), Now: later}
	res, err := sw.Sweep(context.Background())
	if err != nil || res.Files != 25 {
		t.Fatalf("swept %+v %v", res, err)
	}
	lines := log.removals()
	if len(lines) != 9 { // 25 files in batches of 3
		t.Fatalf("%d lines for 9 batches", len(lines))
	}
	named := map[string]bool{}
	for _, l := range lines {
		names, _ := l["names"].Any().([]string)
		if int64(len(names)) != l["files"].Int64() || l["first"].Any() != nil {
			t.Fatalf("a batch of %d names %v (first %v)", l["files"].Int64(), names, l["first"])
		}
		for _, n := range names {
			named[n] = true
		}
	}
	for name := range expiring {
		if !named["/"+name] {
			t.Errorf("/%s removed, not named", name)
		}
	}
	if len(named) != len(expiring) {
		t.Errorf("named %d files, removed %d", len(named), len(expiring))
	}

	// A batch above 20: its count, first and last.
	files(t, s, expiring)
	log.records = nil
	sw.Batch = 1000
	if _, err := sw.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	lines = log.removals()
	if len(lines) != 1 || lines[0]["files"].Int64() != 25 || lines[0]["names"].Any() != nil ||
		lines[0]["first"].String() != "/3rdfile/53/thirdvoicebotfile/p00.wav" || lines[0]["last"].String() != "/3rdfile/53/thirdvoicebotfile/p24.wav" {
		t.Fatalf("a batch of 25: %v", lines)
	}

	log.records = nil
	if _, err := sw.Sweep(context.Background()); err != nil || len(log.removals()) != 0 {
		t.Fatalf("a sweep that removed nothing logged %v (%v)", log.removals(), err)
	}
}

// sink is an events.Sink that keeps what was committed and counts the
// intents abandoned; it refuses to prepare an event for the file refuse.
type sink struct {
	mu        sync.Mutex
	refuse    string
	committed []events.Event
	abandoned int
}

func (s *sink) Prepare(_ context.Context, ev events.Event) (events.Intent, error) {
	if err := ev.Validate(); err != nil {
		return nil, err
	}
	if ev.FileName == s.refuse {
		return nil, errors.New("the outbox is full")
	}
	return sinkIntent{s}, nil
}

type sinkIntent struct{ s *sink }

func (i sinkIntent) Commit(_ context.Context, ev events.Event) error {
	i.s.mu.Lock()
	defer i.s.mu.Unlock()
	i.s.committed = append(i.s.committed, ev)
	return nil
}

func (i sinkIntent) Abandon(context.Context) error {
	i.s.mu.Lock()
	defer i.s.mu.Unlock()
	i.s.abandoned++
	return nil
}

// TestSweepRecordsExpiries: each removal has its prompt.expired event,
// naming the file as the upload's answer did, once, however many
// sweepers race for it; a file whose event cannot be prepared is kept for
// the next sweep.
func TestSweepRecordsExpiries(t *testing.T) {
	d, err := store.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	all := map[string]int{}
	for i := range 60 {
		all[fmt.Sprintf("3rdfile/53/thirdvoicebotfile/p%02d.wav", i)] = 100 + i
	}
	files(t, d, all)
	const refused = "3rdfile/53/thirdvoicebotfile/p07.wav"
	s := &sink{refuse: "Y:/" + refused}
	policy, _ := retention.ParsePolicy("1d")
	var wg sync.WaitGroup
	var failed atomic.Int64
	for range 3 {
		wg.Go(func() {
			sw := &retention.Sweeper{Store: d, Rule: pathrule.MustParse(pathrule.Default), Policy: policy, Batch: 5, Logger: quiet,
				Events: s, RootPrefix: "Y:", Now: func() time.Time { return time.Now().Add(48 * time.Hour) }}
			res, err := sw.Sweep(context.Background())
			if err != nil {
				t.Error(err)
			}
			failed.Add(res.Failed)
		})
	}
	wg.Wait()
	if left := names(t, d); len(left) != 1 || !left[refused] || failed.Load() == 0 {
		t.Fatalf("left %v, %d failed: want only the file whose event could not be prepared", left, failed.Load())
	}
	seen := map[string]bool{}
	for _, ev := range s.committed {
		name, _ := strings.CutPrefix(ev.FileName, "Y:/")
		if ev.Type != events.PromptExpired || ev.VDN != 53 || ev.Size != int64(all[name]) || ev.AccessKey != "" || seen[name] {
			t.Fatalf("event %+v (seen before: %v)", ev, seen[name])
		}
		seen[name] = true
	}
	if len(seen) != 59 {
		t.Fatalf("%d expiries committed for 59 removals (%d abandoned)", len(seen), s.abandoned)
	}
}
