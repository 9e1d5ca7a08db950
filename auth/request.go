package auth

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// requestPath returns the path of the request line without the query: the
// raw path as the client sent it. Servers see it in RequestURI; clients
// build it from the URL the same way the transport does.
func requestPath(r *http.Request) string {
	uri := r.RequestURI
	if uri == "" {
		uri = r.URL.RequestURI()
	}
	if i := strings.IndexByte(uri, '?'); i >= 0 {
		uri = uri[:i]
	}
	return uri
}

// receivedValues returns the values of the signed headers of a request a
// server received: host from the Host line, every other header exactly as
// sent, each present exactly once.
func receivedValues(r *http.Request, names []string) ([]string, error) {
	values := make([]string, len(names))
	for i, name := range names {
		if name == "host" {
			if r.Host == "" {
				return nil, fmt.Errorf("%w: host", ErrMissingHeader)
			}
			values[i] = r.Host
			continue
		}
		vs := r.Header.Values(name)
		switch len(vs) {
		case 0:
			return nil, fmt.Errorf("%w: %s (it is signed)", ErrMissingHeader, name)
		case 1:
			values[i] = vs[0]
		default:
			return nil, fmt.Errorf("%w: signed header %s appears %d times", ErrMalformedHeader, name, len(vs))
		}
	}
	return values, nil
}

// outgoingValues returns the values of the signed headers of a request a
// client is about to send, as the transport will write them: host from
// r.Host or the URL, content-length from r.ContentLength.
func outgoingValues(r *http.Request, names []string) ([]string, error) {
	values := make([]string, len(names))
	for i, name := range names {
		switch name {
		case "host":
			values[i] = r.Host
			if values[i] == "" && r.URL != nil {
				values[i] = r.URL.Host
			}
		case "content-length":
			unknown := r.ContentLength < 0 || r.ContentLength == 0 && r.Body != nil && r.Body != http.NoBody
			if unknown {
				return nil, fmt.Errorf("%w: content-length is signed but the request's length is unknown", ErrMissingHeader)
			}
			values[i] = strconv.FormatInt(r.ContentLength, 10)
		default:
			vs := r.Header.Values(name)
			if len(vs) != 1 {
				return nil, fmt.Errorf("%w: signed header %s must be set exactly once, is set %d times", ErrMissingHeader, name, len(vs))
			}
			values[i] = vs[0]
		}
		if values[i] == "" && name == "host" {
			return nil, fmt.Errorf("%w: host", ErrMissingHeader)
		}
	}
	return values, nil
}

// outgoingHead returns the canonical request up to the body that a client
// signs for r with the given signed headers (lowercase, sorted).
func outgoingHead(r *http.Request, signedHeaders []string) ([]byte, error) {
	values, err := outgoingValues(r, signedHeaders)
	if err != nil {
		return nil, err
	}
	return canonicalHead(r.Method, requestPath(r), r.URL.RawQuery, signedHeaders, values)
}
