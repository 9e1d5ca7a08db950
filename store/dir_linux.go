package store

import (
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// openBeneath opens the directory dir under the directory rootfd in one
// call, following no symbolic link and never leaving rootfd. ok is false
// when that fails for any reason (a missing directory, a link, a kernel
// before 5.6), and the caller then walks the name element by element.
func openBeneath(rootfd int, dir string) (fd int, ok bool) {
	how := unix.OpenHow{
		Flags:   unix.O_RDONLY | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
	}
	for {
		fd, err := unix.Openat2(rootfd, dir, &how)
		switch err {
		case nil:
			return fd, true
		case unix.EINTR, unix.EAGAIN: // EAGAIN: a rename raced the lookup
			continue
		}
		return -1, false
	}
}

// createUnnamed creates a file with no name (O_TMPFILE) on the
// filesystem of the directory stage: it has no name to remove, and it
// is gone with its last descriptor unless linkUnnamed gives it one.
func createUnnamed(stage *os.File) (*os.File, error) {
	for {
		fd, err := unix.Openat(int(stage.Fd()), ".", unix.O_TMPFILE|unix.O_WRONLY|unix.O_CLOEXEC, 0o640)
		switch err {
		case nil:
			return os.NewFile(uintptr(fd), stagingDir+"/(unnamed)"), nil
		case unix.EINTR:
			continue
		}
		return nil, &os.PathError{Op: "open", Path: stagingDir + " (O_TMPFILE)", Err: err}
	}
}

// linkUnnamed gives the unnamed file f the name base in the directory
// dirfd, failing if the name exists. It links through the file's
// /proc/self/fd entry, which needs no privilege (AT_EMPTY_PATH would
// need CAP_DAC_READ_SEARCH).
func linkUnnamed(f *os.File, dirfd int, base string) error {
	return unix.Linkat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(int(f.Fd())), dirfd, base, unix.AT_SYMLINK_FOLLOW)
}

// canCreateUnnamed says whether Put can write unnamed files in stage: the
// filesystem supports O_TMPFILE and /proc/self/fd is there to link one.
// It creates one and links it under a probe name, which it removes.
func canCreateUnnamed(stage *os.File) bool {
	f, err := createUnnamed(stage)
	if err != nil {
		return false
	}
	defer f.Close()
	probe := ".probe-" + strconv.Itoa(os.Getpid()) + "-" + strconv.Itoa(int(f.Fd()))
	if err := linkUnnamed(f, int(stage.Fd()), probe); err != nil {
		return false
	}
	unix.Unlinkat(int(stage.Fd()), probe, 0)
	return true
}
