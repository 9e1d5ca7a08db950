package accounts

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

const (
	alicePassword = "alice's password"
	bobPassword   = "bob's long password"
)

// openAccounts writes an accounts file of alice and bob and opens it.
func openAccounts(t *testing.T) (*File, string) {
	t.Helper()
	path := writeAccounts(t, 0o600, "# operators", "alice:"+cheapHash(t, alicePassword), "", "bob:"+cheapHash(t, bobPassword))
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return f, path
}

// authenticate calls f.Authenticate and fails the test on an error.
func authenticate(t *testing.T, f *File, name, password string) bool {
	t.Helper()
	ok, err := f.Authenticate(context.Background(), name, password)
	if err != nil {
		t.Fatalf("Authenticate(%q): %v", name, err)
	}
	return ok
}

func TestAuthenticate(t *testing.T) {
	f, _ := openAccounts(t)
	c := count(f)
	if !authenticate(t, f, "alice", alicePassword) || !authenticate(t, f, "bob", bobPassword) {
		t.Fatal("a right password refused")
	}
	if authenticate(t, f, "alice", bobPassword) || authenticate(t, f, "bob", "") || authenticate(t, f, "alice", alicePassword+"x") {
		t.Fatal("a wrong password accepted")
	}
	if authenticate(t, f, "Alice", alicePassword) {
		t.Fatal("names are not case-insensitive: Alice is not alice")
	}
	if *c != (counter{real: 5, dummy: 1}) {
		t.Fatalf("hashes computed: %+v, want 5 real and 1 dummy", *c)
	}
	if got := f.Names(); !slices.Equal(got, []string{"alice", "bob"}) {
		t.Fatalf("Names() = %v", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if ok, err := f.Authenticate(ctx, "alice", alicePassword); ok || !errors.Is(err, context.Canceled) {
		t.Fatalf("with a canceled context: %v, %v", ok, err)
	}
}

// A name with no account is refused only after a hash as costly as an
// account's: the time a refusal takes does not tell which names exist.
func TestUnknownNameCostsAHash(t *testing.T) {
	f, _ := openAccounts(t)
	c := count(f)
	for _, name := range []string{"mallory", "", strings.Repeat("x", 1000)} {
		if authenticate(t, f, name, alicePassword) {
			t.Fatalf("%q accepted", name)
		}
	}
	if *c != (counter{dummy: 3}) {
		t.Fatalf("hashes computed: %+v, want 3 dummies", *c)
	}
	want := (&argon2Hash{params: Params{Memory: 64, Time: 1, Threads: 1}, salt: make([]byte, 16), key: make([]byte, 32)}).shape()
	if got := f.accounts.dummy.shape(); got != want {
		t.Fatalf("the dummy is %s, the accounts %s", got, want)
	}
}

func TestDummyFollowsMostAccounts(t *testing.T) {
	for _, c := range []struct {
		lines []string
		want  string
	}{
		{[]string{"a:" + cheapHash(t, "x"), "b:" + htpasswdBcrypt, "c:" + htpasswdBcrypt}, "bcrypt cost=5"},
		{[]string{"a:" + referenceArgon2, "b:" + htpasswdBcrypt}, "argon2id m=19456,t=2,p=1 salt=16 key=32"},
		{[]string{"# nobody yet"}, "argon2id m=19456,t=2,p=1 salt=16 key=32"},
	} {
		f, err := Open(writeAccounts(t, 0o600, c.lines...))
		if err != nil {
			t.Fatal(err)
		}
		if got := f.accounts.dummy.shape(); got != c.want {
			t.Errorf("dummy %s, want %s", got, c.want)
		}
	}
}

func TestOpenRefusesAFileOthersMayReadOrWrite(t *testing.T) {
	for _, perm := range []os.FileMode{0o644, 0o640, 0o604, 0o620, 0o602, 0o666} {
		path := writeAccounts(t, perm, "alice:"+cheapHash(t, alicePassword))
		_, err := Open(path)
		if err == nil || !strings.Contains(err.Error(), "chmod 600 "+path) {
			t.Errorf("mode %#o: %v", perm, err)
		}
	}
	for _, perm := range []os.FileMode{0o600, 0o400} {
		if _, err := Open(writeAccounts(t, perm, "alice:"+cheapHash(t, alicePassword))); err != nil {
			t.Errorf("mode %#o: %v", perm, err)
		}
	}
	if _, err := Open(t.TempDir()); err == nil {
		t.Error("a directory opened")
	}
	if _, err := Open(t.TempDir() + "/missing"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a missing file: %v", err)
	}
}

func TestOpenRefusesAMalformedFile(t *testing.T) {
	path := writeAccounts(t, 0o600, "alice:"+cheapHash(t, alicePassword), "bob:"+bobPassword)
	_, err := Open(path)
	if err == nil || !strings.Contains(err.Error(), "line 2") || strings.Contains(err.Error(), bobPassword) {
		t.Fatalf("Open: %v", err)
	}
}

// An account added or removed (as ccfs console-user does) takes effect at
// the next Authenticate, without reopening.
func TestReloadOnChange(t *testing.T) {
	f, path := openAccounts(t)
	const carolPassword = "carol's own password"
	if authenticate(t, f, "carol", carolPassword) {
		t.Fatal("carol accepted before she has an account")
	}
	if err := Add(path, "carol", carolPassword); err != nil {
		t.Fatal(err)
	}
	if !authenticate(t, f, "carol", carolPassword) {
		t.Fatal("carol refused after Add")
	}
	if err := Remove(path, "alice"); err != nil {
		t.Fatal(err)
	}
	if authenticate(t, f, "alice", alicePassword) {
		t.Fatal("alice accepted after Remove")
	}
	if got := f.Names(); !slices.Equal(got, []string{"bob", "carol"}) {
		t.Fatalf("Names() = %v", got)
	}
	// An edit in place that changes only the size.
	data, _ := os.ReadFile(path)
	if err := os.WriteFile(path, append(data, "# a comment\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	if !authenticate(t, f, "bob", bobPassword) {
		t.Fatal("bob refused after a comment was added")
	}
}

// A file that no longer parses is reported once; the accounts read
// before it go on signing operators in until it is fixed.
func TestBrokenFileKeepsTheOldAccounts(t *testing.T) {
	f, path := openAccounts(t)
	broken := "alice:" + cheapHash(t, alicePassword) + "\nbob:" + bobPassword + "\n"
	if err := os.WriteFile(path, []byte(broken), 0o600); err != nil {
		t.Fatal(err)
	}
	touch(t, path)
	ok, err := f.Authenticate(context.Background(), "bob", bobPassword)
	if ok || err == nil || !strings.Contains(err.Error(), "line 2") || strings.Contains(err.Error(), bobPassword) {
		t.Fatalf("the first call after the file broke: %v, %v", ok, err)
	}
	if !authenticate(t, f, "bob", bobPassword) || !authenticate(t, f, "alice", alicePassword) {
		t.Fatal("the old accounts were not kept")
	}
	// Its mode loosened: the same.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Authenticate(context.Background(), "bob", bobPassword); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("after chmod 644: %v", err)
	}
	if !authenticate(t, f, "bob", bobPassword) {
		t.Fatal("the old accounts were not kept")
	}
	// Fixed: read again.
	fixed := "alice:" + cheapHash(t, alicePassword) + "\nbob:" + cheapHash(t, "bob's new password") + "\n"
	if err := os.WriteFile(path, []byte(fixed), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if authenticate(t, f, "bob", bobPassword) || !authenticate(t, f, "bob", "bob's new password") {
		t.Fatal("the fixed file was not read")
	}
}

// A file gone is an error at every call: nobody signs in on what was read
// before it went.
func TestRemovedFileIsAnErrorEveryTime(t *testing.T) {
	f, path := openAccounts(t)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if ok, err := f.Authenticate(context.Background(), "alice", alicePassword); ok || !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("%v, %v", ok, err)
		}
	}
}

// touch moves path's modification time on, so that a rewrite of the same
// size within one tick of the clock is seen.
func touch(t *testing.T, path string) {
	t.Helper()
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
}

// Names follows the file as it is now, without a sign-in in between: an
// account removed is gone from it at once; a file that no longer parses
// keeps the names read before; a file gone lists none.
func TestNamesFollowTheFile(t *testing.T) {
	f, path := openAccounts(t)
	if got := f.Names(); !slices.Equal(got, []string{"alice", "bob"}) {
		t.Fatalf("names %v", got)
	}
	if err := os.WriteFile(path, []byte("alice:"+cheapHash(t, alicePassword)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	touch(t, path)
	if got := f.Names(); !slices.Equal(got, []string{"alice"}) {
		t.Fatalf("after bob's line went: %v", got)
	}
	if err := os.WriteFile(path, []byte("alice:not-a-hash\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	touch(t, path)
	if got := f.Names(); !slices.Equal(got, []string{"alice"}) {
		t.Fatalf("a broken file: %v", got)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if got := f.Names(); len(got) != 0 {
		t.Fatalf("a file gone: %v", got)
	}
}
