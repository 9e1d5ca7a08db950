package main

// The credentials file of serve (credentials.go): generated, refused when
// others may read it, reloaded.

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
)

// TestCredentialsReloadOnSIGHUPAndChange: a key added to the file is
// accepted after SIGHUP, and after a plain rewrite (the poll); a broken
// file keeps the keys in use and says where.
func TestCredentialsReloadOnSIGHUPAndChange(t *testing.T) {
	file := filepath.Join(t.TempDir(), "keys.json")
	a := auth.Key{AccessKey: "bot-a", SecretKey: "sk-a", VDNs: []int{1}}
	b := auth.Key{AccessKey: "bot-b", SecretKey: "sk-b", VDNs: []int{1}}
	write := func(content string) {
		if err := os.WriteFile(file+".tmp", []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		os.Rename(file+".tmp", file)
	}
	keys := func(ks ...auth.Key) string {
		var buf bytes.Buffer
		auth.WriteCredentials(&buf, ks...)
		return buf.String()
	}
	write(keys(a))
	n := startAdminNode(t, nil, "--data", t.TempDir(), "--credentials", file, "--credentials-poll", "50ms")
	ctx := context.Background()
	sent := 0
	upload := func(k auth.Key) error {
		sent++ // every body differs: no request is a replay of another
		_, err := n.client(k.AccessKey, k.SecretKey).Upload(ctx, 1, alaw(2000+sent))
		return err
	}
	eventually := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); !ok(); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 5 s; log:\n%s", what, n.stderr)
			}
		}
	}
	if err := upload(b); !errors.Is(err, ccfs.ErrAuth) {
		t.Fatalf("bot-b before it is added: %v", err)
	}
	write(keys(a, b)) // seen by the poll
	eventually("bot-b accepted after the file changed", func() bool { return upload(b) == nil })
	write("{\"keys\": [\n  {\"ak\": \"bot-a\"}\n]}") // no secret
	n.waitLog(t, "credentials not reloaded")
	if !strings.Contains(n.stderr.String(), "line 2") {
		t.Errorf("the log does not name the line: %s", n.stderr)
	}
	if err := upload(b); err != nil {
		t.Fatalf("a broken file dropped the keys in use: %v", err)
	}
	// With the poll off, SIGHUP reloads.
	file2 := writeFile(t, "k.json", []byte(keys(a)))
	n2 := startAdminNode(t, nil, "--data", t.TempDir(), "--credentials", file2, "--credentials-poll", "0")
	os.WriteFile(file2, []byte(keys(a, b)), 0o600)
	n = n2
	if err := upload(b); !errors.Is(err, ccfs.ErrAuth) {
		t.Fatalf("bot-b before SIGHUP: %v", err)
	}
	n2.cmd.Process.Signal(syscall.SIGHUP)
	eventually("bot-b accepted after SIGHUP", func() bool { return upload(b) == nil })
}

// A credentials file every local user may read is refused, unless the
// operator says so; one its group may read is used, with a warning.
func TestServeRefusesReadableCredentials(t *testing.T) {
	open := writeKeys(t, 0o644, botKey)
	code, _, errs := runCmd(t, "serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--credentials", open)
	if code == 0 || !strings.Contains(errs, "open to every user (mode 0644)") || strings.Contains(errs, "sk-secret") {
		t.Fatalf("world-readable credentials: %d %s", code, errs)
	}
	// With the override it serves, warning.
	startNode(t, nil, "--data", t.TempDir(), "--credentials", open, "--allow-readable-credentials").waitLog(t, "open to every user")
	for perm, want := range map[os.FileMode]string{0o640: "may be read by its group", 0o600: ""} {
		var logs bytes.Buffer
		if err := checkSecretFile(writeKeys(t, perm, botKey), false, slog.New(slog.NewTextHandler(&logs, nil))); err != nil {
			t.Fatalf("%04o: %v", perm, err)
		}
		if want == "" && logs.Len() != 0 || want != "" && !strings.Contains(logs.String(), want) {
			t.Fatalf("%04o: logged %q, want %q", perm, logs.String(), want)
		}
	}
}
