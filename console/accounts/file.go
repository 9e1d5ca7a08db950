package accounts

// File: the accounts as last read, reread when the file changes.

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"sync"
)

// File is an accounts file, read by Open. Its methods are safe for
// concurrent use. It satisfies the console's Users interface.
type File struct {
	path string

	// mu guards what follows; it is held while the file is stat'ed and
	// reread, never while a password is hashed.
	mu sync.Mutex
	// accounts are those last read without an error.
	accounts *accounts
	// seen is the file as last read, or as last tried: a file that did
	// not parse is not tried again until it changes.
	seen os.FileInfo

	// verified, if not nil, is called after each hash computed, with
	// whether it was the dummy's (for a name with no account). Tests
	// count calls through it.
	verified func(dummy bool)
}

// accounts are one reading of the file.
type accounts struct {
	hashes map[string]verifier
	names  []string // sorted
	// dummy is what a password given for an unknown name is checked
	// against: a hash of the shape most accounts have.
	dummy verifier
}

// Open reads the accounts file at path (lines "name:hash", '#' comments,
// blank lines; names 1–64 bytes of [A-Za-z0-9._@-]; hashes argon2id PHC
// strings "$argon2id$v=19$m=…,t=…,p=…$salt$hash" or bcrypt "$2a$/$2b$/$2y$"
// as htpasswd -B writes them). It refuses a file others may read or write
// (mode & 0o077 != 0) with a message saying to chmod 600, a malformed line
// (with its line number, never the hash), and a name twice.
func Open(path string) (*File, error) {
	a, fi, err := load(path)
	if err != nil {
		return nil, err
	}
	return &File{path: path, accounts: a, seen: fi}, nil
}

// Authenticate reports whether password is name's. It rereads the file
// when its modification time or size changed (so `ccfs console-user add`
// takes effect without a restart; a file that no longer parses keeps the
// old accounts and returns the error once logged by the caller), compares
// in constant time, and for an unknown name verifies against a dummy hash
// of the same cost so the time does not tell which names exist.
//
// A file that can no longer be found or stat'ed is an error at every
// call: nobody signs in until it is back. A change of the file's mode or
// of the file itself (renamed over) is a change too.
func (f *File) Authenticate(ctx context.Context, name, password string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	a, err := f.current()
	if err != nil {
		return false, err
	}
	h, ok := a.hashes[name]
	if !ok {
		a.dummy.verify(password)
		f.hashed(true)
		return false, nil
	}
	good := h.verify(password)
	f.hashed(false)
	return good, nil
}

// hashed calls the test hook, if any.
func (f *File) hashed(dummy bool) {
	if f.verified != nil {
		f.verified(dummy)
	}
}

// Names lists the account names, sorted: the file's as it is now, read
// again if it changed (so that a removed account's sessions end at
// once); while a changed file does not parse, those read before it; none
// once the file is gone, as Authenticate then lets no one in.
func (f *File) Names() []string {
	a, err := f.current()
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		f.mu.Lock()
		defer f.mu.Unlock()
		a = f.accounts
	}
	return slices.Clone(a.names)
}

// current returns the accounts, rereading the file if it changed since it
// was last read or tried.
func (f *File) current() (*accounts, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fi, err := os.Stat(f.path)
	if err != nil {
		return nil, fmt.Errorf("accounts file: %w", err)
	}
	if sameVersion(fi, f.seen) {
		return f.accounts, nil
	}
	a, read, err := load(f.path)
	if read != nil {
		f.seen = read
	} else {
		f.seen = fi
	}
	if err != nil {
		return nil, fmt.Errorf("%w (the accounts read before it are kept)", err)
	}
	f.accounts = a
	return a, nil
}

// sameVersion reports whether a and b describe the same version of a
// file: the same file, size, modification time and mode.
func sameVersion(a, b os.FileInfo) bool {
	return os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime()) && a.Mode() == b.Mode()
}

// load reads and parses the accounts file at path. It returns what it
// found of the file, when it could open it, even with an error.
func load(path string) (*accounts, os.FileInfo, error) {
	fd, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("accounts file: %w", err)
	}
	defer fd.Close()
	fi, err := fd.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("accounts file: %w", err)
	}
	if err := checkMode(path, fi); err != nil {
		return nil, fi, err
	}
	lines, err := parseFrom(fd, path)
	if err != nil {
		return nil, fi, err
	}
	a, err := newAccounts(lines)
	if err != nil {
		return nil, fi, fmt.Errorf("accounts file %s: %w", path, err)
	}
	return a, fi, nil
}

// checkMode refuses what is not a regular file, and a file others may
// read or write.
func checkMode(path string, fi os.FileInfo) error {
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("accounts file %s: not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("accounts file %s is mode %#o: others may read or write it; chmod 600 %s", path, perm, path)
	}
	return nil
}

// newAccounts gathers the accounts of parsed lines, and makes their dummy
// hash in the shape most of them share (argon2id at DefaultParams if
// there are none).
func newAccounts(lines []line) (*accounts, error) {
	a := &accounts{hashes: map[string]verifier{}}
	count := map[string]int{}
	var common verifier
	for _, l := range lines {
		if l.hash == nil {
			continue
		}
		a.hashes[l.name] = l.hash
		a.names = append(a.names, l.name)
		s := l.hash.shape()
		count[s]++
		if common == nil || count[s] > count[common.shape()] {
			common = l.hash
		}
	}
	slices.Sort(a.names)
	if common == nil {
		common = &argon2Hash{params: DefaultParams, salt: make([]byte, saltLen), key: make([]byte, keyLen)}
	}
	d, err := common.dummy()
	if err != nil {
		return nil, errors.Join(errors.New("a dummy hash could not be made"), err)
	}
	a.dummy = d
	return a, nil
}
