package accounts

// Add and Remove: the file rewritten whole, beside itself, and renamed
// over, so that a reader (the console's File) sees the old file or the
// new one, never half of one.

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Add sets name's password in the file at path (creating it with mode
// 0600 if absent, replacing name's line if present, keeping every other
// line and comment), written to a temporary file in the same directory,
// fsynced and renamed over. It refuses a password shorter than 12 bytes.
//
// It refuses a password longer than MaxPasswordLen too, which the
// console's sign-in form would not take, and a file that does not parse
// (as Open would). The new file is mode 0600 whatever the old one's, and
// keeps the old one's owner and group (so that root may add an account to
// the file of the user the server runs as). Two Adds or Removes of one
// file at once may lose one's change: run one at a time.
func Add(path, name, password string) error {
	if !ValidName(name) {
		return fmt.Errorf("account name %q: %v", name, errName)
	}
	switch {
	case len(password) < MinPasswordLen:
		return fmt.Errorf("the password is too short: at least %d bytes", MinPasswordLen)
	case len(password) > MaxPasswordLen:
		return fmt.Errorf("the password is too long: at most %d bytes", MaxPasswordLen)
	}
	hash, err := Hash(password)
	if err != nil {
		return err
	}
	entry := name + ":" + hash
	return rewrite(path, true, func(lines []line) ([]line, error) {
		for i, l := range lines {
			if l.name == name {
				lines[i] = line{text: entry, name: name}
				return lines, nil
			}
		}
		return append(lines, line{text: entry, name: name}), nil
	})
}

// Remove deletes name's line; an error if absent.
func Remove(path, name string) error {
	if !ValidName(name) {
		return fmt.Errorf("account name %q: %v", name, errName)
	}
	return rewrite(path, false, func(lines []line) ([]line, error) {
		for i, l := range lines {
			if l.name == name {
				return append(lines[:i], lines[i+1:]...), nil
			}
		}
		return nil, fmt.Errorf("accounts file %s has no account %q", path, name)
	})
}

// rewrite reads the file at path (none is an empty file if create),
// changes its lines and writes them back: to a temporary file in the same
// directory, fsynced, renamed over path, the directory fsynced.
func rewrite(path string, create bool, change func([]line) ([]line, error)) error {
	lines, old, err := readLines(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && create:
	case err != nil:
		return err
	}
	if lines, err = change(lines); err != nil {
		return err
	}
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l.text)
		b.WriteByte('\n')
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".new-*")
	if err != nil {
		return fmt.Errorf("accounts file %s: %w", path, err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("accounts file %s: %w", path, err)
	}
	if old != nil {
		if err := keepOwner(tmp, old); err != nil {
			return fmt.Errorf("accounts file %s: the new file cannot have the old one's owner (run as that user, or as root): %w", path, err)
		}
	}
	if _, err := io.WriteString(tmp, b.String()); err != nil {
		return fmt.Errorf("accounts file %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("accounts file %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("accounts file %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("accounts file %s: %w", path, err)
	}
	done = true
	return syncDir(dir)
}

// readLines reads and parses the file at path, and returns what it found
// of the file. Unlike Open it takes a file of any mode: the file written
// back is mode 0600.
func readLines(path string) ([]line, os.FileInfo, error) {
	fd, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("accounts file: %w", err)
	}
	defer fd.Close()
	fi, err := fd.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("accounts file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("accounts file %s: not a regular file", path)
	}
	lines, err := parseFrom(fd, path)
	if err != nil {
		return nil, nil, fmt.Errorf("%w (fix that line first)", err)
	}
	return lines, fi, nil
}

// parseFrom reads the accounts file fd, at path, to its end, refusing
// one larger than maxFileSize, and parses it.
func parseFrom(fd io.Reader, path string) ([]line, error) {
	data, err := io.ReadAll(io.LimitReader(fd, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("accounts file %s: %w", path, err)
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("accounts file %s: larger than %d bytes", path, maxFileSize)
	}
	lines, err := parse(data)
	if err != nil {
		return nil, fmt.Errorf("accounts file %s: %w", path, err)
	}
	return lines, nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", dir, err)
	}
	return nil
}
