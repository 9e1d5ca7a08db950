package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/zip"
)

// A mod is one module of the repository.
type mod struct {
	dir  string // relative to the repository's root
	path string // module path
}

// modules are the repository's published modules, each after those it
// requires.
var modules = []mod{
	{".", "github.com/ccfs-go/ccfs"},
	{"auth/redisreplay", "github.com/ccfs-go/ccfs/auth/redisreplay"},
	{"quota/redisquota", "github.com/ccfs-go/ccfs/quota/redisquota"},
	{"events/redisevents", "github.com/ccfs-go/ccfs/events/redisevents"},
	{"idempotency/redisidempotency", "github.com/ccfs-go/ccfs/idempotency/redisidempotency"},
	{"store/s3store", "github.com/ccfs-go/ccfs/store/s3store"},
	{"metrics/prom", "github.com/ccfs-go/ccfs/metrics/prom"},
	{"convert/mp3", "github.com/ccfs-go/ccfs/convert/mp3"},
	{"console/accounts", "github.com/ccfs-go/ccfs/console/accounts"},
	{"cmd/ccfs", "github.com/ccfs-go/ccfs/cmd/ccfs"},
}

// tagFor returns the git tag of m at version: "v1.2.3" for the root,
// "store/s3store/v1.2.3" for a nested module.
func tagFor(m mod, version string) string {
	if m.dir == "." {
		return version
	}
	return m.dir + "/" + version
}

// readModFile parses m's go.mod under root.
func readModFile(root string, m mod) (*modfile.File, error) {
	file := filepath.Join(root, m.dir, "go.mod")
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return modfile.Parse(file, data, nil)
}

// siblingVersion returns the version at which m requires its siblings,
// and an error if it requires them at different versions, or points at
// one with a replace directive.
func siblingVersion(root string, m mod) (string, error) {
	f, err := readModFile(root, m)
	if err != nil {
		return "", err
	}
	for _, r := range f.Replace {
		if isSibling(r.Old.Path) {
			return "", fmt.Errorf("%s/go.mod replaces %s: a consumer's go command would ignore it, and go install refuses it", m.dir, r.Old.Path)
		}
	}
	version := ""
	for _, r := range f.Require {
		if !isSibling(r.Mod.Path) {
			continue
		}
		if version != "" && r.Mod.Version != version {
			return "", fmt.Errorf("%s/go.mod requires siblings at both %s and %s", m.dir, version, r.Mod.Version)
		}
		version = r.Mod.Version
	}
	return version, nil
}

func isSibling(path string) bool {
	for _, m := range modules {
		if m.path == path {
			return true
		}
	}
	return false
}

// setSiblings makes m require every sibling it requires at version, with
// no replace directives.
func setSiblings(root string, m mod, version string) error {
	f, err := readModFile(root, m)
	if err != nil {
		return err
	}
	for _, r := range f.Replace {
		if isSibling(r.Old.Path) {
			if err := f.DropReplace(r.Old.Path, r.Old.Version); err != nil {
				return err
			}
		}
	}
	for _, r := range f.Require {
		if isSibling(r.Mod.Path) {
			if err := f.AddRequire(r.Mod.Path, version); err != nil {
				return err
			}
		}
	}
	f.Cleanup()
	data, err := f.Format()
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(root, m.dir, "go.mod"), data, 0o644)
}

// dropSiblingSums removes the siblings' lines from m's go.sum: the hashes
// of the tree as it was, which go mod tidy then writes anew.
func dropSiblingSums(root string, m mod) error {
	file := filepath.Join(root, m.dir, "go.sum")
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var kept []string
	for _, line := range strings.SplitAfter(string(data), "\n") {
		if path, _, _ := strings.Cut(line, " "); line != "" && !isSibling(path) {
			kept = append(kept, line)
		}
	}
	return os.WriteFile(file, []byte(strings.Join(kept, "")), 0o644)
}

// setWorkReplaces makes go.work replace each module at version with its
// directory, so that in the workspace the version the modules require of
// each other is the tree as it is.
func setWorkReplaces(root, version string) error {
	file := filepath.Join(root, "go.work")
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	w, err := modfile.ParseWork(file, data, nil)
	if err != nil {
		return err
	}
	for _, r := range w.Replace {
		if isSibling(r.Old.Path) {
			if err := w.DropReplace(r.Old.Path, r.Old.Version); err != nil {
				return err
			}
		}
	}
	for _, m := range modules {
		if err := w.AddReplace(m.path, version, "./"+strings.TrimPrefix(m.dir, "."), ""); err != nil {
			return err
		}
	}
	w.Cleanup()
	return os.WriteFile(file, modfile.Format(w.Syntax), 0o644)
}

// addToProxy writes m, as its directory under root holds it now, at
// version into a GOPROXY=file:// tree at proxy (the layout "go help
// goproxy" describes). Like a release, it holds only what git would
// commit: files git ignores (go.work.sum, which the go command rewrites
// as it goes; a built binary) are left out.
func addToProxy(proxy, root string, m mod, version string) error {
	esc, err := module.EscapePath(m.path)
	if err != nil {
		return err
	}
	dir := filepath.Join(proxy, esc, "@v")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	zf, err := os.Create(filepath.Join(dir, version+".zip"))
	if err != nil {
		return err
	}
	src, cleanup, err := releasedFiles(root, m)
	if err == nil {
		err = zip.CreateFromDir(zf, module.Version{Path: m.path, Version: version}, src)
		cleanup()
	}
	if cerr := zf.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("zipping %s: %w", m.dir, err)
	}
	gomod, err := os.ReadFile(filepath.Join(root, m.dir, "go.mod"))
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, version+".mod"), gomod, 0o644); err != nil {
		return err
	}
	info, _ := json.Marshal(map[string]any{"Version": version, "Time": time.Now().UTC().Format(time.RFC3339)})
	if err := os.WriteFile(filepath.Join(dir, version+".info"), info, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "list"), []byte(version+"\n"), 0o644)
}

// releasedFiles returns a directory holding m's files as a release would:
// a copy of those git tracks or would track (not ignored). Outside a git
// repository it returns m's directory as it is.
func releasedFiles(root string, m mod) (dir string, cleanup func(), err error) {
	list, err := exec.Command("git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", m.dir).Output()
	if err != nil {
		return filepath.Join(root, m.dir), func() {}, nil
	}
	tmp, err := os.MkdirTemp("", "ccfs-release-files-")
	if err != nil {
		return "", nil, err
	}
	for _, name := range strings.Split(strings.TrimSuffix(string(list), "\x00"), "\x00") {
		data, err := os.ReadFile(filepath.Join(root, name))
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted, not yet committed
		}
		if err == nil {
			err = os.MkdirAll(filepath.Join(tmp, filepath.Dir(name)), 0o755)
		}
		if err == nil {
			err = os.WriteFile(filepath.Join(tmp, name), data, 0o644)
		}
		if err != nil {
			os.RemoveAll(tmp)
			return "", nil, err
		}
	}
	return filepath.Join(tmp, m.dir), func() { os.RemoveAll(tmp) }, nil
}

// proxyEnv is the environment of a go command that resolves this
// repository's modules from the file proxy at proxy, everything else from
// the usual proxy, outside any workspace.
func proxyEnv(proxy string) []string {
	return append(os.Environ(),
		"GOWORK=off",
		"GOFLAGS=-mod=mod",
		"GOPROXY=file://"+filepath.ToSlash(proxy)+","+upstream(),
		"GONOSUMDB=github.com/ccfs-go",
	)
}

// upstream is the proxy everything but the siblings comes from:
// $CCFS_UPSTREAM_PROXY, or this machine's own module cache (its download
// directory is a proxy's layout, and what it holds is checked against
// the checksum database as a download is) before the Go module proxy.
// The go commands run here start from empty module caches, as a user's
// would; without it each would download every module again.
func upstream() string {
	if u := os.Getenv("CCFS_UPSTREAM_PROXY"); u != "" {
		return u
	}
	return localCache() + "https://proxy.golang.org"
}

// localCache is "file://…," for this machine's module cache, or "". It
// asks the go command, so it is called only when the proxy is needed.
func localCache() string {
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if dir := strings.TrimSpace(string(out)); err == nil && dir != "" {
		return "file://" + filepath.ToSlash(filepath.Join(dir, "cache", "download")) + ","
	}
	return ""
}

// goCmd runs go with args in dir under env, and returns its combined
// output in the error if it fails.
func goCmd(dir string, env []string, stdout io.Writer, args ...string) error {
	cmd := exec.Command("go", args...)
	cmd.Dir, cmd.Env = dir, env
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = io.MultiWriter(&out, stdout), io.MultiWriter(&out, stdout)
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out.String())
	}
	return nil
}
