package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/pathrule"
	"github.com/ccfs-go/ccfs/quota"
	"github.com/ccfs-go/ccfs/wavcheck"
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

// keyFlags are --ak and --sk, the access key and its secret, for the
// commands that sign a request.
type keyFlags struct {
	ak, sk *string
}

func addKeyFlags(fl *flag.FlagSet) *keyFlags {
	return &keyFlags{
		ak: fl.String("ak", "", "access key"),
		sk: fl.String("sk", "", "secret key (default: $CCFS_SK)"),
	}
}

// complete fills the secret key from $CCFS_SK (not a flag default, which
// --help would print) and reports whether both keys are set.
func (k *keyFlags) complete() bool {
	if *k.sk == "" {
		*k.sk = os.Getenv("CCFS_SK")
	}
	return *k.ak != "" && *k.sk != ""
}

// clientFlags are the flags of the commands that talk to a server: its
// URL, the keys, how to trust its certificate and, with addVDN, --vdn.
type clientFlags struct {
	*keyFlags
	url      *string
	vdn      *int // nil without addVDN
	insecure *bool
	ca       *string
	// sent records the last request the client sent, to say what it
	// signed when the server answers that the signature does not match.
	sent *lastRequest
	// transport is the client's, beneath sent.
	transport *http.Transport
}

func addClientFlags(fl *flag.FlagSet) *clientFlags {
	return &clientFlags{
		keyFlags: addKeyFlags(fl),
		url:      fl.String("url", "", "server base URL, such as https://10.22.26.181:28443"),
		insecure: fl.Bool("insecure", false, "do not verify the server's certificate (self-signed dev servers)"),
		ca:       fl.String("ca", "", "PEM file of the certificate authorities to trust for the server's certificate, instead of the system's (as curl --cacert); $SSL_CERT_FILE also replaces the system's"),
	}
}

// addVDN adds --vdn, for the commands that upload (the others name the
// VDN in the path they give).
func (s *clientFlags) addVDN(fl *flag.FlagSet) *clientFlags {
	s.vdn = fl.Int("vdn", 0, "VDN to upload to")
	return s
}

// complete reports whether every client flag is set (the secret key
// perhaps from $CCFS_SK).
func (s *clientFlags) complete() bool {
	return s.keyFlags.complete() && *s.url != "" && (s.vdn == nil || *s.vdn > 0)
}

// storeFlags are the flags that say where the server's files are and how
// its uploaded prompts are placed and limited: "ccfs serve" and "ccfs
// usage" register the same group, so that what serve is given, usage
// reads the same way.
type storeFlags struct {
	data, root, pathRule *string
	quota                *quotaFlags
	cluster              *clusterFlags
}

func addStoreFlags(fl *flag.FlagSet) *storeFlags {
	return &storeFlags{
		data:     fl.String("data", "./ccfs-data", "data directory: files under <data>/files unless --store or --pool; serve keeps its generated key and certificate there"),
		root:     fl.String("root", "", "prefix of fileName in the server's answers, such as Y: (names the same files as without it)"),
		pathRule: fl.String("path-rule", pathrule.Default, "Third-Party Upload File Path Rule: where uploaded prompts are placed"),
		quota:    addQuotaFlags(fl),
		cluster:  addClusterFlags(fl),
	}
}

// quotaFlags are --quota and --quota-file, the per-VDN limits of uploaded
// prompts.
type quotaFlags struct {
	limits, file *string
}

func addQuotaFlags(fl *flag.FlagSet) *quotaFlags {
	return &quotaFlags{
		limits: fl.String("quota", "", "per-VDN quotas of uploaded prompts, as VDN=SIZE[/FILES] with * for the rest, such as '*=2GiB,53=20GiB/100000' (default: none); serve counts them in its process, or in --redis for several nodes"),
		file:   fl.String("quota-file", "", "like --quota, from a file (one VDN=SIZE[/FILES] a line, # comments); serve reloads it like the credentials file"),
	}
}

// given is the flag of the group given, "--quota" first; "" for none.
func (q *quotaFlags) given() string {
	switch {
	case *q.limits != "":
		return "--quota"
	case *q.file != "":
		return "--quota-file"
	}
	return ""
}

// source reads --quota or --quota-file (not both); nil without either.
func (q *quotaFlags) source() (quota.Source, error) {
	switch limits, file := *q.limits, *q.file; {
	case limits != "" && file != "":
		return nil, errors.New("--quota and --quota-file do not go together")
	case file != "":
		f, err := quota.NewFile(file)
		if err != nil {
			return nil, err // "quota file PATH: line 3: …"
		}
		return f, nil
	case limits != "":
		l, err := quota.ParseLimits(limits)
		if err != nil {
			return nil, withoutPrefix("--quota", err, "quota")
		}
		return l, nil
	}
	return nil, nil
}

// policyFlags are --codecs and --max-file-mb, what a WAV file must be:
// "ccfs check" reads a file as "ccfs serve" given the same flags does.
type policyFlags struct {
	codecs *string
	maxMB  *int
}

func addPolicyFlags(fl *flag.FlagSet) *policyFlags {
	return &policyFlags{
		codecs: fl.String("codecs", "alaw", "accepted codecs: alaw, mulaw, pcm8, comma-separated"),
		maxMB:  fl.Int("max-file-mb", ccfs.DefaultMaxFileMB, "Third-Party Upload File Size Limit: the largest file accepted, in MB"),
	}
}

// parseCodecs parses a comma-separated --codecs value.
func parseCodecs(s string) ([]wavcheck.Codec, error) {
	var cs []wavcheck.Codec
	for _, name := range strings.Split(s, ",") {
		c, err := wavcheck.ParseCodec(name)
		if err != nil {
			return nil, err
		}
		cs = append(cs, c)
	}
	return cs, nil
}

// policy builds a wavcheck policy from the flags; serve and check word
// a bad value alike.
func (f *policyFlags) policy() (wavcheck.Policy, error) {
	maxMB := *f.maxMB
	cs, err := parseCodecs(*f.codecs)
	if err != nil {
		return wavcheck.Policy{}, withoutPrefix("--codecs", err, "wavcheck")
	}
	if maxMB < 1 || maxMB > 1024 {
		return wavcheck.Policy{}, fmt.Errorf("--max-file-mb %d: want 1 to 1024 (MB; the vendor's default is 5)", maxMB)
	}
	p := wavcheck.Policy{Codecs: cs, MaxSize: int64(maxMB) << 20}
	return p, p.Validate()
}

// convertFlags are --convert and --max-input-mb: serve converts the
// uploads of the VDNs --convert names (every VDN without a list) to the
// format the policy flags ask for; check says whether it would.
type convertFlags struct {
	on    *convertFlag
	maxMB *int
}

func addConvertFlags(fl *flag.FlagSet, usage string) *convertFlags {
	f := &convertFlags{on: new(convertFlag)}
	fl.Var(f.on, "convert", usage)
	f.maxMB = fl.Int("max-input-mb", ccfs.DefaultMaxInputMB, "with --convert, the largest file to convert, in MB as uploaded (before conversion; the converted file is held to --max-file-mb)")
	return f
}

// convertFlag is the value of --convert: a switch that takes an optional
// value. Bare ("--convert", which the flag package sets to "true"), it is
// on for every VDN; "--convert=53,54" (or "--convert 53,54", see
// parseOptional) names the VDNs; "--convert=false" is off. The list is
// checked after parsing (checkConvertFlags), so that a bad one is refused
// in the words of the other flags.
type convertFlag struct {
	on   bool
	bare bool   // given without a value (every VDN): the next argument may be the list
	list string // the VDNs as given, unless bare
}

func (f *convertFlag) String() string {
	switch {
	case f == nil || !f.on:
		return ""
	case f.bare:
		return "true"
	}
	return f.list
}

func (f *convertFlag) Set(v string) error {
	switch v {
	case "true":
		f.on, f.bare, f.list = true, true, ""
	case "false":
		f.on, f.bare, f.list = false, false, ""
	default:
		f.on, f.bare, f.list = true, false, v // "" too: refused as an empty list
	}
	return nil
}

// IsBoolFlag lets --convert stand alone, as a switch.
func (f *convertFlag) IsBoolFlag() bool { return true }

// parseOptional is parse for a flag set with a --convert switch whose
// value may follow it as the next argument: "--convert 53,54". The flag
// package sets a switch without looking at the next argument, and stops
// at it, as at the first operand; when the argument it stopped at comes
// right after a bare --convert, it is --convert's list, and parsing goes
// on after it. Only for commands that take no operands (serve): there an
// operand could never be meant.
func parseOptional(fl *flag.FlagSet, args []string, f *convertFlag) int {
	code := parse(fl, args)
	for code < 0 && fl.NArg() > 0 {
		rest := fl.Args()
		i := len(args) - len(rest)
		if i == 0 || !f.bare || (args[i-1] != "--convert" && args[i-1] != "-convert") {
			break
		}
		if rest[0] == "true" || rest[0] == "false" {
			break // not a list: left an operand, and refused as one
		}
		f.Set(rest[0])
		args = rest[1:]
		code = parse(fl, args)
	}
	return code
}

// given reports whether the flag called name was set on the command line.
func given(fl *flag.FlagSet, name string) bool {
	set := false
	fl.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// consoleFlags are serve's flags of the operator's console (a ccfs
// extension): whether it is on, where it listens, and the file of the
// operators' accounts.
type consoleFlags struct {
	on                    bool
	addr                  string
	users                 string // "": <data>/console-users
	addrGiven, usersGiven bool   // set after parsing, for checkConsoleFlags
}

// defaultConsoleAddr is --console-addr's default: loopback, next to the
// public port.
const defaultConsoleAddr = "127.0.0.1:28444"

func addConsoleFlags(fl *flag.FlagSet) *consoleFlags {
	f := &consoleFlags{}
	fl.BoolVar(&f.on, "console", false, "serve the operator's console (a ccfs extension): pages that show each VDN's usage against its quota, play and delete its prompts, and explain refused requests; "+
		"operators sign in with the accounts of --console-users. With --admin-addr it is served there at /console/, which is plain HTTP and so refused unless --admin-addr is a loopback address (give --console-addr for a console beyond loopback); "+
		"without --admin-addr, or with --console-addr, on its own listener (default "+defaultConsoleAddr+"). Off by default")
	fl.StringVar(&f.addr, "console-addr", defaultConsoleAddr, "with --console, the console's own listener, at /console/ (/ leads there); given with --admin-addr, the console is served here instead of on the admin listener. "+
		"It is served over TLS with the server's certificate (--tls-cert and --tls-key, or the self-signed one in <data>); with --plain-http only on a loopback address, in plain HTTP, and refused beyond loopback, which it never serves unencrypted")
	fl.StringVar(&f.users, "console-users", "", "with --console, the file of the operators' accounts, names and password hashes (default: <data>/console-users; ccfs console-user add NAME writes it); serve refuses to start with --console while it is absent")
	return f
}

// usersFile is --console-users, or its default under data.
func (f *consoleFlags) usersFile(data string) string {
	if f.users != "" {
		return f.users
	}
	return filepath.Join(data, consoleUsersFile)
}

// onAdmin reports whether the console is served on the admin listener
// (adminAddr, set): it is, unless --console-addr was given.
func (f *consoleFlags) onAdmin(adminAddr string) bool {
	return f.on && adminAddr != "" && !f.addrGiven
}
