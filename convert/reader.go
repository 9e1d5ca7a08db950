package convert

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/ccfs-go/ccfs/internal/g711"
	"github.com/ccfs-go/ccfs/internal/wavfile"
	"github.com/ccfs-go/ccfs/wavcheck"
)

// An Error says why a file cannot be converted: it is neither WAV nor a
// registered kind, it is in an encoding the converter cannot read, its
// structure is broken, or it ends before its header says it should.
type Error struct {
	Reason string
	// Err is the cause, if there is one: io.ErrUnexpectedEOF for a file
	// cut short.
	Err error
}

// Error returns the reason.
func (e *Error) Error() string { return e.Reason }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

func errorf(format string, args ...any) *Error { return &Error{Reason: fmt.Sprintf(format, args...)} }

// Options says what a Reader makes.
type Options struct {
	// Policy is what the prompt must be: its first codec is the one
	// written (A-law by default; µ-law, or 8-bit PCM), and its MaxSize
	// bounds the converted file, headers included (a larger one is a
	// *wavcheck.SizeError). A WAV file the Policy already accepts is passed
	// through unchanged, if its header says its sizes (one a streaming
	// writer left unknown is converted, which writes them).
	Policy wavcheck.Policy
	// MaxInput bounds the input, in bytes; more is a *wavcheck.SizeError.
	// 0 sets no bound.
	MaxInput int64
	// Rewrite is for an output that can be written over once written, a
	// file: the audio of an input whose length its header does not give
	// streams like any other's, instead of being held until the end, after
	// a header whose sizes say "unknown" (0xFFFFFFFF); once Read has
	// returned io.EOF, Header returns the true header, to write over the
	// file's first bytes.
	Rewrite bool
	// MaxHeld bounds the converted audio held for an input whose length
	// its header does not give (unless Rewrite), in bytes: 8000 a second.
	// A longer one is an *Error that says how to send it instead. 0: the
	// bound is Policy.MaxSize's alone. A server converting for callers
	// it does not trust sets it, since each such upload in flight holds
	// that much.
	MaxHeld int64
}

// Source describes a file a Reader read.
type Source struct {
	// Kind is "WAV", or a registered Decoder's Name ("MP3").
	Kind string
	// From describes the audio, as an upload's answer and log line say
	// it: "PCM 16-bit 22050 Hz stereo", "MP3 44100 Hz stereo".
	From string
	// Encoding names the samples' encoding without the rate or the
	// channels, from a small fixed set fit for a metrics label: "PCM
	// 16-bit", "float 32-bit", "A-law 8-bit", or a Decoder's Name.
	Encoding string
	// Rate and Channels are the input's sample rate and channel count.
	Rate, Channels int
}

// String returns From.
func (s Source) String() string { return s.From }

// A Reader converts a file read from an underlying reader, as it is read:
// each Read pulls just enough input to return the next bytes of the
// converted WAV file, so memory does not grow with the file (an input
// whose length its header does not give — a WAV streamed with an unknown
// data size, an MP3 with no Xing or LAME header — is the exception: its
// converted audio, at most Policy.MaxSize, is held until the input ends,
// because a WAV header states its length first).
//
// The output is 8000 Hz, 8-bit, mono: the channels are averaged, the
// audio is low-passed (flat to 3.4 kHz, at least 60 dB down from 4 kHz)
// and resampled by a polyphase filter, and encoded per G.711. It has
// round(seconds × 8000) samples: the input's duration is kept. io.EOF
// comes only once the whole input has been read and found well formed;
// any problem is an *Error, a *wavcheck.SizeError, or the underlying
// reader's own error, as it is.
type Reader struct {
	in    input
	opts  Options
	codec wavcheck.Codec
	err   error // sticky; io.EOF at the end

	begun     bool
	pass      bool              // the file is passed through as it is
	check     *wavcheck.Checker // a file passed through, checked as it goes
	converted bool
	src       Source
	pcm       pcmSource
	rs        resampler
	ended     bool  // the input's audio is all pushed
	holding   bool  // the length is known only at the end: output is held
	want      int64 // output samples in all; -1 until known
	trailer   func() error

	held    []byte // output held until its length is known
	pending []byte // output not yet returned
	rest    []byte // output returned after pending: the held audio
	written int64

	frames []float32 // decoded input
	outs   []float32 // resampled output
	bytes  []byte    // encoded output, and the header
}

// NewReader returns a Reader that converts the file read from r.
func NewReader(r io.Reader, o Options) *Reader {
	c := new(Reader)
	c.Reset(r, o)
	return c
}

// Reset makes c convert a new file read from r, keeping its buffers.
func (c *Reader) Reset(r io.Reader, o Options) {
	if o.Policy.Validate() != nil {
		o.Policy = wavcheck.Policy{}
	}
	c.in.reset(r, o.MaxInput)
	c.opts, c.err = o, nil
	c.codec = wavcheck.ALaw
	if len(o.Policy.Codecs) > 0 {
		c.codec = o.Policy.Codecs[0]
	}
	c.begun, c.pass, c.converted, c.ended, c.holding = false, false, false, false, false
	c.check = nil
	c.src, c.want, c.trailer = Source{}, -1, nil
	c.pcm.reset(nil, nil, 1, 1, -1, 0)
	c.rs.t = nil // a pooled Reader does not keep an odd rate's table (up to 1 MB) alive
	if cap(c.held) > 64<<10 {
		c.held = nil // a Reader kept for reuse does not keep a large file's
	}
	c.held, c.pending, c.rest, c.written = c.held[:0], nil, nil, 0
}

// Source describes the input, once the first Read has read its header
// (the zero Source before, or if the header could not be read).
func (c *Reader) Source() Source { return c.src }

// Converted reports whether the file is being converted; false before
// the first Read, and for a file passed through because the Policy
// already accepts it.
func (c *Reader) Converted() bool { return c.converted }

// Seconds returns the converted audio's duration, once it is known: from
// the first Read for an input whose header says its length, at the end
// for the others; 0 before.
func (c *Reader) Seconds() float64 {
	if c.want < 0 {
		return 0
	}
	return float64(c.want) / outRate
}

// Header returns the converted file's header once Read has returned
// io.EOF, with the true sizes (see Options.Rewrite); nil before, or for a
// file passed through.
func (c *Reader) Header() []byte {
	if c.err != io.EOF || c.pass {
		return nil
	}
	return append([]byte(nil), c.header(c.want)...)
}

// InputBytes returns the bytes of the input read so far: past
// Options.MaxInput once the Reader has said the input is too large.
func (c *Reader) InputBytes() int64 { return c.in.n }

// Written returns the bytes of the converted file returned so far.
func (c *Reader) Written() int64 { return c.written }

// Read implements io.Reader.
func (c *Reader) Read(p []byte) (int, error) {
	for len(c.pending) == 0 {
		if len(c.rest) > 0 {
			c.pending, c.rest = c.rest, nil
			break
		}
		if c.err != nil {
			return 0, c.err
		}
		c.err = c.step()
	}
	n := copy(p, c.pending)
	c.pending = c.pending[n:]
	c.written += int64(n)
	return n, nil
}

// chunk is how many input frames one step decodes.
const chunk = 2048

// step makes the next output, into pending; it returns io.EOF with the
// last of it.
func (c *Reader) step() error {
	if !c.begun {
		c.begun = true
		return c.begin()
	}
	if c.pass {
		buf := c.buffer(32 << 10)
		n, err := c.in.Read(buf)
		if _, cerr := c.check.Write(buf[:n]); cerr != nil {
			return cerr
		}
		c.pending = buf[:n]
		if err == io.EOF {
			if cerr := c.check.Close(); cerr != nil {
				c.pending = nil
				return cerr
			}
		}
		return err
	}
	if !c.ended {
		if cap(c.frames) < chunk {
			c.frames = make([]float32, chunk)
		}
		n, err := c.pcm.read(c.frames[:chunk])
		c.rs.push(c.frames[:n])
		switch {
		case err == io.EOF:
			c.ended = true
			for range c.rs.tail() {
				c.rs.push(zero[:])
			}
			if c.want < 0 {
				c.want = (c.pcm.frames*outRate + int64(c.src.Rate)/2) / int64(c.src.Rate)
			}
		case err != nil:
			return err
		}
	}
	limit := c.want
	if limit < 0 {
		limit = 1<<63 - 1
	}
	if cap(c.outs) < chunk {
		c.outs = make([]float32, chunk)
	}
	n := c.rs.pull(c.outs[:chunk], limit)
	out := c.buffer(n + 1)[:n]
	c.encode(out, c.outs[:n])
	if c.holding {
		return c.hold(out)
	}
	c.pending = out
	if c.want < 0 && wavHeaderLen+c.rs.next > c.maxSize() {
		return &wavcheck.SizeError{Size: wavHeaderLen + c.rs.next, Limit: c.maxSize()}
	}
	if c.ended && c.rs.next == c.want {
		return c.finish()
	}
	return nil
}

var zero [1]float32

// finish reads the input's end and ends the output: its pad byte, then
// io.EOF.
func (c *Reader) finish() error {
	if err := c.trailer(); err != nil {
		return err
	}
	if c.want == 0 {
		return errorf("%s holds no audio", c.src.From)
	}
	if c.want%2 == 1 {
		c.pending = append(c.pending, 0)
	}
	return io.EOF
}

// hold keeps the output of an input whose length is unknown until its
// end, and then returns the whole file.
func (c *Reader) hold(out []byte) error {
	c.pending = nil
	n := int64(len(c.held) + len(out))
	if c.opts.MaxHeld > 0 && n > c.opts.MaxHeld && n <= c.maxAudio() {
		return errorf("%s does not say how long it is, and is over %s: a file that does not say is converted in memory, up to that length. "+
			"Send it with its length in its header (a WAV's data size; an MP3's Xing or LAME header, which LAME and FFmpeg write), or converted",
			c.src.From, seconds(c.opts.MaxHeld))
	}
	if n > c.maxAudio() {
		return &wavcheck.SizeError{Size: n + wavHeaderLen, Limit: c.maxSize()}
	}
	if n+1 > int64(cap(c.held)) {
		// Grow by doubling, to at most the bound and its pad byte: the
		// held audio is all an upload holds, and append's growth (by a
		// quarter for a large slice) would allocate several times it.
		size := max(64<<10, 2*int64(cap(c.held)), n+1)
		if c.opts.MaxHeld > 0 {
			size = min(size, max(c.opts.MaxHeld, n)+1)
		}
		c.held = append(make([]byte, 0, size), c.held...)
	}
	c.held = append(c.held, out...)
	if !c.ended || c.rs.next < c.want {
		return nil
	}
	if err := c.trailer(); err != nil {
		return err
	}
	if c.want == 0 {
		return errorf("%s holds no audio", c.src.From)
	}
	// The header, then the audio held, as it is: not copied after it.
	c.pending = c.header(int64(len(c.held)))
	if len(c.held)%2 == 1 {
		c.held = append(c.held, 0)
	}
	c.rest = c.held
	return io.EOF
}

// seconds says how long n bytes of converted audio play, as "131 s".
func seconds(n int64) string { return fmt.Sprintf("%.3g s", float64(n)/outRate) }

// buffer returns c.bytes with room for n bytes.
func (c *Reader) buffer(n int) []byte {
	if cap(c.bytes) < n {
		c.bytes = make([]byte, n)
	}
	return c.bytes[:n]
}

// encode writes samples as c's codec.
func (c *Reader) encode(dst []byte, x []float32) {
	code := codes(c.codec)
	dst = dst[:len(x)]
	for i, v := range x {
		s := v * 32768
		switch {
		case s >= 32767:
			s = 32767
		case s <= -32768:
			s = -32768
		case s >= 0:
			s += 0.5
		default:
			s -= 0.5
		}
		dst[i] = code[uint16(int16(s))]
	}
}

// codes returns codec's code for every 16-bit sample (as a uint16),
// made once: a look-up costs a few times less than the G.711 encoders'
// loops over segments.
func codes(codec wavcheck.Codec) *[1 << 16]byte {
	t := &codeTables[0]
	switch codec {
	case wavcheck.MuLaw:
		t = &codeTables[1]
	case wavcheck.PCM8:
		t = &codeTables[2]
	}
	t.once.Do(func() {
		for i := range t.code {
			v := int16(uint16(i))
			switch codec {
			case wavcheck.MuLaw:
				t.code[i] = g711.MuLaw(v)
			case wavcheck.PCM8:
				t.code[i] = byte(min(127, (int(v)+128)>>8) + 128) // rounded
			default:
				t.code[i] = g711.ALaw(v)
			}
		}
	})
	return &t.code
}

// codeTables are the A-law, µ-law and 8-bit PCM tables, 64 KB each.
var codeTables [3]struct {
	once sync.Once
	code [1 << 16]byte
}

// wavHeaderLen is the size of the converted file's header.
const wavHeaderLen = 44

func (c *Reader) maxSize() int64 {
	if c.opts.Policy.MaxSize > 0 {
		return min(c.opts.Policy.MaxSize, maxWAV)
	}
	return wavcheck.DefaultMaxSize
}

// maxWAV is the largest WAV file a 32-bit RIFF size describes: an even
// one (the RIFF chunk's size, 4 + its chunks, is even), 8 + 0xFFFFFFFE.
const maxWAV = 8 + 0xFFFFFFFE

// maxAudio is the most audio a converted file within MaxSize holds.
func (c *Reader) maxAudio() int64 { return c.maxSize() - wavHeaderLen - 1 }

// header returns the converted file's header for n samples (-1: an
// unknown number), in c.bytes.
func (c *Reader) header(n int64) []byte {
	tag := uint16(wavfile.TagALaw)
	switch c.codec {
	case wavcheck.MuLaw:
		tag = wavfile.TagMuLaw
	case wavcheck.PCM8:
		tag = wavfile.TagPCM
	}
	b := c.buffer(wavHeaderLen)
	copy(b, "RIFF")
	binary.LittleEndian.PutUint32(b[4:], uint32(wavHeaderLen-8+n+n%2))
	copy(b[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(b[16:], 16)
	binary.LittleEndian.PutUint16(b[20:], tag)
	binary.LittleEndian.PutUint16(b[22:], 1)
	binary.LittleEndian.PutUint32(b[24:], outRate)
	binary.LittleEndian.PutUint32(b[28:], outRate)
	binary.LittleEndian.PutUint16(b[32:], 1)
	binary.LittleEndian.PutUint16(b[34:], 8)
	copy(b[36:], "data")
	binary.LittleEndian.PutUint32(b[40:], uint32(n))
	if n < 0 {
		binary.LittleEndian.PutUint32(b[4:], unknownSize)
		binary.LittleEndian.PutUint32(b[40:], unknownSize)
	}
	return b
}

// begin reads the input's header, and chooses: pass it through,
// convert it, or refuse it.
func (c *Reader) begin() error {
	var head [MatchLen]byte
	n, err := io.ReadFull(&c.in, head[:])
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return err
	}
	c.in.unread(head[:n])
	if n >= 12 && string(head[:4]) == "RIFF" && string(head[8:12]) == "WAVE" {
		return c.beginWAV()
	}
	if d, ok := decoderFor(head[:n]); ok {
		return c.beginStream(d)
	}
	switch {
	case n == 0:
		return errorf("the file is empty")
	case n >= 4 && string(head[:4]) == "RF64":
		return errorf("an RF64 file (a WAV over 4 GB), which cannot be converted")
	case looksLikeMP3(head[:n]):
		return errorf("an MP3 file, which this server cannot convert: it has no MP3 decoder (see package convert/mp3)")
	}
	kinds := "a WAV file"
	for _, name := range Decoders() {
		kinds += " or " + name
	}
	return errorf("not %s: it begins with bytes % X", kinds, head[:min(n, 8)])
}

// looksLikeMP3 reports whether head begins as an MP3 file does: an ID3v2
// tag, or an MPEG audio frame's sync.
func looksLikeMP3(head []byte) bool {
	return len(head) >= 3 && string(head[:3]) == "ID3" || len(head) >= 2 && head[0] == 0xFF && head[1]&0xE0 == 0xE0
}

func (c *Reader) beginWAV() error {
	c.in.recording = true
	h, err := readHeader(&c.in)
	if err != nil {
		return err
	}
	f := h.format
	c.src = Source{Kind: "WAV", From: f.describe(), Encoding: f.kind(), Rate: f.rate, Channels: f.channels}
	if c.accepted(f) && c.in.recorded() && h.whole(c.in.n) {
		c.pass, c.in.recording = true, false
		c.want = -1
		if h.dataSize >= 0 {
			c.want = h.dataSize
		}
		// What is passed through is checked as it goes, as the Policy
		// would check it (but for its size, left to the caller's checks):
		// a file whose header lies (a data chunk cut short, a RIFF size
		// the file does not fill) is an error, not a file CC-FS refuses.
		c.check = wavcheck.NewChecker(wavcheck.Policy{Codecs: c.opts.Policy.Codecs, MaxSize: 1<<32 + 8})
		if _, err := c.check.Write(c.in.rec); err != nil {
			return err
		}
		c.pending = c.in.rec
		return nil
	}
	c.in.recording = false
	dec, err := f.decoder()
	if err != nil {
		return err
	}
	frames := int64(-1)
	if h.dataSize >= 0 {
		frames = h.dataSize / int64(f.blockAlign)
	}
	c.pcm.reset(&c.in, dec, f.channels, f.blockAlign, frames, 0)
	c.pcm.extra = h.dataSize - max(frames, 0)*int64(f.blockAlign)
	c.pcm.what = "the data chunk"
	c.trailer = func() error {
		if h.dataSize < 0 {
			return nil // the audio ran to the file's end
		}
		if err := c.in.skip(c.pcm.extra, "the data chunk"); err != nil {
			return err
		}
		return readTrailer(&c.in, h.odd)
	}
	return c.start(f.rate, frames)
}

// whole reports whether h's sizes say the whole file, read up to byte
// at, as the WAV checks need them said: the data chunk's size, and a
// RIFF size that holds it. A writer that streams leaves them unknown
// (0xFFFFFFFF) or 0; such a file, though in the Policy's format, is
// converted, which writes them, rather than passed through to be refused.
func (h header) whole(at int64) bool {
	return h.dataSize >= 0 && h.riffSize != unknownSize && h.riffSize >= at-8+h.dataSize
}

// accepted reports whether the Policy takes f as it is.
func (c *Reader) accepted(f wavFormat) bool {
	var codec wavcheck.Codec
	switch {
	case f.tag == wavfile.TagALaw && f.bits == 8:
		codec = wavcheck.ALaw
	case f.tag == wavfile.TagMuLaw && f.bits == 8:
		codec = wavcheck.MuLaw
	case f.tag == wavfile.TagPCM && f.bits == 8:
		codec = wavcheck.PCM8
	}
	return codec != 0 && c.opts.Policy.Accepts(codec) && f.channels == 1 && f.rate == outRate &&
		f.blockAlign == 1 && f.byteRate == outRate
}

func (c *Reader) beginStream(d Decoder) error {
	s, err := d.Open(&c.in)
	if err != nil {
		return c.streamFault(d.Name, err)
	}
	info := s.Info()
	if info.Channels < 1 || info.Channels > maxChannels || info.Rate < minRate || info.Rate > maxRate || info.Skip < 0 {
		return errorf("%s: %d channels at %d Hz; a file to convert has 1 to %d channels at %d to %d Hz",
			info.From, info.Channels, info.Rate, maxChannels, minRate, maxRate)
	}
	c.src = Source{Kind: d.Name, From: info.From, Encoding: d.Name, Rate: info.Rate, Channels: info.Channels}
	frames := info.Frames
	if frames < 0 {
		frames = -1
	}
	c.pcm.reset(s, decodeS16, info.Channels, 2*info.Channels, frames, info.Skip)
	c.pcm.what = d.Name + " audio"
	c.pcm.fault = func(err error) error { return c.streamFault(d.Name, err) }
	c.trailer = func() error {
		// The encoder's padding, and whatever the decoder leaves of the
		// file.
		if err := c.pcm.drain(); err != nil {
			return err
		}
		_, err := io.Copy(io.Discard, &c.in)
		return err
	}
	return c.start(info.Rate, frames)
}

// streamFault turns a Decoder's error into the converter's: the
// underlying reader's own errors as they are, the rest an *Error.
func (c *Reader) streamFault(kind string, err error) error {
	if c.in.err != nil && errors.Is(err, c.in.err) {
		return c.in.err
	}
	var se *wavcheck.SizeError
	if errors.As(err, &se) {
		return err
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return &Error{Reason: fmt.Sprintf("the %s file ends early, after %d bytes: %v", kind, c.in.n, err), Err: io.ErrUnexpectedEOF}
	}
	return &Error{Reason: fmt.Sprintf("the %s file cannot be decoded: %v", kind, err), Err: err}
}

// start begins converting frames (-1: unknown) of audio at rate, and
// returns the header if the length is known.
func (c *Reader) start(rate int, frames int64) error {
	c.converted = true
	c.rs.reset(rate)
	if frames < 0 && !c.opts.Rewrite {
		c.holding = true // the header follows the end
		return nil
	}
	if frames < 0 {
		c.pending = c.header(-1) // Header has the true one, at the end
		return nil
	}
	c.want = (frames*outRate + int64(rate)/2) / int64(rate)
	if c.want == 0 {
		return errorf("%s holds no audio", c.src.From)
	}
	if size := wavHeaderLen + c.want + c.want%2; size > c.maxSize() {
		return &wavcheck.SizeError{Size: size, Limit: c.maxSize()}
	}
	c.pending = c.header(c.want)
	return nil
}
