package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
)

// explainCmd lays out what a server signed, from its answer to a request
// whose signature did not match, as `ccfs sign --explain` lays out what
// the client signed.
func explainCmd(_ context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fl := newFlags("explain", "[ANSWER.json]",
		"Lays out the serverSigned part of a server's 401 answer (read from the file, or standard input),\nline by line as `ccfs sign --explain` lays out what the client signed, so the two can be diffed.",
		`  curl -s ... -o answer.json 'https://127.0.0.1:28443/CCFS/resource/ccfs/ivr/deleteFile'
  diff <(ccfs explain answer.json | grep -v '^(also accepted') \
    <(ccfs sign --explain --timestamp TIMESTAMP ... | sed -n '/^authStringPrefix: /,/^bodyStart: /p')`, stderr)
	if code := parse(fl, args); code >= 0 {
		return code
	}
	if fl.NArg() > 1 {
		fmt.Fprintln(stderr, "ccfs explain: at most one file (see --help)")
		return 2
	}
	in := stdin
	if fl.NArg() == 1 {
		f, err := os.Open(fl.Arg(0))
		if err != nil {
			fmt.Fprintf(stderr, "ccfs explain: %v\n", err)
			return 1
		}
		defer f.Close()
		in = f
	}
	var answer ccfs.Response
	if err := json.NewDecoder(io.LimitReader(in, 1<<20)).Decode(&answer); err != nil {
		fmt.Fprintf(stderr, "ccfs explain: not a CC-FS answer: %v\n", err)
		return 1
	}
	if answer.ServerSigned == nil {
		fmt.Fprintf(stderr, "ccfs explain: the answer (%s %q) does not say what the server signed: it is not a signature mismatch, or the server answers tersely\n",
			printable(answer.ResultCode), answer.ResultDesc)
		return 1
	}
	layOut(stdout, answer.ServerSigned)
	return 0
}

// layOut writes an Explanation one line of the canonical request a line,
// as `ccfs explain` and `ccfs sign --explain` print it.
// Every line is made printable: the explanation comes from a server,
// which this command does not trust to send no terminal escapes.
func layOut(w io.Writer, e *auth.Explanation) {
	for _, line := range strings.SplitAfter(e.String(), "\n") {
		text, nl := strings.CutSuffix(line, "\n")
		fmt.Fprint(w, printable(text))
		if nl {
			fmt.Fprintln(w)
		}
	}
}

// printable is s with every character a terminal could act on (control
// characters, C1 codes, invalid UTF-8, bidirectional overrides) written
// as a Go escape, so text from a server is shown, never obeyed.
func printable(s string) string {
	if !strings.ContainsFunc(s, notShown) && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			fmt.Fprintf(&b, "\\x%02x", s[i])
		case notShown(r):
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// notShown reports whether r is written as an escape by printable.
func notShown(r rune) bool {
	return r != ' ' && !unicode.IsGraphic(r) || unicode.Is(unicode.Bidi_Control, r)
}

// writeMismatch lays out what the server signed and, if known, what the
// client signed, each as `ccfs explain` does, then the lines that differ
// one under the other.
func writeMismatch(w io.Writer, server, client *auth.Explanation) {
	fmt.Fprintln(w, "what the server signed:")
	layOut(w, server)
	if client == nil {
		return
	}
	fmt.Fprintln(w, "what this command signed:")
	layOut(w, client)
	// The server's note on an empty query line is its own, not a
	// difference.
	sc, cc := *server, *client
	sc.EmptyQueryLineAlsoAccepted, cc.EmptyQueryLineAlsoAccepted = false, false
	diff := diffLines(laidOut(&sc), laidOut(&cc))
	if len(diff) == 0 {
		fmt.Fprintln(w, "both signed the same text: the secret key differs (--sk, or $CCFS_SK, is not the one the server holds for --ak)")
		return
	}
	fmt.Fprintln(w, "where they differ:")
	fmt.Fprintln(w, strings.Join(diff, "\n"))
}

// laidOut is e as layOut writes it, a line each.
func laidOut(e *auth.Explanation) []string {
	var b strings.Builder
	layOut(&b, e)
	return strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
}

// diffLines returns the lines of server and client that the other does
// not have at that place (by their longest common subsequence), in order,
// each marked with its side.
func diffLines(server, client []string) []string {
	// common[i][j]: the longest common subsequence of server[i:], client[j:].
	common := make([][]int, len(server)+1)
	for i := range common {
		common[i] = make([]int, len(client)+1)
	}
	for i := len(server) - 1; i >= 0; i-- {
		for j := len(client) - 1; j >= 0; j-- {
			if server[i] == client[j] {
				common[i][j] = common[i+1][j+1] + 1
			} else {
				common[i][j] = max(common[i+1][j], common[i][j+1])
			}
		}
	}
	var out []string
	i, j := 0, 0
	for i < len(server) || j < len(client) {
		switch {
		case i < len(server) && j < len(client) && server[i] == client[j]:
			i, j = i+1, j+1
		case j == len(client) || i < len(server) && common[i+1][j] >= common[i][j+1]:
			out = append(out, "  server:  "+server[i])
			i++
		default:
			out = append(out, "  command: "+client[j])
			j++
		}
	}
	return out
}

// lastRequest is an http.RoundTripper that keeps the last request sent,
// to say what it signed when the server refuses the signature.
type lastRequest struct {
	next http.RoundTripper
	mu   sync.Mutex
	req  *http.Request
}

// RoundTrip implements http.RoundTripper.
func (l *lastRequest) RoundTrip(r *http.Request) (*http.Response, error) {
	l.mu.Lock()
	l.req = r
	l.mu.Unlock()
	return l.next.RoundTrip(r)
}

// CloseIdleConnections closes the idle connections of the transport
// beneath.
func (l *lastRequest) CloseIdleConnections() {
	if c, ok := l.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// explain returns what the last request signed with secretKey, its body
// read again; nil if it cannot be told.
func (l *lastRequest) explain(secretKey string) *auth.Explanation {
	l.mu.Lock()
	r := l.req
	l.mu.Unlock()
	if r == nil {
		return nil
	}
	var body io.ReadCloser = http.NoBody
	if r.GetBody != nil {
		b, err := r.GetBody()
		if err != nil {
			return nil
		}
		body = b
	}
	defer body.Close()
	e, err := auth.ExplainRequest(r, body, secretKey)
	if err != nil {
		return nil
	}
	return e
}
