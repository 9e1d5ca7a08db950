package main

import (
	"bufio"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs"
)

// TestLsCommand: serve --list-files, three prompts uploaded, listed as a
// table and as JSON lines, a page of one at a time; a server without
// --list-files answers 404 (0300019), another VDN 0300013, bad flags 2.
func TestLsCommand(t *testing.T) {
	b := startServe(t, "--data", t.TempDir(), "--list-files")
	ak, sk := b.devKey(t)
	key := []string{"--url", b.base, "--ak", ak, "--sk", sk, "--insecure"}
	cmd := func(args ...string) (int, string, string) {
		return runCmd(t, append(append(args[:1:1], key...), args[1:]...)...)
	}
	if code, out, errs := cmd("ls", "--vdn", "1"); code != 0 || strings.TrimSpace(out) != "NAME  SIZE  MODIFIED (UTC)" {
		t.Fatalf("ls of an empty VDN: %d %q %s", code, out, errs)
	}
	var names []string
	for range 3 {
		code, out, errs := cmd("upload", "--vdn", "1", writeFile(t, "prompt.wav", alaw(4000)))
		if code != 0 {
			t.Fatalf("upload: %d %s", code, errs)
		}
		names = append(names, strings.TrimSpace(strings.TrimPrefix(out, "fileName: ")))
	}
	slices.Sort(names)
	code, out, errs := cmd("ls", "--vdn", "1")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 4 || !strings.HasPrefix(lines[0], "NAME") {
		t.Fatalf("ls: %d %q %s", code, out, errs)
	}
	for i, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) != 3 || f[0] != names[i] || f[1] != "4044" || !strings.HasSuffix(f[2], "Z") {
			t.Errorf("line %q, want %s, its size, a UTC time", l, names[i])
		} else if when, err := time.Parse(time.RFC3339, f[2]); err != nil || time.Since(when) > time.Hour {
			t.Errorf("modified %q: %v", f[2], err)
		}
	}
	code, out, errs = cmd("ls", "--vdn", "1", "--json", "--limit", "1")
	if code != 0 {
		t.Fatalf("ls --json: %d %s", code, errs)
	}
	var got []string
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var f ccfs.ListedFile
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil || f.Size != 4044 || f.Modified.IsZero() {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		got = append(got, f.FileName)
	}
	if !slices.Equal(got, names) {
		t.Fatalf("ls --json --limit 1: %q, want %q", got, names)
	}
	if code, _, errs := cmd("ls", "--vdn", "2"); code != 1 || !strings.Contains(errs, ccfs.ErrVDNForbidden.Code()) {
		t.Errorf("ls of another VDN: %d %s", code, errs)
	}
	for _, args := range [][]string{{"ls"}, {"ls", "--vdn", "0"}, {"ls", "--vdn", "1", "--limit", "1001"}, {"ls", "--vdn", "1", "extra"}} {
		if code, _, errs := cmd(args...); code != 2 || errs == "" {
			t.Errorf("%v: %d %q", args, code, errs)
		}
	}
	// The default: no listFiles, as the vendor's server has none.
	off := startServe(t, "--data", t.TempDir())
	ak, sk = off.devKey(t)
	code, _, errs = runCmd(t, "ls", "--url", off.base, "--ak", ak, "--sk", sk, "--insecure", "--vdn", "1")
	if code != 1 || !strings.Contains(errs, ccfs.ErrNotFound.Code()) {
		t.Errorf("ls against serve without --list-files: %d %s", code, errs)
	}
}
