package console

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
)

// usageTTL is how long usage counted from the store (quotas off) is kept
// before it is counted again.
const usageTTL = 30 * time.Second

// usageCache keeps the usage counted from the store for a while: without
// quotas, Handler.Usage counts the whole store, which a page load should
// not do each time. With quotas on, usage is read fresh from the ledger.
type usageCache struct {
	mu     sync.Mutex // held while counting: one count at a time
	at     time.Time
	counts map[int]ccfs.VDNUsage
}

func newUsageCache() *usageCache { return &usageCache{} }

// usage returns the usage of vdns and, without quotas, of every VDN the
// store holds prompts of, with when it was counted (the zero time if it
// is fresh from the quota ledger).
func (u *usageCache) usage(ctx context.Context, h *ccfs.Handler, vdns []int, now time.Time) (map[int]ccfs.VDNUsage, time.Time, error) {
	if h.Quotas() {
		m, err := h.Usage(ctx, vdns)
		return m, time.Time{}, err
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.counts == nil || now.Sub(u.at) >= usageTTL || now.Before(u.at) {
		all, err := h.Usage(ctx, nil)
		if err != nil {
			return nil, time.Time{}, err
		}
		u.counts, u.at = all, now
	}
	out := maps.Clone(u.counts)
	for _, v := range vdns {
		if _, ok := out[v]; !ok {
			out[v] = ccfs.VDNUsage{}
		}
	}
	return out, u.at, nil
}

// A keySeen is a key's name and when it was last seen.
type keySeen struct {
	Name     string
	LastSeen time.Time
}

// A tenantRow is one VDN on the tenants page.
type tenantRow struct {
	VDN                int
	Bytes, Files       int64
	Quota              bool  // quotas are on
	MaxBytes, MaxFiles int64 // the VDN's limits, 0 for none
	HighBytes          int64 // where the bar turns to a warning: 90% of MaxBytes
	Retention          string
	Keys               []keySeen
}

// tenantsData is what tenants.html shows.
type tenantsData struct {
	Rows     []tenantRow
	AnyVDN   []keySeen // keys that may write every VDN
	Keys     bool      // the credentials list their keys
	Counted  time.Time // when the store was counted (quotas off)
	Error    string
	PerVDN   bool
	Recorded bool
}

// serveTenants shows each VDN: its usage against its quota, its
// retention and the keys that may write it, with when each was last
// seen.
func (c *Console) serveTenants(w http.ResponseWriter, r *http.Request) {
	h := c.opts.Handler
	d := tenantsData{PerVDN: h.PerVDN(), Recorded: c.opts.Recorder != nil}
	byVDN := map[int][]keySeen{}
	if gl, ok := c.opts.Credentials.(auth.GrantLister); ok {
		d.Keys = true
		for _, g := range gl.Grants() {
			k := keySeen{Name: g.AccessKey, LastSeen: c.opts.Recorder.LastSeen(g.AccessKey)}
			if g.AnyVDN {
				d.AnyVDN = append(d.AnyVDN, k)
				continue
			}
			for _, v := range g.VDNs {
				byVDN[v] = append(byVDN[v], k)
			}
		}
	}
	vdns := slices.Collect(maps.Keys(byVDN))
	vdns = append(vdns, h.QuotaVDNs()...)
	vdns = append(vdns, c.opts.Recorder.VDNs()...)
	ctx, cancel := context.WithTimeout(r.Context(), overviewTimeout*5)
	defer cancel()
	usage, counted, err := c.usage.usage(ctx, h, vdns, c.opts.Now())
	if err != nil {
		d.Error = err.Error()
		usage = map[int]ccfs.VDNUsage{}
	}
	d.Counted = counted
	for v := range usage {
		vdns = append(vdns, v)
	}
	slices.Sort(vdns)
	for _, v := range slices.Compact(vdns) {
		u := usage[v]
		row := tenantRow{VDN: v, Bytes: u.Bytes, Files: u.Files, Quota: u.Quota, Retention: c.retention(v), Keys: byVDN[v]}
		if u.Quota {
			row.MaxBytes, row.MaxFiles = u.Limit.Bytes, u.Limit.Files
			row.HighBytes = row.MaxBytes / 10 * 9
		}
		d.Rows = append(d.Rows, row)
	}
	c.render(w, r, http.StatusOK, "tenants", "Tenants", "tenants", d)
}

// retention says how long vdn's prompts are kept.
func (c *Console) retention(vdn int) string {
	if c.opts.Retention == nil {
		return keptUntilDeleted
	}
	return ageText(c.opts.Retention.For(vdn))
}

// keptUntilDeleted is the retention of a VDN whose prompts no age removes.
const keptUntilDeleted = "kept until deleted"

// ageText writes a retention age for a person: "30 days", "1 day",
// "12h0m0s"; zero is kept until deleted.
func ageText(d time.Duration) string {
	const day = 24 * time.Hour
	switch {
	case d <= 0:
		return keptUntilDeleted
	case d == day:
		return "1 day"
	case d%day == 0:
		return strconv.FormatInt(int64(d/day), 10) + " days"
	}
	return d.String()
}
