package store

import (
	"context"
	"io"
)

//go:generate go run gen_wrap.go

// PutFunc is the signature of Store.Put, for Wrap.
type PutFunc func(ctx context.Context, name string, r io.Reader, size int64) (locations []string, err error)

// Wrap returns a Store whose Put is put (s.Put if put is nil) and which
// forwards every other method to s. It has exactly the optional
// capabilities s has — Opener, Remover, LocationRemover, Lister, Stater,
// Pinger, PageLister — no more and no fewer, so that wrapping a store to
// count or log its uploads leaves deleteFile, downloadFile, listFiles'
// pages, quotas and readiness as they were. (A struct that embeds only Store has none of them: the
// handler then serves neither deleteFile nor downloadFile.)
//
// Other methods of s, such as Dir's Close, are reached through Unwrap:
// the returned Store has a method Unwrap() Store that returns s.
func Wrap(s Store, put PutFunc) Store {
	if put == nil {
		put = s.Put
	}
	return withCapabilities(&wrapper{inner: s, put: put})
}

// wrapper is the Store Wrap returns, before the optional interfaces of
// the wrapped store are added to it.
type wrapper struct {
	inner Store
	put   PutFunc
}

func (w *wrapper) Put(ctx context.Context, name string, r io.Reader, size int64) ([]string, error) {
	return w.put(ctx, name, r, size)
}

// Unwrap returns the wrapped store.
func (w *wrapper) Unwrap() Store { return w.inner }
