package webhook

import (
	"errors"
	"fmt"
	"net/url"

	"github.com/ccfs-go/ccfs/events"
)

// An Endpoint is where a Deliverer sends events, and how it signs them.
type Endpoint struct {
	// URL is the receiver's absolute http or https URL. It comes from the
	// operator, never from a tenant. It may hold userinfo (sent as basic
	// authentication) or a token in its query: neither is ever logged.
	URL string
	// Secrets sign each delivery, every one of them (webhook-signature
	// then lists a signature per secret), so that a receiver moving from
	// one secret to the next accepts either. At least one.
	Secrets []events.Secret
}

// Name returns the URL without userinfo, query and fragment: scheme, host
// and path, for logs and metrics labels (a URL's query may hold a token).
// It returns "invalid URL" for a URL that does not parse.
func (e Endpoint) Name() string {
	u, err := url.Parse(e.URL)
	if err != nil {
		return "invalid URL"
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}).String()
}

// check reports what is wrong with e, never quoting its URL's userinfo or
// query.
func (e Endpoint) check() error {
	u, err := url.Parse(e.URL)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the reason, without the URL
		}
		return fmt.Errorf("webhook: endpoint URL does not parse: %v", err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("webhook: endpoint %s: URL is not http or https", e.Name())
	case u.Host == "":
		return fmt.Errorf("webhook: endpoint %s: URL has no host", e.Name())
	case len(e.Secrets) == 0:
		return fmt.Errorf("webhook: endpoint %s has no secret", e.Name())
	}
	for i, s := range e.Secrets {
		if s.IsZero() {
			return fmt.Errorf("webhook: endpoint %s: secret %d is the zero Secret", e.Name(), i)
		}
	}
	return nil
}
