package auth

import (
	"context"
	"time"

	"github.com/ccfs-go/ccfs/internal/filewatch"
)

// FileCredentials is a credentials file (see ParseCredentials) that can
// be reloaded while the server runs, for rotating keys without a restart:
// on Reload (call it on SIGHUP) or when Watch sees the file change. The
// new set replaces the old atomically: a request looks its key up once,
// when it begins, so requests in flight finish with the key they started
// with and new ones see the new set. A file that does not parse leaves the
// old set in place, and the error names the line. It is safe for
// concurrent use.
type FileCredentials struct {
	file *filewatch.File[Static]
}

var _ Credentials = (*FileCredentials)(nil)

// NewFileCredentials loads the credentials file at path. Unlike a reload,
// a file that does not parse is an error here: there is no old set to keep.
func NewFileCredentials(path string) (*FileCredentials, error) {
	f, err := filewatch.Load(path, "credentials file", parseCredentials)
	if err != nil {
		return nil, err
	}
	return &FileCredentials{file: f}, nil
}

// Path returns the file's name.
func (f *FileCredentials) Path() string { return f.file.Path() }

// Lookup returns the key for accessKey in the current set.
func (f *FileCredentials) Lookup(ctx context.Context, accessKey string) (Key, error) {
	return f.file.Current().Lookup(ctx, accessKey)
}

// Len returns the number of keys in the current set.
func (f *FileCredentials) Len() int { return f.file.Current().Len() }

// Grants lists the Grants of the keys loaded now (Static.Grants).
func (f *FileCredentials) Grants() []Grant { return f.file.Current().Grants() }

// Reload reads and parses the file. If it parses, its keys replace the
// current set, and changed says whether they differ from it; if it does
// not, the current set stays and the error says why, naming the file and
// the line, never a secret.
func (f *FileCredentials) Reload() (changed bool, err error) { return f.file.Reload() }

// Watch reloads the file whenever what it reads there changes, checking
// every interval (a poll: no file-system notification is needed, and an
// editor that replaces the file is seen as well as one that rewrites it),
// until ctx ends. report is called once for each change it sees: with nil
// when new keys are in use, with the error when the file could not be
// read or parsed (and the keys before stay in use).
func (f *FileCredentials) Watch(ctx context.Context, interval time.Duration, report func(error)) {
	f.file.Watch(ctx, interval, report)
}
