package main

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// unitFile parses a systemd unit: section → key → values (continued
// lines joined).
func unitFile(t *testing.T, path string) map[string]map[string][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	unit := map[string]map[string][]string{}
	section, pending := "", ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if pending != "" {
			line, pending = pending+" "+line, ""
		}
		if strings.HasSuffix(line, "\\") {
			pending = strings.TrimSuffix(line, "\\")
			continue
		}
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case line[0] == '[' && line[len(line)-1] == ']':
			section = line[1 : len(line)-1]
			unit[section] = map[string][]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				t.Fatalf("%s:%d: not a key=value in a section: %q", path, n, line)
			}
			unit[section][k] = append(unit[section][k], v)
		}
	}
	return unit
}

// TestSystemdUnit checks systemd/ccfs.service: its sections, a reload that
// sends SIGHUP, a stop timeout above the server's, and an ExecStart whose
// flags "ccfs serve" accepts (parsed by the command's own flag parser).
// Where systemd-analyze is installed it verifies the unit too.
func TestSystemdUnit(t *testing.T) {
	path := filepath.Join("systemd", "ccfs.service")
	unit := unitFile(t, path)
	for _, s := range []string{"Unit", "Service", "Install"} {
		if unit[s] == nil {
			t.Fatalf("no [%s] section", s)
		}
	}
	svc := unit["Service"]
	if got := svc["ExecReload"]; len(got) != 1 || !strings.Contains(got[0], "-HUP $MAINPID") {
		t.Errorf("ExecReload %q: want a SIGHUP to the main process", got)
	}
	if got := svc["TimeoutStopSec"]; len(got) != 1 || got[0] != "7min" {
		t.Errorf("TimeoutStopSec %q: want 7min, above the drain delay and the 6-minute write timeout", got)
	}
	execStart := strings.Fields(strings.Join(svc["ExecStart"], " "))
	if len(execStart) < 2 || filepath.Base(execStart[0]) != "ccfs" || execStart[1] != "serve" {
		t.Fatalf("ExecStart %q: want ccfs serve", execStart)
	}
	cfg, code := parseServe(execStart[2:], io.Discard)
	if code >= 0 {
		_, _ = parseServe(execStart[2:], testWriter{t})
		t.Fatalf("ccfs serve refuses ExecStart's flags %q", execStart[2:])
	}
	if cfg.adminAddr != "127.0.0.1:9090" || cfg.credsFile != "/etc/ccfs/keys.json" {
		t.Errorf("ExecStart: admin %q, credentials %q", cfg.adminAddr, cfg.credsFile)
	}
	if rw := svc["ReadWritePaths"]; len(rw) != 1 || rw[0] != cfg.data {
		t.Errorf("ReadWritePaths %q, but --data is %q", rw, cfg.data)
	}

	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Log("systemd-analyze is not installed: the unit was parsed, not verified")
		return
	}
	// verify wants ExecStart's binary to exist: point a copy at a stand-in.
	dir := t.TempDir()
	bin := filepath.Join(dir, "ccfs")
	os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755)
	raw, _ := os.ReadFile(path)
	copyPath := filepath.Join(dir, "ccfs.service")
	os.WriteFile(copyPath, []byte(strings.ReplaceAll(string(raw), "/usr/local/bin/ccfs", bin)), 0o644)
	out, err := exec.Command(analyze, "verify", copyPath).CombinedOutput()
	// Outside a booted systemd (a container) verify may complain about the
	// manager itself; the unit's own problems name the file.
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "ccfs.service") {
			t.Errorf("systemd-analyze verify: %s", line)
		}
	}
	if err != nil {
		t.Logf("systemd-analyze verify exited with %v (not about the unit):\n%s", err, out)
	}
}

// TestSystemdUnitNamesRealFlagsAndVariables: the unit reads an optional
// environment file for the secrets, and every "ccfs serve" flag it names,
// in ExecStart or in its comments' examples (quotas and retention among
// them), is one serve takes; every environment variable it names is one
// the command reads; it warns that a store outside ReadWritePaths fails.
func TestSystemdUnitNamesRealFlagsAndVariables(t *testing.T) {
	path := filepath.Join("systemd", "ccfs.service")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	unit := unitFile(t, path)
	if env := unit["Service"]["EnvironmentFile"]; len(env) != 1 || !strings.HasPrefix(env[0], "-/") {
		t.Errorf("EnvironmentFile %q: want one, optional (a leading -)", env)
	}

	serve := helpFlags(t, "serve")
	// Comment lines that show another program's command line name its
	// flags, not serve's.
	other := regexp.MustCompile(`^#\s*(install|useradd|cp|systemctl)\s`)
	named := map[string]bool{}
	for _, line := range strings.Split(string(raw), "\n") {
		if other.MatchString(line) {
			continue
		}
		for _, m := range regexp.MustCompile(`--([a-z][a-z0-9-]*)`).FindAllStringSubmatch(line, -1) {
			named[m[1]] = true
			if !serve[m[1]] {
				t.Errorf("the unit names --%s, which ccfs serve does not take: %q", m[1], line)
			}
		}
	}
	for _, name := range []string{"quota", "quota-file", "retain", "retain-every", "store", "redis"} {
		if !named[name] {
			t.Errorf("the unit's examples do not show --%s", name)
		}
	}

	// The variables the command reads, from its source.
	reads := map[string]bool{}
	sources, _ := filepath.Glob("*.go")
	for _, f := range sources {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, _ := os.ReadFile(f)
		for _, m := range regexp.MustCompile(`os\.Getenv\("([A-Z0-9_]+)"\)`).FindAllStringSubmatch(string(src), -1) {
			reads[m[1]] = true
		}
	}
	vars := regexp.MustCompile(`\b(?:CCFS|AWS)_[A-Z0-9_]+\b`).FindAllString(string(raw), -1)
	for _, v := range vars {
		if !reads[v] {
			t.Errorf("the unit names $%s, which the command does not read (it reads %v)", v, reads)
		}
	}
	for _, v := range []string{"CCFS_REDIS_PASSWORD", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} {
		if !slices.Contains(vars, v) {
			t.Errorf("the unit does not say the environment file holds $%s", v)
		}
	}

	if !regexp.MustCompile(`(?m)^#[^\n]*ReadWritePaths[^\n]*ProtectSystem=strict`).Match(raw) {
		t.Error("the unit does not warn, in a comment naming both, that a store outside ReadWritePaths fails under ProtectSystem=strict")
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
