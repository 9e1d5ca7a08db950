package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSyncToANewVersion runs sync on a copy of the tree, as a release
// does: afterwards every nested module requires its siblings at the new
// version with no replace, go.work replaces each at it, and check (every
// module tidy against a proxy of the copy) passes.
func TestSyncToANewVersion(t *testing.T) {
	root := repoRoot(t)
	tree := t.TempDir()
	if err := copyTree(tree, root); err != nil {
		t.Fatal(err)
	}
	const next = "v0.99.0"
	if err := sync(tree, next, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, m := range modules[1:] {
		v, err := siblingVersion(tree, m)
		if err != nil || v != next {
			t.Fatalf("%s after sync: siblings at %q, %v; want %s", m.dir, v, err, next)
		}
	}
	work, err := os.ReadFile(filepath.Join(tree, "go.work"))
	if err != nil || strings.Count(string(work), next+" => ./") != len(modules) {
		t.Fatalf("go.work after sync:\n%s", work)
	}
	if err := check(tree, io.Discard); err != nil {
		t.Fatalf("check after sync: %v", err)
	}
}

// repoRoot returns the repository's root, or skips a -short run: these
// tests run the go command against a module proxy.
func repoRoot(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the go command against a module proxy; not in -short")
	}
	// The release tests work in temporary copies and caches of their own,
	// and mostly wait for the go commands they run: they run side by side.
	t.Parallel()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}
