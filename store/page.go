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
// link. A page is bounded by limit whatever the directory holds. A limit
// below 1 is ErrLimit.
type PageLister interface {
	ListPage(ctx context.Context, dir, after string, limit int) (files []FileInfo, more bool, err error)
}

// ErrLimit is returned by ListPage for a limit below 1.
var ErrLimit = errors.New("store: a page's limit must be at least 1")

// ListPage lists a page of the files directly in dir of s: with s's own
// ListPage if s is a PageLister, else by s's List, keeping the limit+1
// smallest names after after (memory bounded by limit, time by the
// directory's whole listing). s must be a PageLister or a Lister. dir ""
// is the store's top directory; a trailing slash is ignored.
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
	return listPageByList(ctx, l, dir, after, limit)
}

// listPageByList is ListPage over List.
func listPageByList(ctx context.Context, l Lister, dir, after string, limit int) ([]FileInfo, bool, error) {
	dir = strings.TrimSuffix(dir, "/")
	p := newPage(after, limit)
	err := l.List(ctx, dir, func(f FileInfo) error {
		if parent(f.Name) == dir {
			p.offer(f)
		}
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	files, more := p.result()
	return files, more, nil
}

// parent is the directory a name is directly in, "" for the top.
func parent(name string) string {
	if d := path.Dir(name); d != "." {
		return d
	}
	return ""
}

// A page keeps the limit+1 smallest names after after that it is
// offered: memory bounded by the page, whatever is offered.
type page struct {
	after string
	limit int
	h     nameHeap
}

func newPage(after string, limit int) *page { return &page{after: after, limit: limit} }

// wants says whether a file named name would be kept if offered now: a
// store whose FileInfo costs something (a stat) asks before making one.
func (p *page) wants(name string) bool {
	return name > p.after && (len(p.h) <= p.limit || name < p.h[0].Name)
}

// keptHook, if set (by tests), is called with how many files a page
// keeps after each offer it takes.
var keptHook func(kept int)

// offer keeps f if it is among the limit+1 smallest names after after
// offered so far. Each name must be offered once.
func (p *page) offer(f FileInfo) {
	if !p.wants(f.Name) {
		return
	}
	if len(p.h) <= p.limit {
		heap.Push(&p.h, f)
	} else {
		p.h[0] = f
		heap.Fix(&p.h, 0)
	}
	if keptHook != nil {
		keptHook(len(p.h))
	}
}

// result returns the page in the order of names, and whether more
// follow it, and empties p.
func (p *page) result() ([]FileInfo, bool) {
	more := len(p.h) > p.limit
	if more {
		heap.Pop(&p.h) // the largest: beyond the page
	}
	files := make([]FileInfo, len(p.h))
	for i := len(files) - 1; i >= 0; i-- {
		files[i] = heap.Pop(&p.h).(FileInfo)
	}
	return files, more
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
