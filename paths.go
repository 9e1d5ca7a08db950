package ccfs

// Paths a deleteFile or downloadFile request names: taken literally,
// under a rule, in a VDN the key owns.

import (
	"errors"
	"io/fs"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/pathrule"
	"github.com/ccfs-go/ccfs/store"
)

// maxPathLen is the longest path a request may name: the root prefix, a
// slash, and the longest store name.
func (c *config) maxPathLen() int { return len(c.RootPrefix) + 1 + 1024 }

// storeName turns a path a request names (fileName, filePath) into the
// store's name for it, or refuses it. The path must start with the root
// prefix and a slash, exactly; what follows must be a clean relative path
// (no empty, "." or ".." segment) without a backslash, colon, '%' or
// control character. Nothing is decoded or cleaned: a path that needs it
// is refused, so "%2e%2e", "..\\" or "Z:" never mean anything but
// themselves. A folder may end in one slash.
func (c *config) storeName(param, p string, folder bool) (string, error) {
	rest, ok := strings.CutPrefix(p, c.RootPrefix+"/")
	if !ok {
		return "", ErrFormat.with("the format of %s is incorrect: it must start with %q", param, c.RootPrefix+"/")
	}
	if folder {
		rest = strings.TrimSuffix(rest, "/")
	}
	if i := strings.IndexFunc(rest, func(r rune) bool {
		return r < 0x20 || r == 0x7f || r == '\\' || r == ':' || r == '%'
	}); i >= 0 {
		return "", ErrFormat.with("the format of %s is incorrect: it holds %q", param, rest[i:i+1])
	}
	if store.CheckName(rest) != nil {
		return "", ErrFormat.with("the format of %s is incorrect: it is not a clean path (an empty, \".\" or \"..\" segment)", param)
	}
	for elem := range strings.SplitSeq(rest, "/") {
		if len(elem) > maxElementLen {
			return "", ErrFormat.with("the format of %s is incorrect: a name in it is longer than %d bytes", param, maxElementLen)
		}
	}
	return rest, nil
}

// maxElementLen is the longest name of one file or folder a path may
// hold: NAME_MAX on the filesystems a store is kept on. A longer one
// cannot exist; refused here, it never reaches the store as an error of
// the store's own.
const maxElementLen = 255

// missing reports whether a store's error says the name a request gave
// leads to no file the request may use: it does not exist, a link is on
// its path (store.ErrLink), or it is no name the store can hold (store.Dir
// wraps what its filesystem refuses, too long a name say, as not existing).
// Such an error is the caller's, answered 0300021 and logged at INFO; the
// store's own faults stay 0300016 and ERROR.
func missing(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrInvalid)
}

// match returns the VDN of name under the first of rules it lies under,
// and the rest of name after that rule's directory; a file (needFile)
// must have a rest.
func match(rules []*pathrule.Rule, name string, needFile bool) (vdn int, rest string, ok bool) {
	for _, r := range rules {
		if vdn, rest, ok := r.Match(name); ok && (rest != "" || !needFile) {
			return vdn, rest, true
		}
	}
	return 0, "", false
}

// checkOwner refuses a VDN the request's key does not own.
func checkOwner(x *auth.Verification, vdn int) error {
	switch {
	case x.Allows(vdn):
		return nil
	case vdn == 0:
		return ErrVDNForbidden.with("the access key may not use files outside a VDN (the path rule has no %s)", pathrule.Placeholder)
	}
	return vdnForbidden(vdn)
}

// vdnForbidden is the answer to a key that may not use vdn, on every
// interface.
func vdnForbidden(vdn int) Error {
	return ErrVDNForbidden.with("the access key may not use VDN %d", vdn)
}

// maxQuotedPath bounds how much of a caller's path an answer quotes.
const maxQuotedPath = 200

// quotePath quotes a path the caller sent for an answer: Go-quoted, so no
// control character or quote in it can forge a line of a log or an
// answer, and at most its first maxQuotedPath bytes (cut between
// characters), then "…".
func quotePath(p string) string {
	if len(p) <= maxQuotedPath {
		return strconv.Quote(p)
	}
	cut := maxQuotedPath
	for cut > 0 && !utf8.RuneStart(p[cut]) {
		cut--
	}
	return strconv.Quote(p[:cut]) + "…"
}

// noSuchFile is the answer for a path the caller sent that names no
// file: what, "file" or "folder", and why, if more is to be said.
func noSuchFile(what, path, why string) Error {
	if why != "" {
		return ErrNoSuchFile.with("the %s does not exist: %s %s", what, quotePath(path), why)
	}
	return ErrNoSuchFile.with("the %s does not exist: %s", what, quotePath(path))
}
