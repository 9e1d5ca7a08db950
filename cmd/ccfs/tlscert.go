package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ccfs-go/ccfs/internal/filewatch"
)

// certPair is the server's TLS certificate and key, read from their
// files, which a renewal may replace while the server runs: a reload puts
// the new pair in use for the connections that follow, atomically; a pair
// that does not load (unparsable, or a key that is not the certificate's)
// leaves the one in use. Its Reload and Watch, those of the credentials
// file, let SIGHUP and a poll reload it the same way (reloadable).
type certPair struct {
	*filewatch.File[tls.Certificate]
	keyFile string
}

// loadCertPair loads the pair. Unlike a reload, a pair that does not load
// is an error here: there is none in use to keep.
func loadCertPair(certFile, keyFile string) (*certPair, error) {
	f, err := filewatch.LoadAll("TLS certificate and key", parsePair, certFile, keyFile)
	if err != nil {
		return nil, err
	}
	return &certPair{File: f, keyFile: keyFile}, nil
}

// parsePair makes a certificate of the two files' content. Its error never
// quotes the key; crypto/tls's package prefixes are left out, as the file
// names start it.
func parsePair(files [][]byte) (*tls.Certificate, error) {
	pair, err := tls.X509KeyPair(files[0], files[1])
	if err != nil {
		msg := err.Error()
		for _, prefix := range []string{"tls: ", "x509: "} {
			msg = strings.TrimPrefix(msg, prefix)
		}
		return nil, errors.New(msg)
	}
	return &pair, nil
}

// GetCertificate is tls.Config's: the pair in use.
func (p *certPair) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return p.Current(), nil
}

// describe is what the log says of the pair in use.
func (p *certPair) describe() []any {
	c := p.Current()
	if c == nil || c.Leaf == nil {
		return nil
	}
	return []any{"key", p.keyFile, "subject", c.Leaf.Subject.String(), "serial", c.Leaf.SerialNumber.Text(16),
		"notAfter", c.Leaf.NotAfter.UTC().Format(time.RFC3339)}
}

// loadOrCreateCert loads the given pair, or <data>/tls-cert.pem and
// <data>/tls-key.pem, generating a self-signed certificate for localhost
// there if absent.
func loadOrCreateCert(certFile, keyFile, data string) (*certPair, error) {
	if certFile != "" {
		return loadCertPair(certFile, keyFile)
	}
	certFile, keyFile = filepath.Join(data, "tls-cert.pem"), filepath.Join(data, "tls-key.pem")
	if pair, err := loadCertPair(certFile, keyFile); err == nil {
		return pair, nil
	}
	certPEM, keyPEM, err := selfSigned("ccfs development server", time.Now().AddDate(1, 0, 0))
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(certFile, certPEM, 0o644); err != nil {
		return nil, err
	}
	return loadCertPair(certFile, keyFile)
}

// selfSigned returns a new self-signed server certificate for localhost,
// 127.0.0.1 and ::1, named cn and valid until notAfter, and its key, in
// PEM.
func selfSigned(cn string, notAfter time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), nil
}
