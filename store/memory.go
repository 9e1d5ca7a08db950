package store

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing/fstest"
	"time"
)

// Memory keeps files in memory, for tests. It is safe for concurrent use.
// Unlike Dir it holds a whole file while Put reads it.
type Memory struct {
	mu    sync.Mutex
	files map[string][]byte
	times map[string]time.Time // when each file was stored
}

var (
	_ Store      = (*Memory)(nil)
	_ Opener     = (*Memory)(nil)
	_ Remover    = (*Memory)(nil)
	_ Lister     = (*Memory)(nil)
	_ Stater     = (*Memory)(nil)
	_ PageLister = (*Memory)(nil)
)

// NewMemory returns an empty Memory.
func NewMemory() *Memory { return &Memory{files: map[string][]byte{}, times: map[string]time.Time{}} }

// Put implements Store.
func (m *Memory) Put(ctx context.Context, name string, r io.Reader, size int64) ([]string, error) {
	if err := CheckName(name); err != nil {
		return nil, err
	}
	if m.exists(name) {
		return nil, fmt.Errorf("store: %q: %w", name, ErrExist)
	}
	var b bytes.Buffer
	n, err := copyContext(ctx, &b, r)
	if err != nil {
		return nil, err
	}
	if size >= 0 && n != size {
		return nil, fmt.Errorf("store: read %d bytes, expected %d", n, size)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.files[name]; ok {
		return nil, fmt.Errorf("store: %q: %w", name, ErrExist)
	}
	m.files[name] = b.Bytes()
	m.times[name] = time.Now()
	return nil, nil
}

func (m *Memory) exists(name string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.files[name]
	return ok
}

// Get returns a copy of the file stored under name.
func (m *Memory) Get(name string) ([]byte, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.files[name]
	return bytes.Clone(b), ok
}

// Names returns the stored names, sorted.
func (m *Memory) Names() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Sorted(maps.Keys(m.files))
}

// Open opens a stored file for reading, or a directory (a prefix of stored
// names) for listing.
func (m *Memory) Open(name string) (fs.File, error) {
	if err := CheckName(name); err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	m.mu.Lock()
	fsys := fstest.MapFS{}
	for n, b := range m.files {
		if n == name || strings.HasPrefix(n, name+"/") {
			fsys[n] = &fstest.MapFile{Data: b, Mode: 0o640, ModTime: m.times[n]}
		}
	}
	m.mu.Unlock()
	return fsys.Open(name)
}

// Stat implements Stater.
func (m *Memory) Stat(_ context.Context, name string) (FileInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.files[name]
	if !ok {
		return FileInfo{}, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
	}
	return FileInfo{Name: name, Size: int64(len(b)), ModTime: m.times[name]}, nil
}

// Remove removes a stored file.
func (m *Memory) Remove(_ context.Context, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.files[name]; !ok {
		return &fs.PathError{Op: "remove", Path: name, Err: fs.ErrNotExist}
	}
	delete(m.files, name)
	delete(m.times, name)
	return nil
}

// List implements Lister.
func (m *Memory) List(ctx context.Context, dir string, fn func(FileInfo) error) error {
	m.mu.Lock()
	var found []FileInfo
	for n, b := range m.files {
		if dir == "" || strings.HasPrefix(n, dir+"/") {
			found = append(found, FileInfo{Name: n, Size: int64(len(b)), ModTime: m.times[n]})
		}
	}
	m.mu.Unlock()
	for _, f := range found {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(f); err != nil {
			return err
		}
	}
	return nil
}

// ListPage implements PageLister: the files directly in dir, after after,
// a page of limit at a time.
func (m *Memory) ListPage(ctx context.Context, dir, after string, limit int) ([]FileInfo, bool, error) {
	if limit < 1 {
		return nil, false, ErrLimit
	}
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	dir = strings.TrimSuffix(dir, "/")
	p := newPage(after, limit)
	m.mu.Lock()
	for n, b := range m.files {
		if p.wants(n) && parent(n) == dir {
			p.offer(FileInfo{Name: n, Size: int64(len(b)), ModTime: m.times[n]})
		}
	}
	m.mu.Unlock()
	files, more := p.result()
	return files, more, nil
}
