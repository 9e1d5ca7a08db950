package wavcheck

import "io"

// A Reader passes a WAV file read from an underlying reader through a
// Checker, for a consumer that pulls: each Read returns the next bytes of
// the file once the Checker has taken them, or the first problem (a
// *StructureError, *SizeError, or a *FormatError or Problems listing every
// reason the fmt chunk is refused) as soon as it is certain;
// io.EOF comes only when the file is complete and accepted. An error from
// the underlying reader is returned as it is.
type Reader struct {
	r   io.Reader
	c   Checker
	err error // sticky
}

// NewReader returns a Reader of r that checks against p (an invalid policy
// is used as the default one; check it with Policy.Validate first).
func NewReader(r io.Reader, p Policy) *Reader {
	x := new(Reader)
	x.Reset(r, p)
	return x
}

// Reset makes x check a new file read from r against p.
func (x *Reader) Reset(r io.Reader, p Policy) {
	if p.Validate() != nil {
		p = Policy{}
	}
	x.r, x.c, x.err = r, Checker{policy: p, max: p.maxSize()}, nil
}

// Read implements io.Reader.
func (x *Reader) Read(p []byte) (int, error) {
	if x.err != nil {
		return 0, x.err
	}
	n, err := x.r.Read(p)
	if _, cerr := x.c.Write(p[:n]); cerr != nil {
		x.err = cerr
		return 0, cerr
	}
	switch {
	case err == io.EOF:
		if x.err = x.c.Close(); x.err == nil {
			x.err = io.EOF
		}
		if n > 0 {
			return n, nil
		}
		return 0, x.err
	case err != nil:
		x.err = err
	}
	return n, err
}

// Written returns the bytes read so far.
func (x *Reader) Written() int64 { return x.c.Written() }

// Format returns the format read so far, and whether the fmt chunk was
// read.
func (x *Reader) Format() (Format, bool) { return x.c.Format() }
