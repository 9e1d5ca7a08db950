package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/wavcheck"
)

// checkCmd runs "ccfs check": whether CC-FS would accept each WAV file,
// and why not.
func checkCmd(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fl := newFlags("check", "[--codecs alaw] [--max-file-mb 5] FILE.wav...",
		"Says for each file whether CC-FS would accept it, and if not, every reason why.\nExits 1 if any file is refused.",
		"  ccfs check prompt.wav greeting.wav\n  ccfs check --codecs alaw,mulaw *.wav", stderr)
	codecs := fl.String("codecs", "alaw", "accepted codecs: alaw, mulaw, pcm8, comma-separated")
	maxMB := fl.Int("max-file-mb", ccfs.DefaultMaxFileMB, "size limit in MB")
	if code := parse(fl, args); code >= 0 {
		return code
	}
	if fl.NArg() == 0 {
		fmt.Fprintln(stderr, "ccfs check: name at least one FILE.wav (see --help)")
		return 2
	}
	policy, err := policyFrom(*codecs, *maxMB)
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

// policyFrom builds a wavcheck policy from the flags' values.
func policyFrom(codecs string, maxMB int) (wavcheck.Policy, error) {
	cs, err := parseCodecs(codecs)
	if err != nil {
		return wavcheck.Policy{}, err
	}
	if maxMB <= 0 || maxMB > 1024 {
		return wavcheck.Policy{}, fmt.Errorf("--max-file-mb %d is not in 1..1024", maxMB)
	}
	p := wavcheck.Policy{Codecs: cs, MaxSize: int64(maxMB) << 20}
	return p, p.Validate()
}
