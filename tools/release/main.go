// Command release keeps the repository's modules consumable from outside
// and makes a release. Every module requires its siblings at one version,
// with no replace directives (go.work is for working here).
//
// Between releases the nested modules' go.sum hold no line for a sibling:
// the sibling's hash would be that of the tree as it is, which every edit
// of the sibling (a README line) changes. In the workspace the siblings are
// directories, which need no hash. Only the release commit writes the
// siblings' hashes, as the tagged tree makes them; the next commit takes
// them out again.
//
//	go run ./tools/release sync VERSION   # require siblings at VERSION, tidy every go.mod and go.sum (siblings' lines left out)
//	go run ./tools/release check          # every module tidy, but for the siblings' lines, against its siblings as they are now
//	go run ./tools/release tag VERSION    # sync with the siblings' lines, check, test, commit and tag every module; then take them out again
//
// Run it from the repository's root. The siblings are served to the go
// command from a file:// module proxy built from this tree (the layout of
// "go help goproxy"), so nothing needs to be published first; everything
// else comes from the usual proxy. RELEASING.md says when to run what.
package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"golang.org/x/mod/semver"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "release:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	usage := errors.New("usage: release sync VERSION | check | tag VERSION")
	if len(args) == 0 {
		return usage
	}
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(root, "go.work")); err != nil {
		return errors.New("run it from the repository's root")
	}
	version := ""
	if len(args) == 2 {
		version = args[1]
		if !semver.IsValid(version) || semver.Canonical(version) != version {
			return fmt.Errorf("%q is not a version such as v0.2.0", version)
		}
	}
	switch {
	case args[0] == "sync" && version != "":
		return sync(root, version, out)
	case args[0] == "check" && len(args) == 1:
		return check(root, out)
	case args[0] == "tag" && version != "":
		return tag(root, version, out)
	}
	return usage
}

// sync makes every nested module require its siblings at version and
// tidies it against the siblings as this tree holds them, then takes the
// siblings' lines out of every go.sum: the development state.
func sync(root, version string, out io.Writer) error {
	if err := syncWithSums(root, version, out); err != nil {
		return err
	}
	return dropAllSiblingSums(root)
}

// dropAllSiblingSums takes the siblings' lines out of every nested
// module's go.sum.
func dropAllSiblingSums(root string) error {
	for _, m := range modules[1:] {
		if err := dropSiblingSums(root, m); err != nil {
			return err
		}
	}
	return nil
}

// syncWithSums is sync that keeps the siblings' lines: the release state,
// in which the modules can be consumed from a proxy.
func syncWithSums(root, version string, out io.Writer) error {
	proxy, env, cleanup, err := tempProxy()
	if err != nil {
		return err
	}
	defer cleanup()
	if err := setWorkReplaces(root, version); err != nil {
		return err
	}
	for i, m := range modules {
		if i > 0 { // the root requires no sibling
			if err := setSiblings(root, m, version); err != nil {
				return err
			}
			if err := dropSiblingSums(root, m); err != nil {
				return err
			}
			fmt.Fprintf(out, "tidying %s\n", m.dir)
			if err := goCmd(filepath.Join(root, m.dir), env, io.Discard, "mod", "tidy"); err != nil {
				return err
			}
		}
		if err := addToProxy(proxy, root, m, version); err != nil {
			return err
		}
	}
	return nil
}

// check syncs a copy of this tree at the version the modules require
// each other at, and finds every go.mod and go.sum of the tree as the
// copy has them: tidy against the siblings as they are, less the
// siblings' lines. An edit of a module that changes no requirement
// (a README line, code that imports nothing new) needs no sync.
func check(root string, out io.Writer) error {
	version, err := requiredVersion(root)
	if err != nil {
		return err
	}
	synced, cleanup, err := syncedCopy(root, version, false, out)
	if err != nil {
		return err
	}
	defer cleanup()
	var stale []string
	for _, m := range modules {
		for _, f := range []string{"go.mod", "go.sum"} {
			want, _ := os.ReadFile(filepath.Join(synced, m.dir, f))
			got, _ := os.ReadFile(filepath.Join(root, m.dir, f))
			if !bytes.Equal(got, want) {
				stale = append(stale, filepath.Join(m.dir, f))
			}
		}
	}
	if len(stale) > 0 {
		return fmt.Errorf("not tidy: %s (run: go run ./tools/release sync %s)", strings.Join(stale, ", "), version)
	}
	fmt.Fprintf(out, "every module tidy at %s\n", version)
	return nil
}

// syncedCopy copies the tree at root to a temporary directory and syncs
// it at version, with the siblings' lines (the release state) if
// withSums; cleanup removes it.
func syncedCopy(root, version string, withSums bool, out io.Writer) (string, func(), error) {
	tree, err := os.MkdirTemp("", "ccfs-release-tree-")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { os.RemoveAll(tree) }
	if err := copyTree(tree, root); err != nil {
		cleanup()
		return "", nil, err
	}
	run := sync
	if withSums {
		run = syncWithSums
	}
	if err := run(tree, version, io.Discard); err != nil {
		cleanup()
		return "", nil, err
	}
	return tree, cleanup, nil
}

// copyTree copies the files of the repository at src to dst, leaving out
// version control and a dev server's data.
func copyTree(dst, src string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "ccfs-data") {
			return filepath.SkipDir
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
}

// tempProxy makes an empty file proxy and module cache, and the
// environment of go commands that use them; cleanup removes both.
func tempProxy() (proxy string, env []string, cleanup func(), err error) {
	dir, err := os.MkdirTemp("", "ccfs-release-")
	if err != nil {
		return "", nil, nil, err
	}
	proxy, cache := filepath.Join(dir, "proxy"), filepath.Join(dir, "modcache")
	env = append(proxyEnv(proxy), "GOMODCACHE="+cache, "GOFLAGS=-mod=mod -modcacherw")
	return proxy, env, func() { os.RemoveAll(dir) }, nil
}

// requiredVersion returns the one version at which the nested modules
// require their siblings.
func requiredVersion(root string) (string, error) {
	version := ""
	for _, m := range modules[1:] {
		v, err := siblingVersion(root, m)
		if err != nil {
			return "", err
		}
		if version != "" && v != version {
			return "", fmt.Errorf("the modules require their siblings at both %s and %s", version, v)
		}
		version = v
	}
	if !semver.IsValid(version) {
		return "", fmt.Errorf("the modules require their siblings at %q, not a release version", version)
	}
	return version, nil
}

// tag makes the release: sync with the siblings' lines, the tests, a
// commit, a tag per module; then a commit that takes the lines out again.
func tag(root, version string, out io.Writer) error {
	if err := syncWithSums(root, version, out); err != nil {
		return err
	}
	test := exec.Command("go", "test", "./...", "./auth/redisreplay/...", "./quota/redisquota/...", "./events/redisevents/...", "./idempotency/redisidempotency/...", "./store/s3store/...", "./metrics/prom/...", "./convert/mp3/...", "./console/accounts/...", "./cmd/ccfs/...", "./tools/...")
	test.Dir, test.Stdout, test.Stderr = root, out, out
	if err := test.Run(); err != nil {
		return fmt.Errorf("the tests failed: %w", err)
	}
	git := func(args ...string) error {
		c := exec.Command("git", args...)
		c.Dir, c.Stdout, c.Stderr = root, out, out
		return c.Run()
	}
	for _, m := range modules {
		if err := git("add", filepath.Join(m.dir, "go.mod"), filepath.Join(m.dir, "go.sum"), "go.work"); err != nil {
			return err
		}
	}
	if err := git("commit", "--allow-empty", "-m", "release "+version); err != nil {
		return err
	}
	for _, m := range modules {
		if err := git("tag", "-a", tagFor(m, version), "-m", m.path+" "+version); err != nil {
			return err
		}
		fmt.Fprintf(out, "tagged %s\n", tagFor(m, version))
	}
	if err := dropAllSiblingSums(root); err != nil {
		return err
	}
	for _, m := range modules[1:] {
		if err := git("add", filepath.Join(m.dir, "go.sum")); err != nil {
			return err
		}
	}
	if err := git("commit", "--allow-empty", "-m", "after "+version+": the siblings' hashes out of go.sum again"); err != nil {
		return err
	}
	fmt.Fprintln(out, "push with: git push origin main --tags")
	return nil
}
