package wavcheck

import (
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
	"time"
	"unicode"
)

type state uint8

const (
	stRIFF        state = iota // reading the 12-byte RIFF header
	stChunkHeader              // reading an 8-byte chunk header
	stFmt                      // reading the fmt chunk's body
	stSkip                     // passing over a chunk's body (data or other)
	stEnd                      // at the end the RIFF header declared
)

// A Checker checks a WAV file as it streams through Write, in fixed memory.
// Write returns the first problem as soon as it is certain, and keeps
// returning it; Close says whether what was written is a complete,
// accepted file. A fmt chunk CC-FS does not accept is one problem that
// lists every reason the chunk gives: a *FormatError for one reason, or
// Problems for several, in the order Inspect lists them. The zero Checker
// is not usable: call NewChecker.
type Checker struct {
	policy  Policy
	max     int64
	collect bool    // Inspect: keep going past format problems
	found   []error // format problems, when collect
	err     error   // the first problem, sticky

	state   state
	pos     int64 // bytes written so far
	riffEnd int64 // riff size + 8, once known
	hdr     [12]byte
	hdrN    int
	left    int64 // bytes of the current chunk body (with pad) to pass
	fmtBuf  [40]byte
	fmtLen  int
	fmtN    int
	fmtSeen bool
	format  Format
	data    bool // a data chunk was seen
}

// NewChecker returns a Checker for p. An invalid policy is used as the
// default one; check it with Policy.Validate first.
func NewChecker(p Policy) *Checker {
	if p.Validate() != nil {
		p = Policy{}
	}
	return &Checker{policy: p, max: p.maxSize()}
}

// Write checks the next bytes of the file. It returns len(p) and nil while
// nothing is wrong; otherwise the bytes consumed and the problem (a
// *StructureError, *SizeError, or a *FormatError or Problems for a format
// CC-FS does not accept).
func (c *Checker) Write(p []byte) (int, error) {
	total := len(p)
	for len(p) > 0 && c.err == nil {
		var n int
		switch c.state {
		case stRIFF, stChunkHeader:
			need := 8
			if c.state == stRIFF {
				need = 12
			}
			n = copy(c.hdr[c.hdrN:need], p)
			c.hdrN += n
			c.pos += int64(n)
			if c.state == stRIFF && c.hdrN >= 4 && c.hdrN-n < 4 {
				c.checkMagic()
			}
			if c.err == nil && c.hdrN == need {
				c.hdrN = 0
				if c.state == stRIFF {
					c.riffHeader()
				} else {
					c.chunkHeader()
				}
			}
		case stFmt:
			n = copy(c.fmtBuf[c.fmtN:c.fmtLen], p)
			c.fmtN += n
			c.pos += int64(n)
			if c.fmtN == c.fmtLen {
				c.fmtDone()
			}
		case stSkip:
			n = int(min(c.left, int64(len(p))))
			c.left -= int64(n)
			c.pos += int64(n)
			if c.left == 0 {
				c.next()
			}
		case stEnd:
			c.fail("the file goes on past the %d bytes its RIFF header declares", c.riffEnd)
		}
		p = p[n:]
	}
	if c.err != nil {
		return total - len(p), c.err
	}
	return total, nil
}

// Close ends the check: it returns nil if everything written is one
// complete, accepted file, and the problem otherwise.
func (c *Checker) Close() error {
	if c.err != nil {
		return c.err
	}
	switch {
	case c.pos == 0:
		c.fail("the file is empty")
	case c.riffEnd == 0:
		c.fail("the file ends after %d bytes, inside the RIFF header", c.pos)
	case c.pos < c.riffEnd && c.state == stSkip && c.data && c.left > 0 && c.inDataChunk():
		c.fail("data chunk declares %d bytes but the file ends after %d", c.format.DataSize, c.pos)
	case c.pos < c.riffEnd:
		c.fail("the RIFF header declares %d bytes but the file ends after %d", c.riffEnd, c.pos)
	case !c.fmtSeen:
		c.fail("no fmt chunk")
	case !c.data:
		c.fail("no data chunk")
	}
	return c.err
}

// inDataChunk reports whether the chunk being passed over is the data
// chunk (the last chunk header read was "data").
func (c *Checker) inDataChunk() bool { return string(c.hdr[:4]) == "data" }

// Format returns the format read so far, and whether the fmt chunk was
// read.
func (c *Checker) Format() (Format, bool) { return c.format, c.fmtSeen }

// Written returns the number of bytes written so far.
func (c *Checker) Written() int64 { return c.pos }

func (c *Checker) fail(format string, args ...any) {
	c.err = &StructureError{Offset: c.pos, Reason: fmt.Sprintf(format, args...)}
}

// checkMagic refuses a file that does not start with "RIFF" as soon as its
// first four bytes are in, naming what it looks like instead.
func (c *Checker) checkMagic() {
	magic := string(c.hdr[:4])
	if magic == "RIFF" {
		return
	}
	what := ""
	switch {
	case magic[:3] == "ID3" || magic[0] == 0xFF && magic[1]&0xE0 == 0xE0:
		what = ", an MP3 file"
	case magic == "OggS":
		what = ", an Ogg file"
	case magic == "fLaC":
		what = ", a FLAC file"
	case magic == "RIFX" || magic == "RF64":
		what = ", a RIFF variant CC-FS does not read"
	case magic == ".snd":
		what = ", a Sun/NeXT audio file"
	case magic == "FORM":
		what = ", an AIFF file"
	}
	c.fail("not a WAV file (starts with %s%s)", printable(c.hdr[:4]), what)
}

func (c *Checker) riffHeader() {
	size := int64(binary.LittleEndian.Uint32(c.hdr[4:8]))
	if form := c.hdr[8:12]; string(form) != "WAVE" {
		c.fail("not a WAV file (a RIFF file of type %s)", printable(form))
		return
	}
	if size+8 > c.max {
		c.err = &SizeError{Size: size + 8, Limit: c.max}
		return
	}
	if size < 4+8+16 {
		c.fail("the RIFF header declares %d bytes, too few for a WAV file", size+8)
		return
	}
	c.riffEnd = size + 8
	c.state = stChunkHeader
}

func (c *Checker) chunkHeader() {
	id := c.hdr[:4]
	size := int64(binary.LittleEndian.Uint32(c.hdr[4:8]))
	start := c.pos - 8
	room := c.riffEnd - c.pos
	if !isFourCC(id) {
		c.fail("chunk at byte %d has an invalid ID %s", start, printable(id))
		return
	}
	if size > room {
		c.fail("%s chunk at byte %d declares %d bytes but the file ends after %d", printable(id), start, size, c.riffEnd)
		return
	}
	c.left = size + size&1
	if c.left > room { // a final odd chunk written without its pad byte
		c.left = size
	}
	switch string(id) {
	case "fmt ":
		switch {
		case c.fmtSeen:
			c.fail("a second fmt chunk at byte %d", start)
		case c.data:
			c.fail("the fmt chunk comes after the data chunk")
		case size != 16 && size != 18 && size != 40:
			c.fail("fmt chunk of %d bytes; need 16, 18 or 40", size)
		default:
			c.fmtLen, c.fmtN = int(size), 0
			c.state = stFmt
		}
		return
	case "data":
		switch {
		case !c.fmtSeen:
			c.fail("the data chunk comes before the fmt chunk")
			return
		case c.data:
			c.fail("a second data chunk at byte %d", start)
			return
		case size == 0:
			c.fail("the data chunk is empty")
			return
		}
		c.data = true
		c.format.DataSize = size
		if c.format.ByteRate > 0 {
			c.format.Duration = time.Duration(size * int64(time.Second) / int64(c.format.ByteRate))
		}
	}
	c.state = stSkip
	if c.left == 0 {
		c.next()
	}
}

func (c *Checker) fmtDone() {
	f, err := decodeFmt(c.fmtBuf[:c.fmtLen])
	if err != nil {
		c.fail("%v", err)
		return
	}
	c.format, c.fmtSeen = f, true
	if problems := c.policy.problems(f); len(problems) > 0 {
		switch {
		case c.collect:
			c.found = append(c.found, problems...)
		case len(problems) == 1:
			c.err = problems[0]
			return
		default: // every reason in one answer: the fmt chunk holds them all
			c.err = Problems(problems)
			return
		}
	}
	c.next()
}

// next moves on after a chunk: to the next chunk header, or to the end.
func (c *Checker) next() {
	if c.pos == c.riffEnd {
		c.state = stEnd
	} else {
		c.state = stChunkHeader
	}
}

func isFourCC(id []byte) bool {
	for _, b := range id {
		if b < 0x20 || b > 0x7e {
			return false
		}
	}
	return true
}

// printable quotes untrusted header bytes for a message: the printable
// ASCII they start with when that is most of them, hex otherwise.
func printable(b []byte) string {
	n := 0
	for n < len(b) && b[n] < unicode.MaxASCII && unicode.IsPrint(rune(b[n])) {
		n++
	}
	if n < 3 {
		return fmt.Sprintf("bytes % X", b)
	}
	return strconv.Quote(string(b[:n]))
}

// Inspect reads a whole WAV file from r and returns its format with every
// format problem at once (as Problems), or the first structural problem
// (a *StructureError or *SizeError), which ends the reading. It never reads
// more than the policy's size limit plus one buffer.
func Inspect(r io.Reader, p Policy) (Format, error) {
	c := NewChecker(p)
	c.collect = true
	var buf [8 << 10]byte
	for c.err == nil {
		n, err := r.Read(buf[:])
		c.Write(buf[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			return c.format, err
		}
	}
	if err := c.Close(); err != nil {
		return c.format, err
	}
	if len(c.found) > 0 {
		return c.format, Problems(c.found)
	}
	return c.format, nil
}

// ReadHeader reads a WAV file's header from r, through a Checker, up to
// the first byte of its data chunk and not one byte further, so that r is
// left at the first sample. It returns the format (DataSize as the data
// chunk declares it) and where the samples begin. It judges the file's
// structure as a Checker does, but not its format: Codec says whether it
// is one CC-FS knows, and a file of any size a RIFF header can declare is
// read. It refuses a header of more than limit bytes (chunks other than
// fmt before the data count), and a file that ends before its samples.
func ReadHeader(r io.Reader, limit int64) (Format, int64, error) {
	c := NewChecker(Policy{MaxSize: 1<<32 + 8})
	c.collect = true // a format CC-FS refuses is still read
	var buf [512]byte
	for c.err == nil && !c.data {
		n := int64(len(buf)) // what the checker takes next, exactly
		switch c.state {
		case stRIFF:
			n = int64(12 - c.hdrN)
		case stChunkHeader:
			n = int64(8 - c.hdrN)
		case stFmt:
			n = int64(c.fmtLen - c.fmtN)
		case stSkip:
			n = min(n, c.left)
		case stEnd:
			c.fail("no data chunk")
			continue
		}
		if c.pos+n > limit {
			c.fail("more than %d bytes before the data chunk", limit)
			continue
		}
		m, err := io.ReadFull(r, buf[:n])
		c.Write(buf[:m])
		switch {
		case c.err == nil && (err == io.EOF || err == io.ErrUnexpectedEOF):
			c.fail("the file ends after %d bytes, before its data chunk", c.pos)
		case err != nil:
			return c.format, 0, err
		}
	}
	if c.err != nil {
		return c.format, 0, c.err
	}
	return c.format, c.pos, nil
}
