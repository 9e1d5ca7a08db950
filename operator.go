package ccfs

// An operator's tools: what an operator's console (package console) asks
// of a Handler beside the interfaces' requests. Each acts for an
// operator its caller has signed in, not for an access key: no
// signature, rate limit or slot is involved, and the caller decides who
// may. A prompt is named by its VDN and its base name, and only a
// regular file the upload path rule put directly in that VDN's directory
// is one: the same rule deleteFile and listFiles keep.

import (
	"context"
	"io/fs"
	"path"
	"strings"

	"github.com/ccfs-go/ccfs/pathrule"
	"github.com/ccfs-go/ccfs/quota"
	"github.com/ccfs-go/ccfs/store"
)

// PromptDir returns the directory vdn's prompts are uploaded to, as an
// upload's answer names it: "Y:/3rdfile/53/thirdvoicebotfile".
func (h *Handler) PromptDir(vdn int) string {
	return h.cfg.RootPrefix + "/" + h.cfg.rule.Dir(vdn)
}

// PerVDN reports whether the upload path rule has %VDNNO%, so that each
// VDN's prompts have a directory of their own; without it, every VDN's
// prompts share one and the operator's tools have none to list.
func (h *Handler) PerVDN() bool { return strings.Contains(h.cfg.PathRule, pathrule.Placeholder) }

// Prompts returns a page of at most limit (1–1000) of vdn's prompts in
// the order of their names, after the one whose base name is after (""
// for the first page), and whether more may follow. FileName is the full
// name, root prefix included. It needs a store that lists.
func (h *Handler) Prompts(ctx context.Context, vdn int, after string, limit int) ([]ListedFile, bool, error) {
	if !canList(h.cfg.Store) {
		return nil, false, ErrStorage.with("the store (%s) cannot list its files", storeType(h.cfg.Store))
	}
	if limit < 1 || limit > MaxListLimit || vdn <= 0 || !h.PerVDN() {
		return nil, false, ErrFormat.with("no page of VDN %d's prompts of %d can be listed", vdn, limit)
	}
	dir := h.cfg.rule.Dir(vdn)
	if after != "" {
		if _, err := h.promptName(vdn, after); err != nil {
			return nil, false, err
		}
		after = dir + "/" + after
	}
	files, more, err := store.ListPage(ctx, h.cfg.Store, dir, after, limit)
	if err != nil && !missing(err) {
		return nil, false, ErrStorage.with("the files could not be listed").because(err)
	}
	out := make([]ListedFile, 0, len(files))
	for _, f := range files {
		if v, ok := h.cfg.rule.MatchFile(f.Name); !ok || v != vdn || path.Dir(f.Name) != dir {
			continue
		}
		out = append(out, ListedFile{FileName: h.cfg.RootPrefix + "/" + f.Name, Size: f.Size, Modified: f.ModTime.UTC(), LocationIDs: f.Locations})
	}
	return out, more && len(files) > 0, nil
}

// OpenPrompt opens vdn's prompt base for reading. It refuses a name that
// is not a prompt of vdn's (ErrFormat), and anything there but a regular
// file (ErrNoSuchFile). It needs a store that opens files.
func (h *Handler) OpenPrompt(ctx context.Context, vdn int, base string) (fs.File, fs.FileInfo, error) {
	if h.cfg.opener == nil {
		return nil, nil, ErrStorage.with("the store (%s) cannot open its files", storeType(h.cfg.Store))
	}
	name, err := h.promptName(vdn, base)
	if err != nil {
		return nil, nil, err
	}
	return openFile(h.cfg.opener, name, h.cfg.RootPrefix+"/"+name)
}

// RemovePrompt deletes vdn's prompt base (every copy, in a pool) for the
// operator named operator, as deleteFile would: fenced against other
// removers, its size given back to vdn's quota, its event
// (prompt.deleted, with Operator set) recorded around it, and an audit
// line logged at INFO. It needs a store that removes files.
func (h *Handler) RemovePrompt(ctx context.Context, vdn int, base, operator string) error {
	if h.cfg.remover == nil {
		return ErrStorage.with("the store (%s) cannot remove its files", storeType(h.cfg.Store))
	}
	if operator == "" {
		return ErrNull.with("no operator is named")
	}
	name, err := h.promptName(vdn, base)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer cancel()
	shown := h.cfg.RootPrefix + "/" + name
	err = h.removeFile(ctx, vdn, name, shown, "", nil, operator)
	if err == nil {
		h.cfg.Logger.Info("audit: an operator deleted a prompt", "operator", operator, "vdn", vdn, "file", shown)
	}
	return err
}

// promptName returns the store's name of vdn's prompt base, or refuses a
// base that is no file name of the upload path rule's directory.
func (h *Handler) promptName(vdn int, base string) (string, error) {
	if vdn <= 0 || !h.PerVDN() {
		return "", ErrFormat.with("VDN %d has no prompt directory", vdn)
	}
	name := h.cfg.rule.Dir(vdn) + "/" + base
	if base == "" || strings.Contains(base, "/") {
		return "", ErrFormat.with("%s is not a prompt's name", quotePath(base))
	}
	if _, err := h.cfg.storeName("fileName", h.cfg.RootPrefix+"/"+name, false); err != nil {
		return "", err
	}
	if v, ok := h.cfg.rule.MatchFile(name); !ok || v != vdn {
		return "", ErrFormat.with("%s is not a prompt of VDN %d", quotePath(base), vdn)
	}
	return name, nil
}

// A VDNUsage is what a VDN's prompts hold against its quota.
type VDNUsage struct {
	quota.Usage
	// Limit is the VDN's quota; meaningful only if Quota.
	Limit quota.Limit
	// Quota says quotas are on (Options.Quota); without them Usage is
	// counted from the store.
	Quota bool
}

// Usage returns each of vdns' usage: from the quota ledger with quotas on
// (Options.Usage, what uploads are checked against), else counted from
// the store in one pass over it. Without quotas, nil vdns asks for every
// VDN the store holds a prompt of (the count finds them all anyway).
func (h *Handler) Usage(ctx context.Context, vdns []int) (map[int]VDNUsage, error) {
	out := make(map[int]VDNUsage, len(vdns))
	if h.cfg.Quota != nil {
		for _, v := range vdns {
			u, err := h.cfg.Usage.Usage(ctx, v)
			if err != nil {
				return nil, ErrStorage.with("VDN %d's usage could not be read", v).because(err)
			}
			out[v] = VDNUsage{Usage: u, Limit: h.cfg.Quota.For(v), Quota: true}
		}
		return out, nil
	}
	lister, ok := h.cfg.Store.(store.Lister)
	if !ok || !h.PerVDN() {
		return nil, ErrStorage.with("without quotas, usage is counted from the store, and %s cannot list its files", storeType(h.cfg.Store))
	}
	counts, err := quota.Count(ctx, lister, h.cfg.rule)
	if err != nil {
		return nil, ErrStorage.with("the store's files could not be counted").because(err)
	}
	if vdns == nil {
		for v, u := range counts {
			out[v] = VDNUsage{Usage: u}
		}
	}
	for _, v := range vdns {
		out[v] = VDNUsage{Usage: counts[v]}
	}
	return out, nil
}

// Quotas reports whether quotas are on (Options.Quota): Usage then
// reads the ledger, which is cheap for any VDN.
func (h *Handler) Quotas() bool { return h.cfg.Quota != nil }

// QuotaVDNs returns the VDNs with a quota of their own (Options.Quota's
// Named), none without quotas.
func (h *Handler) QuotaVDNs() []int {
	if h.cfg.Quota == nil {
		return nil
	}
	return h.cfg.Quota.Named()
}
