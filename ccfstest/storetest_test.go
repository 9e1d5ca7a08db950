package ccfstest_test

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/ccfs-go/ccfs/ccfstest"
	"github.com/ccfs-go/ccfs/store"
)

// brokenStore breaks the contract in the way its mode says.
type brokenStore struct {
	mode  string
	mu    sync.Mutex
	files map[string][]byte
}

func (b *brokenStore) Put(_ context.Context, name string, r io.Reader, _ int64) ([]string, error) {
	b.mu.Lock()
	_, exists := b.files[name]
	b.mu.Unlock()
	if exists && b.mode != "overwrites" {
		return nil, fs.ErrExist
	}
	var buf bytes.Buffer
	_, err := io.Copy(&buf, r)
	if err != nil && b.mode != "keeps-partial" {
		return nil, err
	}
	b.mu.Lock()
	b.files[name] = buf.Bytes()
	b.mu.Unlock()
	return nil, err
}

func (b *brokenStore) Open(name string) (fs.File, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	m := fstest.MapFS{}
	for n, d := range b.files {
		if n == name || b.mode != "no-dirs" && strings.HasPrefix(n, name+"/") {
			m[n] = &fstest.MapFile{Data: d}
		}
	}
	return m.Open(name)
}

func (b *brokenStore) Remove(_ context.Context, name string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.files[name]; !ok {
		return fs.ErrNotExist
	}
	if b.mode != "remove-keeps" {
		delete(b.files, name)
	}
	return nil
}

// deepPager pages a directory with its subdirectories' files in it.
type deepPager struct{ *brokenStore }

func (d deepPager) ListPage(_ context.Context, dir, after string, limit int) ([]store.FileInfo, bool, error) {
	if limit < 1 {
		return nil, false, store.ErrLimit
	}
	d.mu.Lock()
	var files []store.FileInfo
	for n, b := range d.files {
		if strings.HasPrefix(n, dir+"/") && n > after {
			files = append(files, store.FileInfo{Name: n, Size: int64(len(b)), ModTime: time.Now()})
		}
	}
	d.mu.Unlock()
	slices.SortFunc(files, func(a, b store.FileInfo) int { return strings.Compare(a.Name, b.Name) })
	if len(files) > limit {
		return files[:limit], true, nil
	}
	return files, false, nil
}

// rootStore keeps files under an os.Root, which follows the links that
// stay inside it.
type rootStore struct{ root *os.Root }

func (s rootStore) Put(ctx context.Context, name string, r io.Reader, _ int64) ([]string, error) {
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, r); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := s.root.MkdirAll(path.Dir(name), 0o750); err != nil {
		return nil, err
	}
	f, err := s.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	_, err = f.Write(buf.Bytes())
	return nil, err
}

func (s rootStore) Open(name string) (fs.File, error) { return s.root.Open(name) }

func (s rootStore) Remove(_ context.Context, name string) error {
	if info, err := s.root.Lstat(name); err != nil || info.IsDir() {
		return fs.ErrNotExist
	}
	return s.root.Remove(name)
}

// TestBrokenStoreHelper is run in a child process by TestTestStoreCatches.
func TestBrokenStoreHelper(t *testing.T) {
	mode := os.Getenv("CCFSTEST_BROKEN_MODE")
	switch mode {
	case "":
		return // only meaningful in the child process
	case "follows-links":
		dir := t.TempDir()
		root, err := os.OpenRoot(dir)
		if err != nil {
			t.Fatal(err)
		}
		ccfstest.TestStore(t, rootStore{root}, ccfstest.LinksUnder(dir))
		return
	case "pages-deep":
		ccfstest.TestStore(t, deepPager{&brokenStore{mode: mode, files: map[string][]byte{}}})
		return
	}
	ccfstest.TestStore(t, &brokenStore{mode: mode, files: map[string][]byte{}})
}

// TestTestStoreCatches checks that TestStore fails for stores that break
// the contract.
func TestTestStoreCatches(t *testing.T) {
	for mode, want := range map[string]string{
		"keeps-partial": "ReaderFailure",
		"overwrites":    "NoOverwrite",
		"no-dirs":       "OpenDirectory",
		"remove-keeps":  "Remove",
		"follows-links": "NoLinkFollowed",
		"pages-deep":    "Paging",
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestBrokenStoreHelper$", "-test.v")
		cmd.Env = append(os.Environ(), "CCFSTEST_BROKEN_MODE="+mode)
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Errorf("%s: TestStore passed a broken store:\n%s", mode, out)
			continue
		}
		if !strings.Contains(string(out), "--- FAIL: TestBrokenStoreHelper/"+want) {
			t.Errorf("%s: want a failure in %s:\n%s", mode, want, out)
		}
	}
}
