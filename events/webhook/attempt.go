package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/ccfs-go/ccfs/events"
)

// MaxResponseBody is how much of a response's body is read before it is
// closed.
const MaxResponseBody = 64 << 10

// userAgent is every request's User-Agent.
const userAgent = "ccfs-webhook"

// maxErrText bounds an attempt's error text, as logged and as a dead
// letter's reason.
const maxErrText = 200

// post makes one attempt to deliver body, the event id, signed at the
// attempt's time. It returns nil on a 2xx answer, else what went wrong,
// in words that hold neither the URL's query nor a secret.
func (d *Deliverer) post(ctx context.Context, id string, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, d.o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.ep.URL, bytes.NewReader(body))
	if err != nil {
		return errors.New("cannot make the request") // the URL was checked by New
	}
	req.Header = events.Headers(id, d.o.Now(), body, d.ep.Secrets...)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	resp, err := d.o.Client.Do(req)
	if err != nil {
		return errors.New(d.describe(ctx, err))
	}
	// A 2xx is a delivery whatever follows it: the body is read, up to
	// the cap, only so that the connection may be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, MaxResponseBody))
	resp.Body.Close()
	code := resp.StatusCode
	switch {
	case code >= 200 && code <= 299:
		return nil
	case code >= 300 && code <= 399:
		return fmt.Errorf("HTTP %d %s (redirects are not followed)", code, http.StatusText(code))
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return fmt.Errorf("HTTP %d %s (does the receiver verify with a secret of the sender's secret file?)", code, http.StatusText(code))
	}
	return fmt.Errorf("HTTP %d %s", code, http.StatusText(code))
}

// describe says why a request failed: its error without the URL (a
// *url.Error quotes it, query and all), or that the attempt timed out.
func (d *Deliverer) describe(ctx context.Context, err error) string {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Sprintf("timeout after %v", d.o.Timeout)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return clip(err.Error())
}
