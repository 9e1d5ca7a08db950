package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/ccfs-go/ccfs"
)

// explainCmd lays out what a server signed, from its answer to a request
// whose signature did not match, as `ccfs sign --explain` lays out what
// the client signed.
func explainCmd(_ context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fl := newFlags("explain", "[ANSWER.json]",
		"Lays out the serverSigned part of a server's 401 answer (read from the file, or standard input),\nline by line as `ccfs sign --explain` lays out what the client signed, so the two can be diffed.",
		`  curl -s ... -o answer.json 'https://127.0.0.1:28443/CCFS/resource/ccfs/ivr/deleteFile'
  diff <(ccfs explain answer.json) <(ccfs sign --explain ... | sed -n '/^authStringPrefix: /,/^bodyStart: /p')`, stderr)
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
			answer.ResultCode, answer.ResultDesc)
		return 1
	}
	fmt.Fprint(stdout, answer.ServerSigned)
	return 0
}
