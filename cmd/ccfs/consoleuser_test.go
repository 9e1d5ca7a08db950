package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ccfs-go/ccfs/console/accounts"
)

// consoleUser runs "ccfs console-user" in-process with stdin.
func consoleUser(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errs bytes.Buffer
	code := consoleUserCmd(context.Background(), args, strings.NewReader(stdin), &out, &errs)
	return code, out.String(), errs.String()
}

// signsIn reports whether the accounts file at path lets name in with
// password, as the console would check it.
func signsIn(t *testing.T, path, name, password string) bool {
	t.Helper()
	f, err := accounts.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ok, err := f.Authenticate(context.Background(), name, password)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// TestConsoleUserAddListRemove: add (a new file, then a new name, then a
// new password), list and remove, the password read from standard input;
// what is printed never holds a password or a hash.
func TestConsoleUserAddListRemove(t *testing.T) {
	data := filepath.Join(t.TempDir(), "ccfs-data") // not made yet: before serve's first run
	path := filepath.Join(data, "console-users")
	const alice, alice2, bob = "alice's password", "alice's second password", "bob's long password"
	var printed strings.Builder
	step := func(want int, stdin string, args ...string) string {
		t.Helper()
		code, out, errs := consoleUser(t, stdin, args...)
		printed.WriteString(out + errs)
		if code != want {
			t.Fatalf("%v: exit %d, want %d: %s%s", args, code, want, out, errs)
		}
		return out + errs
	}

	if out := step(0, alice+"\n", "add", "--data", data, "alice"); !strings.Contains(out, "added console operator alice to "+path+" (a new file, mode 0600)") {
		t.Fatalf("add printed %q", out)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the file: %v, %v", fi.Mode(), err)
	}
	if out := step(0, bob+"\r\n", "add", "bob", "--data", data); !strings.Contains(out, "added console operator bob to "+path+"\n") {
		t.Fatalf("add printed %q", out)
	}
	if out := step(0, alice2, "--file", path, "add", "alice"); !strings.Contains(out, "changed the password of console operator alice in "+path) {
		t.Fatalf("add of an existing name printed %q", out)
	}
	if !signsIn(t, path, "alice", alice2) || signsIn(t, path, "alice", alice) || !signsIn(t, path, "bob", bob) {
		t.Fatal("the file does not hold the passwords set")
	}
	if out := step(0, "", "list", "--data", data); out != "alice\nbob\n" {
		t.Fatalf("list printed %q", out)
	}
	if out := step(0, "", "remove", "--data", data, "alice"); !strings.HasPrefix(out, "removed console operator alice from "+path) {
		t.Fatalf("remove printed %q", out)
	}
	if out := step(0, "", "list", "--file", path); out != "bob\n" {
		t.Fatalf("list printed %q", out)
	}
	if out := step(1, "", "remove", "--data", data, "alice"); !strings.Contains(out, `no account "alice"`) {
		t.Fatalf("remove of an absent name printed %q", out)
	}
	step(0, "", "remove", "--data", data, "bob")
	if out := step(0, "", "list", "--data", data); !strings.Contains(out, "has no accounts") {
		t.Fatalf("list of an empty file printed %q", out)
	}
	for _, secret := range []string{alice, alice2, bob, "$argon2id$"} {
		if strings.Contains(printed.String(), secret) {
			t.Fatalf("the command printed %q:\n%s", secret, printed.String())
		}
	}
}

func TestConsoleUserRefuses(t *testing.T) {
	data := t.TempDir()
	path := filepath.Join(data, "console-users")
	for _, c := range []struct {
		code  int
		stdin string
		args  []string
		want  string
	}{
		{2, "", nil, "want a subcommand"},
		{2, "", []string{"rename", "alice"}, `unknown subcommand "rename"`},
		{2, "", []string{"add"}, "add: want add NAME"},
		{2, "", []string{"add", "alice", "bob"}, "add: want add NAME"},
		{2, "", []string{"list", "alice"}, "list: want list, with no name"},
		{2, "a long enough password\n", []string{"add", "bob smith"}, "a name is 1 to 64 bytes"},
		{2, "", []string{"add", "--no-such-flag", "alice"}, "flag provided but not defined"},
		{1, "", []string{"add", "alice"}, "no password on standard input"},
		{1, "\n", []string{"add", "alice"}, "no password on standard input"},
		{1, "short\n", []string{"add", "alice"}, "too short: at least 12 bytes"},
		{1, strings.Repeat("p", 300), []string{"add", "alice"}, "too long: at most 256 bytes"},
		{1, strings.Repeat("p", 257) + "\n", []string{"add", "alice"}, "too long: at most 256 bytes"},
		{1, "", []string{"list"}, "there is no accounts file " + path + " yet"},
		{1, "", []string{"remove", "alice"}, "no such file"},
	} {
		code, out, errs := consoleUser(t, c.stdin, append(c.args, "--data", data)...)
		if code != c.code || out != "" || !strings.Contains(errs, c.want) || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit %d and one line saying %q", c.args, code, out, errs, c.code, c.want)
		}
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("a refused command wrote the file: %v", err)
	}
	// A file others may read: list says to chmod it; add writes it back
	// 0600.
	if code, _, errs := consoleUser(t, "alice's password\n", "add", "--data", data, "alice"); code != 0 {
		t.Fatal(errs)
	}
	os.Chmod(path, 0o644)
	if code, _, errs := consoleUser(t, "", "list", "--data", data); code != 1 || !strings.Contains(errs, "chmod 600 "+path) {
		t.Fatalf("list of a mode 0644 file: %d %q", code, errs)
	}
	code, _, errs := consoleUser(t, "", "--help")
	if code != 0 || !strings.Contains(errs, "usage: ccfs console-user") || !strings.Contains(errs, "Example:") {
		t.Fatalf("--help: %d %q", code, errs)
	}
	if code, out, _ := runCmd(t, "help"); code != 0 || !strings.Contains(out, "\n  console-user ") {
		t.Fatalf("ccfs help does not list console-user: %q", out)
	}
}

// TestConsoleUserFromAScript runs the built command as a script would,
// the password piped to its standard input, and checks the file it
// wrote lets the operator in.
func TestConsoleUserFromAScript(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "users")
	const password = "a password from a script"
	cmd := exec.Command(buildCommand(t), "console-user", "add", "--file", path, "ops@example.com")
	cmd.Stdin = strings.NewReader(password + "\n")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "added console operator ops@example.com to "+path) {
		t.Fatalf("%v: %s", err, out)
	}
	if strings.Contains(string(out), password) || strings.Contains(string(out), "$argon2id$") {
		t.Fatalf("printed %q", out)
	}
	if !signsIn(t, path, "ops@example.com", password) {
		t.Fatal("the account written does not sign in")
	}
	// Without a terminal, nothing is asked: no input, no account.
	cmd = exec.Command(buildCommand(t), "console-user", "add", "--file", path, "other")
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "no password on standard input") {
		t.Fatalf("with no input: %v: %s", err, out)
	}
}
