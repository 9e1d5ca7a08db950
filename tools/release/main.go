// Command release keeps the repository's modules consumable from outside
// and makes a release. Every module requires its siblings at one version,
// with no replace directives (go.work is for working here); the nested
// modules' go.sum hold the siblings' hashes as this tree makes them.
//
//	go run ./tools/release sync VERSION   # require siblings at VERSION, tidy every go.mod and go.sum
//	go run ./tools/release check          # every module tidy against its siblings as they are now
//	go run ./tools/release tag VERSION    # sync, check, test, commit and tag every module
//
// Run it from the repository's root. The siblings are served to the go
// command from a file:// module proxy built from this tree (the layout of
// "go help goproxy"), so nothing needs to be published first; everything
// else comes from the usual proxy. RELEASING.md says when to run what.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"

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
// tidies it against the siblings as this tree holds them.
func sync(root, version string, out io.Writer) error {
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

// check builds the proxy from this tree at the version the modules
// require each other at, and runs go mod tidy -diff in every module.
func check(root string, out io.Writer) error {
	version, err := requiredVersion(root)
	if err != nil {
		return err
	}
	proxy, env, cleanup, err := tempProxy()
	if err != nil {
		return err
	}
	defer cleanup()
	for _, m := range modules {
		if err := addToProxy(proxy, root, m, version); err != nil {
			return err
		}
	}
	for _, m := range modules {
		fmt.Fprintf(out, "go mod tidy -diff in %s\n", m.dir)
		if err := goCmd(filepath.Join(root, m.dir), env, out, "mod", "tidy", "-diff"); err != nil {
			return fmt.Errorf("%w\n(run: go run ./tools/release sync %s)", err, version)
		}
	}
	return nil
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

// tag makes the release: sync, check, the tests, a commit, a tag per
// module.
func tag(root, version string, out io.Writer) error {
	if err := sync(root, version, out); err != nil {
		return err
	}
	if err := check(root, out); err != nil {
		return err
	}
	test := exec.Command("go", "test", "./...", "./auth/redisreplay/...", "./store/s3store/...", "./cmd/ccfs/...", "./tools/...")
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
	fmt.Fprintln(out, "push with: git push origin --tags")
	return nil
}
