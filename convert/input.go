package convert

import (
	"errors"
	"fmt"
	"io"

	"github.com/ccfs-go/ccfs/wavcheck"
)

// passLimit is how much of a WAV file's header is kept to pass an
// accepted file through as it is: a file whose chunks before its audio
// are longer is rewritten with a plain header.
const passLimit = 4 << 10

// An input is the file being converted: the underlying reader, counted
// and bounded, with bytes put back after a look at the file's start, and
// the header's bytes kept while recording.
type input struct {
	r         io.Reader
	n         int64 // bytes read
	max       int64 // 0: no bound
	back      []byte
	backBuf   [MatchLen]byte
	recording bool
	rec       []byte
	err       error // the underlying reader's first error other than io.EOF
}

func (in *input) reset(r io.Reader, max int64) {
	in.r, in.n, in.max, in.back, in.recording, in.rec, in.err = r, 0, max, nil, false, in.rec[:0], nil
}

// unread puts b (at most MatchLen bytes just read) back.
func (in *input) unread(b []byte) {
	in.n -= int64(len(b))
	in.back = in.backBuf[:copy(in.backBuf[:], b)]
}

// recorded reports whether all of the header read is kept.
func (in *input) recorded() bool { return int64(len(in.rec)) == in.n }

func (in *input) Read(p []byte) (int, error) {
	var n int
	var err error
	if len(in.back) > 0 {
		n = copy(p, in.back)
		in.back = in.back[n:]
	} else {
		n, err = in.r.Read(p)
		if err != nil && err != io.EOF && in.err == nil {
			in.err = err
		}
	}
	in.n += int64(n)
	if in.max > 0 && in.n > in.max {
		return 0, &wavcheck.SizeError{Size: in.n, Limit: in.max}
	}
	if in.recording && int64(len(in.rec)) == in.n-int64(n) && len(in.rec)+n <= passLimit {
		in.rec = append(in.rec, p[:n]...)
	}
	return n, err
}

// full reads len(b) bytes of what, or says the file ends inside it.
func (in *input) full(b []byte, what string) error {
	if _, err := io.ReadFull(in, b); err != nil {
		return in.fault(err, what)
	}
	return nil
}

// skip reads past n bytes of what.
func (in *input) skip(n int64, what string) error {
	if n <= 0 {
		return nil
	}
	m, err := io.CopyN(io.Discard, in, n)
	if err != nil {
		return in.fault(err, fmt.Sprintf("%s (%d of its %d bytes are there)", what, m, n))
	}
	return nil
}

// fault turns the end of the file into an *Error that says where; other
// errors (the underlying reader's, a size) are returned as they are.
func (in *input) fault(err error, what string) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &Error{Reason: fmt.Sprintf("the file ends after %d bytes, inside %s", in.n, what), Err: io.ErrUnexpectedEOF}
	}
	return err
}

// maxRaw bounds the bytes a pcmSource reads at once: a read of a
// 256-channel 64-bit file is a few frames, not thousands.
const maxRaw = 16 << 10

// A pcmSource decodes frames of a WAV file's data chunk or a Stream into
// mono samples, a buffer at a time.
type pcmSource struct {
	r      io.Reader
	dec    decodeFunc
	ch     int
	align  int   // bytes a frame
	left   int64 // frames still to come; -1: to the end
	skip   int64 // frames to drop first
	frames int64 // frames delivered
	extra  int64 // bytes of a partial frame at the data chunk's end
	what   string
	fault  func(error) error // the Stream's errors, as the converter's
	raw    []byte
	carry  int // bytes of a partial frame at raw's start
}

// reset makes s decode frames (-1: to the end) of ch channels, align
// bytes each, from r, after dropping skip of them.
func (s *pcmSource) reset(r io.Reader, dec decodeFunc, ch, align int, frames, skip int64) {
	s.r, s.dec, s.ch, s.align, s.left, s.skip = r, dec, ch, align, frames, skip
	s.frames, s.extra, s.carry, s.fault = 0, 0, 0, nil
}

// read decodes up to len(dst) frames; io.EOF after the last.
func (s *pcmSource) read(dst []float32) (int, error) {
	for {
		want := int64(min(len(dst), max(1, maxRaw/s.align)))
		if s.left >= 0 {
			want = min(want, s.left)
		}
		if want == 0 {
			return 0, io.EOF
		}
		need := int(want)*s.align - s.carry
		if cap(s.raw) < need+s.carry {
			s.raw = make([]byte, need+s.carry)
		}
		n, err := s.r.Read(s.raw[s.carry : s.carry+need])
		got := (s.carry + n) / s.align
		rest := (s.carry + n) % s.align
		if err != nil && err != io.EOF {
			if s.fault != nil {
				return 0, s.fault(err)
			}
			return 0, err
		}
		// Drop the frames the stream's delay puts first.
		first := 0
		if s.skip > 0 {
			first = int(min(int64(got), s.skip))
			s.skip -= int64(first)
		}
		m := got - first
		if err == io.EOF && s.left > 0 && int64(m) < s.left {
			short := s.left - int64(m)
			if s.fault != nil {
				return 0, s.fault(&Error{Reason: fmt.Sprintf("%s stops %d frames short of its stated length", s.what, short), Err: io.ErrUnexpectedEOF})
			}
			// A WAV file: say it in bytes, as its header does.
			return 0, &Error{Reason: fmt.Sprintf("the file ends after %d bytes, inside the data chunk (%d bytes short)",
				s.inputBytes(), short*int64(s.align)-int64(rest)), Err: io.ErrUnexpectedEOF}
		}
		s.dec(s.raw[first*s.align:got*s.align], dst[:m], s.ch)
		copy(s.raw, s.raw[got*s.align:got*s.align+rest])
		s.carry = rest
		s.frames += int64(m)
		if s.left > 0 {
			s.left -= int64(m)
		}
		if m > 0 {
			return m, nil
		}
		if err == io.EOF {
			return 0, io.EOF
		}
	}
}

// inputBytes is how far into the file the reader is, if it is one.
func (s *pcmSource) inputBytes() int64 {
	if in, ok := s.r.(*input); ok {
		return in.n
	}
	return 0
}

// drain reads a Stream to its end, past the frames kept.
func (s *pcmSource) drain() error {
	buf := s.raw[:cap(s.raw)]
	if len(buf) == 0 {
		buf = make([]byte, 4096)
	}
	for {
		_, err := s.r.Read(buf)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if s.fault != nil {
				return s.fault(err)
			}
			return err
		}
	}
}
