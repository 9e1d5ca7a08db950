package auth_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs/auth"
)

func writeKeys(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil { // as an editor or a config tool replaces it
		t.Fatal(err)
	}
}

func TestFileCredentialsReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.json")
	writeKeys(t, path, `{"keys":[{"ak":"a","sk":"sk-a1","vdns":[1]}]}`)
	f, err := auth.NewFileCredentials(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if k, err := f.Lookup(ctx, "a"); err != nil || k.SecretKey != "sk-a1" {
		t.Fatalf("Lookup: %v", err)
	}
	if changed, err := f.Reload(); changed || err != nil {
		t.Fatalf("Reload of the same file: %v %v", changed, err)
	}
	writeKeys(t, path, `{"keys":[{"ak":"a","sk":"sk-a2","vdns":[1]},{"ak":"b","sk":"sk-b","vdns":[2]}]}`)
	if changed, err := f.Reload(); !changed || err != nil || f.Len() != 2 {
		t.Fatalf("Reload of new keys: %v %v, %d keys", changed, err, f.Len())
	}
	// A broken file keeps the keys in use, and says where it broke.
	writeKeys(t, path, "{\"keys\":[\n{\"ak\":\"a\",\"sk\":\"sk-a3\"},\n{\"ak\":\"a\",\"sk\":\"sk-SECRET\"}]}")
	_, err = f.Reload()
	if err == nil || !strings.Contains(err.Error(), "line 3") || strings.Contains(err.Error(), "SECRET") {
		t.Fatalf("Reload of a broken file: %v", err)
	}
	if k, _ := f.Lookup(ctx, "a"); k.SecretKey != "sk-a2" {
		t.Fatal("a broken file replaced the keys")
	}
	if !strings.HasPrefix(err.Error(), "credentials file "+path+": line 3: keys[1] (key #2): ") || !strings.HasSuffix(err.Error(), " (what was loaded before stays in use)") {
		t.Fatalf("Reload of a broken file: %v", err)
	}
	// A first load: one prefix, and nothing said of what was loaded before.
	_, err = auth.NewFileCredentials(path)
	if want := "credentials file " + path + `: line 3: keys[1] (key #2): access key "a" appears twice`; err == nil || err.Error() != want {
		t.Fatalf("NewFileCredentials of a broken file: %v, want %s", err, want)
	}
	_, err = auth.NewFileCredentials(path + ".missing")
	if want := "credentials file " + path + ".missing: no such file or directory"; err == nil || err.Error() != want || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("NewFileCredentials of a missing file: %v, want %s", err, want)
	}
}

func TestFileCredentialsWatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.json")
	writeKeys(t, path, `{"keys":[{"ak":"a","sk":"sk-1","vdns":[1]}]}`)
	f, err := auth.NewFileCredentials(path)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var reports []error
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go f.Watch(ctx, 5*time.Millisecond, func(err error) {
		mu.Lock()
		defer mu.Unlock()
		reports = append(reports, err)
	})
	wait := func(n int) []error {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			mu.Lock()
			got := append([]error(nil), reports...)
			mu.Unlock()
			if len(got) >= n {
				return got
			}
		}
		t.Fatalf("fewer than %d reports", n)
		return nil
	}
	writeKeys(t, path, `{"keys":[{"ak":"a","sk":"sk-2","vdns":[1]}]}`)
	if r := wait(1); r[0] != nil {
		t.Fatalf("report: %v", r[0])
	}
	if k, _ := f.Lookup(context.Background(), "a"); k.SecretKey != "sk-2" {
		t.Fatal("Watch did not load the new key")
	}
	writeKeys(t, path, `{"keys":[`)
	if r := wait(2); r[1] == nil {
		t.Fatal("a broken file was not reported")
	}
	time.Sleep(50 * time.Millisecond) // ten polls of the same broken file
	writeKeys(t, path, `{"keys":[{"ak":"a","sk":"sk-3","vdns":[1]}]}`)
	if r := wait(3); len(r) != 3 || r[2] != nil {
		t.Fatalf("reports %v: want one for the broken file, then nil", r)
	}
}
