package ccfs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"unicode/utf8"

	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/internal/envelope"
	"github.com/ccfs-go/ccfs/pathrule"
	"github.com/ccfs-go/ccfs/store"
)

// This file holds what deleteFile and downloadFile share: their bodies
// are small JSON objects, read whole, whose signature is checked before a
// byte of them is interpreted, and which name a path that must lie under a
// path rule, in a VDN the caller's key owns.

// maxSmallBody bounds the body of a deleteFile or downloadFile request: a
// path of at most maxPathLen bytes, even with every byte escaped, and the
// envelope around it.
const maxSmallBody = 16 << 10

// maxLocationLen bounds a locationId.
const maxLocationLen = 64

// beginSmall runs what deleteFile and downloadFile do before they differ:
// the method, admit, the body read whole and verified, parsed, and its
// path field (pathParam: required, at most maxPathLen bytes) read, with
// the raw value of its other field (otherParam). The caller must call the
// returned release.
func (h *Handler) beginSmall(w http.ResponseWriter, r *http.Request, ev *Event, pathParam, otherParam string) (
	x *auth.Verification, path string, other json.RawMessage, release func(), err error) {
	if err := checkMethod(w, r); err != nil {
		return nil, "", nil, nil, err
	}
	x, release, err = h.admit(w, r, ev, maxSmallBody, "a "+ev.Interface+" request", h.cfg.verifier.BeginVDNInBody)
	if err != nil {
		return nil, "", nil, nil, err
	}
	fields, err := h.readSigned(w, r, x, ev, pathParam, otherParam)
	if err == nil {
		path, err = stringField(pathParam, fields[0], true, h.cfg.maxPathLen())
	}
	if err != nil {
		release()
		return nil, "", nil, nil, err
	}
	ev.FileName = path
	return x, path, fields[1], release, nil
}

// readSigned reads the whole body of a small request through x, checks
// its signature at the end, and only then parses it (parseSmall) for the
// named fields. The body is at most maxSmallBody bytes (admit checked its
// Content-Length), held to the minimum rate like an upload's.
func (h *Handler) readSigned(w http.ResponseWriter, r *http.Request, x *auth.Verification, ev *Event, names ...string) ([]json.RawMessage, error) {
	buf := make([]byte, r.ContentLength)
	body := requestBody{r: r.Body, ctx: r.Context(), size: r.ContentLength, pace: newPace(w, r, h.cfg)}
	n, err := io.ReadFull(&body, buf)
	if err == nil {
		var more [1]byte
		if _, err = body.Read(more[:]); err == io.EOF {
			err = nil
		} else if err == nil {
			err = bodyError{errors.New("more bytes than Content-Length")}
		}
	}
	ev.BodyBytes = int64(n)
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || err == io.EOF {
			err = bodyError{io.ErrUnexpectedEOF}
		}
		return nil, err
	}
	x.Write(buf)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), replayTimeout)
	defer cancel()
	err = x.Verify(ctx)
	h.settle(x, ev)
	if err != nil {
		return nil, err
	}
	return parseSmall(buf, names...)
}

// parseSmall parses the body of a deleteFile or downloadFile request: one
// JSON object whose request.version is Version, and whose msgBody may hold
// the named fields. It returns each field's raw JSON value, nil for one
// that is absent. As in an upload, unknown fields are skipped, and a
// repeated request, msgBody, version or named field is refused.
func parseSmall(body []byte, names ...string) ([]json.RawMessage, error) {
	if !utf8.Valid(body) {
		return nil, ErrFormat.with("the format of the request body is incorrect: it is not UTF-8")
	}
	top, err := members(body, "request", "msgBody")
	if err != nil {
		return nil, err
	}
	var version json.RawMessage
	if req := top["request"]; !isNull(req) {
		if req[0] != '{' {
			return nil, ErrFormat.with("the format of request is incorrect: it is not an object")
		}
		fields, err := members(req, "version")
		if err != nil {
			return nil, err
		}
		version = fields["version"]
	}
	if err := checkVersion(version); err != nil {
		return nil, err
	}
	out := make([]json.RawMessage, len(names))
	if msg := top["msgBody"]; !isNull(msg) {
		if msg[0] != '{' {
			return nil, ErrFormat.with("the format of msgBody is incorrect: it is not an object")
		}
		fields, err := members(msg, names...)
		if err != nil {
			return nil, err
		}
		for i, n := range names {
			out[i] = fields[n]
		}
	}
	return out, nil
}

// members returns the members of the JSON object raw that are named in
// known, refusing one given twice.
func members(raw []byte, known ...string) (map[string]json.RawMessage, error) {
	bad := func(err error) error {
		return ErrFormat.with("the format of the request body is incorrect: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil {
		return nil, bad(err)
	} else if t != json.Delim('{') {
		return nil, ErrFormat.with("the format of the request body is incorrect: it is not a JSON object")
	}
	out := map[string]json.RawMessage{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, bad(err)
		}
		key, _ := t.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, bad(err)
		}
		for _, k := range known {
			if key != k {
				continue
			}
			if _, dup := out[key]; dup {
				return nil, ErrFormat.with("the format of the request body is incorrect: %q is given twice", key)
			}
			out[key] = v
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, bad(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, ErrFormat.with("the format of the request body is incorrect: text after the JSON object")
	}
	return out, nil
}

func isNull(raw json.RawMessage) bool { return raw == nil || string(raw) == "null" }

// checkVersion checks request.version as an upload's is checked.
func checkVersion(raw json.RawMessage) error {
	if isNull(raw) {
		return versionError("", false, false)
	}
	var v string
	if raw[0] != '"' || json.Unmarshal(raw, &v) != nil {
		return ErrFormat.with("the format of version is incorrect: it is not a string")
	}
	return versionError(v, true, len(v) > envelope.MaxVersionLen)
}

// stringField reads the string field param: absent or null is "", an
// error if required; longer than maxLen bytes is refused.
func stringField(param string, raw json.RawMessage, required bool, maxLen int) (string, error) {
	if isNull(raw) {
		if required {
			return "", ErrNull.with("the value of %s cannot be null", param)
		}
		return "", nil
	}
	var s string
	if raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return "", ErrFormat.with("the format of %s is incorrect: it is not a string", param)
	}
	switch {
	case s == "" && required:
		return "", ErrEmpty.with("%s cannot be an empty string", param)
	case len(s) > maxLen:
		return "", ErrTooLong.with("the length of %s is too long (at most %d bytes)", param, maxLen)
	}
	return s, nil
}

// modeField reads downloadFile's mode: an integer, or a string holding
// one (clients that write every value as a string send "1"); 1 names a
// folder, any other value (or none) a file.
func modeField(raw json.RawMessage) (folder bool, err error) {
	if isNull(raw) {
		return false, nil
	}
	text := string(raw)
	if raw[0] == '"' {
		if json.Unmarshal(raw, &text) != nil {
			text = ""
		}
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return false, ErrFormat.with("the format of mode is incorrect: it is not an integer")
	}
	return n == ModeFolder, nil
}

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

// missing reports whether a store's error says the name a request gave
// leads to no file the request may use: it does not exist, a link is on
// its path (store.ErrLink), or the filesystem refuses the name itself.
// Such an error is the caller's, answered 0300021 and logged at INFO; the
// store's own faults stay 0300016 and ERROR.
func missing(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrInvalid) ||
		errors.Is(err, syscall.ENAMETOOLONG) || errors.Is(err, syscall.ENOTDIR) || errors.Is(err, syscall.ELOOP)
}

// maxElementLen is the longest name of one file or folder a path may
// hold: NAME_MAX on the filesystems a store is kept on. A longer one
// cannot exist; refused here, it never reaches the store as an error of
// the store's own.
const maxElementLen = 255

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
	return ErrVDNForbidden.with("the access key may not use VDN %d", vdn)
}
