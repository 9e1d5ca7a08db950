package store

import (
	"context"
	"errors"
	"slices"
	"strings"
)

var _ PageLister = (*Pool)(nil)

// ListPage implements PageLister: each file once, however many locations
// hold it, with Locations naming every location that does (in the
// pool's order) and the size and time of the first. It asks every
// location for its own page of limit (its ListPage, or by its List) and
// merges them: a file among the pool's first limit after after is among
// the first limit of every location that holds it. As List does, it
// needs every location to answer: one that cannot list fails the page
// with a LocationError naming it, since its files may be there alone.
func (p *Pool) ListPage(ctx context.Context, dir, after string, limit int) ([]FileInfo, bool, error) {
	if limit < 1 {
		return nil, false, ErrLimit
	}
	dir = strings.TrimSuffix(dir, "/")
	for _, l := range p.locations {
		_, ls := l.Store.(Lister)
		_, pl := l.Store.(PageLister)
		if !ls && !pl {
			return nil, false, &LocationError{l.ID, errors.New("neither a store.Lister nor a store.PageLister")}
		}
	}
	var merged []FileInfo
	more := false
	for _, l := range p.locations {
		files, m, err := ListPage(ctx, l.Store, dir, after, limit)
		if err != nil {
			return nil, false, &LocationError{l.ID, err}
		}
		more = more || m
		for _, f := range files {
			i, found := slices.BinarySearchFunc(merged, f.Name, func(g FileInfo, name string) int { return strings.Compare(g.Name, name) })
			if found {
				merged[i].Locations = append(merged[i].Locations, l.ID)
				continue
			}
			f.Locations = []string{l.ID}
			merged = slices.Insert(merged, i, f)
		}
	}
	if len(merged) > limit {
		merged, more = merged[:limit:limit], true
	}
	return merged, more, nil
}
