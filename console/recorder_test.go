package console

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
)

// testClock is a clock a test moves.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newTestRecorder() (*Recorder, *testClock) {
	c := &testClock{t: time.Date(2026, 12, 5, 10, 0, 30, 0, time.UTC)}
	return NewRecorder(c.now), c
}

// refusalEvent is a refusal of code by ak, verified or claimed.
func refusalEvent(id, ak string, verified bool, code ccfs.Error) ccfs.Event {
	return ccfs.Event{Interface: ccfs.InterfaceUpload, RequestID: id, AccessKey: ak, KeyVerified: verified, VDN: 53,
		Code: code.Code(), Desc: code.Desc(), Status: code.Status()}
}

func TestRecorderCountsByMinute(t *testing.T) {
	r, clock := newTestRecorder()
	ok := ccfs.Event{Interface: ccfs.InterfaceUpload, Code: ccfs.SuccessCode, AccessKey: "a", KeyVerified: true}
	// 20 minutes ago: 3 requests, 1 refused (outside both windows).
	for range 2 {
		r.Observe(ok)
	}
	r.Observe(refusalEvent("old", "a", true, ccfs.ErrQuota))
	clock.advance(10 * time.Minute)
	// 10 minutes ago: 2 requests refused, 1 as an unknown code.
	r.Observe(refusalEvent("x1", "z", false, ccfs.ErrAuth))
	r.Observe(ccfs.Event{Code: "0399999", RequestID: "x2"})
	clock.advance(8 * time.Minute)
	// 2 minutes ago: 4 downloads, 1 refused as a replay.
	for range 3 {
		r.Observe(ccfs.Event{Interface: ccfs.InterfaceDownload, Code: ccfs.SuccessCode})
	}
	r.Observe(ccfs.Event{Interface: ccfs.InterfaceDownload, Code: ccfs.ErrReplay.Code(), RequestID: "x3"})
	clock.advance(2 * time.Minute)
	r.Observe(ok) // now

	s5 := r.Summary(5)
	if s5.Total != (Count{Requests: 5, Refused: 1}) {
		t.Errorf("5 minutes: %+v, want 5 requests, 1 refused", s5.Total)
	}
	if got := s5.ByInterface[ccfs.InterfaceDownload]; got != (Count{4, 1}) {
		t.Errorf("5 minutes, downloads: %+v", got)
	}
	if len(s5.ByCode) != 1 || s5.ByCode[0].Code != ccfs.ErrReplay.Code() || s5.ByCode[0].Refused != 1 || s5.ByCode[0].Desc != ccfs.ErrReplay.Desc() {
		t.Errorf("5 minutes by code: %+v", s5.ByCode)
	}
	s15 := r.Summary(15)
	if s15.Total != (Count{Requests: 7, Refused: 3}) {
		t.Errorf("15 minutes: %+v, want 7 requests, 3 refused", s15.Total)
	}
	want := []CodeCount{{ccfs.ErrAuth.Code(), ccfs.ErrAuth.Desc(), 1}, {ccfs.ErrReplay.Code(), ccfs.ErrReplay.Desc(), 1}, {otherCode, codes[len(codes)-1].Desc, 1}}
	if fmt.Sprint(s15.ByCode) != fmt.Sprint(want) {
		t.Errorf("15 minutes by code:\n got %v\nwant %v", s15.ByCode, want)
	}
	if got := s15.ByInterface[""]; got != (Count{1, 1}) {
		t.Errorf("15 minutes, no interface: %+v", got)
	}
	// A whole hour later, nothing is counted.
	clock.advance(time.Hour)
	if s := r.Summary(15); s.Total != (Count{}) || len(s.ByCode) != 0 {
		t.Errorf("an hour later: %+v", s)
	}
}

func TestStrangersFloodLeavesVerifiedEntries(t *testing.T) {
	r, clock := newTestRecorder()
	for i := range 10 {
		r.Observe(refusalEvent("a-"+strconv.Itoa(i), "chatbot-a", true, ccfs.ErrVDNForbidden))
		r.Observe(refusalEvent("b-"+strconv.Itoa(i), "chatbot-b", true, ccfs.ErrQuota))
	}
	// A wrong secret of an existing key: a claim, with what was signed.
	mis := refusalEvent("mismatch-1", "chatbot-a", false, ccfs.ErrAuth)
	mis.ServerSigned = &auth.Explanation{AuthStringPrefix: "auth-v2/chatbot-a/t/host", CanonicalRequest: "POST\n/x\nhost\nhost:h\n"}
	r.Observe(mis)
	clock.advance(time.Second)
	for i := range 10000 {
		r.Observe(refusalEvent("s-"+strconv.Itoa(i), "stranger-"+strconv.Itoa(i), false, ccfs.ErrAuth))
	}
	for _, ak := range []string{"chatbot-a", "chatbot-b"} {
		got := r.Refusals(ak)
		verified := 0
		for _, e := range got {
			if e.AccessKey != ak {
				t.Fatalf("filter %q returned %q", ak, e.AccessKey)
			}
			if e.KeyVerified {
				verified++
			}
		}
		if verified != 10 {
			t.Errorf("%s keeps %d of its 10 refusals after a flood of strangers'", ak, verified)
		}
	}
	if _, ok := r.Refusal("mismatch-1"); !ok {
		t.Error("the flood of unknown keys pushed out a wrong secret's refusal of an existing key")
	}
	all := r.Refusals("")
	// 20 verified, 1 claim of an existing key, the strangers' ring.
	if want := 20 + 1 + RefusalsOfStrangers; len(all) != want {
		t.Fatalf("listed %d, want %d", len(all), want)
	}
	for i := 1; i < len(all); i++ {
		if all[i].Seq >= all[i-1].Seq {
			t.Fatalf("not newest first at %d", i)
		}
	}
	if all[0].ID != "s-9999" {
		t.Errorf("the newest is %q", all[0].ID)
	}
	r.mu.Lock()
	n := len(r.strangers.entries)
	r.mu.Unlock()
	if n != RefusalsOfStrangers {
		t.Errorf("strangers' ring holds %d", n)
	}
	if _, ok := r.Refusal("s-9900"); !ok {
		t.Error("a recent stranger's refusal is not found")
	}
	if _, ok := r.Refusal("s-100"); ok {
		t.Error("an old stranger's refusal is still kept: the ring is not bounded")
	}
}

func TestEachVerifiedKeyKeepsItsLast(t *testing.T) {
	r, _ := newTestRecorder()
	for i := range 3 * RefusalsPerKey {
		r.Observe(refusalEvent(strconv.Itoa(i), "chatbot-a", true, ccfs.ErrQuota))
	}
	got := r.Refusals("chatbot-a")
	if len(got) != RefusalsPerKey {
		t.Fatalf("kept %d, want %d", len(got), RefusalsPerKey)
	}
	if got[0].ID != strconv.Itoa(3*RefusalsPerKey-1) || got[len(got)-1].ID != strconv.Itoa(2*RefusalsPerKey) {
		t.Errorf("kept %s … %s, want the last %d", got[0].ID, got[len(got)-1].ID, RefusalsPerKey)
	}
}

func TestVerifiedKeysAreBounded(t *testing.T) {
	r, clock := newTestRecorder()
	for i := range MaxKeys + 10 {
		clock.advance(time.Millisecond)
		r.Observe(refusalEvent("id"+strconv.Itoa(i), "key-"+strconv.Itoa(i), true, ccfs.ErrQuota))
	}
	r.mu.Lock()
	n := len(r.keys)
	r.mu.Unlock()
	if n != MaxKeys {
		t.Fatalf("%d keys kept, want %d", n, MaxKeys)
	}
	if !r.LastSeen("key-0").IsZero() || len(r.Refusals("key-0")) != 0 {
		t.Error("the least recently seen key was not the one dropped")
	}
	if r.LastSeen("key-" + strconv.Itoa(MaxKeys+9)).IsZero() {
		t.Error("the newest key was dropped")
	}
}

func TestRefusalsFilterIsExact(t *testing.T) {
	r, _ := newTestRecorder()
	r.Observe(refusalEvent("1", "k1", true, ccfs.ErrQuota))
	r.Observe(refusalEvent("2", "k10", true, ccfs.ErrQuota))
	r.Observe(refusalEvent("3", "k1", false, ccfs.ErrTimestamp)) // a claim of the same key
	r.Observe(refusalEvent("4", "K1", false, ccfs.ErrAuth))
	var ids []string
	for _, e := range r.Refusals("k1") {
		ids = append(ids, e.ID)
	}
	if strings.Join(ids, ",") != "3,1" {
		t.Errorf("filter k1: %v, want 3,1", ids)
	}
	if len(r.Refusals("nobody")) != 0 {
		t.Error("a key never seen has refusals")
	}
}

func TestLastSeenIsOnlyVerified(t *testing.T) {
	r, clock := newTestRecorder()
	r.Observe(ccfs.Event{AccessKey: "a", KeyVerified: true, Code: ccfs.SuccessCode})
	seen := clock.now()
	clock.advance(time.Minute)
	r.Observe(ccfs.Event{AccessKey: "a", Code: ccfs.ErrAuth.Code()}) // a claim
	r.Observe(ccfs.Event{AccessKey: "b", Code: ccfs.ErrAuth.Code()})
	if got := r.LastSeen("a"); !got.Equal(seen) {
		t.Errorf("a last seen %v, want %v (a claim is not a sighting)", got, seen)
	}
	if !r.LastSeen("b").IsZero() {
		t.Error("a claimed key is seen")
	}
	var nilRec *Recorder
	if !nilRec.LastSeen("a").IsZero() || nilRec.Refusals("") != nil {
		t.Error("a nil Recorder knows something")
	}
}

func TestRefusalEntryIsClipped(t *testing.T) {
	r, _ := newTestRecorder()
	ev := refusalEvent(strings.Repeat("i", 2000), strings.Repeat("k", 2000), false, ccfs.ErrAuth)
	ev.Desc = strings.Repeat("d", 100000)
	ev.ServerSigned = &auth.Explanation{AuthStringPrefix: strings.Repeat("p", 9000), CanonicalRequest: strings.Repeat("c\n", 4500) + "…",
		BodyLength: 7, BodyStart: strings.Repeat("%7B", 400)}
	r.Observe(ev)
	got := r.Refusals("")
	if len(got) != 1 {
		t.Fatalf("%d refusals", len(got))
	}
	e := got[0]
	size := int(unsafe.Sizeof(e)) + len(e.ID) + len(e.AccessKey) + len(e.Desc) + len(e.Code) + len(e.Interface) +
		len(e.signed.AuthStringPrefix) + len(e.signed.CanonicalRequest) + len(e.signed.BodyStart)
	if size > 6<<10+256 {
		t.Errorf("one entry holds %d bytes", size)
	}
	if e.ServerSigned == nil || e.ServerSigned.BodyLength != 7 || !strings.HasSuffix(e.ServerSigned.CanonicalRequest, "…") {
		t.Errorf("the explanation was not kept, clipped: %+v", e.ServerSigned)
	}
	// Its ID was clipped, so the full one finds nothing, and a lookup of
	// an ID longer than any kept is refused.
	if _, ok := r.Refusal(strings.Repeat("i", 2000)); ok {
		t.Error("an ID longer than any kept was looked up")
	}
	if _, ok := r.Refusal(e.ID); !ok {
		t.Error("the clipped ID finds nothing")
	}
}

func TestRefusalLookupIsExact(t *testing.T) {
	r, _ := newTestRecorder()
	r.Observe(refusalEvent("abc", "k", false, ccfs.ErrAuth))
	for _, id := range []string{"ab", "abcd", "ABC", ""} {
		if _, ok := r.Refusal(id); ok {
			t.Errorf("Refusal(%q) found one", id)
		}
	}
	e, ok := r.Refusal("abc")
	if !ok || e.AccessKey != "k" || e.Code != ccfs.ErrAuth.Code() {
		t.Errorf("Refusal(abc) = %+v, %v", e, ok)
	}
}

// TestObserveAllocatesNothing: a success of a key already seen, and a
// refusal kept in a ring already grown, allocate nothing.
func TestObserveAllocatesNothing(t *testing.T) {
	r, _ := newTestRecorder()
	ok := ccfs.Event{Interface: ccfs.InterfaceUpload, Code: ccfs.SuccessCode, AccessKey: "a", KeyVerified: true}
	ref := refusalEvent("id", "a", true, ccfs.ErrQuota)
	for range RefusalsPerKey {
		r.Observe(ref)
	}
	if n := testing.AllocsPerRun(1000, func() { r.Observe(ok); r.Observe(ref) }); n != 0 {
		t.Errorf("Observe allocates %v times a pair", n)
	}
}

func TestObserveIsSafeConcurrently(t *testing.T) {
	r, _ := newTestRecorder()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				ak := "k" + strconv.Itoa(g)
				r.Observe(refusalEvent(ak+"-"+strconv.Itoa(i), ak, i%2 == 0, ccfs.ErrAuth))
				if i%50 == 0 {
					r.Refusals("")
					r.Summary(5)
					r.LastSeen(ak)
				}
			}
		})
	}
	wg.Wait()
	if s := r.Summary(1); s.Total != (Count{4000, 4000}) {
		t.Errorf("counted %+v, want 4000 refused", s.Total)
	}
}

// BenchmarkObserve measures Observe of a success and of a refusal, with
// the ratio to a bare mutex and counter measured first in the same run:
// what the Recorder adds to each request.
func BenchmarkObserve(b *testing.B) {
	var baseline float64
	b.Run("mutex+counter", func(b *testing.B) {
		var mu sync.Mutex
		var n int64
		for b.Loop() {
			mu.Lock()
			n++
			mu.Unlock()
		}
		baseline = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	})
	events := map[string]ccfs.Event{
		"success": {Interface: ccfs.InterfaceUpload, Code: ccfs.SuccessCode, AccessKey: "chatbot-a", KeyVerified: true, RequestID: "r"},
		"refusal": refusalEvent("r", "stranger", false, ccfs.ErrAuth),
	}
	for _, name := range []string{"success", "refusal"} {
		b.Run(name, func(b *testing.B) {
			r := NewRecorder(nil)
			ev := events[name]
			b.ReportAllocs()
			for b.Loop() {
				r.Observe(ev)
			}
			ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			b.ReportMetric(ns/max(baseline, 1e-3), "x-baseline")
		})
	}
}

func TestRefusalsListsAtMostMaxListed(t *testing.T) {
	r, _ := newTestRecorder()
	for k := range 6 {
		for i := range RefusalsPerKey {
			r.Observe(refusalEvent(fmt.Sprint(k, "-", i), "key-"+strconv.Itoa(k), true, ccfs.ErrQuota))
		}
	}
	got := r.Refusals("")
	if len(got) != MaxListed {
		t.Fatalf("listed %d of %d, want %d", len(got), 6*RefusalsPerKey, MaxListed)
	}
	if got[0].ID != fmt.Sprint(5, "-", RefusalsPerKey-1) {
		t.Errorf("the newest listed is %s", got[0].ID)
	}
}

func TestVDNsAreOnlyVerifiedSuccesses(t *testing.T) {
	r, _ := newTestRecorder()
	r.Observe(ccfs.Event{AccessKey: "a", KeyVerified: true, VDN: 77, Code: ccfs.SuccessCode})
	r.Observe(ccfs.Event{AccessKey: "a", KeyVerified: true, VDN: 78, Code: ccfs.ErrVDNForbidden.Code()})
	r.Observe(ccfs.Event{AccessKey: "b", VDN: 79, Code: ccfs.SuccessCode}) // not verified: never happens, never counted
	for v := range MaxVDNs + 10 {
		r.Observe(ccfs.Event{AccessKey: "a", KeyVerified: true, VDN: 1000 + v, Code: ccfs.SuccessCode})
	}
	got := r.VDNs()
	if len(got) != MaxVDNs || got[0] != 77 || slices.Contains(got, 78) || slices.Contains(got, 79) {
		t.Errorf("VDNs: %d, first %v", len(got), got[:3])
	}
}

// TestClaimKeepsNoLongText: a claimed key cut from a long header is
// copied, so the entry does not keep the header alive.
func TestClaimKeepsNoLongText(t *testing.T) {
	r, _ := newTestRecorder()
	header := strings.Repeat("k", 1<<20)
	ev := refusalEvent("id", header[:128], false, ccfs.ErrAuth)
	r.Observe(ev)
	e := r.Refusals("")[0]
	if unsafe.StringData(e.AccessKey) == unsafe.StringData(header) {
		t.Error("the entry holds a piece of the 1 MiB header")
	}
	if e.AccessKey != header[:128] {
		t.Error("the claimed key changed")
	}
}

// A Recorder fed by the handler's OnRequest counts requests by minute
// and keeps the last refusals, a stranger's claimed key marked as such.
func ExampleRecorder() {
	rec := NewRecorder(nil)
	rec.Observe(ccfs.Event{Interface: ccfs.InterfaceUpload, AccessKey: "chatbot-a", KeyVerified: true, VDN: 53, Code: ccfs.SuccessCode})
	rec.Observe(ccfs.Event{Interface: ccfs.InterfaceDelete, RequestID: "req-1", AccessKey: "who-knows",
		Code: ccfs.ErrAuth.Code(), Desc: "authentication failed: unknown access key", Status: 401})
	s := rec.Summary(5)
	fmt.Println(s.Total.Requests, "requests,", s.Total.Refused, "refused")
	for _, r := range rec.Refusals("") {
		fmt.Println(r.ID, r.AccessKey, "verified:", r.KeyVerified, r.Code)
	}
	fmt.Println("chatbot-a seen:", !rec.LastSeen("chatbot-a").IsZero())
	// Output:
	// 2 requests, 1 refused
	// req-1 who-knows verified: false 0300010
	// chatbot-a seen: true
}

// TestOneKeysMismatchesLeaveOthers: a wrong secret's refusals of an
// existing key are claims anyone knowing the key can make (a tenant's
// chatbot its own key, with no secret at all, as fast as it likes); a
// flood of them for one key must not push out another key's, the very
// refusals an operator debugs a tenant's signing with.
func TestOneKeysMismatchesLeaveOthers(t *testing.T) {
	r, clock := newTestRecorder()
	mismatch := func(id, ak string) ccfs.Event {
		ev := refusalEvent(id, ak, false, ccfs.ErrAuth)
		ev.ServerSigned = &auth.Explanation{AuthStringPrefix: "auth-v2/" + ak + "/t/host", CanonicalRequest: "POST\n/x\nhost\nhost:h\n"}
		return ev
	}
	for i := range 3 {
		r.Observe(mismatch("b-"+strconv.Itoa(i), "chatbot-b"))
	}
	clock.advance(time.Second)
	for i := range 10000 {
		r.Observe(mismatch("a-"+strconv.Itoa(i), "chatbot-a"))
	}
	for i := range 3 {
		if _, ok := r.Refusal("b-" + strconv.Itoa(i)); !ok {
			t.Errorf("chatbot-a's flood of mismatches pushed out chatbot-b's refusal b-%d", i)
		}
	}
	if got := r.Refusals("chatbot-b"); len(got) != 3 {
		t.Errorf("chatbot-b's refusals after chatbot-a's flood: %d, want 3", len(got))
	}
	a := r.Refusals("chatbot-a")
	if len(a) != RefusalsPerClaimedKey || a[0].ID != "a-9999" {
		t.Errorf("chatbot-a keeps %d claims (newest %q), want its newest %d", len(a), a[0].ID, RefusalsPerClaimedKey)
	}
	all := r.Refusals("")
	for i := 1; i < len(all); i++ {
		if all[i].Seq >= all[i-1].Seq {
			t.Fatalf("not newest first at %d", i)
		}
	}
	// Many keys' mismatches fill the ring; it stays bounded.
	for i := range 1000 {
		r.Observe(mismatch("k-"+strconv.Itoa(i), "key-"+strconv.Itoa(i%50)))
	}
	r.mu.Lock()
	n := len(r.claims.entries)
	r.mu.Unlock()
	if n != RefusalsOfClaims {
		t.Errorf("the claims' ring holds %d, want %d", n, RefusalsOfClaims)
	}
}
