// Package mp3 is the MP3 Decoder of package convert: it lets the
// converter take an MPEG-1 or MPEG-2 Layer III file (an uploaded prompt
// that is MP3, not WAV) and turns it into PCM, through the pure-Go decoder
// github.com/hajimehoshi/go-mp3. A program turns it on with a blank
// import, as image/png is turned on for package image:
//
//	import _ "github.com/ccfs-go/ccfs/convert/mp3"
//
// It is a module of its own, github.com/ccfs-go/ccfs/convert/mp3, so that
// the root module's dependencies stay the standard library, go-audio and
// golang.org/x/sys and x/time: only a program that imports this package
// pays for an MP3 decoder.
//
// The Stream's Info says where the audio is in the decoded samples. An
// encoder delays the audio and pads its end to whole frames, and a
// decoder adds a delay of its own (529 samples); LAME and FFmpeg write
// the first two, and the number of frames, into a Xing or Info header in
// the file's first frame, which go-mp3 decodes as a frame of silence.
// With that header, Skip is one frame, the encoder's delay and the
// decoder's, and Frames is exactly the original's length; without it,
// Skip is the decoder's delay alone and Frames is -1 (the audio then
// begins after the encoder's delay, 576 samples for LAME, and ends with
// its padding). A Xing header without LAME's extension adds its frame to
// Skip and leaves Frames -1.
//
// go-mp3 ends a file cut short as it ends a whole one; the Stream says
// io.ErrUnexpectedEOF instead when the Xing header counted more frames
// than came, or when the bytes after the last whole frame begin another.
// go-mp3 v0.3.4 also reads a padded MPEG-2 frame a byte short when 144 ×
// bitrate / rate rounds down to an even number (22050 Hz at 8, 16, 24,
// 32, 80, 96, 144 or 160 kbit/s) and garbles the audio after it; the
// Stream ends with an error that says so at the first such frame.
package mp3

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	gomp3 "github.com/hajimehoshi/go-mp3"

	"github.com/ccfs-go/ccfs/convert"
)

func init() { convert.Register(Decoder) }

// Decoder is the MP3 convert.Decoder that importing this package
// registers. Its Match takes a file that begins with an ID3v2 tag or with
// the header of an MPEG-1, 2 or 2.5 Layer III frame; its Open reads
// MPEG-1 and MPEG-2 (go-mp3 does not read MPEG-2.5, nor free-format
// bitrates, and says so). The Stream it opens always has two channels:
// go-mp3 writes a mono file's samples twice, and Info's From says the
// file was mono.
var Decoder = convert.Decoder{Name: "MP3", Match: match, Open: open}

// DecoderDelay is the delay, in samples, of go-mp3's synthesis filter
// bank, the same as every standard MP3 decoder's (528 + 1): the first
// sample of the encoder's output is this many samples into the decoded
// stream.
const DecoderDelay = 529

// match reports whether head begins an ID3v2 tag or a Layer III frame.
func match(head []byte) bool {
	if len(head) >= 4 && string(head[:3]) == "ID3" && head[3] != 0xff {
		return true
	}
	_, ok := parseHeader(head)
	return ok
}

// errNoFrame says a file holds no MPEG audio frame go-mp3 could find.
var errNoFrame = errors.New("mp3: no MPEG audio frame")

// open skips the ID3v2 tags, reads the first frame's Xing header if it
// has one, and starts go-mp3 on the rest. It reads the first frame and no
// more.
func open(r io.Reader) (s convert.Stream, err error) {
	br := bufio.NewReaderSize(r, 4096)
	if err := skipID3(br); err != nil {
		return nil, err
	}
	st := &stream{src: &counter{r: br, next: -1}, want: -1}
	info := convert.StreamInfo{From: "MP3", Channels: 2, Skip: DecoderDelay, Frames: -1}
	first, haveFirst, desc := frameHeader{}, false, ""
	if head, _ := br.Peek(4); len(head) == 4 {
		first, haveFirst = parseHeader(head)
	}
	if haveFirst {
		st.src.next = 0
		if first.version == mpeg25 {
			return nil, fmt.Errorf("mp3: an MPEG-2.5 file (%s), which go-mp3 does not decode", first)
		}
		frame, _ := br.Peek(first.size() + 4)
		if x, ok := parseXing(first, frame); ok {
			// The Xing frame's bitrate is whatever held the header;
			// the audio's is the next frame's, or varies.
			var next []byte
			if len(frame) > first.size() {
				next = frame[first.size():]
			}
			desc = first.describe(x.vbr, next)
			spf := int64(first.samplesPerFrame())
			// go-mp3 decodes the Xing frame itself, as silence.
			info.Skip += spf
			st.want = -1
			if x.frames >= 0 {
				st.want = (1 + x.frames) * spf * 4
			}
			if x.frames >= 0 && x.delay >= 0 {
				if n := x.frames*spf - int64(x.delay) - int64(x.padding); n >= 0 {
					info.Skip += int64(x.delay)
					info.Frames = n
				}
			}
		}
	}
	defer func() {
		if p := recover(); p != nil {
			s, err = nil, fmt.Errorf("mp3: go-mp3 failed on the first frame: %v", p)
		}
	}()
	dec, err := gomp3.NewDecoder(st.src)
	if err != nil {
		if errors.Is(err, io.EOF) {
			if haveFirst || st.src.n > 0 && st.src.tail[0] == 0xff {
				return nil, fmt.Errorf("mp3: the first frame: %w", io.ErrUnexpectedEOF)
			}
			return nil, errNoFrame
		}
		return nil, err
	}
	if err := st.src.misreadErr(); err != nil {
		return nil, err
	}
	st.dec = dec
	st.src.frameEnd()
	info.Rate = dec.SampleRate()
	if haveFirst {
		if desc == "" {
			desc = first.describe(false, nil)
		}
		info.From = "MP3 " + desc
	} else {
		info.From = fmt.Sprintf("MP3 %d Hz", info.Rate)
	}
	st.info = info
	return st, nil
}

// skipID3 reads past the ID3v2 tags at the start of br. go-mp3 skips one
// itself, but into a buffer of the size the tag claims (up to 256 MiB);
// this discards it as it streams by.
func skipID3(br *bufio.Reader) error {
	for {
		head, _ := br.Peek(10)
		if len(head) < 3 || string(head[:3]) != "ID3" {
			return nil
		}
		if len(head) < 10 {
			return fmt.Errorf("mp3: the ID3v2 tag: %w", io.ErrUnexpectedEOF)
		}
		if head[3] == 0xff || head[4] == 0xff || head[6]|head[7]|head[8]|head[9] >= 0x80 {
			return errors.New("mp3: a malformed ID3v2 tag")
		}
		size := 10 + (int(head[6])<<21 | int(head[7])<<14 | int(head[8])<<7 | int(head[9]))
		if head[5]&0x10 != 0 { // a footer follows
			size += 10
		}
		if n, err := br.Discard(size); n < size {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return fmt.Errorf("mp3: the ID3v2 tag: %w", err)
		}
	}
}

// A stream is an opened MP3 file.
type stream struct {
	dec  *gomp3.Decoder
	src  *counter
	info convert.StreamInfo
	out  int64 // bytes of PCM read
	want int64 // bytes of PCM the Xing header's frame count says, or -1
	err  error
}

func (s *stream) Info() convert.StreamInfo { return s.info }

// Read returns go-mp3's samples. go-mp3 ends a file whose last frame is
// cut short as it ends a whole one, with io.EOF; Read says
// io.ErrUnexpectedEOF instead if the Xing header counted more frames, or
// if the bytes after the last whole frame begin another one.
func (s *stream) Read(p []byte) (n int, err error) {
	if s.err != nil {
		return 0, s.err
	}
	defer func() {
		if r := recover(); r != nil {
			n, err = 0, fmt.Errorf("mp3: go-mp3 failed at byte %d: %v", s.src.n, r)
		}
		if err != nil {
			s.err = err
		}
	}()
	before := s.src.n
	n, err = s.dec.Read(p)
	if merr := s.src.misreadErr(); merr != nil {
		return 0, merr
	}
	s.out += int64(n)
	if s.want >= 0 && s.out > s.want+xingSlack*int64(s.frameSamples())*4 {
		// Whatever follows is not the audio the header counts, and
		// decoding it to the end would cost a frame's work for each of
		// up to MaxInput's bytes, for output thrown away.
		return 0, fmt.Errorf("mp3: the file holds more audio than the %d frames its Xing header counts", s.want/4/int64(s.frameSamples())-1)
	}
	if err := s.src.rateErr(); err != nil {
		return 0, err
	}
	if n > 0 && s.src.n != before {
		s.src.frameEnd()
	}
	if err == io.EOF {
		switch {
		case s.want >= 0 && s.out < s.want:
			err = fmt.Errorf("mp3: %d of the %d frames the Xing header counts: %w",
				s.out/4/int64(s.frameSamples()), s.want/4/int64(s.frameSamples()), io.ErrUnexpectedEOF)
		case s.src.cutFrame():
			err = fmt.Errorf("mp3: the last frame, at byte %d: %w", s.src.n-int64(s.src.after), io.ErrUnexpectedEOF)
		}
	} else if err != nil {
		err = fmt.Errorf("mp3: %w", err)
	}
	return n, err
}

// xingSlack is how many frames past the Xing header's count a file may
// hold and still be converted (the rest dropped, as padding is).
const xingSlack = 2

func (s *stream) frameSamples() int {
	if s.info.Rate >= 32000 {
		return 1152
	}
	return 576
}

// A counter counts the bytes go-mp3 reads, and keeps the first four it
// has read since the end of the last frame it decoded: go-mp3 reads one
// frame at a time, so at its io.EOF they are what followed the last whole
// frame.
//
// It also walks the frames as they go by, from one header to the next by
// the frame's size, to find the frames go-mp3 v0.3.4 misreads: a padded
// MPEG-2 frame (22050 Hz, at 8, 16, 24, 32, 80, 96, 144 or 160 kbit/s),
// which it takes a byte short, losing a byte of the bit reservoir the
// next frames decode from (its frameheader.FrameSize halves the padded
// MPEG-1 size). It stops walking where a header is not where the last
// frame's size says.
type counter struct {
	r     io.Reader
	n     int64
	after int     // bytes read since the last frame's end
	tail  [4]byte // the first of them

	next    int64 // where the next frame's header begins, or -1
	hdr     [4]byte
	hn      int         // bytes of it read
	misread frameHeader // the first frame go-mp3 misreads, if bitrate > 0
	rate    int         // the first frame's sample rate
	changed frameHeader // the first frame of another rate, if rate > 0
	at      int64       // where it begins
}

func (c *counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	for i := 0; i < n && c.after+i < len(c.tail); i++ {
		c.tail[c.after+i] = p[i]
	}
	for c.next >= 0 && c.next+int64(c.hn) < c.n+int64(n) {
		i := c.next + int64(c.hn) - c.n
		if i < 0 { // cannot be: the walk never falls behind
			c.next = -1
			break
		}
		c.hdr[c.hn] = p[i]
		if c.hn++; c.hn < 4 {
			continue
		}
		h, ok := parseHeader(c.hdr[:])
		if !ok {
			c.next = -1
			break
		}
		if h.padding == 1 && h.version != mpeg1 && 144*h.bitrate*1000/h.rate%2 == 0 && c.misread.bitrate == 0 {
			c.misread = h
		}
		if c.rate == 0 {
			c.rate = h.rate
		} else if h.rate != c.rate && c.changed.rate == 0 {
			c.changed, c.at = h, c.next
		}
		c.next += int64(h.size())
		c.hn = 0
	}
	c.n += int64(n)
	c.after += n
	return n, err
}

// misreadErr says which frame go-mp3 misreads, or is nil.
func (c *counter) misreadErr() error {
	if c.misread.bitrate == 0 {
		return nil
	}
	return fmt.Errorf("mp3: go-mp3 v0.3.4 cannot decode this file: it takes its padded MPEG-2 frames at %d Hz and %d kbit/s a byte short, which garbles the audio; encode it at another bitrate or sample rate",
		c.misread.rate, c.misread.bitrate)
}

// rateErr says where the sample rate changes, or is nil: go-mp3 decodes
// a frame of another rate as if it were of the first's, too fast or too
// slow.
func (c *counter) rateErr() error {
	if c.changed.rate == 0 {
		return nil
	}
	return fmt.Errorf("mp3: the sample rate changes from %d Hz to %d Hz at byte %d; a file to convert keeps one rate", c.rate, c.changed.rate, c.at)
}

// frameEnd marks the bytes read so far as whole frames.
func (c *counter) frameEnd() { c.after = 0 }

// cutFrame reports whether the bytes after the last whole frame begin a
// Layer III frame (or, fewer than four, a frame sync): a frame the file's
// end cut short, not a trailing tag.
func (c *counter) cutFrame() bool {
	switch {
	case c.after == 0:
		return false
	case c.after < 4:
		return c.tail[0] == 0xff
	}
	_, ok := parseHeader(c.tail[:])
	return ok
}
