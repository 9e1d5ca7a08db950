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

// blockSize is the most input decoded at once; a multiple of 4.
const blockSize = 16 << 10

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

// A Decoder decodes what is written to it and writes the bytes to W.
type Decoder struct {
	W io.Writer

	carry  [4]byte
	carryN int
	in     int64 // characters consumed
	padded bool
	err    error
	out    [blockSize / 4 * 3]byte
}

// Reset makes d ready for a new input written to w, keeping its buffer.
func (d *Decoder) Reset(w io.Writer) {
	d.W, d.carryN, d.in, d.padded, d.err = w, 0, 0, false, nil
}

// Write decodes p. It returns the first error, from the input or from W.
func (d *Decoder) Write(p []byte) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	total := len(p)
	if d.carryN > 0 {
		n := copy(d.carry[d.carryN:], p)
		d.carryN += n
		p = p[n:]
		if d.carryN < 4 {
			return total, nil
		}
		d.carryN = 0
		if err := d.block(d.carry[:]); err != nil {
			return 0, err
		}
	}
	for len(p) >= 4 {
		n := min(len(p)&^3, blockSize)
		if err := d.block(p[:n]); err != nil {
			return 0, err
		}
		p = p[n:]
	}
	if len(p) > 0 {
		if d.padded {
			return 0, d.fail(0, "characters after the padding")
		}
		d.carryN = copy(d.carry[:], p)
	}
	return total, nil
}

// block decodes a multiple of 4 characters.
func (d *Decoder) block(b []byte) error {
	if d.padded {
		return d.fail(0, "characters after the padding")
	}
	// Go's decoder skips line breaks; RFC 4648 §4 data has none. (Two
	// IndexByte scans are vectorised; IndexAny is not.)
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return d.fail(int64(i), "a line break")
	}
	if i := bytes.IndexByte(b, '\r'); i >= 0 {
		return d.fail(int64(i), "a line break")
	}
	n, err := enc.Decode(d.out[:], b)
	if err != nil {
		if ce, ok := err.(base64.CorruptInputError); ok {
			return d.fail(int64(ce), "not standard base64 with padding")
		}
		return d.fail(0, err.Error())
	}
	d.padded = n < len(b)/4*3
	d.in += int64(len(b))
	if _, err := d.W.Write(d.out[:n]); err != nil {
		d.err = err
		return err
	}
	return nil
}

func (d *Decoder) fail(at int64, msg string) error {
	d.err = &Error{Offset: d.in + at, Msg: msg}
	return d.err
}

// Close reports whether the input ended on a whole, correctly padded group.
func (d *Decoder) Close() error {
	if d.err == nil && d.carryN > 0 {
		d.fail(int64(d.carryN), "the length is not a multiple of 4 (is the padding missing?)")
	}
	return d.err
}
