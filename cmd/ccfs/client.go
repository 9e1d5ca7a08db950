package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
)

// client returns a ccfs.Client for the flags, keeping up to idle
// connections open. It fails when --ca cannot be used.
func (s *clientFlags) client(idle int) (*ccfs.Client, error) {
	tr := &http.Transport{MaxIdleConnsPerHost: idle}
	switch {
	case *s.insecure && *s.ca != "":
		return nil, errors.New("--ca and --insecure do not go together: --insecure verifies nothing")
	case *s.insecure:
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
	case *s.ca != "":
		pool, err := loadCA(*s.ca)
		if err != nil {
			return nil, err
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool}
	}
	s.transport, s.sent = tr, &lastRequest{next: tr}
	return &ccfs.Client{BaseURL: *s.url, AccessKey: *s.ak, SecretKey: *s.sk, HTTPClient: &http.Client{Transport: s.sent}}, nil
}

// failed reports err, if any: a refusal with its result code and
// description (and, for a signature the server did not match, what each
// side signed); a certificate this command does not trust with how to
// trust it.
func (s *clientFlags) failed(stderr io.Writer, cmd string, err error) bool {
	var ce ccfs.Error
	switch {
	case err == nil:
		return false
	case errors.As(err, &ce):
		fmt.Fprintf(stderr, "ccfs %s: refused: %s %s\n", cmd, printable(ce.Code()), printable(ce.Desc()))
		if signed := ce.ServerSigned(); signed != nil {
			var client *auth.Explanation
			if s.sent != nil {
				client = s.sent.explain(*s.sk)
			}
			writeMismatch(stderr, signed, client)
		}
	case certProblem(err) != "":
		fmt.Fprintf(stderr, "ccfs %s: %s\n", cmd, certProblem(err))
	default:
		fmt.Fprintf(stderr, "ccfs %s: %v\n", cmd, err)
	}
	return true
}

// loadCA reads a PEM bundle of certificate authorities for --ca.
func loadCA(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("--ca: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--ca %s: no PEM certificate in the file", file)
	}
	return pool, nil
}

// certProblem returns, for an error verifying the server's certificate,
// what is wrong with it and how to trust it; "" for any other error.
func certProblem(err error) string {
	var (
		unknown  x509.UnknownAuthorityError
		host     x509.HostnameError
		invalid  x509.CertificateInvalidError
		verifErr *tls.CertificateVerificationError
	)
	const trust = "pass the authority that signed it (for a self-signed server, its certificate) with --ca FILE, or set SSL_CERT_FILE; --insecure skips the check, for a development server only"
	switch {
	case errors.As(err, &unknown):
		subject := "it"
		if unknown.Cert != nil {
			subject = fmt.Sprintf("its certificate (%q)", unknown.Cert.Subject.CommonName)
		}
		return fmt.Sprintf("the server's certificate is not signed by an authority this command trusts: %s may be self-signed or from a private authority; %s", subject, trust)
	case errors.As(err, &host):
		return "the server's certificate is not for the host of --url: " + strings.TrimPrefix(host.Error(), "x509: ")
	case errors.As(err, &invalid):
		return "the server's certificate is not valid: " + strings.TrimPrefix(invalid.Error(), "x509: ")
	case errors.As(err, &verifErr):
		return fmt.Sprintf("the server's certificate could not be verified (%v); %s", verifErr.Err, trust)
	}
	return ""
}
