package quota

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestParseLimitsLines: one item a line, # comments, blank lines and
// spaces around = are read as in a quota file; a file of comments only
// limits nothing and is refused as such.
func TestParseLimitsLines(t *testing.T) {
	l, err := ParseLimits("# tenants\n*=2GiB\n\n53 = 20GiB/100000   # the bank\n54=none,55=1MiB\n")
	if err != nil {
		t.Fatal(err)
	}
	if got := l.String(); got != "*=2GiB,53=20GiB/100000,54=none,55=1MiB" {
		t.Fatalf("parsed %q", got)
	}
	if got := l.Named(); !slices.Equal(got, []int{53, 54, 55}) {
		t.Fatalf("Named: %v", got)
	}
	if _, err := ParseLimits("# nothing\n\n"); err == nil || !strings.Contains(err.Error(), "no VDN=VALUE") {
		t.Fatalf("a file of comments: %v", err)
	}
	var none *Limits
	if none.For(53) != (Limit{}) || none.Named() != nil {
		t.Fatal("nil Limits limit something")
	}
}

// TestFileReload: a reload puts new limits in use; one that does not
// parse, or a file gone, keeps the old ones and says why; Watch sees a
// change and reports it once.
func TestFileReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "quota")
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("*=1GiB\n53=10MiB/3\n")
	f, err := NewFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if f.For(53) != (Limit{Bytes: 10 << 20, Files: 3}) || f.For(7) != (Limit{Bytes: 1 << 30}) || !slices.Equal(f.Named(), []int{53}) {
		t.Fatalf("loaded %s", f)
	}
	if changed, err := f.Reload(); changed || err != nil {
		t.Fatalf("reload of the same file: %v, %v", changed, err)
	}
	write("*=1GiB\n53=lots\n")
	want := "quota file " + path + `: line 2: "53=lots": "lots" is not a size such as 2GiB, 500MiB or 1048576, or none (what was loaded before stays in use)`
	if changed, err := f.Reload(); changed || err == nil || err.Error() != want {
		t.Fatalf("a file that does not parse: %v, %v\nwant %s", changed, err, want)
	}
	if f.For(53) != (Limit{Bytes: 10 << 20, Files: 3}) {
		t.Fatalf("the old limits did not stay: %s", f)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	reports := make(chan error, 10)
	go f.Watch(ctx, 10*time.Millisecond, func(err error) { reports <- err })
	next := func() error {
		t.Helper()
		select {
		case err := <-reports:
			return err
		case <-time.After(10 * time.Second):
			t.Fatal("Watch reported nothing")
			return nil
		}
	}
	// The bad file is what Watch sees first: it says so, once.
	if err := next(); err == nil {
		t.Fatal("Watch: the file that does not parse was not reported")
	}
	write("54=5MiB\n")
	if err := next(); err != nil {
		t.Fatalf("Watch: %v", err)
	}
	if f.For(53) != (Limit{}) || f.For(54) != (Limit{Bytes: 5 << 20}) {
		t.Fatalf("after the change: %s", f)
	}
	os.Remove(path)
	if err := next(); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Watch of a removed file: %v", err)
	}
	if f.For(54) != (Limit{Bytes: 5 << 20}) {
		t.Fatalf("a removed file changed the limits: %s", f)
	}
	select {
	case err := <-reports:
		t.Fatalf("Watch reported again without a change: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
}
