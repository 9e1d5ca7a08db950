// Package store defines where uploaded files go: the Store interface, and
// its implementations Dir (files under a directory, the embedded default)
// and Memory (for tests).
//
// Optional capabilities — opening, removing — are separate small
// interfaces found by type assertion, never part of Store. A struct that
// embeds only Store hides them; Wrap wraps a store and keeps exactly the
// ones it has.
package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"time"
)

// A Store keeps uploaded files.
type Store interface {
	// Put reads r to EOF and keeps the bytes under name. All or nothing:
	// if reading r fails, ctx ends, or Put returns an error, no file is
	// visible under name afterwards, and no directory Put created is left.
	// Until r returns io.EOF its bytes are not yet known to be genuine (a
	// request's signature holds only at the body's end), so Put does
	// nothing that lasts before it: no directory, no file outside one flat
	// staging area. size is the exact length, or -1.
	// It returns the IDs of the locations that now hold the file (nil
	// outside a CTI pool). A name that already exists is not overwritten:
	// Put returns an error wrapping ErrExist.
	Put(ctx context.Context, name string, r io.Reader, size int64) (locations []string, err error)
}

// Opener is a Store whose files can be read back. Open follows fs.FS: a
// file opens as an fs.File whose Stat gives its size; a directory (or, in
// an object store, a prefix that holds objects) opens as an
// fs.ReadDirFile listing what is directly inside it; a missing name
// returns an error wrapping fs.ErrNotExist. The downloadFile interface
// needs it.
type Opener interface {
	Open(name string) (fs.File, error)
}

// Remover is a Store whose files can be removed. Remove removes a file,
// never a directory; removing a name that does not exist, or that is not
// a file, returns an error wrapping fs.ErrNotExist. Of concurrent Removes
// of one name in a process exactly one succeeds (NameLocks helps a store
// that must look first): the quota gives a file's size back once, and a
// second deleteFile says the file does not exist. The deleteFile
// interface needs it.
type Remover interface {
	Remove(ctx context.Context, name string) error
}

// LocationRemover is a Store of several locations (a CTI pool) that can
// remove the copy of a file at one of them, as deleteFile does when it
// names a locationId. An unknown location returns an error wrapping
// ErrNoLocation.
type LocationRemover interface {
	RemoveAt(ctx context.Context, location, name string) error
}

// LocationStater is a Store of several locations (a Pool) that can stat
// the copy at one of them, as settling a location delete's event needs.
type LocationStater interface {
	StatAt(ctx context.Context, location, name string) (FileInfo, error)
}

// Lister is a Store that can list the files it holds, as accounting
// (quotas) and retention need. List calls fn for every file under the
// directory dir ("" for the whole store), at any depth, in no particular
// order, with its name (as Put was given it), size and modification time.
// It lists what Open would open: a file a Put is still writing, or one a
// store refuses to open (Dir: behind a link), is not listed. A dir that
// does not exist lists nothing. List stops at the first error fn returns,
// or when ctx ends, and returns that error.
type Lister interface {
	List(ctx context.Context, dir string, fn func(FileInfo) error) error
}

// Stater is a Store that can tell a stored file's size and time without
// opening it for reading (S3: a HEAD rather than a GET), as deleteFile
// under a quota needs. Stat returns an error wrapping fs.ErrNotExist for
// a name Open would not open as a regular file: missing, a directory, or
// (Dir) behind a link. Use the function Stat to ask any store.
type Stater interface {
	Stat(ctx context.Context, name string) (FileInfo, error)
}

// Stat returns the size and time of the file name in s: from s's own Stat
// if s is a Stater, else by opening it (s must then be an Opener). A
// directory, like a missing name, is an error wrapping fs.ErrNotExist.
func Stat(ctx context.Context, s Store, name string) (FileInfo, error) {
	if st, ok := s.(Stater); ok {
		return st.Stat(ctx, name)
	}
	op, ok := s.(Opener)
	if !ok {
		return FileInfo{}, fmt.Errorf("store: %T can neither stat nor open files", s)
	}
	f, err := op.Open(name)
	if err != nil {
		return FileInfo{}, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return FileInfo{}, err
	}
	if !info.Mode().IsRegular() {
		return FileInfo{}, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
	}
	return FileInfo{Name: name, Size: info.Size(), ModTime: info.ModTime()}, nil
}

// A FileInfo is one file a Lister lists.
type FileInfo struct {
	Name    string
	Size    int64
	ModTime time.Time
	// Locations are the IDs of the locations holding the file, for a
	// store of several (a Pool's List and ListPage); nil for others.
	Locations []string
}

// Pinger is a Store that can say whether it answers now, for a readiness
// check: Ping returns nil if the store could serve a request.
type Pinger interface {
	Ping(ctx context.Context) error
}

// A LocationError is the failure of one location of a store of several
// (a CTI pool), found with errors.As in what the store returns. Location
// is the location's configured ID, never anything a request chose.
type LocationError struct {
	Location string
	Err      error
}

func (e *LocationError) Error() string { return "location " + e.Location + ": " + e.Err.Error() }
func (e *LocationError) Unwrap() error { return e.Err }

// ErrNoLocation is returned (wrapped) for a location a store does not have.
var ErrNoLocation = errors.New("store: no such location")

// ErrExist is returned (wrapped) by Put for a name that already exists.
var ErrExist = fs.ErrExist

// ErrLink is returned (wrapped) by a store with links (Dir) for a name
// whose path goes through a symbolic link, or that names a file with more
// than one hard link: what lies behind a link may be another tenant's. It
// wraps fs.ErrNotExist: to a request, such a file is not there.
var ErrLink = fmt.Errorf("store: a link on the path: %w", fs.ErrNotExist)

// ErrInvalidName is returned (wrapped) for a name that is not a clean,
// relative, slash-separated path.
var ErrInvalidName = errors.New("store: invalid name")

// CheckName reports whether name is a valid store name: slash-separated,
// relative, clean (no empty, "." or ".." element), without backslashes,
// colons or control characters, at most 1024 bytes.
func CheckName(name string) error {
	bad := name == "" || len(name) > 1024 || !fs.ValidPath(name) || path.Clean(name) != name ||
		strings.ContainsAny(name, "\\:") || name == "."
	for i := 0; !bad && i < len(name); i++ {
		bad = name[i] < 0x20 || name[i] == 0x7f
	}
	if bad {
		return fmt.Errorf("%w: %q", ErrInvalidName, name)
	}
	return nil
}
