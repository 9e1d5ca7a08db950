package quota

import (
	"context"
	"time"

	"github.com/ccfs-go/ccfs/internal/filewatch"
)

// File is a quota file: limits as ParseLimits reads them, one VDN=LIMIT
// a line if you like, with # comments:
//
//	# each VDN's uploaded prompts
//	*=2GiB
//	53=20GiB/100000   # the bank's IVR
//	54=none
//
// It can be reloaded while the server runs, like a credentials file: on
// Reload (call it on SIGHUP) or when Watch sees the file change. The new
// limits replace the old atomically, and each upload checks its VDN's
// limit at its end. A file that does not parse leaves the old limits in
// place. It is safe for concurrent use.
type File struct {
	file *filewatch.File[Limits]
}

var _ Source = (*File)(nil)

// NewFile loads the quota file at path. Unlike a reload, a file that does
// not parse is an error here: there are no old limits to keep.
func NewFile(path string) (*File, error) {
	f, err := filewatch.Load(path, "quota file", func(data []byte) (*Limits, error) { return parseLimits(string(data)) })
	if err != nil {
		return nil, err
	}
	return &File{file: f}, nil
}

// Path returns the file's name.
func (f *File) Path() string { return f.file.Path() }

// Limits returns the limits in use. They must not be changed.
func (f *File) Limits() *Limits { return f.file.Current() }

// For implements Source.
func (f *File) For(vdn int) Limit { return f.file.Current().For(vdn) }

// Named implements Source.
func (f *File) Named() []int { return f.file.Current().Named() }

// String implements Source.
func (f *File) String() string { return f.file.Current().String() }

// Reload reads and parses the file. If it parses, its limits replace
// those in use, and changed says whether the file differs from theirs;
// if it does not, the limits in use stay and the error says why.
func (f *File) Reload() (changed bool, err error) { return f.file.Reload() }

// Watch reloads the file whenever what it reads there changes, checking
// every interval, until ctx ends. report, if not nil, is called once for
// each change it sees: with nil when new limits are in use, with the
// error when the file could not be read or parsed (and the limits before
// stay in use).
func (f *File) Watch(ctx context.Context, interval time.Duration, report func(error)) {
	f.file.Watch(ctx, interval, report)
}
