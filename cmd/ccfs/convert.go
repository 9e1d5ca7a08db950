package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/ccfs-go/ccfs/convert"
	"github.com/ccfs-go/ccfs/wavcheck"
)

// convertCmd runs "ccfs convert": a WAV file of any kind into one CC-FS
// accepts.
func convertCmd(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fl := newFlags("convert", "[--codec alaw] IN.wav OUT.wav",
		"Turns a WAV file from a TTS engine or editor (8/16/24/32-bit integer or 32-bit float PCM,\nany sample rate, mono or stereo) into 8000 Hz 8-bit mono G.711, as CC-FS accepts.",
		"  ccfs convert tts-output.wav prompt.wav\n  ccfs convert --codec mulaw tts-output.wav prompt.wav", stderr)
	codecName := fl.String("codec", "alaw", "output codec: alaw or mulaw")
	if code := parse(fl, args); code >= 0 {
		return code
	}
	if fl.NArg() != 2 {
		fmt.Fprintln(stderr, "ccfs convert: need IN.wav and OUT.wav (see --help)")
		return 2
	}
	codec, err := wavcheck.ParseCodec(*codecName)
	if err != nil || codec == wavcheck.PCM8 {
		fmt.Fprintf(stderr, "ccfs convert: --codec %q: want alaw or mulaw\n", *codecName)
		return 2
	}
	in, err := os.ReadFile(fl.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "ccfs convert: %v\n", err)
		return 1
	}
	out, err := convert.Convert(in, codec)
	if err != nil {
		fmt.Fprintf(stderr, "ccfs convert: %s: %v\n", fl.Arg(0), err)
		return 1
	}
	if err := os.WriteFile(fl.Arg(1), out, 0o644); err != nil {
		fmt.Fprintf(stderr, "ccfs convert: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: %d bytes, 8-bit %v, 8000 Hz, mono\n", fl.Arg(1), len(out), codec)
	return 0
}
