// Package filewatch holds a configuration file loaded in memory — the
// credentials file, the quota file — and reloads it: on demand (SIGHUP),
// or when a poll sees its content change. No file-system notification is
// needed, and an editor that replaces the file is seen as well as one
// that rewrites it.
package filewatch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// File is a file (or a few read together, such as a certificate and its
// key) parsed into a *T, which a reload replaces atomically. It is safe
// for concurrent use.
type File[T any] struct {
	paths   []string
	name    string // what the file is, starting its errors: "credentials file"
	parse   func([][]byte) (*T, error)
	current atomic.Pointer[T]
	mu      sync.Mutex // serialises reloads
	inUse   [][]byte   // the content of current, a slice a path
}

// Load reads and parses the file at path. name and path start its errors
// ("credentials file /etc/ccfs/keys.json: line 3: …"), so parse's errors
// carry no prefix of their own; they must not name a secret.
func Load[T any](path, name string, parse func([]byte) (*T, error)) (*File[T], error) {
	return LoadAll(name, func(c [][]byte) (*T, error) { return parse(c[0]) }, path)
}

// LoadAll is Load of a value made of several files, read together and
// passed to parse in the order of paths: a change to any of them reloads
// it, and it is replaced only when they parse together (a certificate
// renewed before its key is not used until the key follows).
func LoadAll[T any](name string, parse func([][]byte) (*T, error), paths ...string) (*File[T], error) {
	f := &File[T]{paths: paths, name: name, parse: parse}
	if _, err := f.Reload(); err != nil {
		return nil, err
	}
	return f, nil
}

// Path returns the (first) file's name.
func (f *File[T]) Path() string { return f.paths[0] }

// Current returns what the file held at its last successful load.
func (f *File[T]) Current() *T { return f.current.Load() }

// read returns the content of each file.
func (f *File[T]) read() ([][]byte, error) {
	contents := make([][]byte, len(f.paths))
	for i, p := range f.paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		contents[i] = data
	}
	return contents, nil
}

// Reload reads and parses the file. If it parses, it replaces what is in
// use, and changed says whether the file differs from it; if it does
// not, what was loaded before stays and the error says why.
func (f *File[T]) Reload() (changed bool, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	contents, err := f.read()
	if err != nil {
		return false, f.failed(err)
	}
	if f.current.Load() != nil && slices.EqualFunc(contents, f.inUse, bytes.Equal) {
		return false, nil
	}
	v, err := f.parse(contents)
	if err != nil {
		return false, f.failed(err)
	}
	f.current.Store(v)
	f.inUse = contents
	return true, nil
}

// failed says why the file could not be used, starting with what and
// where it is (a read error's own path and operation would repeat it),
// and whether what was loaded before stays.
func (f *File[T]) failed(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) && len(f.paths) == 1 && pe.Path == f.paths[0] {
		err = pe.Err
	}
	err = fmt.Errorf("%s %s: %w", f.name, strings.Join(f.paths, " and "), err)
	if f.current.Load() != nil {
		err = fmt.Errorf("%w (what was loaded before stays in use)", err)
	}
	return err
}

// Watch reloads the file whenever what it reads there (or the error
// reading it) changes, checking every interval, until ctx ends. report,
// if not nil, is called once for each change it sees: with nil when the
// new content is in use, with the error when the file could not be read
// or parsed (and what was loaded before stays).
func (f *File[T]) Watch(ctx context.Context, interval time.Duration, report func(error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	f.mu.Lock()
	seen, seenErr := f.inUse, ""
	f.mu.Unlock()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		contents, err := f.read()
		readErr := ""
		if err != nil {
			readErr = err.Error()
		}
		if slices.EqualFunc(contents, seen, bytes.Equal) && readErr == seenErr {
			continue
		}
		seen, seenErr = contents, readErr
		changed, err := f.Reload()
		if (changed || err != nil) && report != nil {
			report(err)
		}
	}
}
