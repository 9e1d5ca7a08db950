package ccfs_test

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/events"
	"github.com/ccfs-go/ccfs/pathrule"
	"github.com/ccfs-go/ccfs/quota"
	"github.com/ccfs-go/ccfs/store"
)

// TestOperatorPrompts: Prompts lists a VDN's own prompts a page at a
// time, never its recordings or another VDN's.
func TestOperatorPrompts(t *testing.T) {
	e := newEnv(t, listing)
	seed(t, e.mem)
	ctx := context.Background()
	if got := e.h.PromptDir(53); got != "Y:/3rdfile/53/thirdvoicebotfile" {
		t.Fatalf("PromptDir %q", got)
	}
	page, more, err := e.h.Prompts(ctx, 53, "", 1)
	if err != nil || !more || len(page) != 1 || page[0].FileName != "Y:/"+prompt53 {
		t.Fatalf("first page %+v, more %v, %v", page, more, err)
	}
	page, more, err = e.h.Prompts(ctx, 53, "aaaaaaaa_1.wav", 10)
	if err != nil || more || len(page) != 1 || page[0].FileName != "Y:/"+prompt53b {
		t.Fatalf("second page %+v, more %v, %v", page, more, err)
	}
	if page, _, err := e.h.Prompts(ctx, 77, "", 10); err != nil || len(page) != 0 {
		t.Fatalf("a VDN with no prompts: %+v, %v", page, err)
	}
	for _, bad := range []struct {
		vdn          int
		after        string
		limit        int
		whatsRefused string
	}{
		{53, "", 0, "limit 0"}, {53, "", 1001, "limit 1001"}, {0, "", 10, "VDN 0"},
		{53, "../99/x", 10, "after with a slash"}, {53, "..", 10, "after .."},
	} {
		if _, _, err := e.h.Prompts(ctx, bad.vdn, bad.after, bad.limit); !isCode(err, ccfs.ErrFormat) {
			t.Errorf("%s: %v", bad.whatsRefused, err)
		}
	}
}

// TestOperatorOpenPrompt: OpenPrompt reads a prompt of the VDN's and
// nothing else: another VDN's, a recording, a path out of the directory.
func TestOperatorOpenPrompt(t *testing.T) {
	e := newEnv(t, nil)
	seed(t, e.mem)
	f, info, err := e.h.OpenPrompt(context.Background(), 53, "aaaaaaaa_1.wav")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(f)
	f.Close()
	if string(data) != "RIFF "+prompt53 || info.Size() != int64(len(data)) {
		t.Fatalf("read %q (%d)", data, info.Size())
	}
	for _, c := range []struct {
		vdn  int
		base string
		want ccfs.Error
	}{
		{53, "cccccccc_3.wav", ccfs.ErrNoSuchFile}, // VDN 99's, asked as 53's
		{99, "aaaaaaaa_1.wav", ccfs.ErrNoSuchFile}, // 53's, asked as 99's
		{53, "../../../voice/53/IVRrecordFile/20261125/call-1.wav", ccfs.ErrFormat},
		{53, "..", ccfs.ErrFormat},
		{53, "", ccfs.ErrFormat},
		{53, "a%2Fb.wav", ccfs.ErrFormat},
		{53, "a\\b.wav", ccfs.ErrFormat},
	} {
		if _, _, err := e.h.OpenPrompt(context.Background(), c.vdn, c.base); !isCode(err, c.want) {
			t.Errorf("VDN %d %q: %v, want %s", c.vdn, c.base, err, c.want.Code())
		}
	}
}

// TestOperatorRemovePrompt: an operator's delete gives the size back to
// the quota, records a prompt.deleted event naming the operator (and no
// access key), and logs an audit line.
func TestOperatorRemovePrompt(t *testing.T) {
	rec := &recorder{}
	lim, _ := quota.ParseLimits("*=1MiB/10")
	usage := quota.NewMemory()
	e := newEnv(t, func(o *ccfs.Options) { o.Events = rec; o.Quota = lim; o.Usage = usage })
	rec.st = e.mem
	seed(t, e.mem)
	ctx := context.Background()
	if _, err := quota.Load(ctx, usage, e.mem, defaultRule(t)); err != nil {
		t.Fatal(err)
	}
	before, err := e.h.Usage(ctx, []int{53})
	if err != nil || !e.h.Quotas() || !before[53].Quota || before[53].Files != 2 || before[53].Limit.Bytes != 1<<20 {
		t.Fatalf("usage before: %+v, %v", before, err)
	}
	if err := e.h.RemovePrompt(ctx, 53, "aaaaaaaa_1.wav", ""); !isCode(err, ccfs.ErrNull) {
		t.Fatalf("no operator: %v", err)
	}
	if err := e.h.RemovePrompt(ctx, 53, "aaaaaaaa_1.wav", "alice"); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.mem.Get(prompt53); ok {
		t.Fatal("the prompt is still there")
	}
	after, _ := e.h.Usage(ctx, []int{53})
	if after[53].Files != 1 || after[53].Bytes != before[53].Bytes-int64(len("RIFF "+prompt53)) {
		t.Fatalf("usage after: %+v (before %+v)", after[53], before[53])
	}
	steps := rec.take()
	if whats(steps) != "prepare+ commit-" {
		t.Fatalf("steps %q", whats(steps))
	}
	ev := steps[1].ev
	if ev.Type != events.PromptDeleted || ev.Operator != "alice" || ev.AccessKey != "" || ev.FileName != "Y:/"+prompt53 {
		t.Fatalf("event %+v", ev)
	}
	if err := ev.Validate(); err != nil {
		t.Fatalf("an operator's delete event does not validate: %v", err)
	}
	if !strings.Contains(e.logs.String(), `"msg":"audit: an operator deleted a prompt","operator":"alice","vdn":53`) {
		t.Fatalf("no audit line in %s", e.logs.String())
	}
	if err := e.h.RemovePrompt(ctx, 53, "aaaaaaaa_1.wav", "alice"); !isCode(err, ccfs.ErrNoSuchFile) {
		t.Fatalf("again: %v", err)
	}
	if err := e.h.RemovePrompt(ctx, 53, "../../../voice/53/IVRrecordFile/20261125/call-1.wav", "alice"); !isCode(err, ccfs.ErrFormat) {
		t.Fatalf("a recording: %v", err)
	}
	if _, ok := e.mem.Get(recording53); !ok {
		t.Fatal("a recording was removed")
	}
}

// TestOperatorUsageWithoutQuota: without quotas, usage is counted from
// the store.
func TestOperatorUsageWithoutQuota(t *testing.T) {
	e := newEnv(t, listing)
	seed(t, e.mem)
	u, err := e.h.Usage(context.Background(), []int{53, 99, 7})
	if err != nil {
		t.Fatal(err)
	}
	if u[53].Quota || u[53].Files != 2 || u[99].Files != 1 || u[7].Files != 0 {
		t.Fatalf("%+v", u)
	}
	if got := e.h.QuotaVDNs(); got != nil || e.h.Quotas() {
		t.Fatalf("QuotaVDNs without quotas: %v", got)
	}
}

// TestEventServerSigned: a signature that does not match hands OnRequest
// what the server signed, even when the answer is terse.
func TestEventServerSigned(t *testing.T) {
	for _, terse := range []bool{false, true} {
		e := newEnv(t, func(o *ccfs.Options) { o.TerseSignatureErrors = terse })
		seed(t, e.mem)
		_, resp, _ := e.do(req{path: ccfs.DeletePath, body: deleteBody(`{"fileName":"Y:/` + prompt53 + `"}`),
			edit: authz(func(a string) string { return a[:len(a)-4] + "0000" })})
		ev := e.waitEvent(t)
		if resp.ResultCode != ccfs.ErrAuth.Code() || ev.ServerSigned == nil ||
			!strings.Contains(ev.ServerSigned.CanonicalRequest, ccfs.DeletePath) || (resp.ServerSigned != nil) == terse {
			t.Fatalf("terse %v: %+v, event %+v", terse, resp, ev)
		}
	}
}

// TestGrantsHoldNoSecret: the keys' grants name each key and its VDNs,
// never a secret.
func TestGrantsHoldNoSecret(t *testing.T) {
	s, err := auth.NewStatic(auth.Key{AccessKey: "b", SecretKey: "sk-b", VDNs: []int{53}},
		auth.Key{AccessKey: "a", SecretKey: "sk-a", AnyVDN: true})
	if err != nil {
		t.Fatal(err)
	}
	var gl auth.GrantLister = s
	got := gl.Grants()
	if len(got) != 2 || got[0].AccessKey != "a" || !got[0].AnyVDN || got[1].AccessKey != "b" || !slices.Equal(got[1].VDNs, []int{53}) {
		t.Fatalf("%+v", got)
	}
}

// listing has the handler use env's Memory store itself, which lists.
func listing(o *ccfs.Options) { o.Store = o.Store.(*env).mem }

// defaultRule is the default upload path rule, parsed.
func defaultRule(t *testing.T) *pathrule.Rule {
	r, err := pathrule.Parse(pathrule.Default)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// isCode reports whether err is the ccfs.Error want (by code).
func isCode(err error, want ccfs.Error) bool {
	var e ccfs.Error
	return errors.As(err, &e) && e.Code() == want.Code()
}

var _ store.Store = (*env)(nil)
