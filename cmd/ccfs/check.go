package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/ccfs-go/ccfs/wavcheck"
)

// checkCmd runs "ccfs check": whether CC-FS would accept each WAV file,
// and why not.
func checkCmd(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fl := newFlags("check", "[--codecs alaw] [--max-file-mb 5] FILE.wav...",
		"Says for each file whether CC-FS would accept it, and if not, every reason why.\nExits 1 if any file is refused.",
		"  ccfs check prompt.wav greeting.wav\n  ccfs check --codecs alaw,mulaw *.wav", stderr)
	flags := addPolicyFlags(fl)
	if code := parse(fl, args); code >= 0 {
		return code
	}
	if fl.NArg() == 0 {
		fmt.Fprintln(stderr, "ccfs check: name at least one FILE.wav (see --help)")
		return 2
	}
	policy, err := flags.policy()
	if err != nil {
		fmt.Fprintf(stderr, "ccfs check: %v\n", err)
		return 2
	}
	status := 0
	for _, name := range fl.Args() {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintf(stdout, "%s: cannot read: %v\n", name, err)
			status = 1
			continue
		}
		format, err := wavcheck.Inspect(f, policy)
		f.Close()
		if err != nil {
			fmt.Fprintf(stdout, "%s: refused: %v\n", name, err)
			status = 1
			continue
		}
		fmt.Fprintf(stdout, "%s: OK, %v\n", name, format)
	}
	return status
}
