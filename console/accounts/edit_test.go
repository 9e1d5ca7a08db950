package accounts

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAddRemoveKeepEveryOtherLine: Add appends a new name, replaces an
// existing name's line where it stands, and Remove takes one line out;
// comments, blank lines and other accounts stay as written.
func TestAddRemoveKeepEveryOtherLine(t *testing.T) {
	bob := "bob:" + htpasswdBcrypt
	path := writeAccounts(t, 0o600, "# operators of the console", "", "alice:"+cheapHash(t, alicePassword), "  # bob came from htpasswd", bob, "# end")
	if err := Add(path, "carol", "carol's own password"); err != nil {
		t.Fatal(err)
	}
	if err := Add(path, "alice", "alice's new password"); err != nil {
		t.Fatal(err)
	}
	lines := readFileLines(t, path)
	want := []string{"# operators of the console", "", "alice:$argon2id$", "  # bob came from htpasswd", bob, "# end", "carol:$argon2id$"}
	if len(lines) != len(want) {
		t.Fatalf("after Add:\n%s", strings.Join(lines, "\n"))
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) || strings.HasSuffix(w, "$") && lines[i] == w {
			t.Fatalf("line %d: %q, want %q…\n%s", i+1, lines[i], w, strings.Join(lines, "\n"))
		}
	}
	f, err := Open(path)
	if err != nil {
		t.Fatalf("the file Add wrote: %v", err)
	}
	for _, c := range []struct {
		name, password string
		ok             bool
	}{{"alice", "alice's new password", true}, {"alice", alicePassword, false}, {"bob", referencePassword, true}, {"carol", "carol's own password", true}} {
		if ok, err := f.Authenticate(context.Background(), c.name, c.password); ok != c.ok || err != nil {
			t.Errorf("%s with %q: %v, %v", c.name, c.password, ok, err)
		}
	}

	if err := Remove(path, "alice"); err != nil {
		t.Fatal(err)
	}
	lines = readFileLines(t, path)
	want = []string{"# operators of the console", "", "  # bob came from htpasswd", bob, "# end", "carol:$argon2id$"}
	if len(lines) != len(want) || lines[2] != want[2] || lines[3] != bob || !strings.HasPrefix(lines[5], want[5]) {
		t.Fatalf("after Remove:\n%s", strings.Join(lines, "\n"))
	}
	if err := Remove(path, "alice"); err == nil || !strings.Contains(err.Error(), `no account "alice"`) {
		t.Fatalf("Remove of an absent name: %v", err)
	}
	assertOnlyFile(t, path)
}

func TestAddCreatesAFileOfMode0600(t *testing.T) {
	path := filepath.Join(t.TempDir(), "console-users")
	if err := Add(path, "alice", alicePassword); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("%v, %v", fi.Mode(), err)
	}
	f, err := Open(path)
	if err != nil || !authenticate(t, f, "alice", alicePassword) {
		t.Fatalf("the new file: %v", err)
	}
	// A file others could read is written back as 0600.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Add(path, "bob", bobPassword); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode after Add: %v", fi.Mode())
	}
	assertOnlyFile(t, path)
}

func TestAddAndRemoveRefuse(t *testing.T) {
	path := writeAccounts(t, 0o600, "alice:"+cheapHash(t, alicePassword))
	before, _ := os.ReadFile(path)
	for _, c := range []struct {
		name, password, want string
	}{
		{"bob", "elevenbytes", "too short"},
		{"bob", strings.Repeat("p", 257), "too long"},
		{"bob smith", "a long enough password", "a name is 1 to 64 bytes"},
		{"", "a long enough password", "a name is 1 to 64 bytes"},
		{strings.Repeat("b", 65), "a long enough password", "a name is 1 to 64 bytes"},
	} {
		if err := Add(path, c.name, c.password); err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), c.password) {
			t.Errorf("Add(%q, %q): %v", c.name, c.password, err)
		}
	}
	if err := Remove(path, "bob:x"); err == nil {
		t.Error("Remove of a bad name")
	}
	if err := Remove(filepath.Join(t.TempDir(), "missing"), "alice"); err == nil {
		t.Error("Remove from a missing file")
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Fatal("a refused Add changed the file")
	}
	// A file that does not parse is not rewritten.
	broken := writeAccounts(t, 0o600, "alice:"+cheapHash(t, alicePassword), "bob:"+bobPassword)
	before, _ = os.ReadFile(broken)
	if err := Add(broken, "carol", "carol's own password"); err == nil || !strings.Contains(err.Error(), "line 2") || strings.Contains(err.Error(), bobPassword) {
		t.Fatalf("Add to a malformed file: %v", err)
	}
	if after, _ := os.ReadFile(broken); string(after) != string(before) {
		t.Fatal("Add rewrote a malformed file")
	}
	assertOnlyFile(t, broken)
}

// readFileLines returns the lines of the file at path.
func readFileLines(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) == 0 || data[len(data)-1] != '\n' {
		t.Fatalf("the file does not end in a newline: %q", data)
	}
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
}

// assertOnlyFile fails the test if path's directory holds anything but
// path: no temporary file left behind.
func assertOnlyFile(t *testing.T, path string) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != filepath.Base(path) {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("the directory holds %v", names)
	}
}
