package ccfs_test

import (
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestReadmeLayoutAgreesWithTheTree: the README's Layout has a line for
// each file of the root package and each directory that holds the
// project's files (Go, docs, scripts, the unit), and names nothing that
// is not there.
func TestReadmeLayoutAgreesWithTheTree(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## Layout\n")
	if !ok {
		t.Fatal("README.md has no Layout section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	listed := map[string]bool{}
	for _, line := range strings.Split(section, "\n") {
		if entry, ok := strings.CutPrefix(line, "    "); ok && !strings.HasPrefix(entry, " ") {
			name, _, _ := strings.Cut(entry, " ")
			listed[strings.TrimSuffix(name, "/")] = true
		}
	}
	want := map[string]bool{}
	rootFiles, _ := filepath.Glob("*.go")
	for _, f := range rootFiles {
		if !strings.HasSuffix(f, "_test.go") {
			want[f] = true
		}
	}
	projectFile := func(name string) bool {
		switch filepath.Ext(name) {
		case ".go", ".md", ".py", ".service", ".mod":
			return true
		}
		return name == "run"
	}
	err = filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != "." && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") && d.Name() != ".ci") {
			return filepath.SkipDir
		}
		if dir := filepath.Dir(path); !d.IsDir() && dir != "." && projectFile(d.Name()) {
			want[filepath.ToSlash(dir)] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range slices.Sorted(maps.Keys(want)) {
		if !listed[name] {
			t.Errorf("README.md's Layout has no line for %s", name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(listed)) {
		if !want[name] {
			t.Errorf("README.md's Layout names %s, which the tree does not hold (or holds no project file in)", name)
		}
	}
}
