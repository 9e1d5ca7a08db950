package ccfs

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
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

// WithDesc returns a copy of e with another description, such as one
// that names the offending parameter.
func (e Error) WithDesc(desc string) Error {
	e.desc = desc
	return e
}

// ServeHTTP writes e as a CC-FS answer: its status, and the JSON
// {"resultCode", "resultDesc"}.
func (e Error) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	writeResponse(w, e.status, Response{ResultCode: e.code, ResultDesc: e.desc})
}

// with returns a copy of e with a description naming what was wrong.
func (e Error) with(format string, args ...any) Error {
	return Error{code: e.code, desc: fmt.Sprintf(format, args...), status: e.status}
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
	ErrNull     = Error{"0300001", "the value of {param} cannot be null", http.StatusOK, nil}
	ErrEmpty    = Error{"0300002", "{param} cannot be an empty string", http.StatusOK, nil}
	ErrTooLong  = Error{"0300003", "the length of {param} is too long", http.StatusOK, nil}
	ErrFormat   = Error{"0300004", "the format of {param} is incorrect", http.StatusOK, nil}
	ErrTooShort = Error{"0300005", "the length of {param} is too short", http.StatusOK, nil}
	ErrVersion  = Error{"0300006", "the value of version is error, current version is 2.0", http.StatusOK, nil}
	ErrBodyNull = Error{"0300007", "params of requestBody is null", http.StatusOK, nil}

	ErrAuth              = Error{"0300010", "authentication failed", http.StatusUnauthorized, nil}
	ErrTimestamp         = Error{"0300011", "the signing time is outside the accepted window", http.StatusUnauthorized, nil}
	ErrReplay            = Error{"0300012", "the request was already used once; sign a retry anew, with a later timestamp", http.StatusUnauthorized, nil}
	ErrVDNForbidden      = Error{"0300013", "the access key may not use this VDN", http.StatusUnauthorized, nil}
	ErrRateLimited       = Error{"0300014", "flow-control threshold reached", http.StatusOK, nil}
	ErrBusy              = Error{"0300015", "too many requests in progress", http.StatusOK, nil}
	ErrStorage           = Error{"0300016", "the file could not be stored", http.StatusOK, nil}
	ErrReplayUnavailable = Error{"0300017", "the replay check is unavailable", http.StatusOK, nil}
	ErrMethod            = Error{"0300018", "method not allowed; use POST", http.StatusMethodNotAllowed, nil}
	ErrNotFound          = Error{"0300019", "no such interface", http.StatusNotFound, nil}
	ErrSlowBody          = Error{"0300020", "the request body arrived too slowly", http.StatusOK, nil}
	ErrNoSuchFile        = Error{"0300021", "the file does not exist", http.StatusOK, nil}
	ErrNotOneFile        = Error{"0300022", "the folder does not hold exactly one file", http.StatusOK, nil}
	// ErrCutShort is never sent: a download that fails after its first
	// byte can only be cut off. It is the Event's and the log line's
	// code for one, with the cause beside it.
	ErrCutShort = Error{"0300023", "the download was cut off after it began", http.StatusOK, nil}
)

// ResultCodes lists every failure code in order, for documentation and
// tools.
func ResultCodes() []Error {
	return []Error{ErrNull, ErrEmpty, ErrTooLong, ErrFormat, ErrTooShort, ErrVersion, ErrBodyNull,
		ErrAuth, ErrTimestamp, ErrReplay, ErrVDNForbidden, ErrRateLimited, ErrBusy, ErrStorage,
		ErrReplayUnavailable, ErrMethod, ErrNotFound, ErrSlowBody, ErrNoSuchFile, ErrNotOneFile, ErrCutShort}
}
