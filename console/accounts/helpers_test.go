package accounts

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cheapHash is an argon2id hash at the lowest costs, for tests that are
// not about the costs.
func cheapHash(t testing.TB, password string) string {
	t.Helper()
	h := &argon2Hash{params: Params{Memory: 64, Time: 1, Threads: 1}, salt: []byte("0123456789abcdef")}
	h.key = h.derive(password, keyLen)
	return h.String()
}

// writeAccounts writes lines as an accounts file of mode perm in a new
// directory and returns its path.
func writeAccounts(t testing.TB, perm os.FileMode, lines ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "console-users")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, perm); err != nil { // whatever the umask
		t.Fatal(err)
	}
	return path
}

// counter counts the hashes a File computes, real and dummy.
type counter struct{ real, dummy int }

func (c *counter) hook(dummy bool) {
	if dummy {
		c.dummy++
	} else {
		c.real++
	}
}

// count makes f count its hashes in a new counter.
func count(f *File) *counter {
	c := &counter{}
	f.verified = c.hook
	return c
}
