// Package steps is a reader for tests of streaming code: it hands its
// bytes out at most n at a time, so that every boundary a stream can have
// is tried. It is a test-only kit (hence internal/testkit): no program
// links it.
package steps

import "io"

// Reader returns a reader of b whose every Read returns at most n bytes.
func Reader(b []byte, n int) io.Reader { return &reader{b, max(1, n)} }

type reader struct {
	b []byte
	n int
}

func (r *reader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	k := copy(p[:min(len(p), r.n)], r.b)
	r.b = r.b[k:]
	return k, nil
}
