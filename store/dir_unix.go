//go:build unix

package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// The unix Dir resolves every name from the root's descriptor without
// following a symbolic link anywhere on its path, inside the root or out
// of it — in one openat2 call on Linux, else one element at a time with
// O_NOFOLLOW at each step — so what it opens, removes or links into is
// what the name says.

// walkDir opens the directory dir ("." for the root) under the root
// without following a link. With create, missing directories are made
// (mode 0750) and returned, outermost first. Where the system resolves a
// whole name without following links (openat2 on Linux), an existing
// directory takes one call.
func (d *Dir) walkDir(dir string, create bool) (fd int, created []string, err error) {
	if fd, ok := openBeneath(int(d.top.Fd()), dir); ok {
		return fd, nil, nil
	}
	// Element by element: to create what is missing, or to say exactly
	// what is wrong.
	cur, err := unix.Dup(int(d.top.Fd()))
	if err != nil {
		return -1, nil, fmt.Errorf("store: %w", err)
	}
	for rest := dir; dir != "."; {
		elem, after, more := strings.Cut(rest, "/")
		sofar := dir[:len(dir)-len(rest)+len(elem)]
		next, err := openDirAt(cur, elem)
		if errors.Is(err, unix.ENOENT) && create {
			switch err = unix.Mkdirat(cur, elem, 0o750); {
			case err == nil:
				created = append(created, sofar)
			case errors.Is(err, unix.EEXIST):
			default:
				unix.Close(cur)
				return -1, created, &fs.PathError{Op: "mkdir", Path: sofar, Err: err}
			}
			next, err = openDirAt(cur, elem)
		}
		unix.Close(cur)
		if err != nil {
			return -1, created, pathError("open", sofar, err)
		}
		cur = next
		if !more {
			break
		}
		rest = after
	}
	return cur, created, nil
}

func openDirAt(dirfd int, name string) (int, error) {
	for {
		fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

// pathError says what went wrong at name: a link (ELOOP, or ENOTDIR for
// an element that is not a directory) wraps ErrLink or fs.ErrNotExist.
func pathError(op, name string, err error) error {
	switch {
	case errors.Is(err, unix.ELOOP), errors.Is(err, unix.EMLINK):
		return &fs.PathError{Op: op, Path: name, Err: fmt.Errorf("%w: a symbolic link", ErrLink)}
	case errors.Is(err, unix.ENOTDIR):
		return &fs.PathError{Op: op, Path: name, Err: fmt.Errorf("not a directory: %w", fs.ErrNotExist)}
	case errors.Is(err, unix.ENAMETOOLONG):
		return &fs.PathError{Op: op, Path: name, Err: fmt.Errorf("name too long: %w", fs.ErrNotExist)}
	}
	return &fs.PathError{Op: op, Path: name, Err: err}
}

// open opens name, a regular file with one link or a directory, without
// following a link and without blocking on a FIFO or a device.
func (d *Dir) open(name string) (fs.File, error) {
	dirfd, _, err := d.walkDir(path.Dir(name), false)
	if err != nil {
		return nil, err
	}
	defer unix.Close(dirfd)
	base := path.Base(name)
	fd, err := unix.Openat(dirfd, base, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.ENXIO) { // a socket
			err = fmt.Errorf("not a regular file: %w", fs.ErrNotExist)
		}
		return nil, pathError("open", name, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	if err := d.checkFile(name, uint32(st.Mode), uint64(st.Nlink), true); err != nil {
		unix.Close(fd)
		return nil, err
	}
	if err := unix.SetNonblock(fd, false); err != nil {
		unix.Close(fd)
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return os.NewFile(uintptr(fd), name), nil
}

// checkFile refuses what Open and Remove do not touch: anything but a
// regular file (or, for Open, a directory), and a file with more than one
// hard link unless the Dir allows them.
func (d *Dir) checkFile(name string, mode uint32, nlink uint64, dirOK bool) error {
	switch mode & unix.S_IFMT {
	case unix.S_IFDIR:
		if dirOK {
			return nil
		}
	case unix.S_IFREG:
		if nlink > 1 && !d.allowHardLinks {
			return &fs.PathError{Op: "open", Path: name, Err: fmt.Errorf("%w: the file has %d hard links", ErrLink, nlink)}
		}
		return nil
	case unix.S_IFLNK:
		return &fs.PathError{Op: "open", Path: name, Err: fmt.Errorf("%w: a symbolic link", ErrLink)}
	}
	return &fs.PathError{Op: "open", Path: name, Err: fmt.Errorf("not a regular file: %w", fs.ErrNotExist)}
}

// remove removes the regular file name, with one link, and syncs its
// directory, all through the directory's descriptor.
func (d *Dir) remove(name string) error {
	dir := path.Dir(name)
	dirfd, _, err := d.walkDir(dir, false)
	if err != nil {
		return err
	}
	defer unix.Close(dirfd)
	base := path.Base(name)
	var st unix.Stat_t
	if err := unix.Fstatat(dirfd, base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return pathError("remove", name, err)
	}
	if err := d.checkFile(name, uint32(st.Mode), uint64(st.Nlink), false); err != nil {
		return err
	}
	if err := unix.Unlinkat(dirfd, base, 0); err != nil {
		return &fs.PathError{Op: "remove", Path: name, Err: err}
	}
	return syncFD(dir, dirfd)
}

// link makes the staged file visible as name, creating its directories
// without following a link, and syncs the directory that holds it. It
// never replaces an existing name.
func (d *Dir) link(st *staged, name string) (created []string, err error) {
	dir := path.Dir(name)
	dirfd, created, err := d.walkDir(dir, true)
	if err != nil {
		return created, err
	}
	defer unix.Close(dirfd)
	if st.name == "" {
		err = linkUnnamed(st.f, dirfd, path.Base(name))
	} else {
		err = unix.Linkat(int(d.stage.Fd()), st.name, dirfd, path.Base(name), 0)
	}
	if err != nil {
		return created, &os.LinkError{Op: "link", Old: stagingDir + "/" + cmp.Or(st.name, "(unnamed)"), New: name, Err: err}
	}
	if err := syncFD(dir, dirfd); err != nil {
		unix.Unlinkat(dirfd, path.Base(name), 0)
		return created, err
	}
	return created, nil
}

func syncFD(dir string, fd int) error {
	if syncHook != nil {
		syncHook(dir)
	}
	if err := unix.Fsync(fd); err != nil {
		return fmt.Errorf("store: syncing directory: %w", err)
	}
	return nil
}

// list walks the directory dir one descriptor at a time, opening each
// subdirectory with O_NOFOLLOW from its parent, and calls fn for each
// regular file Open would open.
func (d *Dir) list(ctx context.Context, dir string, fn func(FileInfo) error) error {
	fd, _, err := d.walkDir(dir, false)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // nothing there, or nothing reachable without a link
	}
	if err != nil {
		return err
	}
	return d.listFD(ctx, fd, dir, fn)
}

// statEntry stats base, an entry of the directory open as fd, named name
// from the root, without following a link. It reports false for what
// List and ListPage never list (gone since it was read, not a regular
// file with one link unless allowed: a link, a pipe, the staging area),
// and an error only for a stat that failed otherwise.
func (d *Dir) statEntry(fd int, base, name string) (FileInfo, bool, error) {
	var st unix.Stat_t
	if err := unix.Fstatat(fd, base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		if gone(err) {
			return FileInfo{}, false, nil
		}
		return FileInfo{}, false, &fs.PathError{Op: "stat", Path: name, Err: err}
	}
	if d.checkFile(name, uint32(st.Mode), uint64(st.Nlink), false) != nil {
		return FileInfo{}, false, nil
	}
	sec, nsec := st.Mtim.Unix()
	return FileInfo{Name: name, Size: st.Size, ModTime: time.Unix(sec, nsec)}, true, nil
}

// listFD lists the directory open as fd, whose name is dir, and closes fd.
func (d *Dir) listFD(ctx context.Context, fd int, dir string, fn func(FileInfo) error) error {
	f := os.NewFile(uintptr(fd), dir)
	defer f.Close()
	for {
		entries, rerr := f.ReadDir(1024) // a page at a time: a VDN's directory may hold millions
		for _, e := range entries {
			if err := ctx.Err(); err != nil {
				return err
			}
			name := path.Join(dir, e.Name())
			switch {
			case e.IsDir():
				if name == stagingDir {
					continue
				}
				sub, err := openDirAt(fd, e.Name())
				if err != nil {
					if gone(err) {
						continue // removed, or replaced by a link, since it was listed
					}
					return pathError("open", name, err)
				}
				if err := d.listFD(ctx, sub, name, fn); err != nil {
					return err
				}
			case e.Type().IsRegular():
				info, ok, err := d.statEntry(fd, e.Name(), name)
				if err != nil {
					return err
				}
				if !ok {
					continue
				}
				if err := fn(info); err != nil {
					return err
				}
			}
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return &fs.PathError{Op: "readdir", Path: dir, Err: rerr}
		}
	}
}

// gone says whether err means that what was listed has since gone or
// turned into something List does not follow.
func gone(err error) bool {
	return errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENOTDIR)
}
