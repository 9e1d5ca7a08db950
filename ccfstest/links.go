package ccfstest

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs/store"
)

// links is TestStore's "NoLinkFollowed": one tenant's directory "mine"
// holds links into another's, "other".
func (c *storeCheck) links(t *testing.T) {
	ctx := context.Background()
	secret := bytes.Repeat([]byte("SECRET"), 100)
	other, mine := c.name("links/other/secret.wav"), c.name("links/mine/own.wav")
	for _, n := range []string{other, mine} {
		if _, err := c.s.Put(ctx, n, bytes.NewReader(secret), -1); err != nil {
			t.Fatal(err)
		}
	}
	dir := path.Dir(mine)
	onDisk := func(name string) string { return filepath.Join(c.linkRoot, filepath.FromSlash(name)) }
	outside := filepath.Join(t.TempDir(), "outside.wav")
	os.WriteFile(outside, secret, 0o600)
	made := map[string]error{
		"a symbolic link to another tenant's file": os.Symlink("../other/secret.wav", onDisk(dir+"/file-link.wav")),
		"a symbolic link out of the root":          os.Symlink(outside, onDisk(dir+"/out.wav")),
		"a symbolic link to another directory":     os.Symlink("../other", onDisk(dir+"/shared")),
		"a hard link to another tenant's file":     os.Link(onDisk(other), onDisk(dir+"/hard.wav")),
	}
	for what, err := range made {
		if err != nil {
			t.Fatalf("making %s: %v", what, err)
		}
	}
	refused := map[string]string{
		dir + "/file-link.wav":     "a symbolic link to another tenant's file",
		dir + "/out.wav":           "a symbolic link out of the root",
		dir + "/shared/secret.wav": "a file through a symbolic link to another directory",
		dir + "/shared":            "a symbolic link to another directory",
		dir + "/hard.wav":          "a hard link to another tenant's file",
		other:                      "a file with a second hard link",
	}
	for name, what := range refused {
		if f, err := c.op.Open(name); !errors.Is(err, fs.ErrNotExist) {
			if f != nil {
				f.Close()
			}
			t.Errorf("Open of %s (%s): %v, want an error wrapping fs.ErrNotExist", name, what, err)
		}
		if info, err := store.Stat(ctx, c.s, name); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Stat of %s (%s): %+v, %v, want an error wrapping fs.ErrNotExist", name, what, info, err)
		}
	}
	if rm, ok := c.s.(store.Remover); ok {
		for name, what := range refused {
			if err := rm.Remove(ctx, name); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Remove of %s (%s): %v, want an error wrapping fs.ErrNotExist", name, what, err)
			}
		}
		for _, n := range []string{other, dir + "/hard.wav", dir + "/file-link.wav", dir + "/shared"} {
			if _, err := os.Lstat(onDisk(n)); err != nil {
				t.Errorf("a refused Remove took %s away: %v", n, err)
			}
		}
	}
	// A Put through the directory link does not land in the other tenant's directory.
	if _, err := c.s.Put(ctx, dir+"/shared/new.wav", bytes.NewReader(secret), -1); err == nil {
		t.Error("Put through a symbolic link to another directory succeeded")
	}
	if _, err := os.Lstat(onDisk(path.Dir(other) + "/new.wav")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a Put through a link landed in the other tenant's directory: %v", err)
	}
	// A named pipe is refused at once, not waited on.
	if err := mkfifo(onDisk(dir + "/pipe.wav")); err == nil {
		done := make(chan error, 1)
		go func() {
			f, err := c.op.Open(dir + "/pipe.wav")
			if f != nil {
				f.Close()
			}
			done <- err
		}()
		select {
		case err := <-done:
			if !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Open of a named pipe: %v, want an error wrapping fs.ErrNotExist", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Open of a named pipe blocked")
		}
	}
	// A listing shows none of them either: only the tenant's own file.
	if l, ok := c.s.(store.Lister); ok {
		var listed []string
		if err := l.List(ctx, c.base+"links", func(f store.FileInfo) error {
			listed = append(listed, f.Name)
			return nil
		}); err != nil {
			t.Errorf("List: %v", err)
		}
		if len(listed) != 1 || listed[0] != mine {
			t.Errorf("List of a tree with links: %q, want only %s", listed, mine)
		}
	}
	// Its own file, with one link and no link on the path, is served.
	c.mustHave(t, mine, secret)
}
