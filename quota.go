package ccfs

// The handler's side of quotas (Options.Quota): an upload's size claimed
// from its VDN's usage at the file's end and settled once the store has
// answered; a deleted file's size given back once, however many servers
// or copies of a pool's file saw it go.

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ccfs-go/ccfs/quota"
	"github.com/ccfs-go/ccfs/store"
)

// ledgerTimeout bounds a call to the quota ledger (Options.Usage), which
// runs on its own context: the request's may have ended, and a claim
// begun must be settled.
const ledgerTimeout = 5 * time.Second

// claim claims the file's size from its VDN's quota, once the signature
// holds and the whole file has been read: so uploads racing at the edge
// can never together pass a limit, and a stranger claims nothing. Without
// Options.Quota it claims nothing.
func (u *upload) claim() error {
	if u.cfg.Quota == nil {
		return nil
	}
	size := u.wav.Written()
	lim := u.cfg.Quota.For(u.vdn)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(u.ctx), ledgerTimeout)
	defer cancel()
	var found quota.Usage
	var ok bool
	var err error
	if lr, leases := u.cfg.Usage.(quota.Leaser); leases {
		// A lease until the file is stored: if this process dies first,
		// the claim does not outlive it (quota.ReapLeases).
		found, ok, err = lr.ClaimLease(ctx, u.vdn, u.name, size, lim, quota.LeaseTTL)
	} else {
		found, ok, err = u.cfg.Usage.Claim(ctx, u.vdn, size, lim)
	}
	switch {
	case err != nil:
		return ErrStorage.with("the file could not be stored: the VDN's usage could not be counted").because(err)
	case !ok:
		return quotaRefusal(u.vdn, size, lim, found)
	}
	u.claimed = size
	return nil
}

// settleClaim ends the upload's claim, if it made one, once the store has
// answered: kept if the file was stored, given back if not. A plain claim
// is only given back; a lease (a quota.Leaser's) is committed or
// abandoned.
func (u *upload) settleClaim(stored bool) {
	if u.claimed < 0 {
		return
	}
	lr, leases := u.cfg.Usage.(quota.Leaser)
	if !leases {
		if !stored {
			u.cfg.giveBack(u.ctx, u.vdn, u.claimed)
		}
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(u.ctx), ledgerTimeout)
	defer cancel()
	var err error
	if stored {
		err = lr.Commit(ctx, u.vdn, u.name, u.claimed)
	} else {
		err = lr.Abandon(ctx, u.name)
	}
	if err != nil {
		u.cfg.Logger.Warn("quota: a claim's lease could not be settled; it is when the lease expires", "vdn", u.vdn, "file", u.name, "stored", stored, "err", err)
	}
}

// giveBack takes one file of size bytes off vdn's usage, on a context of
// its own (the request's may have ended). A ledger that cannot take it
// back is logged: the file stays counted until a reconcile.
func (c *config) giveBack(ctx context.Context, vdn int, size int64) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ledgerTimeout)
	defer cancel()
	if err := c.Usage.Release(ctx, vdn, size); err != nil {
		c.Logger.Warn("quota: a file's size could not be given back; it stays counted until a reconcile (ccfs usage --reconcile, or a restart on one node)", "vdn", vdn, "bytes", size, "err", err)
	}
}

// quotaRefusal says which of vdn's limits a file of size bytes would
// pass, from the usage its claim found: "quota reached for VDN 53: 9.5 MiB
// of 10 MiB stored; this file needs 1.2 MiB", or "…: 1000 of 1000 files
// stored", or both.
func quotaRefusal(vdn int, size int64, lim quota.Limit, found quota.Usage) Error {
	bytes, files := found.Passes(size, lim)
	var why []string
	if bytes {
		why = append(why, fmt.Sprintf("%s of %s stored; this file needs %s", sizeText(found.Bytes), sizeText(lim.Bytes), sizeText(size)))
	}
	if files {
		why = append(why, fmt.Sprintf("%d of %d files stored", found.Files, lim.Files))
	}
	if len(why) == 0 { // a Ledger that refused without saying which limit
		why = append(why, fmt.Sprintf("this file of %s would pass its limit of %s", sizeText(size), lim))
	}
	return ErrQuota.with("quota reached for VDN %d: %s; delete files to make room", vdn, strings.Join(why, "; "))
}

// sizeText writes n bytes for a person: "512 bytes", "40 KiB", "9.5 MiB".
func sizeText(n int64) string {
	if n < 1<<10 {
		return fmt.Sprintf("%d bytes", n)
	}
	v, unit := float64(n), ""
	for _, u := range []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"} {
		if v /= 1 << 10; v < 1<<10 || u == "EiB" {
			unit = u
			break
		}
	}
	return strings.TrimSuffix(strconv.FormatFloat(v, 'f', 1, 64), ".0") + " " + unit
}

// giveBackOnce gives a removed file's size back to its VDN's quota if no
// other remover sharing the Fence has (quota.ReleaseOnce): two servers
// that each removed a copy of a pool's file, or each found an object
// gone, count it once.
func (h *Handler) giveBackOnce(ctx context.Context, vdn int, name string, size int64) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ledgerTimeout)
	defer cancel()
	if err := quota.ReleaseOnce(ctx, h.cfg.Usage, h.cfg.Fence, vdn, name, size); err != nil {
		h.cfg.Logger.Warn("quota: a removed file's size could not be given back; it stays counted until a reconcile (ccfs usage --reconcile, or a restart on one node)", "file", name, "vdn", vdn, "bytes", size, "err", err)
	}
}

// removeCopy removes the copy of name at one location of a pool. Under a
// quota (size not negative) it returns size while no copy is left, the
// file's size to give back, and -1 while other locations still hold one:
// a prompt is one file to its VDN's quota however many copies the pool
// keeps. Concurrent removers need no lock here: the Fence lets one remove
// each copy, and giveBackOnce gives the size back once.
func (h *Handler) removeCopy(ctx context.Context, lr store.LocationRemover, location, name string, size int64) (int64, error) {
	if err := store.RemoveAtFenced(ctx, lr, h.cfg.Fence, location, name); err != nil || size < 0 {
		return -1, err
	}
	switch _, err := h.sizeOf(ctx, name); {
	case err == nil:
		return -1, nil // copies are left
	case !missing(err):
		h.cfg.Logger.Warn("quota: after removing a copy, whether others are left is unknown; its size stays counted until a reconcile", "file", name, "err", err)
		return -1, nil
	}
	return size, nil
}

// sizeOf is the size of the stored file name (a HEAD, on S3).
func (h *Handler) sizeOf(ctx context.Context, name string) (int64, error) {
	info, err := store.Stat(ctx, h.cfg.Store, name)
	return info.Size, err
}
