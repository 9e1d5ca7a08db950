package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ccfs-go/ccfs/convert"
	"github.com/ccfs-go/ccfs/wavcheck"
)

// convertCmd runs "ccfs convert": an audio file of any kind the converter
// reads into one CC-FS accepts, as a stream (memory does not grow with
// the file), written to a temporary file beside OUT that is fsynced and
// renamed over it only once the whole input has been converted.
func convertCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	kinds := "a WAV file"
	if names := convert.Decoders(); len(names) > 0 {
		kinds += " or " + strings.Join(names, " or ")
	}
	fl := newFlags("convert", "[--codec alaw] IN OUT.wav",
		"Turns "+kinds+" from a TTS engine or editor into 8000 Hz 8-bit mono G.711, as CC-FS accepts.\n"+
			"A WAV file may hold 8/16/24/32-bit integer PCM, 32/64-bit float, A-law or µ-law, plain or extensible,\n"+
			"at 8 to 192 kHz, with any number of channels (up to 256; they are averaged); and MP3 (MPEG-1 and 2\n"+
			"Layer III). The file is read as a stream, and OUT is replaced only once all of it has been converted.",
		"  ccfs convert tts-output.wav prompt.wav\n  ccfs convert --codec mulaw tts-output.wav prompt.wav", stderr)
	codecName := fl.String("codec", "alaw", "output codec: alaw or mulaw")
	if code := parse(fl, args); code >= 0 {
		return code
	}
	if fl.NArg() != 2 {
		fmt.Fprintln(stderr, "ccfs convert: need IN and OUT.wav (see --help)")
		return 2
	}
	codec, err := wavcheck.ParseCodec(*codecName)
	if err != nil || codec == wavcheck.PCM8 {
		fmt.Fprintf(stderr, "ccfs convert: --codec %q: want alaw or mulaw\n", *codecName)
		return 2
	}
	inPath, outPath := fl.Arg(0), fl.Arg(1)
	in, err := os.Open(inPath)
	if err != nil {
		fmt.Fprintf(stderr, "ccfs convert: %v\n", err)
		return 1
	}
	defer in.Close()
	r := convert.NewReader(ctxReader{ctx, in}, convert.Options{
		Policy: wavcheck.Policy{Codecs: []wavcheck.Codec{codec}, MaxSize: 1<<32 + 8},
		// An input whose length is known only at its end (a WAV streamed
		// with an unknown size, an MP3 without a Xing header) streams too:
		// its header is written over once the length is known.
		Rewrite: true,
	})
	size, err := writeAtomically(outPath, r, r.Header)
	if err != nil {
		var ce *convert.Error
		var se *wavcheck.SizeError
		if errors.As(err, &ce) || errors.As(err, &se) {
			fmt.Fprintf(stderr, "ccfs convert: %s: %v\n", inPath, err)
		} else {
			fmt.Fprintf(stderr, "ccfs convert: %v\n", err)
		}
		return 1
	}
	from := r.Source().From
	if !r.Converted() {
		from += ", already in that form: copied as it is"
	}
	fmt.Fprintf(stdout, "%s: %d bytes, 8-bit %v, 8000 Hz, mono, %s s, from %s\n",
		outPath, size, codec, strconv.FormatFloat(roundTo(r.Seconds(), 3), 'f', -1, 64), from)
	return 0
}

// roundTo rounds x to digits decimal places.
func roundTo(x float64, digits int) float64 {
	p := 1.0
	for range digits {
		p *= 10
	}
	return float64(int64(x*p+0.5)) / p
}

// ctxReader stops reading once ctx is done (an interrupt), so that the
// partial output is removed rather than renamed into place.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// writeAtomically writes what r returns to a temporary file in path's
// directory, then what head returns (if anything) over its first bytes,
// fsyncs it and renames it over path, and fsyncs the directory; on any
// failure it removes the temporary file and leaves path as it was. It
// returns the bytes written.
func writeAtomically(path string, r io.Reader, head func() []byte) (n int64, err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return 0, err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	buf := make([]byte, 64<<10)
	if n, err = io.CopyBuffer(onlyWriter{f}, r, buf); err != nil {
		return n, err
	}
	if h := head(); h != nil {
		if _, err = f.WriteAt(h, 0); err != nil {
			return n, err
		}
	}
	if err = f.Chmod(0o644); err != nil {
		return n, err
	}
	if err = f.Sync(); err != nil {
		return n, err
	}
	if err = f.Close(); err != nil {
		return n, err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return n, err
	}
	// The rename is durable once the directory is; not every system lets
	// a directory be synced, and the file is in place either way.
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return n, nil
}

// onlyWriter hides *os.File's ReadFrom, so that io.CopyBuffer uses the
// buffer given rather than one of its own.
type onlyWriter struct{ w io.Writer }

func (o onlyWriter) Write(p []byte) (int, error) { return o.w.Write(p) }
