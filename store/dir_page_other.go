//go:build !unix

package store

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"path"
)

// listPage offers p the regular files directly in dir, after checking
// that no link leads to it.
func (d *Dir) listPage(ctx context.Context, dir string, p *page) error {
	if err := d.checkPath(dir); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil // nothing there, or nothing reachable without a link
		}
		return err
	}
	f, err := d.root.Open(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	defer f.Close()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		entries, rerr := f.ReadDir(1024)
		for _, e := range entries {
			name := path.Join(dir, e.Name())
			if !e.Type().IsRegular() || !p.wants(name) {
				continue
			}
			info, err := e.Info()
			if err != nil {
				continue // gone since it was listed
			}
			p.offer(FileInfo{Name: name, Size: info.Size(), ModTime: info.ModTime()})
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return &fs.PathError{Op: "readdir", Path: dir, Err: rerr}
		}
	}
}
