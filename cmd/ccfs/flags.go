package main

import (
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/ccfs-go/ccfs"
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
// connections open.
func (s *serverFlags) client(idle int) *ccfs.Client {
	tr := &http.Transport{MaxIdleConnsPerHost: idle}
	if *s.insecure {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
	}
	return &ccfs.Client{BaseURL: *s.url, AccessKey: *s.ak, SecretKey: *s.sk, HTTPClient: &http.Client{Transport: tr}}
}
