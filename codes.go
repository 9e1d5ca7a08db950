package ccfs

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/convert"
	"github.com/ccfs-go/ccfs/internal/b64"
	"github.com/ccfs-go/ccfs/internal/envelope"
	"github.com/ccfs-go/ccfs/store"
	"github.com/ccfs-go/ccfs/wavcheck"
)

// An Error is a failed request as the caller sees it: the CC-FS result
// code, the description, and the HTTP status. It is a value: the sentinels
// below cannot be changed by anyone. errors.Is matches two Errors with the
// same code, so a returned error can be compared with the sentinels; use
// errors.As with a ccfs.Error to read its code and description. The cause,
// if any, is for logs and never reaches the caller.
type Error struct {
	code   string
	desc   string
	status int
	cause  error
	signed *auth.Explanation // what the server signed, for a signature that did not match
	// terse keeps signed out of the answer (TerseSignatureErrors): it is
	// still in the request's Event, for the operator.
	terse bool
}

// Code returns the result code, such as "0300004".
func (e Error) Code() string { return e.code }

// Desc returns the description the caller sees.
func (e Error) Desc() string { return e.desc }

// Status returns the HTTP status of the answer.
func (e Error) Status() int { return e.status }

// Error returns "code: description".
func (e Error) Error() string { return e.code + ": " + e.desc }

// Is reports whether target is an Error with the same code.
func (e Error) Is(target error) bool {
	t, ok := target.(Error)
	return ok && t.code == e.code
}

// Unwrap returns the cause.
func (e Error) Unwrap() error { return e.cause }

// ServerSigned returns, for a signature that did not match (ErrAuth), what
// the server signed for the request, if it said so: compare it with
// auth.ExplainRequest of what the client signed. It is nil otherwise.
func (e Error) ServerSigned() *auth.Explanation { return e.signed }

// response is the answer that carries e.
func (e Error) response() Response {
	r := Response{ResultCode: e.code, ResultDesc: e.desc}
	if !e.terse {
		r.ServerSigned = e.signed
	}
	return r
}

// with returns a copy of e with a description naming what was wrong.
func (e Error) with(format string, args ...any) Error {
	return Error{code: e.code, desc: fmt.Sprintf(format, args...), status: e.status}
}

// explaining returns a copy of e that says what the server signed.
func (e Error) explaining(signed *auth.Explanation) Error {
	e.signed = signed
	return e
}

// because returns a copy of e that records cause for the log.
func (e Error) because(cause error) Error {
	e.cause = cause
	return e
}

// writeResponse writes a CC-FS answer.
func writeResponse(w http.ResponseWriter, status int, resp Response) {
	b, _ := json.Marshal(resp)
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(b)
}

// SuccessCode is the resultCode of a success.
const SuccessCode = "0"

// The result codes. 0300001–0300007 are the vendor's CC-FS codes; from
// 0300010 on they are this project's, for failures the vendor's public
// table does not cover. They are stable. Each sentinel's Desc is the
// generic description; a returned error names the offending parameter.
var (
	ErrNull     = Error{code: "0300001", desc: "the value of {param} cannot be null", status: http.StatusOK}
	ErrEmpty    = Error{code: "0300002", desc: "{param} cannot be an empty string", status: http.StatusOK}
	ErrTooLong  = Error{code: "0300003", desc: "the length of {param} is too long", status: http.StatusOK}
	ErrFormat   = Error{code: "0300004", desc: "the format of {param} is incorrect", status: http.StatusOK}
	ErrTooShort = Error{code: "0300005", desc: "the length of {param} is too short", status: http.StatusOK}
	ErrVersion  = Error{code: "0300006", desc: "the value of version is error, current version is 2.0", status: http.StatusOK}
	ErrBodyNull = Error{code: "0300007", desc: "params of requestBody is null", status: http.StatusOK}

	ErrAuth              = Error{code: "0300010", desc: "authentication failed", status: http.StatusUnauthorized}
	ErrTimestamp         = Error{code: "0300011", desc: "the signing time is outside the accepted window", status: http.StatusUnauthorized}
	ErrReplay            = Error{code: "0300012", desc: "the request was already used once; sign a retry anew, with a later timestamp", status: http.StatusUnauthorized}
	ErrVDNForbidden      = Error{code: "0300013", desc: "the access key may not use this VDN", status: http.StatusUnauthorized}
	ErrRateLimited       = Error{code: "0300014", desc: "flow-control threshold reached", status: http.StatusOK}
	ErrBusy              = Error{code: "0300015", desc: "too many requests in progress", status: http.StatusOK}
	ErrStorage           = Error{code: "0300016", desc: "the file could not be stored", status: http.StatusOK}
	ErrReplayUnavailable = Error{code: "0300017", desc: "the replay check is unavailable", status: http.StatusOK}
	ErrMethod            = Error{code: "0300018", desc: "method not allowed; use POST", status: http.StatusMethodNotAllowed}
	ErrNotFound          = Error{code: "0300019", desc: "no such interface", status: http.StatusNotFound}
	ErrSlowBody          = Error{code: "0300020", desc: "the request body arrived too slowly", status: http.StatusOK}
	ErrNoSuchFile        = Error{code: "0300021", desc: "the file does not exist", status: http.StatusOK}
	ErrNotOneFile        = Error{code: "0300022", desc: "the folder does not hold exactly one file", status: http.StatusOK}
	// ErrCutShort is never sent: a download that fails after its first
	// byte can only be cut off. It is the Event's and the log line's
	// code for one, with the cause beside it.
	ErrCutShort = Error{code: "0300023", desc: "the download was cut off after it began", status: http.StatusOK}
	ErrQuota    = Error{code: "0300024", desc: "the VDN's storage quota is used up", status: http.StatusOK}
	// ErrIdempotencyMismatch refuses an upload whose Idempotency-Key (a
	// ccfs extension) was used, within its TTL, for another file.
	ErrIdempotencyMismatch = Error{code: "0300025", desc: "the Idempotency-Key was used for another file", status: http.StatusOK}
)

// ResultCodes lists every failure code in order, for documentation and
// tools.
func ResultCodes() []Error {
	return []Error{ErrNull, ErrEmpty, ErrTooLong, ErrFormat, ErrTooShort, ErrVersion, ErrBodyNull,
		ErrAuth, ErrTimestamp, ErrReplay, ErrVDNForbidden, ErrRateLimited, ErrBusy, ErrStorage,
		ErrReplayUnavailable, ErrMethod, ErrNotFound, ErrSlowBody, ErrNoSuchFile, ErrNotOneFile, ErrCutShort, ErrQuota,
		ErrIdempotencyMismatch}
}

// resultFor maps every failure of a request to what the caller sees: the
// one table from errors to result codes.
func (c *config) resultFor(err error) Error {
	var (
		e   Error
		me  *auth.MismatchError
		be  bodyError
		ee  *envelope.Error
		de  *b64.Error
		se  *wavcheck.SizeError
		wse *wavcheck.StructureError
		wfe *wavcheck.FormatError
		ce  *convert.Error
		cse convertSizeError
	)
	switch {
	case errors.As(err, &e):
		return e
	case errors.As(err, &be) && (errors.Is(be, errSlowBody) || errors.Is(be, os.ErrDeadlineExceeded)):
		return ErrSlowBody.with("the request body arrived too slowly: under %d bytes a second after the first %s, or past the server's read timeout",
			c.MinBodyRate, c.BodyRateGrace).because(be.err)
	case errors.As(err, &be):
		return ErrFormat.with("the request body could not be read to its end").because(be.err)
	case errors.As(err, &ee):
		return ErrFormat.with("the format of the request body is incorrect: %v", ee)
	case errors.As(err, &de):
		return ErrFormat.with("the format of data is incorrect: %v", de)
	case errors.As(err, &cse):
		return cse.result(c)
	case errors.As(err, &ce):
		return ErrFormat.with("the format of data is incorrect: %s", ce.Reason)
	case errors.As(err, &se):
		return ErrTooLong.with("the length of data is too long: %v", se)
	case errors.As(err, &wse), errors.As(err, &wfe):
		return ErrFormat.with("the format of data is incorrect: %v", err)
	case errors.Is(err, auth.ErrTimestampWindow):
		return ErrTimestamp.with("%s", strings.TrimPrefix(err.Error(), "auth: "))
	case errors.Is(err, auth.ErrReplay):
		return ErrReplay
	case errors.Is(err, auth.ErrVDNNotAllowed):
		return ErrVDNForbidden
	case errors.Is(err, auth.ErrReplayUnavailable):
		return ErrReplayUnavailable.because(err)
	case errors.As(err, &me) && !c.TerseSignatureErrors:
		return ErrAuth.with("authentication failed: the signature does not match; serverSigned says what the server signed").explaining(&me.Explanation)
	case errors.As(err, &me):
		e := ErrAuth.with("authentication failed: the signature does not match").explaining(&me.Explanation)
		e.terse = true
		return e
	case errors.Is(err, auth.ErrSignatureMismatch):
		return ErrAuth.with("authentication failed: the signature does not match")
	case errors.Is(err, auth.ErrMissingHeader), errors.Is(err, auth.ErrMalformedHeader), errors.Is(err, auth.ErrMalformedRequest),
		errors.Is(err, auth.ErrUnknownKey):
		return ErrAuth.with("authentication failed: %s", strings.TrimPrefix(err.Error(), "auth: "))
	case errors.Is(err, store.ErrExist):
		return ErrStorage.with("the file could not be stored: the generated name is taken; try again").because(err)
	}
	return ErrStorage.because(err) // the store or the credentials store failed
}

// versionError says what is wrong with request.version, as every
// interface checks it: longer than envelope.MaxVersionLen, absent or
// null, empty, or not Version.
func versionError(v string, present, tooLong bool) error {
	switch {
	case tooLong:
		return ErrTooLong.with("the length of version is too long (at most %d characters)", envelope.MaxVersionLen)
	case !present:
		return ErrNull.with("the value of version cannot be null")
	case v == "":
		return ErrEmpty.with("version cannot be an empty string")
	case v != Version:
		return ErrVersion
	}
	return nil
}
