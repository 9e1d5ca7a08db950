// Package b64 decodes standard base64 (RFC 4648 §4, padding required) as it
// streams, in fixed memory, strictly: no line breaks, no other alphabet,
// no data after the padding, no missing padding, zero trailing bits.
package b64

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
)

var enc = base64.StdEncoding.Strict()

// bufSize is how many characters a Reader holds: 24 KiB of decoded bytes
// a Read, as much as the 32 KiB of body below it can carry.
const bufSize = 32 << 10

// An Error says why the input is not valid base64. Offset counts input
// characters.
type Error struct {
	Offset int64
	Msg    string
}

// Error says where the input went wrong and how.
func (e *Error) Error() string {
	return fmt.Sprintf("invalid base64 at character %d: %s", e.Offset, e.Msg)
}

// A Reader decodes the base64 text it reads from an underlying reader,
// straight into the caller's buffer. Read returns io.EOF only once the
// text has ended on a whole, correctly padded group; an error from the
// underlying reader is returned as it is.
type Reader struct {
	r          io.Reader
	start, end int   // buf[start:end] is read and not yet decoded
	off        int64 // characters decoded, before buf[start]
	padded     bool
	eof        bool  // r returned io.EOF
	err        error // sticky
	spill      []byte
	spillBuf   [3]byte
	buf        [bufSize]byte
}

// NewReader returns a Reader of r.
func NewReader(r io.Reader) *Reader {
	d := new(Reader)
	d.Reset(r)
	return d
}

// Reset makes d read r, keeping its buffer.
func (d *Reader) Reset(r io.Reader) {
	d.r, d.start, d.end, d.off, d.padded, d.eof, d.err, d.spill = r, 0, 0, 0, false, false, nil, nil
}

// Read decodes into p.
func (d *Reader) Read(p []byte) (int, error) {
	if len(d.spill) > 0 {
		n := copy(p, d.spill)
		d.spill = d.spill[n:]
		return n, nil
	}
	for d.err == nil {
		if groups := (d.end - d.start) &^ 3; groups > 0 {
			if len(p) < 3 { // too small for a group: decode one aside
				m, err := d.decode(d.spillBuf[:], 4)
				if err != nil {
					return 0, err
				}
				n := copy(p, d.spillBuf[:m])
				d.spill = d.spillBuf[n:m]
				return n, nil
			}
			return d.decode(p, min(groups, len(p)/3*4))
		}
		if d.eof {
			d.end -= d.start
			d.start = 0
			switch {
			case d.end > 0 && d.padded:
				return 0, d.fail(0, "characters after the padding")
			case d.end > 0:
				return 0, d.fail(int64(d.end), "the length is not a multiple of 4 (is the padding missing?)")
			}
			d.err = io.EOF
			break
		}
		d.fill()
	}
	return 0, d.err
}

// fill reads more text after what is left undecoded.
func (d *Reader) fill() {
	if d.start > 0 {
		d.end = copy(d.buf[:], d.buf[d.start:d.end])
		d.start = 0
	}
	n, err := d.r.Read(d.buf[d.end:])
	d.end += n
	switch {
	case err == io.EOF:
		d.eof = true
	case err != nil:
		d.err = err
	}
}

// decode decodes the next n characters (a multiple of 4) into p, which
// has room for them.
func (d *Reader) decode(p []byte, n int) (int, error) {
	b := d.buf[d.start : d.start+n]
	if d.padded {
		return 0, d.fail(0, "characters after the padding")
	}
	// Go's decoder skips line breaks; RFC 4648 §4 data has none. (Two
	// IndexByte scans are vectorised; IndexAny is not.)
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return 0, d.fail(int64(i), "a line break")
	}
	if i := bytes.IndexByte(b, '\r'); i >= 0 {
		return 0, d.fail(int64(i), "a line break")
	}
	m, err := enc.Decode(p, b)
	if err != nil {
		if ce, ok := err.(base64.CorruptInputError); ok {
			return 0, d.fail(int64(ce), "not standard base64 with padding")
		}
		return 0, d.fail(0, err.Error())
	}
	d.padded = m < n/4*3
	d.start += n
	d.off += int64(n)
	return m, nil
}

func (d *Reader) fail(at int64, msg string) error {
	d.err = &Error{Offset: d.off + at, Msg: msg}
	return d.err
}
