package store

import (
	"container/heap"
	"context"
	"errors"
	"path"
	"strings"
)

// PageLister is a Store that lists the files directly in one directory a
// page at a time, in the byte order of their names, as listFiles pages
// need: ListPage returns up to limit files directly in dir (not in its
// subdirectories) whose names sort after after ("" for the first page),
// and whether more follow. Names are as Put was given them. It lists what
// List would: regular files only, not a Put in progress, nothing behind a
// link. A page is bounded by limit whatever the directory holds.
type PageLister interface {
	ListPage(ctx context.Context, dir, after string, limit int) (files []FileInfo, more bool, err error)
}

// ErrLimit is returned by ListPage for a limit below 1.
var ErrLimit = errors.New("store: a page's limit must be at least 1")

// ListPage lists a page of the files directly in dir of s: with s's own
// ListPage if s is a PageLister, else by s's List, keeping the limit+1
// smallest names after after (memory bounded by limit, time by the
// directory's whole listing). s must be a PageLister or a Lister.
//
// Paging by the last name seen is stable while files come and go: a file
// present throughout a listing is listed once, on the page its name
// falls in; a file added or removed meanwhile may or may not be.
func ListPage(ctx context.Context, s Store, dir, after string, limit int) ([]FileInfo, bool, error) {
	if limit < 1 {
		return nil, false, ErrLimit
	}
	if pl, ok := s.(PageLister); ok {
		return pl.ListPage(ctx, dir, after, limit)
	}
	l, ok := s.(Lister)
	if !ok {
		return nil, false, errors.New("store: the store can neither list nor page")
	}
	dir = strings.TrimSuffix(dir, "/")
	h := &nameHeap{}
	err := l.List(ctx, dir, func(f FileInfo) error {
		if path.Dir(f.Name) != dir || f.Name <= after {
			return nil
		}
		if h.Len() <= limit {
			heap.Push(h, f)
		} else if f.Name < (*h)[0].Name {
			(*h)[0] = f
			heap.Fix(h, 0)
		}
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	more := h.Len() > limit
	if more {
		heap.Pop(h) // the largest: beyond the page
	}
	files := make([]FileInfo, h.Len())
	for i := len(files) - 1; i >= 0; i-- {
		files[i] = heap.Pop(h).(FileInfo)
	}
	return files, more, nil
}

// nameHeap is a max-heap of files by name: its top is the largest kept.
type nameHeap []FileInfo

func (h nameHeap) Len() int           { return len(h) }
func (h nameHeap) Less(i, j int) bool { return h[i].Name > h[j].Name }
func (h nameHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *nameHeap) Push(x any)        { *h = append(*h, x.(FileInfo)) }
func (h *nameHeap) Pop() any {
	old := *h
	f := old[len(old)-1]
	*h = old[:len(old)-1]
	return f
}
