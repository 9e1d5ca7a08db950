package ccfs

// The small requests, deleteFile's and downloadFile's: their bodies are
// JSON objects of at most 16 KiB, read whole, whose signature is checked
// before a byte of them is interpreted, and which name a path that must
// lie under a path rule, in a VDN the caller's key owns (paths.go).

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"unicode/utf8"

	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/internal/envelope"
)

// maxSmallBody bounds the body of a deleteFile or downloadFile request: a
// path of at most maxPathLen bytes, even with every byte escaped, and the
// envelope around it.
const maxSmallBody = 16 << 10

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
	body := requestBody{r: r.Body, ctx: r.Context(), size: r.ContentLength, pace: newPace(w, r, h)}
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
