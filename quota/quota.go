// Package quota keeps each VDN's uploaded prompts within a share of the
// storage: Limits say how much each VDN may keep, a Ledger counts what
// each keeps, and Load counts it from a store at start.
//
// The handler claims a file's size at the end of its upload, once the
// request's signature holds and before the store keeps the file: a
// claim is an atomic check-and-add, so uploads racing at the edge of a
// quota can never together pass it, and a request that has not proved
// itself claims nothing. A failed store gives the claim back; deleteFile
// gives the file's size back.
//
// Memory counts for one server. Several servers share one Shared ledger
// (redisquota keeps it in Redis): the first to start counts the store,
// the others find the counts there and keep them up to date.
package quota

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ccfs-go/ccfs/internal/pervdn"
	"github.com/ccfs-go/ccfs/pathrule"
	"github.com/ccfs-go/ccfs/store"
)

// A Limit is what one VDN may keep. Zero means no limit.
type Limit struct {
	Bytes int64
	Files int64
}

// A Source says each VDN's limit: *Limits, fixed, or *File, read from a
// file that can be reloaded while the server runs. Its methods are safe
// for concurrent use.
type Source interface {
	// For returns vdn's limit.
	For(vdn int) Limit
	// Named returns, in order, the VDNs with a limit of their own (not
	// the default): metrics label these only, so their number stays
	// what the configuration says.
	Named() []int
	// String writes the limits as ParseLimits reads them.
	String() string
}

// Limits are a default limit and per-VDN overrides.
type Limits struct {
	Default Limit
	VDN     map[int]Limit
}

var _ Source = (*Limits)(nil)

// For returns vdn's limit; nil Limits limit nothing.
func (l *Limits) For(vdn int) Limit {
	if l == nil {
		return Limit{}
	}
	if lim, ok := l.VDN[vdn]; ok {
		return lim
	}
	return l.Default
}

// Named implements Source.
func (l *Limits) Named() []int {
	if l == nil {
		return nil
	}
	return slices.Sorted(maps.Keys(l.VDN))
}

// String writes the limits as ParseLimits reads them.
func (l *Limits) String() string { return pervdn.Format(l.Default, l.VDN, Limit.String) }

// String writes a limit as "2GiB", "2GiB/10000" (bytes and files), or
// "none".
func (l Limit) String() string {
	s := "none"
	if l.Bytes > 0 {
		s = formatBytes(l.Bytes)
	}
	if l.Files > 0 {
		s += "/" + strconv.FormatInt(l.Files, 10)
	}
	return s
}

// ParseLimits reads a comma-separated list of VDN=LIMIT, with * for the
// default: "*=2GiB,53=20GiB/100000". A limit is a size in bytes (a
// number, or with KiB, MiB, GiB or TiB), optionally followed by / and a
// number of files; "none" is no limit. A VDN not listed, with no "*",
// has no limit. Items may also be on lines of their own, and # starts a
// comment to the end of its line, as in a quota file. An error quotes the
// item as written, after the line it is on when s has several:
// `quota: line 3: "53=20GB": "20GB" is not a size such as 2GiB…`.
func ParseLimits(s string) (*Limits, error) {
	l, err := parseLimits(s)
	if err != nil {
		return nil, fmt.Errorf("quota: %w", err)
	}
	return l, nil
}

// parseLimits is ParseLimits without the prefix, for a quota file, whose
// errors start with the file's name.
func parseLimits(s string) (*Limits, error) {
	def, byVDN, err := pervdn.Parse(s, parseLimit)
	if err != nil {
		return nil, err
	}
	return &Limits{Default: def, VDN: byVDN}, nil
}

func parseLimit(s string) (Limit, error) {
	size, files, hasFiles := strings.Cut(s, "/")
	var l Limit
	if size != "none" {
		n, err := parseBytes(size)
		if err != nil {
			return l, err
		}
		l.Bytes = n
	}
	if hasFiles {
		n, err := strconv.ParseInt(files, 10, 64)
		if err != nil || n <= 0 {
			return l, fmt.Errorf("%q is not a positive number of files", files)
		}
		l.Files = n
	}
	return l, nil
}

var units = []struct {
	suffix string
	n      int64
}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}}

func parseBytes(s string) (int64, error) {
	mult := int64(1)
	for _, u := range units {
		if rest, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = rest, u.n
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("%q is not a size such as 2GiB, 500MiB or 1048576, or none", s)
	}
	return n * mult, nil
}

func formatBytes(n int64) string {
	for _, u := range units {
		if n%u.n == 0 {
			return strconv.FormatInt(n/u.n, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}

// Usage is what one VDN keeps.
type Usage struct {
	Bytes int64
	Files int64
}

// Fits says whether u plus one file of size bytes stays within lim.
func (u Usage) Fits(size int64, lim Limit) bool {
	bytes, files := u.Passes(size, lim)
	return !bytes && !files
}

// Passes says which of lim's limits u plus one file of size bytes would
// pass: its bytes, its number of files, or both.
func (u Usage) Passes(size int64, lim Limit) (bytes, files bool) {
	return lim.Bytes > 0 && u.Bytes+size > lim.Bytes, lim.Files > 0 && u.Files+1 > lim.Files
}

// A Ledger counts what each VDN keeps. Its methods are safe for
// concurrent use.
// ReleaseOnce takes a removed file (name, of size bytes) off vdn's usage
// in l, unless another remover sharing the Fence f already has: the
// handler's deleteFile and the retention sweeps of every server that
// shares a store each call it, and the first to claim the file's release
// gives its size back. With f nil it releases.
func ReleaseOnce(ctx context.Context, l Ledger, f store.Fence, vdn int, name string, size int64) error {
	first, err := store.ClaimOnce(ctx, f, "released:"+name)
	if err != nil {
		return fmt.Errorf("quota: whether another remover gave the size of %s back is unknown: %w", name, err)
	}
	if !first {
		return nil
	}
	return l.Release(ctx, vdn, size)
}

type Ledger interface {
	// Claim adds one file of size bytes to vdn's usage if the result stays
	// within lim, atomically, and reports whether it did, with vdn's usage
	// as the claim found it (before the file): of a refused claim,
	// Usage.Passes says which limit refused it.
	Claim(ctx context.Context, vdn int, size int64, lim Limit) (found Usage, ok bool, err error)
	// Release takes one file of size bytes off vdn's usage.
	Release(ctx context.Context, vdn int, size int64) error
	// Usage returns vdn's usage.
	Usage(ctx context.Context, vdn int) (Usage, error)
	// Set replaces the usage of every VDN with counts (a VDN not in
	// counts keeps nothing): what Load found in the store.
	Set(ctx context.Context, counts map[int]Usage) error
}

// Memory is a Ledger in this process's memory: for one server. Its size
// grows with the VDNs that have stored files, never with what a request
// claims before its signature holds.
type Memory struct {
	mu    sync.Mutex
	usage map[int]Usage
}

var _ Ledger = (*Memory)(nil)

// NewMemory returns an empty Memory ledger.
func NewMemory() *Memory { return &Memory{usage: map[int]Usage{}} }

// Claim implements Ledger.
func (m *Memory) Claim(_ context.Context, vdn int, size int64, lim Limit) (Usage, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u := m.usage[vdn]
	if !u.Fits(size, lim) {
		return u, false, nil
	}
	m.usage[vdn] = Usage{Bytes: u.Bytes + size, Files: u.Files + 1}
	return u, true, nil
}

// Release implements Ledger. Usage never goes below zero.
func (m *Memory) Release(_ context.Context, vdn int, size int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	u := m.usage[vdn]
	u.Bytes, u.Files = max(0, u.Bytes-size), max(0, u.Files-1)
	if u == (Usage{}) {
		delete(m.usage, vdn)
	} else {
		m.usage[vdn] = u
	}
	return nil
}

// Usage implements Ledger.
func (m *Memory) Usage(_ context.Context, vdn int) (Usage, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.usage[vdn], nil
}

// Set implements Ledger.
func (m *Memory) Set(_ context.Context, counts map[int]Usage) error {
	fresh := make(map[int]Usage, len(counts))
	for v, u := range counts {
		fresh[v] = u
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.usage = fresh
	return nil
}

// Count lists the files the upload rule places in s — each directly in
// the rule's directory for some VDN — and returns each VDN's usage.
// Nothing else is counted: recordings and other files under the rule's
// prefix are not prompts a VDN uploaded.
func Count(ctx context.Context, s store.Lister, rule *pathrule.Rule) (map[int]Usage, error) {
	counts := map[int]Usage{}
	err := s.List(ctx, rule.Prefix(), func(f store.FileInfo) error {
		vdn, ok := rule.MatchFile(f.Name)
		if !ok {
			return nil
		}
		u := counts[vdn]
		counts[vdn] = Usage{Bytes: u.Bytes + f.Size, Files: u.Files + 1}
		return nil
	})
	return counts, err
}

// Shared is a Ledger that several nodes keep together (one in Redis, say:
// redisquota). Its counts outlive any one node, and others claim from them
// while a node starts, so a node that starts must not replace them: Load
// counts the store only while no node has.
type Shared interface {
	Ledger
	// Counted reports whether the ledger holds counts that a node set
	// (with Set or SetIfUncounted) and that have not been lost since.
	Counted(ctx context.Context) (bool, error)
	// SetIfUncounted does what Set does, atomically, only if the ledger
	// holds no counts; it reports whether it did.
	SetIfUncounted(ctx context.Context, counts map[int]Usage) (bool, error)
}

// A Recounter is a Shared ledger that can be counted again from the store
// while nodes go on claiming from it. Between BeginRecount and EndRecount
// it records every claim beside the counts; EndRecount replaces the counts
// with the store's count plus the claims recorded, at once. A file
// claimed during the count and listed by it is then counted twice, and a
// file deleted during the count after the listing passed it is still
// counted: a recount may count high, never low, so it never lets a VDN
// past its quota; the next recount at a quiet time is exact.
type Recounter interface {
	Shared
	BeginRecount(ctx context.Context) error
	EndRecount(ctx context.Context, counts map[int]Usage) error
}

// Recount counts the store's files into l while nodes may be claiming
// from it, and returns the count. A Recounter adds the claims made during
// the count (see Recounter); any other ledger is Set to the count, which
// misses files stored while it ran, so do that at a quiet time.
func Recount(ctx context.Context, l Ledger, s store.Lister, rule *pathrule.Rule) (map[int]Usage, error) {
	rc, ok := l.(Recounter)
	if ok {
		if err := rc.BeginRecount(ctx); err != nil {
			return nil, err
		}
	}
	counts, err := Count(ctx, s, rule)
	if err != nil {
		return nil, fmt.Errorf("quota: counting the stored files: %w", err)
	}
	if ok {
		return counts, rc.EndRecount(ctx, counts)
	}
	return counts, l.Set(ctx, counts)
}

// A Leaser is a Shared ledger that holds a claim as a lease on the file's
// name until the file is stored. A node that dies between claiming a
// file's size and storing the file (kill -9) leaves a lease that expires,
// not a count that lasts: ReapLeases, run by every node (KeepCounted),
// keeps the claim of an expired lease whose file the store holds and
// gives back the others.
type Leaser interface {
	Shared
	// ClaimLease is Claim, for the file name, held as a lease for ttl.
	ClaimLease(ctx context.Context, vdn int, name string, size int64, lim Limit, ttl time.Duration) (found Usage, ok bool, err error)
	// Commit ends name's lease: the file is stored, and its claim stands.
	// If the lease was reaped meanwhile, the claim is made again, past
	// any limit: the file is stored, so it counts.
	Commit(ctx context.Context, vdn int, name string, size int64) error
	// Abandon ends name's lease and gives its claim back, if the lease
	// is still there.
	Abandon(ctx context.Context, name string) error
	// Expired returns the leases past their time.
	Expired(ctx context.Context) ([]Lease, error)
}

// A Lease is a claim held for a file not yet stored.
type Lease struct {
	Name string
	VDN  int
	Size int64
}

// LeaseTTL is how long a claim is held for a file not yet stored: the
// store's commit (a link, or an object store's last part and completion)
// takes far less.
const LeaseTTL = 5 * time.Minute

// ReapLeases settles l's expired leases: the claim of a file s holds
// stands (Commit), the others are given back (Abandon). A file whose
// presence cannot be told is left for the next reap.
func ReapLeases(ctx context.Context, l Leaser, s store.Store) (kept, given int, err error) {
	leases, err := l.Expired(ctx)
	if err != nil {
		return 0, 0, err
	}
	for _, ls := range leases {
		_, serr := store.Stat(ctx, s, ls.Name)
		switch {
		case serr == nil:
			err = l.Commit(ctx, ls.VDN, ls.Name, ls.Size)
			kept++
		case errors.Is(serr, fs.ErrNotExist):
			err = l.Abandon(ctx, ls.Name)
			given++
		default:
			continue
		}
		if err != nil {
			return kept, given, err
		}
	}
	return kept, given, nil
}

// ErrUncounted is returned (wrapped) by a Shared ledger's Claim while it
// holds no counts: before any node has counted the store, or after the
// counts were lost (a Redis restarted without persistence). Claims fail
// until a node counts again (Load, KeepCounted), so a quota is never
// checked against a blank count.
var ErrUncounted = errors.New("quota: the shared usage has not been counted from the store")

// Load brings l up to date with the store at a start. It counts the
// store's files (Count) into l, and returns the counts. A Shared ledger
// that already holds counts is left as it is, uncounted: other nodes keep
// those counts up to date, and a count would miss their claims in flight;
// Load then returns nil counts. So it does if another node set its counts
// first while this one was counting.
func Load(ctx context.Context, l Ledger, s store.Lister, rule *pathrule.Rule) (map[int]Usage, error) {
	sh, shared := l.(Shared)
	if shared {
		switch counted, err := sh.Counted(ctx); {
		case err != nil:
			return nil, err
		case counted:
			return nil, nil
		}
	}
	counts, err := Count(ctx, s, rule)
	if err != nil {
		return nil, fmt.Errorf("quota: counting the stored files: %w", err)
	}
	if !shared {
		return counts, l.Set(ctx, counts)
	}
	if set, err := sh.SetIfUncounted(ctx, counts); err != nil || !set {
		return nil, err
	}
	return counts, nil
}

// KeepCounted checks every interval, until ctx ends, that the Shared
// ledger l still holds counts, and counts the store again (Load) when it
// does not: after a Redis lost them, claims fail with ErrUncounted until
// one node has counted again. report, if not nil, is told of each count
// this node made (counts not nil) and of each failure. A Leaser's expired
// leases are settled at each check too (ReapLeases), when s is the store.
func KeepCounted(ctx context.Context, l Shared, s store.Lister, rule *pathrule.Rule, every time.Duration, report func(map[int]Usage, error)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		counts, err := Load(ctx, l, s, rule)
		if report != nil && (counts != nil || err != nil) && ctx.Err() == nil {
			report(counts, err)
		}
		// Claims a dead node left: settle them.
		if lr, ok := l.(Leaser); ok {
			if st, ok := s.(store.Store); ok {
				if _, _, err := ReapLeases(ctx, lr, st); err != nil && report != nil && ctx.Err() == nil {
					report(nil, fmt.Errorf("quota: settling the leases of claims not stored: %w", err))
				}
			}
		}
	}
}
