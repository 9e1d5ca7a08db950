package ccfs

// The Client's retry of an upload whose answer was lost: safe because
// the upload carries an Idempotency-Key, the same on every try.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"syscall"
)

// errNoResend is what the transport is told when it would send a request
// again itself, with the same signature, which the server would refuse
// as a replay: the Client signs a retry anew instead.
var errNoResend = errors.New("ccfs: not resent with the same signature; the Client signs a retry anew")

// doWhole sends req and reads its answer whole (up to maxResponse), so
// that an answer cut off midway is a lost answer too. The transport may
// not resend req itself once it has written it (which it would do for a
// request carrying an Idempotency-Key on a kept-alive connection that
// broke): the resend would carry the same signature. Afterwards,
// req.GetBody works again, for whoever explains a signature.
func (c *Client) doWhole(req *http.Request) (*http.Response, error) {
	var inDo atomic.Bool
	inDo.Store(true)
	defer inDo.Store(false)
	if getBody := req.GetBody; getBody != nil {
		req.GetBody = func() (io.ReadCloser, error) {
			if inDo.Load() {
				return nil, errNoResend
			}
			return getBody()
		}
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return nil, fmt.Errorf("reading the answer: %w", err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(raw))
	return resp, nil
}

// lostAnswer reports whether err says a request's answer was lost: the
// connection reset, aborted or closed before the answer or during it, or
// a timeout.
func lostAnswer(err error) bool {
	var ne net.Error
	return errors.Is(err, errNoResend) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, syscall.EPIPE) ||
		errors.As(err, &ne) && ne.Timeout()
}
