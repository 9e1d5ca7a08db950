package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// certPair is the server's TLS certificate and key, read from their
// files, which a renewal may replace while the server runs: a reload puts
// the new pair in use for the connections that follow, atomically; a pair
// that does not load (unparsable, or a key that is not the certificate's)
// leaves the one in use. It implements reloadable, so that SIGHUP and a
// poll reload it as they do the credentials file.
type certPair struct {
	certFile, keyFile string
	current           atomic.Pointer[tls.Certificate]
	mu                sync.Mutex // serialises reloads
	inUse             [2][]byte  // the files' content behind current
}

// loadCertPair loads the pair. Unlike a reload, a pair that does not load
// is an error here: there is none in use to keep.
func loadCertPair(certFile, keyFile string) (*certPair, error) {
	p := &certPair{certFile: certFile, keyFile: keyFile}
	if _, err := p.Reload(); err != nil {
		return nil, err
	}
	return p, nil
}

// Path returns the certificate's file.
func (p *certPair) Path() string { return p.certFile }

// GetCertificate is tls.Config's: the pair in use.
func (p *certPair) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return p.current.Load(), nil
}

// read returns the content of both files.
func (p *certPair) read() (cert, key []byte, err error) {
	if cert, err = os.ReadFile(p.certFile); err != nil {
		return nil, nil, err
	}
	if key, err = os.ReadFile(p.keyFile); err != nil {
		return nil, nil, err
	}
	return cert, key, nil
}

// Reload reads both files. If they make a pair, it replaces the one in
// use, and changed says whether they differ from it; if not, the pair in
// use stays and the error says why, never quoting the key.
func (p *certPair) Reload() (changed bool, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	certPEM, keyPEM, err := p.read()
	if err != nil {
		return false, p.keep(err)
	}
	if p.current.Load() != nil && bytes.Equal(certPEM, p.inUse[0]) && bytes.Equal(keyPEM, p.inUse[1]) {
		return false, nil
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return false, p.keep(err)
	}
	p.current.Store(&pair)
	p.inUse = [2][]byte{certPEM, keyPEM}
	return true, nil
}

// keep is err, from reading or parsing the pair, said for an operator:
// which files, and that the pair in use (if any) stays.
func (p *certPair) keep(err error) error {
	msg := err.Error()
	for _, prefix := range []string{"tls: ", "x509: "} {
		msg = strings.TrimPrefix(msg, prefix)
	}
	if p.current.Load() == nil {
		return fmt.Errorf("TLS certificate %s and key %s: %s", p.certFile, p.keyFile, msg)
	}
	return fmt.Errorf("TLS certificate %s and key %s: %s (the certificate in use stays)", p.certFile, p.keyFile, msg)
}

// Watch reloads the pair whenever what it reads in either file (or the
// error reading it) changes, checking every interval, until ctx ends.
// report is called once for each change it sees: with nil when the new
// pair is in use, with the error when it does not load. A certificate
// replaced before its key fails until the key follows, then loads.
func (p *certPair) Watch(ctx context.Context, interval time.Duration, report func(error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	p.mu.Lock()
	seen, seenErr := fingerprint(p.inUse[0], p.inUse[1], nil), ""
	p.mu.Unlock()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		cert, key, err := p.read()
		now, nowErr := fingerprint(cert, key, err), ""
		if err != nil {
			nowErr = err.Error()
		}
		if now == seen && nowErr == seenErr {
			continue
		}
		seen, seenErr = now, nowErr
		if changed, err := p.Reload(); changed || err != nil {
			report(err)
		}
	}
}

// fingerprint is a digest of both files' content, so that Watch keeps no
// second copy of the key.
func fingerprint(cert, key []byte, err error) string {
	if err != nil {
		return ""
	}
	h := sha256.New()
	fmt.Fprintf(h, "%d:", len(cert))
	h.Write(cert)
	h.Write(key)
	return hex.EncodeToString(h.Sum(nil))
}

// describe is what the log says of the pair in use.
func (p *certPair) describe() []any {
	c := p.current.Load()
	if c == nil || c.Leaf == nil {
		return nil
	}
	return []any{"key", p.keyFile, "subject", c.Leaf.Subject.String(), "serial", c.Leaf.SerialNumber.Text(16),
		"notAfter", c.Leaf.NotAfter.UTC().Format(time.RFC3339)}
}
