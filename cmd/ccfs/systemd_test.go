package main

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
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

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
