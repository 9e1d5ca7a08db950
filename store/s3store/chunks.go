package s3store

import (
	"errors"
	"io"
	"sync"
)

// chunkSize is the unit in which a part is held: small enough that a
// short file costs little, large enough that a 5 MiB part is 80 chunks.
const chunkSize = 64 << 10

var chunkPool = sync.Pool{New: func() any { return new([chunkSize]byte) }}

// chunks holds one part, up to the part size, in pooled chunks.
type chunks struct {
	bufs []*[chunkSize]byte
	n    int
}

// fill replaces the content with up to limit bytes from r. eof reports that
// r has ended (io.EOF), so nothing follows what was read.
func (c *chunks) fill(r io.Reader, limit int) (eof bool, err error) {
	c.n = 0
	for c.n < limit {
		i, off := c.n/chunkSize, c.n%chunkSize
		if i == len(c.bufs) {
			c.bufs = append(c.bufs, chunkPool.Get().(*[chunkSize]byte))
		}
		k, err := r.Read(c.bufs[i][off:min(chunkSize, off+limit-c.n)])
		c.n += k
		if errors.Is(err, io.EOF) {
			return true, nil
		}
		if err != nil {
			return false, err
		}
	}
	return false, nil
}

// release gives the chunks back to the pool.
func (c *chunks) release() {
	for i, b := range c.bufs {
		chunkPool.Put(b)
		c.bufs[i] = nil
	}
	c.bufs, c.n = nil, 0
}

// reader returns a fresh io.ReadSeeker over the content, so the SDK can
// hash the payload and retry a request.
func (c *chunks) reader() *chunkReader { return &chunkReader{c: c} }

type chunkReader struct {
	c   *chunks
	pos int64
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if r.pos >= int64(r.c.n) {
		return 0, io.EOF
	}
	i, off := int(r.pos/chunkSize), int(r.pos%chunkSize)
	k := copy(p, r.c.bufs[i][off:min(chunkSize, off+r.c.n-int(r.pos))])
	r.pos += int64(k)
	return k, nil
}

func (r *chunkReader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekCurrent:
		offset += r.pos
	case io.SeekEnd:
		offset += int64(r.c.n)
	}
	if offset < 0 {
		return 0, errors.New("s3store: seek before the start")
	}
	r.pos = offset
	return offset, nil
}
