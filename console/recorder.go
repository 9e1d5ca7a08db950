package console

import (
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
)

// A Recorder keeps what the console shows of requests: counts by minute
// and result, the last refusals, and when each verified key was last
// seen. Give its Observe as the handler's Options.OnRequest. It is safe
// for concurrent use, and its memory is bounded whatever strangers send.
//
// Refusals are kept in rings: one of RefusalsPerKey entries for each
// verified key (a key whose signature held: only keys that exist and
// proved themselves get one, MaxKeys of them at most, the least recently
// seen dropped first), one of RefusalsOfStrangers shared by every claim
// of a key that does not exist or was not checked, and one of
// RefusalsOfClaims shared by claims of keys that exist but whose
// signature did not hold (a wrong secret: the usual thing to debug), of
// which one key's claims hold at most RefusalsPerClaimedKey. A flood of
// strangers' refusals therefore pushes out only other strangers', and a
// flood of one key's wrong signatures only that key's.
type Recorder struct {
	now func() time.Time

	mu        sync.Mutex
	minutes   [countedMinutes]minute
	keys      map[string]*keyRecord
	strangers ring
	claims    ring
	seq       uint64
	vdns      map[int]struct{} // of verified successes, at most MaxVDNs
}

const (
	// RefusalsPerKey is how many refusals each verified key keeps.
	RefusalsPerKey = 64
	// RefusalsOfStrangers is how many refusals of keys that do not exist
	// (or were not looked up) are kept, all such claims together.
	RefusalsOfStrangers = 256
	// RefusalsOfClaims is how many refusals of existing keys whose
	// signature did not hold are kept, all such claims together.
	RefusalsOfClaims = 128
	// RefusalsPerClaimedKey is how many of those RefusalsOfClaims one
	// key's claims may hold: anyone who knows a key (its tenant, with no
	// secret at all) can make them, so one key's flood leaves the others'
	// places alone.
	RefusalsPerClaimedKey = 16
	// MaxKeys bounds the verified keys remembered.
	MaxKeys = 1024
	// MaxListed bounds the refusals Refusals returns.
	MaxListed = 300
	// MaxVDNs bounds the VDNs VDNs remembers.
	MaxVDNs = 4096

	// countedMinutes is how many minutes of counts are kept: the 15 shown
	// and the one being counted.
	countedMinutes = 16

	// maxCanonical, maxBodyStart and maxText bound what one entry keeps
	// of a request, so that an entry is at most about 6 KiB.
	maxCanonical = 4 << 10
	maxBodyStart = 128
	maxText      = 512
	maxID        = 256 // a request ID or an access key
)

// A Refusal is one refused request as the Recorder keeps it.
type Refusal struct {
	// ID is the request's ID (its X-Request-ID): what a refusal is
	// looked up by. A client may choose it.
	ID   string
	Time time.Time
	// Interface is ccfs.InterfaceUpload and its siblings; "" for a request
	// to no interface.
	Interface string
	// AccessKey is the key the request names; only a stranger's claim
	// unless KeyVerified.
	AccessKey   string
	KeyVerified bool
	VDN         int
	Code        string
	Desc        string
	Status      int
	// ServerSigned is what the server signed for a signature that did not
	// match (0300010), clipped; nil otherwise.
	ServerSigned *auth.Explanation

	// Seq numbers the refusals a Recorder keeps, from 1, in the order
	// they came: it tells apart refusals whose clients chose one ID.
	Seq uint64

	signed auth.Explanation // ServerSigned's value, kept in the ring
	hasSig bool
}

// A ring keeps the last refusals of one kind, oldest overwritten first.
type ring struct {
	entries []Refusal // grows to its capacity, then wraps
	next    int       // where the next entry goes, once full
}

// add keeps ev, overwriting the oldest entry once the ring holds size.
func (g *ring) add(size int, e Refusal) {
	if len(g.entries) < size {
		if g.entries == nil {
			g.entries = make([]Refusal, 0, size)
		}
		g.entries = append(g.entries, e)
		return
	}
	g.entries[g.next] = e
	g.next = (g.next + 1) % size
}

// addShared keeps e in a ring of size entries of which one access key's
// hold at most share: past its share, a key's own oldest entry makes
// room; else, once full, the oldest of all. Such a ring is kept oldest
// first and never wraps (next stays 0), so each add moves up to size
// entries; add must not be used on it.
func (g *ring) addShared(size, share int, e Refusal) {
	if g.entries == nil {
		g.entries = make([]Refusal, 0, size)
	}
	drop, n := -1, 0
	for i := range g.entries {
		if g.entries[i].AccessKey == e.AccessKey {
			if n == 0 {
				drop = i
			}
			n++
		}
	}
	if n < share {
		drop = -1
		if len(g.entries) == size {
			drop = 0
		}
	}
	if drop >= 0 {
		copy(g.entries[drop:], g.entries[drop+1:])
		g.entries = g.entries[:len(g.entries)-1]
	}
	g.entries = append(g.entries, e)
}

// keyRecord is what the Recorder keeps of one verified key.
type keyRecord struct {
	lastSeen time.Time
	refusals ring
}

// minute holds one minute's counts. Its arrays are indexed by the code's
// place in codeIndex (the last place is "other") and the interface's in
// interfaceIndex.
type minute struct {
	at       int64 // the minute, in Unix minutes; 0 if never used
	requests [len(interfaceNames)]int64
	refused  [len(interfaceNames)][]int64
}

// interfaceNames are the interfaces counted apart; the last is every
// request to no interface (or to one not known here).
var interfaceNames = [...]string{ccfs.InterfaceUpload, ccfs.InterfaceDelete, ccfs.InterfaceDownload, ccfs.InterfaceList, ""}

// codes are the failure codes counted apart, in ccfs.ResultCodes' order,
// then "other"; codeIndex finds a code's place.
var (
	codes     = resultCodes()
	codeIndex = func() map[string]int {
		m := make(map[string]int, len(codes))
		for i, c := range codes {
			m[c.Code] = i
		}
		return m
	}()
)

// A codeInfo is a result code and its generic description.
type codeInfo struct{ Code, Desc string }

// otherCode stands for every failure code ccfs.ResultCodes does not list.
const otherCode = "other"

func resultCodes() []codeInfo {
	var out []codeInfo
	for _, e := range ccfs.ResultCodes() {
		out = append(out, codeInfo{e.Code(), e.Desc()})
	}
	return append(out, codeInfo{otherCode, "a code this console does not know"})
}

// NewRecorder returns an empty Recorder. now is its clock; nil means
// time.Now.
func NewRecorder(now func() time.Time) *Recorder {
	if now == nil {
		now = time.Now
	}
	r := &Recorder{now: now, keys: map[string]*keyRecord{}, vdns: map[int]struct{}{}}
	for i := range r.minutes {
		for j := range r.minutes[i].refused {
			r.minutes[i].refused[j] = make([]int64, len(codes))
		}
	}
	return r
}

// Observe records one finished request. It is quick and never blocks for
// long: it runs on the request's goroutine. It allocates only to keep a
// refusal's entry (copying a claimed key) and a verified key's first.
func (r *Recorder) Observe(ev ccfs.Event) {
	now := r.now()
	iface := interfaceSlot(ev.Interface)
	refused := ev.Code != ccfs.SuccessCode
	var e Refusal
	if refused {
		e = refusalOf(ev, now)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.minuteAt(now.Unix() / 60)
	m.requests[iface]++
	var rec *keyRecord
	if ev.KeyVerified && ev.AccessKey != "" {
		rec = r.keyRecord(ev.AccessKey)
		rec.lastSeen = now
	}
	if !refused {
		if rec != nil && ev.VDN > 0 && len(r.vdns) < MaxVDNs {
			r.vdns[ev.VDN] = struct{}{}
		}
		return
	}
	c, ok := codeIndex[ev.Code]
	if !ok {
		c = len(codes) - 1
	}
	m.refused[iface][c]++
	r.seq++
	e.Seq = r.seq
	switch {
	case rec != nil:
		rec.refusals.add(RefusalsPerKey, e)
	case ev.ServerSigned != nil:
		r.claims.addShared(RefusalsOfClaims, RefusalsPerClaimedKey, e)
	default:
		r.strangers.add(RefusalsOfStrangers, e)
	}
}

// refusalOf is ev's entry, clipped to its bounds. A claimed key is
// copied: it is a piece of the request's Authorization header, which the
// entry must not keep alive. The other texts are the handler's own
// strings (made for the request, or constants).
func refusalOf(ev ccfs.Event, now time.Time) Refusal {
	e := Refusal{
		ID: clipText(ev.RequestID, maxID, false), Time: now, Interface: clipText(ev.Interface, 32, false),
		AccessKey: clipText(ev.AccessKey, maxID, !ev.KeyVerified), KeyVerified: ev.KeyVerified, VDN: ev.VDN,
		Code: clipText(ev.Code, 32, false), Desc: clipText(ev.Desc, maxText, false), Status: ev.Status,
	}
	if s := ev.ServerSigned; s != nil {
		e.hasSig = true
		e.signed = auth.Explanation{
			AuthStringPrefix:           clipText(s.AuthStringPrefix, maxText, false),
			CanonicalRequest:           clipText(s.CanonicalRequest, maxCanonical, false),
			EmptyQueryLineAlsoAccepted: s.EmptyQueryLineAlsoAccepted,
			BodyLength:                 s.BodyLength,
			BodyStart:                  clipText(s.BodyStart, maxBodyStart, false),
		}
	}
	return e
}

// clipText returns s cut to at most n bytes, the last three of them "…"
// (cut on a UTF-8 boundary), in a string of its own; s itself if it is
// short enough, or a copy of it if own.
func clipText(s string, n int, own bool) string {
	if len(s) <= n {
		if own {
			return strings.Clone(s)
		}
		return s
	}
	i := n - len("…")
	for i > 0 && i > n-7 && s[i]&0xC0 == 0x80 {
		i--
	}
	return s[:i] + "…"
}

// interfaceSlot is the place of iface in interfaceNames.
func interfaceSlot(iface string) int {
	for i, n := range interfaceNames[:len(interfaceNames)-1] {
		if n == iface {
			return i
		}
	}
	return len(interfaceNames) - 1
}

// minuteAt returns the counts of minute at, emptied if they held an older
// minute's.
func (r *Recorder) minuteAt(at int64) *minute {
	m := &r.minutes[at%countedMinutes]
	if m.at != at {
		m.at = at
		clear(m.requests[:])
		for _, c := range m.refused {
			clear(c)
		}
	}
	return m
}

// keyRecord returns ak's record, making one (and dropping the least
// recently seen key's, if MaxKeys are kept) if there is none.
func (r *Recorder) keyRecord(ak string) *keyRecord {
	if rec := r.keys[ak]; rec != nil {
		return rec
	}
	if len(r.keys) >= MaxKeys {
		var oldest string
		var at time.Time
		for k, rec := range r.keys {
			if oldest == "" || rec.lastSeen.Before(at) {
				oldest, at = k, rec.lastSeen
			}
		}
		delete(r.keys, oldest)
	}
	rec := &keyRecord{}
	r.keys[strings.Clone(ak)] = rec
	return rec
}

// LastSeen returns when ak last made a request whose signature held, or
// the zero time if it has not since the Recorder began (or was dropped
// from the MaxKeys remembered).
func (r *Recorder) LastSeen(ak string) time.Time {
	if r == nil {
		return time.Time{}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if rec := r.keys[ak]; rec != nil {
		return rec.lastSeen
	}
	return time.Time{}
}

// VDNs returns, in order, the VDNs that requests whose signature held
// used successfully since the Recorder began (the first MaxVDNs of
// them): with quotas on, the tenants page learns of a VDN a key for
// every VDN writes only from here.
func (r *Recorder) VDNs() []int {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Sorted(maps.Keys(r.vdns))
}

// Refusals returns the last refusals, newest first, at most MaxListed;
// only those naming key (claimed or verified, matched exactly) unless key
// is "".
func (r *Recorder) Refusals(key string) []Refusal {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var rings []*ring
	if key == "" {
		for _, rec := range r.keys {
			rings = append(rings, &rec.refusals)
		}
	} else if rec := r.keys[key]; rec != nil {
		rings = append(rings, &rec.refusals)
	}
	rings = append(rings, &r.claims, &r.strangers)
	// Each ring is read newest first from its cursor; the newest head of
	// all is taken each time.
	curs := make([]cursor, 0, len(rings))
	for _, g := range rings {
		if n := len(g.entries); n > 0 {
			at := n - 1
			if n == cap(g.entries) {
				at = (g.next + n - 1) % n
			}
			curs = append(curs, cursor{g, n, at})
		}
	}
	var out []Refusal
	for len(out) < MaxListed {
		best := -1
		for i := range curs {
			c := &curs[i]
			for c.left > 0 && key != "" && c.g.entries[c.at].AccessKey != key {
				c.step()
			}
			if c.left > 0 && (best < 0 || c.head().Seq > curs[best].head().Seq) {
				best = i
			}
		}
		if best < 0 {
			break
		}
		out = append(out, curs[best].head().shown())
		curs[best].step()
	}
	return out
}

// A cursor reads a ring from its newest entry back.
type cursor struct {
	g    *ring
	left int // entries not yet read
	at   int // the index of the next one
}

// head is the entry the cursor is at.
func (c *cursor) head() *Refusal { return &c.g.entries[c.at] }

// step moves the cursor to the next older entry.
func (c *cursor) step() {
	c.left--
	c.at = (c.at - 1 + len(c.g.entries)) % len(c.g.entries)
}

// Refusal returns the newest refusal whose ID is id, and whether there
// is one. id is compared exactly; one longer than any kept is refused
// without a search.
func (r *Recorder) Refusal(id string) (Refusal, bool) { return r.RefusalSeq(id, 0) }

// RefusalSeq returns the refusal whose ID is id and whose Seq is seq (the
// newest of that ID if seq is 0), and whether there is one: a client
// chooses its ID, so that two refusals may share it.
func (r *Recorder) RefusalSeq(id string, seq uint64) (Refusal, bool) {
	if r == nil || id == "" || len(id) > maxID {
		return Refusal{}, false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var found *Refusal
	look := func(g *ring) {
		for i := range g.entries {
			if e := &g.entries[i]; e.ID == id && (seq == 0 && (found == nil || e.Seq > found.Seq) || e.Seq == seq) {
				found = e
			}
		}
	}
	for _, rec := range r.keys {
		look(&rec.refusals)
	}
	look(&r.claims)
	look(&r.strangers)
	if found == nil {
		return Refusal{}, false
	}
	return found.shown(), true
}

// shown is e as read methods return it: with ServerSigned pointing to a
// copy of its own.
func (e *Refusal) shown() Refusal {
	c := *e
	if c.hasSig {
		s := c.signed
		c.ServerSigned = &s
	}
	return c
}

// A Count is how many requests and refusals some minutes saw.
type Count struct {
	Requests, Refused int64
}

// A CodeCount is how many refusals of one code some minutes saw.
type CodeCount struct {
	Code, Desc string // "other" for a code ccfs.ResultCodes does not list
	Refused    int64
}

// A Summary is what the last minutes saw: in all, by interface, and the
// refusals by code.
type Summary struct {
	Minutes     int
	Total       Count
	ByInterface map[string]Count // "" for requests to no interface
	ByCode      []CodeCount      // only codes seen, in ccfs.ResultCodes' order
}

// Summary adds up the last minutes (1 to 15), the current one included.
func (r *Recorder) Summary(minutes int) Summary {
	minutes = min(max(minutes, 1), countedMinutes-1)
	s := Summary{Minutes: minutes, ByInterface: map[string]Count{}}
	if r == nil {
		return s
	}
	byCode := make([]int64, len(codes))
	now := r.now().Unix() / 60
	r.mu.Lock()
	for i := range r.minutes {
		m := &r.minutes[i]
		if m.at <= now-int64(minutes) || m.at > now {
			continue
		}
		for f, n := range m.requests {
			c := s.ByInterface[interfaceNames[f]]
			c.Requests += n
			for k, v := range m.refused[f] {
				c.Refused += v
				byCode[k] += v
			}
			s.ByInterface[interfaceNames[f]] = c
		}
	}
	r.mu.Unlock()
	for f, c := range s.ByInterface {
		if c == (Count{}) {
			delete(s.ByInterface, f)
			continue
		}
		s.Total.Requests += c.Requests
		s.Total.Refused += c.Refused
	}
	for k, n := range byCode {
		if n > 0 {
			s.ByCode = append(s.ByCode, CodeCount{codes[k].Code, codes[k].Desc, n})
		}
	}
	return s
}

// codeDesc is code's generic description, "" if it is not known.
func codeDesc(code string) string {
	if i, ok := codeIndex[code]; ok && code != otherCode {
		return codes[i].Desc
	}
	return ""
}
