package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/pathrule"
)

// newFlags returns a flag set whose usage prints the summary, the flags
// and an example.
func newFlags(name, synopsis, summary, example string, stderr io.Writer) *flag.FlagSet {
	fl := flag.NewFlagSet("ccfs "+name, flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() {
		fmt.Fprintf(stderr, "usage: ccfs %s %s\n\n%s\n\nFlags:\n", name, synopsis, summary)
		fl.PrintDefaults()
		fmt.Fprintf(stderr, "\nExample:\n\n%s\n", example)
	}
	return fl
}

// parse parses args; it returns the exit status to stop with, or -1 to go
// on. --help exits 0; a bad flag exits 2 with one line.
func parse(fl *flag.FlagSet, args []string) int {
	out, usage := fl.Output(), fl.Usage
	fl.SetOutput(io.Discard)
	fl.Usage = func() {} // the flag package would print it on any error
	err := fl.Parse(args)
	fl.SetOutput(out)
	fl.Usage = usage
	switch {
	case errors.Is(err, flag.ErrHelp):
		usage()
		return 0
	case err != nil:
		fmt.Fprintf(out, "%s: %v (see --help)\n", fl.Name(), err)
		return 2
	}
	return -1
}

// multiFlag collects a repeated flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ", ") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// serverFlags are the flags of the commands that talk to a server.
type serverFlags struct {
	url, ak, sk *string
	vdn         *int
	insecure    *bool
	ca          *string
	// sent records the last request the client sent, to say what it
	// signed when the server answers that the signature does not match.
	sent *lastRequest
	// transport is the client's, beneath sent.
	transport *http.Transport
}

func addServerFlags(fl *flag.FlagSet) *serverFlags {
	s := addKeyFlags(fl)
	s.vdn = fl.Int("vdn", 0, "VDN to upload to")
	return s
}

// addKeyFlags adds the server flags but --vdn.
func addKeyFlags(fl *flag.FlagSet) *serverFlags {
	return &serverFlags{
		url:      fl.String("url", "", "server base URL, such as https://10.22.26.181:28443"),
		ak:       fl.String("ak", "", "access key"),
		sk:       fl.String("sk", "", "secret key (default: $CCFS_SK)"),
		insecure: fl.Bool("insecure", false, "do not verify the server's certificate (self-signed dev servers)"),
		ca:       fl.String("ca", "", "PEM file of the certificate authorities to trust for the server's certificate, instead of the system's (as curl --cacert); $SSL_CERT_FILE also replaces the system's"),
	}
}

// complete fills the secret key from $CCFS_SK (not a flag default, which
// --help would print) and reports whether every server flag is set.
func (s *serverFlags) complete() bool {
	return s.keyComplete() && *s.vdn > 0
}

// keyComplete is complete without --vdn, for the commands whose VDN is in
// the path they name.
func (s *serverFlags) keyComplete() bool {
	if *s.sk == "" {
		*s.sk = os.Getenv("CCFS_SK")
	}
	return *s.url != "" && *s.ak != "" && *s.sk != ""
}

// client returns a ccfs.Client for the flags, keeping up to idle
// connections open. It fails when --ca cannot be used.
func (s *serverFlags) client(idle int) (*ccfs.Client, error) {
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

// storeFlags are the flags that say where the server's files are and how
// its uploaded prompts are placed and limited: "ccfs serve" and "ccfs
// usage" register the same group, so that what serve is given, usage
// reads the same way.
type storeFlags struct {
	data, root, pathRule, quota, quotaFile *string
	cluster                                *clusterFlags
}

func addStoreFlags(fl *flag.FlagSet) *storeFlags {
	return &storeFlags{
		data:      fl.String("data", "./ccfs-data", "data directory: files under <data>/files unless --store or --pool; serve keeps its generated key and certificate there"),
		root:      fl.String("root", "", "prefix of fileName in the server's answers, such as Y: (names the same files as without it)"),
		pathRule:  fl.String("path-rule", pathrule.Default, "Third-Party Upload File Path Rule: where uploaded prompts are placed"),
		quota:     fl.String("quota", "", "per-VDN quotas of uploaded prompts, as VDN=SIZE[/FILES] with * for the rest, such as '*=2GiB,53=20GiB/100000' (default: none); serve counts them in its process, or in --redis for several nodes"),
		quotaFile: fl.String("quota-file", "", "like --quota, from a file (one VDN=SIZE[/FILES] a line, # comments); serve reloads it like the credentials file"),
		cluster:   addClusterFlags(fl),
	}
}
