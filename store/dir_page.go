package store

import (
	"context"
	"strings"
)

var _ PageLister = (*Dir)(nil)

// ListPage implements PageLister: the regular files directly in dir that
// List would list (none behind a link, none with a second hard link
// unless AllowHardLinks, none staged), the limit smallest names after
// after. It reads the one directory a batch of entries at a time and
// keeps only the page's limit+1 candidates, so its memory is bounded by
// the page whatever the directory holds; it stats only the entries that
// would enter the page. A directory that is not there, or is reachable
// only through a link, is an empty page.
func (d *Dir) ListPage(ctx context.Context, dir, after string, limit int) ([]FileInfo, bool, error) {
	if limit < 1 {
		return nil, false, ErrLimit
	}
	if dir = strings.TrimSuffix(dir, "/"); dir == "" {
		dir = "."
	} else if err := checkDirName(dir); err != nil {
		return nil, false, err
	}
	p := newPage(after, limit)
	if err := d.listPage(ctx, dir, p); err != nil {
		return nil, false, err
	}
	files, more := p.result()
	return files, more, nil
}
