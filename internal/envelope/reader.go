package envelope

import (
	"io"
	"unicode/utf8"
)

// rawSize is the most body a Reader reads at a time.
const rawSize = 32 << 10

// A Reader reads the unescaped content of msgBody.data from a body it
// reads from an underlying reader, scanning the whole body as it goes. It
// returns io.EOF only at the end of a body that is one complete JSON
// object; Scanner then says what the body held. An error from the
// underlying reader is returned as it is, and so is the scanner's first
// error (an *Error).
type Reader struct {
	r        io.Reader
	scan     Scanner
	out      []byte // the caller's buffer, while a Read fills it
	spill    []byte // data bytes that did not fit, for the next Read
	spillBuf [utf8.UTFMax]byte
	err      error // sticky
	raw      [rawSize]byte
}

// NewReader returns a Reader of body.
func NewReader(body io.Reader) *Reader {
	e := new(Reader)
	e.Reset(body)
	return e
}

// Reset makes e read body, keeping its buffer.
func (e *Reader) Reset(body io.Reader) {
	e.r, e.out, e.spill, e.err = body, nil, nil, nil
	e.scan = Scanner{Data: (*dataSink)(e)}
}

// Scanner returns the scanner of the body, for what it found: Version,
// HasData, DataLen.
func (e *Reader) Scanner() *Scanner { return &e.scan }

// Read reads the next bytes of msgBody.data into p. It reads no more body
// than p can hold of data: the content of a JSON string is never longer
// than the string, except for a character whose \u escape ends in this
// read, whose bytes past p wait in a small spill for the next Read.
func (e *Reader) Read(p []byte) (int, error) {
	if len(e.spill) > 0 {
		n := copy(p, e.spill)
		e.spill = e.spill[n:]
		return n, nil
	}
	for e.err == nil {
		e.out = p[:0]
		n, err := e.r.Read(e.raw[:min(len(p), len(e.raw))])
		if n > 0 {
			if _, serr := e.scan.Write(e.raw[:n]); serr != nil {
				e.err = serr
				break
			}
		}
		switch {
		case err == io.EOF:
			if e.err = e.scan.Close(); e.err == nil {
				e.err = io.EOF
			}
		case err != nil:
			e.err = err
		}
		if len(e.out) > 0 || len(e.spill) > 0 {
			n := len(e.out)
			e.out = nil
			return n, nil // the error, if any, comes with the next Read
		}
	}
	e.out = nil
	return 0, e.err
}

// dataSink receives the scanner's data bytes during a Read.
type dataSink Reader

func (s *dataSink) Write(b []byte) (int, error) {
	e := (*Reader)(s)
	n := copy(e.out[len(e.out):cap(e.out)], b)
	e.out = e.out[:len(e.out)+n]
	if n < len(b) {
		e.spill = append(e.spillBuf[:len(e.spill)], b[n:]...)
	}
	return len(b), nil
}
