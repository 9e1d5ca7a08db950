//go:build unix

package store

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"time"

	"golang.org/x/sys/unix"
)

// listPage offers p the regular files directly in dir, read from its
// descriptor, opened without following a link.
func (d *Dir) listPage(ctx context.Context, dir string, p *page) error {
	fd, _, err := d.walkDir(dir, false)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // nothing there, or nothing reachable without a link
	}
	if err != nil {
		return err
	}
	f := os.NewFile(uintptr(fd), dir)
	defer f.Close()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		entries, rerr := f.ReadDir(pageBatch)
		for _, e := range entries {
			name := path.Join(dir, e.Name())
			if !e.Type().IsRegular() || !p.wants(name) {
				continue // the staging directory is a directory
			}
			var st unix.Stat_t
			if err := unix.Fstatat(fd, e.Name(), &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
				if gone(err) {
					continue
				}
				return &fs.PathError{Op: "stat", Path: name, Err: err}
			}
			if d.checkFile(name, uint32(st.Mode), uint64(st.Nlink), false) != nil {
				continue
			}
			sec, nsec := st.Mtim.Unix()
			p.offer(FileInfo{Name: name, Size: st.Size, ModTime: time.Unix(sec, nsec)})
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return &fs.PathError{Op: "readdir", Path: dir, Err: rerr}
		}
	}
}
