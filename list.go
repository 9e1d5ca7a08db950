package ccfs

// listFiles, a ccfs extension (Options.ListFiles, docs/list-files.md):
// the prompts in a key's own VDN, a page at a time, in the order of their
// names. Its request is a small one, read whole and its signature checked
// before anything in it is believed, as deleteFile's is.

import (
	"context"
	"encoding/json"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/ccfs-go/ccfs/pathrule"
	"github.com/ccfs-go/ccfs/store"
)

// canList reports whether s can serve listFiles' pages.
func canList(s store.Store) bool {
	switch s.(type) {
	case store.PageLister, store.Lister:
		return true
	}
	return false
}

// serveList runs one listFiles request: the checks that need no body,
// the body read whole and its signature checked, then its vdnId checked
// against the key's VDNs, its limit and pageToken read, and a page of the
// files the upload path rule puts in that VDN's directory listed. It
// writes the answer itself, a ListResponse.
func (h *Handler) serveList(w http.ResponseWriter, r *http.Request, ev *Event) (*Response, error) {
	if err := checkMethod(w, r); err != nil {
		return nil, err
	}
	x, release, err := h.admit(w, r, ev, maxSmallBody, "a "+ev.Interface+" request", h.cfg.verifier.BeginVDNInBody)
	if err != nil {
		return nil, err
	}
	defer release()
	fields, err := h.readSigned(w, r, x, ev, "vdnId", "limit", "pageToken")
	if err != nil {
		return nil, err
	}
	vdn, err := vdnField(fields[0])
	if err != nil {
		return nil, err
	}
	ev.VDN = vdn
	owner := vdn
	if !strings.Contains(h.cfg.PathRule, pathrule.Placeholder) {
		owner = 0 // the rule's one directory is no VDN's: checkOwner asks for AnyVDN
	}
	if err := checkOwner(x, owner); err != nil {
		return nil, err
	}
	limit, err := limitField(fields[1])
	if err != nil {
		return nil, err
	}
	token, err := stringField("pageToken", fields[2], false, maxPageToken)
	if err != nil {
		return nil, err
	}
	tokens := pageTokens{key: x.DeriveKey(pageTokenLabel), ak: x.AccessKey(), vdn: vdn}
	after := ""
	if token != "" {
		if after, err = tokens.open(token); err != nil {
			return nil, err
		}
	}
	dir := h.cfg.rule.Dir(vdn)
	if after != "" {
		after = dir + "/" + after
	}
	ctx, cancel := context.WithTimeout(r.Context(), storeTimeout)
	defer cancel()
	files, more, err := store.ListPage(ctx, h.cfg.Store, dir, after, limit)
	if err != nil && !missing(err) { // no directory yet (or a link for one): nothing to list
		return nil, ErrStorage.with("the files could not be listed").because(err)
	}
	res := ListResult{Files: make([]ListedFile, 0, len(files))}
	for _, f := range files {
		if v, ok := h.cfg.rule.MatchFile(f.Name); !ok || v != vdn && owner != 0 || path.Dir(f.Name) != dir {
			continue // a store's page holds what the rule places there, but never trust it to
		}
		res.Files = append(res.Files, ListedFile{
			FileName:    h.cfg.RootPrefix + "/" + f.Name,
			Size:        f.Size,
			Modified:    f.ModTime.UTC(),
			LocationIDs: f.Locations,
		})
	}
	if more && len(files) > 0 {
		res.NextPageToken = tokens.seal(path.Base(files[len(files)-1].Name))
	}
	b, err := json.Marshal(ListResponse{ResultCode: SuccessCode, ResultDesc: "success", ResultData: &res})
	if err != nil { // a time outside years 0–9999, from a broken store
		return nil, ErrStorage.with("the files could not be listed").because(err)
	}
	writeList(w, b)
	return nil, nil
}

// vdnField reads listFiles' vdnId: required, a positive 32-bit integer,
// written as a JSON number or a string of digits.
func vdnField(raw json.RawMessage) (int, error) {
	if isNull(raw) {
		return 0, ErrNull.with("the value of vdnId cannot be null")
	}
	s := string(raw)
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, ErrFormat.with("the format of vdnId is incorrect: it is not a number")
		}
		if s == "" {
			return 0, ErrEmpty.with("vdnId cannot be an empty string")
		}
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil || n <= 0 || s[0] < '0' || s[0] > '9' {
		return 0, ErrFormat.with("the format of vdnId is incorrect: %s is not a positive 32-bit integer", strconv.Quote(clipText(s)))
	}
	return int(n), nil
}

// limitField reads listFiles' limit: absent, null or 0 is
// DefaultListLimit; else an integer from 1 to MaxListLimit, written as a
// JSON number without a fraction or exponent.
func limitField(raw json.RawMessage) (int, error) {
	if isNull(raw) {
		return DefaultListLimit, nil
	}
	s := string(raw)
	n, err := strconv.Atoi(s)
	switch {
	case err != nil || s[0] == '+':
		return 0, ErrFormat.with("the format of limit is incorrect: %s is not an integer; give 1 to %d, or leave it out for %d",
			strconv.Quote(clipText(s)), MaxListLimit, DefaultListLimit)
	case n == 0:
		return DefaultListLimit, nil
	case n < 0 || n > MaxListLimit:
		return 0, ErrFormat.with("the format of limit is incorrect: %d is out of range; give 1 to %d, or leave it out for %d",
			n, MaxListLimit, DefaultListLimit)
	}
	return n, nil
}

// writeList writes a listing, encoded as b, as writeResponse writes
// other answers.
func writeList(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}
