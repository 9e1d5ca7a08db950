package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestUsage: ccfs usage counts the prompts the upload rule placed (not
// recordings, not subdirectories), by VDN, against --quota, in text and
// in JSON; it refuses a directory that is not there, and --reconcile
// without --redis.
func TestUsage(t *testing.T) {
	data := t.TempDir()
	for name, size := range map[string]int{
		"3rdfile/53/thirdvoicebotfile/a.wav":     1000,
		"3rdfile/53/thirdvoicebotfile/b.wav":     2000,
		"3rdfile/54/thirdvoicebotfile/c.wav":     512,
		"3rdfile/53/IVRrecordFile/rec.wav":       4000,
		"3rdfile/53/thirdvoicebotfile/sub/x.wav": 8000,
	} {
		p := filepath.Join(data, "files", filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o750)
		if err := os.WriteFile(p, make([]byte, size), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errs := runCmd(t, "usage", "--data", data, "--quota", "*=4000,54=1KiB/2,60=1GiB")
	if code != 0 {
		t.Fatalf("usage: %d %s", code, errs)
	}
	for _, row := range []string{`53\s+2\s+3000\s+4000\s+75\.0%`, `54\s+1\s+512\s+1KiB/2\s+50\.0%`, `60\s+0\s+0\s+1GiB\s+0\.0%`} {
		if !regexp.MustCompile(`(?m)^\s*` + row + `\s*$`).MatchString(out) {
			t.Errorf("no row %s in:\n%s", row, out)
		}
	}
	if strings.Contains(out, "NODES") {
		t.Errorf("columns of the nodes' counts without --redis:\n%s", out)
	}

	code, out, errs = runCmd(t, "usage", "--data", data, "--json")
	var rows []usageJSON
	if err := json.Unmarshal([]byte(out), &rows); code != 0 || err != nil {
		t.Fatalf("usage --json: %d %v %s %s", code, err, out, errs)
	}
	want := []usageJSON{{VDN: 53, Files: 2, Bytes: 3000}, {VDN: 54, Files: 1, Bytes: 512}}
	if len(rows) != 2 || rows[0] != want[0] || rows[1] != want[1] {
		t.Fatalf("usage --json: %+v, want %+v", rows, want)
	}

	for _, tc := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"--data", filepath.Join(data, "nothing")}, 1, "not a directory"},
		{[]string{"--data", data, "--reconcile"}, 2, "--reconcile needs --redis"},
		{[]string{"--data", data, "--quota", "53=lots"}, 2, "--quota"},
		{[]string{"--data", data, "--path-rule", "/3rdfile/%VDNNO%/../x/"}, 2, `ccfs usage: --path-rule: "/3rdfile/%VDNNO%/../x/" has a ".." segment`},
	} {
		if code, _, errs := runCmd(t, append([]string{"usage"}, tc.args...)...); code != tc.code || !strings.Contains(errs, tc.says) {
			t.Errorf("usage %v: %d %q; want %d saying %q", tc.args, code, errs, tc.code, tc.says)
		}
	}
	if _, err := os.Stat(filepath.Join(data, "nothing")); err == nil {
		t.Error("usage created the directory it was wrongly given")
	}
}

// TestUsageTakesServesStoreFlags: ccfs usage takes the flags serve takes
// for where the files are and how prompts are placed and limited (--root
// among them), none of serve's others, and reads what they say: the
// store of --data or --store, by --path-rule.
func TestUsageTakesServesStoreFlags(t *testing.T) {
	serve, usage := helpFlags(t, "serve"), helpFlags(t, "usage")
	for _, name := range []string{"data", "root", "store", "pool", "path-rule", "quota", "quota-file", "redis", "s3-endpoint", "s3-region", "allow-hard-links"} {
		if !serve[name] || !usage[name] {
			t.Errorf("--%s: in serve %v, in usage %v; want both", name, serve[name], usage[name])
		}
	}
	for name := range usage {
		if !serve[name] && name != "json" && name != "reconcile" {
			t.Errorf("usage lists --%s, which serve does not take", name)
		}
	}
	for _, name := range []string{"addr", "rate", "tls-cert", "credentials", "retain", "pool-min", "s3-overwrite", "quota-recount-every", "download-rule"} {
		if !serve[name] || usage[name] {
			t.Errorf("--%s: in serve %v, in usage %v; want serve only", name, serve[name], usage[name])
		}
	}

	dir := t.TempDir()
	for name, size := range map[string]int{
		"prompts/53/tts/a.wav":               1000,
		"3rdfile/53/thirdvoicebotfile/b.wav": 2000,
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o750)
		if err := os.WriteFile(p, make([]byte, size), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	// serve's flags, as a unit file has them, on usage.
	code, out, errs := runCmd(t, "usage", "--root", "Y:", "--store", dir, "--path-rule", "/prompts/%VDNNO%/tts/", "--quota", "*=2000", "--json")
	var rows []usageJSON
	if err := json.Unmarshal([]byte(out), &rows); code != 0 || err != nil {
		t.Fatalf("usage --root --store --path-rule: %d %v %s %s", code, err, out, errs)
	}
	if want := (usageJSON{VDN: 53, Files: 1, Bytes: 1000, Limit: rows[0].Limit}); len(rows) != 1 || rows[0] != want || rows[0].Limit == nil || rows[0].Limit.Bytes != 2000 {
		t.Fatalf("usage by --path-rule in --store: %+v", rows)
	}
	data := filepath.Dir(dir)
	os.Rename(dir, filepath.Join(data, "files"))
	if code, out, errs := runCmd(t, "usage", "--data", data, "--root", "Y:"); code != 0 || !regexp.MustCompile(`(?m)^\s*53\s+1\s+2000\s`).MatchString(out) {
		t.Fatalf("usage --data: %d %s %s", code, out, errs)
	}
	if code, _, errs := runCmd(t, "usage", "--data", data, "--addr", "127.0.0.1:1"); code != 2 || !strings.Contains(errs, "-addr") {
		t.Errorf("usage --addr: %d %q; want refused", code, errs)
	}
}
