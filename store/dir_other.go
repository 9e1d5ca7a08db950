//go:build !unix

package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
)

// Where there are no unix descriptors to resolve names from, the Dir
// checks each element of a name with Lstat before it uses the name: the
// same refusals, with a window between the check and the use that only
// someone who can already write under the root could use.

// checkPath refuses a name with a symbolic link among its directories.
func (d *Dir) checkPath(dir string) error {
	for rest := dir; dir != "."; {
		elem, after, more := strings.Cut(rest, "/")
		sofar := dir[:len(dir)-len(rest)+len(elem)]
		info, err := d.root.Lstat(sofar)
		switch {
		case err != nil:
			return err
		case info.Mode()&fs.ModeSymlink != 0:
			return &fs.PathError{Op: "open", Path: sofar, Err: fmt.Errorf("%w: a symbolic link", ErrLink)}
		case !info.IsDir():
			return &fs.PathError{Op: "open", Path: sofar, Err: fmt.Errorf("not a directory: %w", fs.ErrNotExist)}
		}
		if !more {
			break
		}
		rest = after
	}
	return nil
}

func (d *Dir) checkFile(name string, dirOK bool) error {
	info, err := d.root.Lstat(name)
	if err != nil {
		return err
	}
	switch {
	case info.IsDir() && dirOK, info.Mode().IsRegular():
		return nil
	case info.Mode()&fs.ModeSymlink != 0:
		return &fs.PathError{Op: "open", Path: name, Err: fmt.Errorf("%w: a symbolic link", ErrLink)}
	}
	return &fs.PathError{Op: "open", Path: name, Err: fmt.Errorf("not a regular file: %w", fs.ErrNotExist)}
}

func (d *Dir) open(name string) (fs.File, error) {
	if err := d.checkPath(path.Dir(name)); err != nil {
		return nil, err
	}
	if err := d.checkFile(name, true); err != nil {
		return nil, err
	}
	return d.root.Open(name)
}

func (d *Dir) remove(name string) error {
	if err := d.checkPath(path.Dir(name)); err != nil {
		return err
	}
	if err := d.checkFile(name, false); err != nil {
		return err
	}
	if err := d.root.Remove(name); err != nil {
		return err
	}
	return d.syncDir(path.Dir(name))
}

// canCreateUnnamed: unnamed files are Linux's O_TMPFILE; here Put writes
// under a name in the staging directory.
func canCreateUnnamed(*os.File) bool { return false }

func createUnnamed(*os.File) (*os.File, error) { return nil, errors.ErrUnsupported }

func (d *Dir) link(st *staged, name string) ([]string, error) {
	dir := path.Dir(name)
	var created []string
	for rest := dir; dir != "."; {
		elem, after, more := strings.Cut(rest, "/")
		sofar := dir[:len(dir)-len(rest)+len(elem)]
		switch err := d.root.Mkdir(sofar, 0o750); {
		case err == nil:
			created = append(created, sofar)
		case !errors.Is(err, fs.ErrExist):
			return created, err
		}
		if !more {
			break
		}
		rest = after
	}
	if err := d.checkPath(dir); err != nil {
		return created, err
	}
	if err := d.root.Link(stagingDir+"/"+st.name, name); err != nil {
		return created, err
	}
	if err := d.syncDir(dir); err != nil {
		d.root.Remove(name)
		return created, err
	}
	return created, nil
}

// list walks dir with fs.WalkDir, which does not descend into a symbolic
// link, and calls fn for each regular file.
func (d *Dir) list(ctx context.Context, dir string, fn func(FileInfo) error) error {
	if err := d.checkPath(dir); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil // nothing there, or nothing reachable without a link
		}
		return err
	}
	return fs.WalkDir(d.root.FS(), dir, func(name string, e fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case ctx.Err() != nil:
			return ctx.Err()
		case e.IsDir() && name == stagingDir:
			return fs.SkipDir
		case !e.Type().IsRegular():
			return nil
		}
		info, err := e.Info()
		if err != nil {
			return nil // gone since it was listed
		}
		return fn(FileInfo{Name: name, Size: info.Size(), ModTime: info.ModTime()})
	})
}
