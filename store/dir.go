package store

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
)

// Dir keeps files under a root directory. Put is all or nothing: it writes
// a temporary file created exclusively in the target directory, syncs it,
// links it into place (which fails rather than overwrite an existing name),
// removes the temporary name and syncs the directory. Every operation goes
// through an os.Root, so no name and no symbolic link can reach outside
// the root. Files get mode 0640, directories 0750 (less the umask).
type Dir struct {
	root *os.Root
}

var (
	_ Store   = (*Dir)(nil)
	_ Opener  = (*Dir)(nil)
	_ Remover = (*Dir)(nil)
	_ fs.FS   = (*Dir)(nil)
)

// tmpPrefix starts the names of temporary files; no stored name does.
const tmpPrefix = ".ccfs-tmp-"

// NewDir returns a Dir rooted at dir, creating it (mode 0750) if needed.
func NewDir(dir string) (*Dir, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return &Dir{root: root}, nil
}

// Root returns the root directory's name.
func (d *Dir) Root() string { return d.root.Name() }

// Close releases the root directory.
func (d *Dir) Close() error { return d.root.Close() }

// Put implements Store.
func (d *Dir) Put(ctx context.Context, name string, r io.Reader, size int64) (_ []string, err error) {
	if err := CheckName(name); err != nil {
		return nil, err
	}
	if strings.HasPrefix(path.Base(name), tmpPrefix) {
		return nil, fmt.Errorf("%w: %q uses the temporary-file prefix", ErrInvalidName, name)
	}
	dir := path.Dir(name)
	if err := d.root.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if _, err := d.root.Lstat(name); err == nil {
		return nil, fmt.Errorf("store: %q: %w", name, ErrExist)
	}
	tmp := path.Join(dir, tmpPrefix+rand.Text())
	f, err := d.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	defer func() {
		if f != nil {
			f.Close()
		}
		// Whatever happened, the temporary name goes; on success the file
		// lives on under its final name.
		if rerr := d.root.Remove(tmp); rerr != nil && err == nil && !errors.Is(rerr, fs.ErrNotExist) {
			err = fmt.Errorf("store: removing temporary file: %w", rerr)
			d.root.Remove(name)
		}
	}()
	n, err := copyContext(ctx, f, r)
	if err != nil {
		return nil, err
	}
	if size >= 0 && n != size {
		return nil, fmt.Errorf("store: read %d bytes, expected %d", n, size)
	}
	if err := f.Sync(); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	err = f.Close()
	f = nil
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if err := d.root.Link(tmp, name); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("store: %q: %w", name, ErrExist)
		}
		return nil, fmt.Errorf("store: %w", err)
	}
	if err := d.syncDir(dir); err != nil {
		d.root.Remove(name)
		return nil, err
	}
	return nil, nil
}

func (d *Dir) syncDir(dir string) error {
	f, err := d.root.Open(dir)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("store: syncing directory: %w", err)
	}
	return nil
}

// copyBufSize is the chunk Put reads and writes at a time.
const copyBufSize = 32 << 10

// copyContext copies r to w until EOF, checking ctx between chunks. It does
// not use io.Copy, so that r's WriteTo cannot bypass the context checks.
func copyContext(ctx context.Context, w io.Writer, r io.Reader) (int64, error) {
	buf := make([]byte, copyBufSize)
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		m, rerr := r.Read(buf)
		if m > 0 {
			if _, err := w.Write(buf[:m]); err != nil {
				return n, fmt.Errorf("store: %w", err)
			}
			n += int64(m)
		}
		if rerr == io.EOF {
			return n, ctx.Err()
		}
		if rerr != nil {
			return n, rerr
		}
	}
}

// Open opens a stored file for reading.
func (d *Dir) Open(name string) (fs.File, error) {
	if err := CheckName(name); err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	return d.root.Open(name)
}

// Remove removes a stored file.
func (d *Dir) Remove(_ context.Context, name string) error {
	if err := CheckName(name); err != nil {
		return err
	}
	if err := d.root.Remove(name); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}
