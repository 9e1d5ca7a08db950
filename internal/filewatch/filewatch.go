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
	"sync"
	"sync/atomic"
	"time"
)

// File is a file parsed into a *T, which a reload replaces atomically.
// It is safe for concurrent use.
type File[T any] struct {
	path    string
	name    string // what the file is, starting its errors: "credentials file"
	parse   func([]byte) (*T, error)
	current atomic.Pointer[T]
	mu      sync.Mutex // serialises reloads
	inUse   []byte     // the content of current
}

// Load reads and parses the file at path. name and path start its errors
// ("credentials file /etc/ccfs/keys.json: line 3: …"), so parse's errors
// carry no prefix of their own; they must not name a secret.
func Load[T any](path, name string, parse func([]byte) (*T, error)) (*File[T], error) {
	f := &File[T]{path: path, name: name, parse: parse}
	if _, err := f.Reload(); err != nil {
		return nil, err
	}
	return f, nil
}

// Path returns the file's name.
func (f *File[T]) Path() string { return f.path }

// Current returns what the file held at its last successful load.
func (f *File[T]) Current() *T { return f.current.Load() }

// Reload reads and parses the file. If it parses, it replaces what is in
// use, and changed says whether the file differs from it; if it does
// not, what was loaded before stays and the error says why.
func (f *File[T]) Reload() (changed bool, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	data, err := os.ReadFile(f.path)
	if err != nil {
		return false, f.failed(err)
	}
	v, err := f.parse(data)
	if err != nil {
		return false, f.failed(err)
	}
	if f.current.Load() != nil && bytes.Equal(data, f.inUse) {
		return false, nil
	}
	f.current.Store(v)
	f.inUse = data
	return true, nil
}

// failed says why the file could not be used, starting with what and
// where it is (a read error's own path and operation would repeat it),
// and whether what was loaded before stays.
func (f *File[T]) failed(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path == f.path {
		err = pe.Err
	}
	err = fmt.Errorf("%s %s: %w", f.name, f.path, err)
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
		data, err := os.ReadFile(f.path)
		readErr := ""
		if err != nil {
			readErr = err.Error()
		}
		if bytes.Equal(data, seen) && readErr == seenErr {
			continue
		}
		seen, seenErr = data, readErr
		changed, err := f.Reload()
		if (changed || err != nil) && report != nil {
			report(err)
		}
	}
}
