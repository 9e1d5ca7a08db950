package store

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// directChunk is what a direct write writes at once; directAlign the
// alignment O_DIRECT needs of buffers, offsets and lengths.
const (
	directChunk = 1 << 20
	directAlign = 4096
)

var directBufs = sync.Pool{New: func() any {
	b := make([]byte, directChunk+directAlign)
	off := (directAlign - int(uintptr(unsafe.Pointer(&b[0]))%directAlign)) % directAlign
	s := b[off : off+directChunk]
	return &s
}}

// fillDirect copies r into f bypassing the page cache (O_DIRECT) in
// aligned 1 MiB chunks, and the last partial block through the cache.
func fillDirect(ctx context.Context, f *os.File, r io.Reader) (int64, error) {
	fd := int(f.Fd())
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		return 0, err
	}
	_, err = unix.FcntlInt(uintptr(fd), unix.F_SETFL, fl|unix.O_DIRECT)
	direct := err == nil
	bp := directBufs.Get().(*[]byte)
	defer directBufs.Put(bp)
	buf := *bp
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		m, rerr := io.ReadFull(r, buf)
		if rerr != nil && rerr != io.EOF && rerr != io.ErrUnexpectedEOF {
			return n, rerr
		}
		whole := m &^ (directAlign - 1)
		if !direct {
			whole = 0
		}
		if whole > 0 {
			if _, err := unix.Write(fd, buf[:whole]); err != nil {
				return n, fmt.Errorf("store: %w", err)
			}
		}
		if whole < m { // the tail, through the page cache
			if direct {
				if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFL, fl); err != nil {
					return n, err
				}
				direct = false
			}
			if _, err := f.Write(buf[whole:m]); err != nil {
				return n, fmt.Errorf("store: %w", err)
			}
		}
		n += int64(m)
		if rerr != nil {
			return n, ctx.Err()
		}
	}
}
