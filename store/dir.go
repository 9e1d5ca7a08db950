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
	"sync"
	"time"
)

// Dir keeps files under a root directory. Put is all or nothing, and does
// nothing that lasts before the file is complete: it writes a temporary
// file in one flat staging directory inside the root (StagingDir), syncs
// it, and only then creates the directories the name needs, links the file
// into place (which fails rather than overwrite an existing name), removes
// the temporary name and syncs the target directory and the parent of
// every directory it created, so a stored file survives a power loss. A
// Put that fails leaves no file and no directory it created. Every
// operation goes through an os.Root, so no name and no symbolic link can
// reach outside the root. Files get mode 0640, directories 0750 (less the
// umask).
type Dir struct {
	root *os.Root
}

var (
	_ Store   = (*Dir)(nil)
	_ Opener  = (*Dir)(nil)
	_ Remover = (*Dir)(nil)
	_ Pinger  = (*Dir)(nil)
	_ fs.FS   = (*Dir)(nil)
)

// StagingDir is the directory inside a Dir's root where Put writes files
// before they are complete. Names under it are refused by Put, Open and
// Remove.
const StagingDir = ".ccfs-staging"

// staleAge is how old a staged file must be for NewDir to remove it as
// left behind by a process that died mid-upload. No upload takes an hour.
const staleAge = time.Hour

// NewDir returns a Dir rooted at dir, creating it (mode 0750) and its
// staging directory if needed, and removing staged files left behind an
// hour or more ago.
func NewDir(dir string) (*Dir, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if err := root.Mkdir(StagingDir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		root.Close()
		return nil, fmt.Errorf("store: %w", err)
	}
	d := &Dir{root: root}
	d.sweep(time.Now().Add(-staleAge))
	return d, nil
}

// sweep removes staged files last modified before cutoff.
func (d *Dir) sweep(cutoff time.Time) {
	entries, err := fs.ReadDir(d.root.FS(), StagingDir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if info, err := e.Info(); err == nil && info.Mode().IsRegular() && info.ModTime().Before(cutoff) {
			d.root.Remove(StagingDir + "/" + e.Name())
		}
	}
}

// Ping implements Pinger: the root and its staging directory are there
// and are directories.
func (d *Dir) Ping(context.Context) error {
	info, err := d.root.Stat(StagingDir)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if !info.IsDir() {
		return fmt.Errorf("store: %s is not a directory", StagingDir)
	}
	return nil
}

// Root returns the root directory's name.
func (d *Dir) Root() string { return d.root.Name() }

// Close releases the root directory.
func (d *Dir) Close() error { return d.root.Close() }

// checkDirName is CheckName, and refuses the staging directory.
func checkDirName(name string) error {
	if err := CheckName(name); err != nil {
		return err
	}
	if name == StagingDir || strings.HasPrefix(name, StagingDir+"/") {
		return fmt.Errorf("%w: %q is in the staging directory", ErrInvalidName, name)
	}
	return nil
}

// syncHook, if set (by tests), is called with each directory Put syncs.
var syncHook func(dir string)

// Put implements Store.
func (d *Dir) Put(ctx context.Context, name string, r io.Reader, size int64) (_ []string, err error) {
	if err := checkDirName(name); err != nil {
		return nil, err
	}
	if _, err := d.root.Lstat(name); err == nil {
		return nil, fmt.Errorf("store: %q: %w", name, ErrExist)
	}
	tmp := StagingDir + "/" + rand.Text()
	if err := d.stage(ctx, tmp, r, size); err != nil {
		d.root.Remove(tmp)
		return nil, err
	}
	// The file is complete: from here on the store commits it.
	defer d.root.Remove(tmp) // on success the file lives on under name
	dir := path.Dir(name)
	var created []string
	defer func() {
		if err != nil {
			d.removeEmpty(created)
		}
	}()
	for attempt := 0; ; attempt++ {
		more, err := d.mkdirs(dir)
		created = append(created, more...)
		if err != nil {
			return nil, err
		}
		err = d.root.Link(tmp, name)
		switch {
		case err == nil:
		case errors.Is(err, fs.ErrExist):
			return nil, fmt.Errorf("store: %q: %w", name, ErrExist)
		case errors.Is(err, fs.ErrNotExist) && attempt < 3:
			continue // a failing Put removed a directory it had just made
		default:
			return nil, fmt.Errorf("store: %w", err)
		}
		break
	}
	if err := d.syncDirs(dir, created); err != nil {
		d.root.Remove(name)
		return nil, err
	}
	return nil, nil
}

// stage copies r into the staging file tmp and syncs it.
func (d *Dir) stage(ctx context.Context, tmp string, r io.Reader, size int64) error {
	f, err := d.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	n, err := copyContext(ctx, f, r)
	if err == nil && size >= 0 && n != size {
		err = fmt.Errorf("store: read %d bytes, expected %d", n, size)
	}
	if err == nil {
		if err = f.Sync(); err != nil {
			err = fmt.Errorf("store: %w", err)
		}
	}
	if cerr := f.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("store: %w", cerr)
	}
	return err
}

// mkdirs creates dir and its missing parents, and returns those it
// created, outermost first.
func (d *Dir) mkdirs(dir string) ([]string, error) {
	var created []string
	for i := 0; i <= len(dir); i++ {
		if i < len(dir) && dir[i] != '/' {
			continue
		}
		p := dir[:i]
		err := d.root.Mkdir(p, 0o750)
		switch {
		case err == nil:
			created = append(created, p)
		case errors.Is(err, fs.ErrExist):
		default:
			return created, fmt.Errorf("store: %w", err)
		}
	}
	return created, nil
}

// removeEmpty removes the directories a failed Put created, innermost
// first; one that another Put has meanwhile filled stays.
func (d *Dir) removeEmpty(created []string) {
	for i := len(created) - 1; i >= 0; i-- {
		if err := d.root.Remove(created[i]); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return // not empty: its parents are not either
		}
	}
}

// syncDirs syncs dir, which now holds a new name, and the parent of each
// directory in created, which now holds a new directory.
func (d *Dir) syncDirs(dir string, created []string) error {
	if err := d.syncDir(dir); err != nil {
		return err
	}
	for i := len(created) - 1; i >= 0; i-- {
		if err := d.syncDir(path.Dir(created[i])); err != nil {
			return err
		}
	}
	return nil
}

func (d *Dir) syncDir(dir string) error {
	if syncHook != nil {
		syncHook(dir)
	}
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

// copyBufs recycles Put's copy buffers.
var copyBufs = sync.Pool{New: func() any { return new([copyBufSize]byte) }}

// copyContext copies r to w until EOF, checking ctx between chunks. It does
// not use io.Copy, so that r's WriteTo cannot bypass the context checks.
func copyContext(ctx context.Context, w io.Writer, r io.Reader) (int64, error) {
	buf := copyBufs.Get().(*[copyBufSize]byte)
	defer copyBufs.Put(buf)
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		m, rerr := r.Read(buf[:])
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

// Open opens a stored file (or directory) for reading.
func (d *Dir) Open(name string) (fs.File, error) {
	if err := checkDirName(name); err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	return d.root.Open(name)
}

// Remove removes a stored file, and syncs its directory so the removal
// survives a power loss. A directory or any other name that is not a
// regular file is refused as not existing. The directories the file was in
// stay.
func (d *Dir) Remove(_ context.Context, name string) error {
	if err := checkDirName(name); err != nil {
		return err
	}
	info, err := d.root.Lstat(name)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if !info.Mode().IsRegular() {
		return &fs.PathError{Op: "remove", Path: name, Err: fmt.Errorf("not a regular file: %w", fs.ErrNotExist)}
	}
	if err := d.root.Remove(name); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return d.syncDir(path.Dir(name))
}
