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
	"sync/atomic"
	"time"
)

// Dir keeps files under a root directory. Put is all or nothing, and does
// nothing that lasts before the file is complete: it writes the file
// unnamed (on Linux, O_TMPFILE in the staging directory .ccfs-staging, so
// there is no name to remove and a crash leaves nothing), or where the
// filesystem refuses that under a temporary name in that one flat staging
// directory; it syncs the file, and only then creates the directories the
// name needs, links the file into place (which fails rather than
// overwrite an existing name) and syncs the target directory and the
// parent of every directory it created, so a stored file survives a power
// loss. A Put that fails leaves no file and no directory it created.
// Files get mode 0640, directories 0750 (less the umask).
//
// A Dir follows no link. Open, Remove and Put's commit resolve a name one
// element at a time from the root, refusing a symbolic link anywhere on
// the path, inside the root or out of it (ErrLink): a link an operator or
// another system made (a prompt folder shared across VDNs, a recording
// system's de-duplication) would otherwise lead one tenant's request into
// another's files. For the same reason Open and Remove refuse a file with
// more than one hard link — another name for it may be another tenant's —
// unless AllowHardLinks says otherwise. Only regular files and
// directories are opened, and opening never blocks: a named pipe, a
// socket or a device is refused as not existing. On systems that are not
// unix the checks are made name by name before each operation instead.
type Dir struct {
	root           *os.Root
	top            *os.File // the root directory itself, where names are resolved from
	stage          *os.File // the staging directory
	unnamed        bool     // Put writes unnamed files (see createUnnamed)
	allowHardLinks bool
	staleAge       time.Duration // how old a named staged file is when it is a dead upload's
	lastSweep      atomic.Int64  // Unix nanoseconds of the last sweep of the staging directory
	sweeping       atomic.Bool
}

// A DirOption configures NewDir.
type DirOption func(*Dir)

// AllowHardLinks lets Open and Remove use a file that has more than one
// hard link. Allow them only where no other name for a file can be
// another tenant's: where nothing but the Dir writes under the root.
func AllowHardLinks() DirOption { return func(d *Dir) { d.allowHardLinks = true } }

// StaleStaging sets how long a file staged under a name (where the
// filesystem refuses unnamed ones) may go unwritten before the Dir takes
// it for a dead upload's and removes it: at start, and while serving,
// every quarter of that. Set it above the longest an upload's body may
// take (ccfs serve: twice its 5-minute read timeout). Default: an hour.
func StaleStaging(age time.Duration) DirOption { return func(d *Dir) { d.staleAge = age } }

var (
	_ Store   = (*Dir)(nil)
	_ Opener  = (*Dir)(nil)
	_ Remover = (*Dir)(nil)
	_ Pinger  = (*Dir)(nil)
	_ Lister  = (*Dir)(nil)
	_ fs.FS   = (*Dir)(nil)
)

// stagingDir is the directory inside a Dir's root where Put writes files
// before they are complete. Names under it are refused by Put, Open and
// Remove.
const stagingDir = ".ccfs-staging"

// defaultStaleAge is how old a staged file must be for the Dir to remove
// it as left behind by a process that died mid-upload, unless
// StaleStaging says otherwise. No upload takes an hour.
const defaultStaleAge = time.Hour

// NewDir returns a Dir rooted at dir, creating it (mode 0750) and its
// staging directory if needed, and removing staged files left behind an
// hour or more ago.
func NewDir(dir string, opts ...DirOption) (*Dir, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if err := root.Mkdir(stagingDir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		root.Close()
		return nil, fmt.Errorf("store: %w", err)
	}
	top, err := os.Open(dir) // where names are resolved from, one element at a time
	if err != nil {
		root.Close()
		return nil, fmt.Errorf("store: %w", err)
	}
	stage, err := root.Open(stagingDir)
	if err != nil {
		root.Close()
		top.Close()
		return nil, fmt.Errorf("store: %w", err)
	}
	d := &Dir{root: root, top: top, stage: stage, unnamed: canCreateUnnamed(stage), staleAge: defaultStaleAge}
	for _, o := range opts {
		o(d)
	}
	d.sweep(time.Now())
	return d, nil
}

// sweepLater sweeps the staging directory in the background if a quarter
// of the stale age has passed since the last sweep and none is under way:
// a process that keeps crashing mid-upload, and restarts, leaves named
// staged files that would otherwise wait for the next start past their
// age.
func (d *Dir) sweepLater() {
	now := time.Now()
	if now.Sub(time.Unix(0, d.lastSweep.Load())) < d.staleAge/4 || !d.sweeping.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer d.sweeping.Store(false)
		d.sweep(now)
	}()
}

// sweep removes the staged files last modified more than the stale age
// before now.
func (d *Dir) sweep(now time.Time) {
	d.lastSweep.Store(now.UnixNano())
	cutoff := now.Add(-d.staleAge)
	entries, err := fs.ReadDir(d.root.FS(), stagingDir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if info, err := e.Info(); err == nil && info.Mode().IsRegular() && info.ModTime().Before(cutoff) {
			d.root.Remove(stagingDir + "/" + e.Name())
		}
	}
}

// Ping implements Pinger: the root and its staging directory are there
// and are directories.
func (d *Dir) Ping(context.Context) error {
	info, err := d.root.Stat(stagingDir)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if !info.IsDir() {
		return fmt.Errorf("store: %s is not a directory", stagingDir)
	}
	return nil
}

// Root returns the root directory's name.
func (d *Dir) Root() string { return d.root.Name() }

// Close releases the root directory.
func (d *Dir) Close() error { return errors.Join(d.root.Close(), d.top.Close(), d.stage.Close()) }

// checkDirName is CheckName, and refuses the staging directory.
func checkDirName(name string) error {
	if err := CheckName(name); err != nil {
		return err
	}
	if name == stagingDir || strings.HasPrefix(name, stagingDir+"/") {
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
	st, err := d.create()
	if err != nil {
		return nil, err
	}
	defer d.discard(st) // on success the file lives on under name
	if err := st.fill(ctx, r, size); err != nil {
		return nil, err
	}
	// The file is complete: from here on the store commits it.
	var created []string
	defer func() {
		if err != nil {
			d.removeEmpty(created)
		}
	}()
	for attempt := 0; ; attempt++ {
		more, err := d.link(st, name)
		created = append(created, more...)
		switch {
		case err == nil:
		case errors.Is(err, fs.ErrExist):
			return nil, fmt.Errorf("store: %q: %w", name, ErrExist)
		case errors.Is(err, fs.ErrNotExist) && !errors.Is(err, ErrLink) && attempt < 3:
			continue // a failing Put removed a directory it had just made
		default:
			return nil, fmt.Errorf("store: %w", err)
		}
		break
	}
	if err := d.syncParents(created); err != nil {
		d.root.Remove(name)
		return nil, err
	}
	return nil, nil
}

// A staged file is one Put is writing: unnamed, or under name in the
// staging directory.
type staged struct {
	f    *os.File
	name string // "" when unnamed
}

// create starts a staged file.
func (d *Dir) create() (*staged, error) {
	if d.unnamed {
		f, err := createUnnamed(d.stage)
		if err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		return &staged{f: f}, nil
	}
	d.sweepLater()
	name := rand.Text()
	f, err := d.root.OpenFile(stagingDir+"/"+name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return &staged{f: f, name: name}, nil
}

// fill copies r into the staged file and syncs it.
func (st *staged) fill(ctx context.Context, r io.Reader, size int64) error {
	n, err := copyContext(ctx, st.f, r)
	if err == nil && size >= 0 && n != size {
		err = fmt.Errorf("store: read %d bytes, expected %d", n, size)
	}
	if err == nil {
		if err = st.f.Sync(); err != nil {
			err = fmt.Errorf("store: %w", err)
		}
	}
	return err
}

// discard closes the staged file and removes its staging name: an
// unlinked file is gone with its last descriptor.
func (d *Dir) discard(st *staged) {
	st.f.Close()
	if st.name != "" {
		d.root.Remove(stagingDir + "/" + st.name)
	}
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

// syncParents syncs the parent of each directory in created, which now
// holds a new directory.
func (d *Dir) syncParents(created []string) error {
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

// Open opens a stored file (or directory) for reading. A name with a
// link on its path, a file with more than one hard link (unless allowed)
// and anything but a regular file or a directory are refused with an
// error wrapping fs.ErrNotExist (and ErrLink for a link), at once.
func (d *Dir) Open(name string) (fs.File, error) {
	if err := checkDirName(name); err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	return d.open(name)
}

// List implements Lister: the regular files under dir that Open would
// open — none behind a symbolic link, none with a second hard link
// (unless AllowHardLinks) — and never the staging directory's. It reads
// directories a page at a time, so a directory of millions of files
// costs no more memory than one of a thousand.
func (d *Dir) List(ctx context.Context, dir string, fn func(FileInfo) error) error {
	if dir == "" {
		dir = "."
	} else if err := checkDirName(dir); err != nil {
		return err
	}
	return d.list(ctx, dir, fn)
}

// Remove removes a stored file, and syncs its directory so the removal
// survives a power loss. A directory or any other name that is not a
// regular file is refused as not existing, and so are a name with a link
// on its path and a file with more than one hard link (unless allowed),
// wrapping ErrLink. The directories the file was in stay.
func (d *Dir) Remove(_ context.Context, name string) error {
	if err := checkDirName(name); err != nil {
		return err
	}
	if err := d.remove(name); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}
