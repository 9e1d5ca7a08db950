package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/convert"
	"github.com/ccfs-go/ccfs/wavcheck"
)

// checkCmd runs "ccfs check": whether CC-FS would accept each WAV file,
// and why not; with --convert, whether "ccfs serve --convert" would
// convert it.
func checkCmd(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fl := newFlags("check", "[--codecs alaw] [--max-file-mb 5] [--convert [--max-input-mb 50]] FILE...",
		"Says for each file whether CC-FS would accept it, and if not, every reason why.\n"+
			"With --convert, a file a server run with --convert would convert is reported as such, with\n"+
			"what it is and how long it lasts, and one the converter cannot read with the converter's reason.\n"+
			"Exits 1 if any file is refused.",
		"  ccfs check prompt.wav greeting.wav\n  ccfs check --codecs alaw,mulaw *.wav\n  ccfs check --convert tts-output.wav", stderr)
	flags := addPolicyFlags(fl)
	conv := addConvertFlags(fl, "say whether a server run with --convert would convert each file the other flags refuse, as it converts it (the file is read through the converter, not stored)")
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
	if conv.on.on && !conv.on.bare {
		// A server converts a file for a VDN or not; a file has no VDN.
		fmt.Fprintf(stderr, "ccfs check: --convert %q: check takes --convert alone (the VDNs are serve's)\n", conv.on.list)
		return 2
	}
	if _, err := checkConvertFlags(conv, given(fl, "max-input-mb")); err != nil {
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
		if err == nil {
			f.Close()
			fmt.Fprintf(stdout, "%s: OK, %v\n", name, format)
			continue
		}
		if !conv.on.on {
			f.Close()
			fmt.Fprintf(stdout, "%s: refused: %v\n", name, err)
			status = 1
			continue
		}
		line, ok := wouldConvert(f, policy, int64(*conv.maxMB)<<20, err)
		f.Close()
		fmt.Fprintf(stdout, "%s: %s\n", name, line)
		if !ok {
			status = 1
		}
	}
	return status
}

// wouldConvert reads f, which the policy refused for refusal, through the
// converter a server with --convert runs, into io.Discard; it returns
// what to say of it, and whether the server would take it.
func wouldConvert(f *os.File, policy wavcheck.Policy, maxInput int64, refusal error) (string, bool) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "cannot read: " + err.Error(), false
	}
	r := convert.NewReader(f, convert.Options{Policy: policy, MaxInput: maxInput, MaxHeld: ccfs.MaxConvertHeld})
	if _, err := io.Copy(io.Discard, r); err != nil {
		var ce *convert.Error
		var se *wavcheck.SizeError
		var ste *wavcheck.StructureError
		switch {
		// A file in the policy's format is passed through, checked as the
		// server checks it: its header lies as the checks said.
		case !r.Converted() && errors.As(err, &ste):
			return "refused: " + refusal.Error(), false
		// The converter bounds the input by MaxInput, and the converted
		// file by the policy's MaxSize: the limit says which it passed.
		case errors.As(err, &se) && se.Limit == maxInput && se.Limit != policy.MaxSize:
			return fmt.Sprintf("refused: too large to convert: %v (--max-input-mb)", err), false
		case errors.As(err, &se) && se.Limit == policy.MaxSize && se.Limit != maxInput:
			return fmt.Sprintf("refused: too large even converted: %v (--max-file-mb)", err), false
		case errors.As(err, &se):
			return fmt.Sprintf("refused: too large: %v (--max-input-mb, --max-file-mb)", err), false
		case errors.As(err, &ce):
			return "refused, cannot be converted: " + err.Error(), false
		}
		return "cannot read: " + err.Error(), false
	}
	if !r.Converted() {
		// Passed through as the policy's format: the converter takes it
		// as it is, and so does not mend what the checks refused.
		return "refused: " + refusal.Error(), false
	}
	codec := wavcheck.ALaw
	if len(policy.Codecs) > 0 {
		codec = policy.Codecs[0]
	}
	seconds := strconv.FormatFloat(math.Round(r.Seconds()*100)/100, 'f', -1, 64)
	return fmt.Sprintf("would be converted: %s → 8 kHz %v mono, %s s", r.Source().From, codec, seconds), true
}
