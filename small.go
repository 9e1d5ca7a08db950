package ccfs

// The small requests, deleteFile's and downloadFile's: their bodies are
// JSON objects of at most 16 KiB, read whole, whose signature is checked
// before a byte of them is interpreted, and which name a path that must
// lie under a path rule, in a VDN the caller's key owns (paths.go). They
// are parsed by the upload's parser (internal/envelope), so the three
// interfaces hold their envelopes to one set of JSON rules (syntax,
// depth, repeated and unknown keys). One order differs: the whole of a
// small body is at hand, so a fault inside its msgBody is answered after
// a fault in its request.version, where a streamed upload stops at the
// first it meets.

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

// parseSmall parses the body of a deleteFile or downloadFile request
// with the upload's parser, envelope.Parse, so that the three interfaces
// hold their bodies to one set of JSON rules: one JSON object whose
// request.version is Version, and whose msgBody may hold the named
// fields. It returns each field's raw JSON value, nil for one that is
// absent. Unknown fields are skipped, and a repeated request, msgBody,
// version or named field is refused. A fault in msgBody is reported
// after request.version's.
func parseSmall(body []byte, names ...string) ([]json.RawMessage, error) {
	if !utf8.Valid(body) {
		return nil, ErrFormat.with("the format of the request body is incorrect: it is not UTF-8")
	}
	b, err := envelope.Parse(body, names...)
	if err != nil {
		return nil, smallFault(err)
	}
	if err := versionError(b.Version, b.HasVersion, b.VersionTooLong); err != nil {
		return nil, err
	}
	if b.Late != nil {
		return nil, smallFault(b.Late)
	}
	out := make([]json.RawMessage, len(names))
	for i := range out {
		out[i] = b.Fields[i]
	}
	return out, nil
}

// smallFault words envelope.Parse's error as the small interfaces do.
// A fault of JSON syntax is worded as an upload's.
func smallFault(err error) error {
	var e *envelope.Error
	if !errors.As(err, &e) {
		return ErrFormat.with("the format of the request body is incorrect: %v", err)
	}
	switch e.Kind {
	case envelope.NotObject:
		return ErrFormat.with("the format of the request body is incorrect: it is not a JSON object")
	case envelope.Trailing:
		return ErrFormat.with("the format of the request body is incorrect: text after the JSON object")
	case envelope.Twice:
		return ErrFormat.with("the format of the request body is incorrect: %q is given twice", e.Key)
	case envelope.WrongType:
		want := "an object"
		if e.Key == "version" {
			want = "a string"
		}
		return ErrFormat.with("the format of %s is incorrect: it is not %s", e.Key, want)
	}
	return ErrFormat.with("the format of the request body is incorrect: %v", e)
}

func isNull(raw json.RawMessage) bool { return raw == nil || string(raw) == "null" }

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
	switch {
	case raw[0] != '"':
		return "", ErrFormat.with("the format of %s is incorrect: it is not a string", param)
	case bytes.IndexByte(raw, '\\') < 0:
		s = string(raw[1 : len(raw)-1]) // checked whole by the envelope's parser
	case json.Unmarshal(raw, &s) != nil:
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
