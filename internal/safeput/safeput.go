// Package safeput calls a store's Put so that a faulty store fails one
// upload, not the process, and cannot claim a file it did not take whole.
// The handler and store.Pool call every store through it.
package safeput

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
)

// A Store is what Put calls: store.Store, named here so that this package
// imports no sibling.
type Store interface {
	Put(ctx context.Context, name string, r io.Reader, size int64) (locations []string, err error)
}

// A remover can take back a file; store.Remover.
type remover interface {
	Remove(ctx context.Context, name string) error
}

// ErrNotDrained is returned when a store said yes without reading the file
// to its end.
var ErrNotDrained = errors.New("the store returned without reading the file to its end")

// errReturned is what a store's leftover goroutine reads after Put
// returned.
var errReturned = errors.New("the store read the file after its Put returned")

// Put calls s.Put(ctx, name, r, size) and holds it to the Store contract:
//   - a panic in it is returned as an error;
//   - if it returns nil without having read r to io.EOF, the file cannot be
//     whole: Put takes it back (if s can remove files) and returns
//     ErrNotDrained;
//   - once it has returned, r can no longer be read through it.
func Put(ctx context.Context, s Store, name string, r io.Reader, size int64) (locations []string, err error) {
	t := &tracked{r: r}
	defer t.returned.Store(true)
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("store panicked: %v", v)
			if t.eof.Load() {
				takeBack(ctx, s, name) // it may have kept the file before it panicked
			}
		}
	}()
	locations, err = s.Put(ctx, name, t, size)
	if err == nil && !t.eof.Load() {
		takeBack(ctx, s, name)
		return nil, ErrNotDrained
	}
	return locations, err
}

func takeBack(ctx context.Context, s Store, name string) {
	if rm, ok := s.(remover); ok {
		rm.Remove(context.WithoutCancel(ctx), name)
	}
}

// tracked is r, watched.
type tracked struct {
	r        io.Reader
	eof      atomic.Bool
	returned atomic.Bool
}

func (t *tracked) Read(p []byte) (int, error) {
	if t.returned.Load() {
		return 0, errReturned
	}
	n, err := t.r.Read(p)
	if err == io.EOF {
		t.eof.Store(true)
	}
	return n, err
}
