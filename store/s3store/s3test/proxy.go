package s3test

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"

	"github.com/ccfs-go/ccfs/store/s3store"
)

// A Proxy stands before a Gateway as an S3-compatible server without
// conditional writes does: a write (PUT or POST) that carries
// If-None-Match is answered 400 NotImplemented, "A header you provided
// implies functionality that is not implemented", as Alibaba OSS
// documents for PutObject; every other request goes through to the
// gateway unchanged (its Host header too, which the signature covers).
type Proxy struct {
	// Endpoint is the proxy's base URL, "http://127.0.0.1:PORT".
	Endpoint string

	g       *Gateway
	mu      sync.Mutex
	refused int
	honour  bool           // let writes with If-None-Match through, for now
	seen    map[string]int // requests that carried each header of interest
}

// Honour makes the proxy let conditional writes through to the gateway
// (which honours them) while on is true, as a server fixed or a proxy
// taken out of the path does; false refuses them again.
func (p *Proxy) Honour(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.honour = on
}

// RefusingIfNoneMatch starts a Proxy before g for the rest of the test.
func (g *Gateway) RefusingIfNoneMatch(t testing.TB) *Proxy {
	t.Helper()
	target, err := url.Parse(g.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{g: g, seen: map[string]int{}}
	forward := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.Out.URL.Scheme, r.Out.URL.Host = target.Scheme, target.Host
		r.Out.Host = r.In.Host
	}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		for _, h := range []string{"If-None-Match", "X-Oss-Forbid-Overwrite"} {
			if r.Header.Get(h) != "" {
				p.seen[h]++
			}
		}
		refuse := !p.honour && r.Header.Get("If-None-Match") != "" && (r.Method == http.MethodPut || r.Method == http.MethodPost)
		if refuse {
			p.refused++
		}
		p.mu.Unlock()
		if refuse {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
				`<Error><Code>NotImplemented</Code><Message>A header you provided implies functionality that is not implemented.</Message><RequestId>s3test-proxy</RequestId></Error>`))
			return
		}
		forward.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.Endpoint = srv.URL
	return p
}

// Refused returns how many writes the proxy refused for their
// If-None-Match.
func (p *Proxy) Refused() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.refused
}

// Seen returns how many requests carried the header (If-None-Match or
// X-Oss-Forbid-Overwrite).
func (p *Proxy) Seen(header string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.seen[http.CanonicalHeaderKey(header)]
}

// Store returns an s3store.Store on the gateway's bucket, through the
// proxy.
func (p *Proxy) Store(t testing.TB, opts s3store.Options) *s3store.Store {
	t.Helper()
	if opts.Bucket == "" {
		opts.Bucket = p.g.Bucket
	}
	c, err := s3store.NewClient(s3store.ClientConfig{Endpoint: p.Endpoint, AccessKey: p.g.AccessKey, SecretKey: p.g.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	s, err := s3store.New(c, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
