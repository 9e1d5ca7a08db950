package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestConsumer plays a user outside the repository, with nothing but a
// module proxy: this tree's modules as a release of it would hold them
// (synced with the siblings' hashes, at the version they require of each
// other), in a file:// proxy (third-party modules from the usual one), an
// empty module cache, no workspace, no access to the working tree.
//   - go install of the command at that version works, and the installed
//     ccfs serves an upload made with its own upload command;
//   - a program that imports ccfs, store/s3store, auth/redisreplay,
//     quota/redisquota, events/redisevents, idempotency/redisidempotency,
//     metrics/prom, convert/mp3 and console/accounts
//     builds, and go mod verify accepts its go.sum;
//   - every module of the release is tidy (go mod tidy -diff) against
//     that proxy, and the tree is what check wants.
func TestConsumer(t *testing.T) {
	repo := repoRoot(t)
	version, err := requiredVersion(repo)
	if err != nil {
		t.Fatalf("the modules cannot be consumed at a version: %v", err)
	}
	root, cleanup, err := syncedCopy(repo, version, true, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	proxy, cache, work := t.TempDir(), t.TempDir(), t.TempDir()
	for _, m := range modules {
		if err := addToProxy(proxy, root, m, version); err != nil {
			t.Fatal(err)
		}
	}
	// A user's empty module cache, filled from the siblings' proxy and
	// upstream (this machine's module cache first). -trimpath keeps the
	// build's cache entries independent of the module cache's directory,
	// so a second run does not compile the command's dependencies again.
	env := append(proxyEnv(proxy), "GOMODCACHE="+cache, "GOFLAGS=-mod=mod -modcacherw -trimpath", "GOBIN="+filepath.Join(work, "bin"))
	gocmd := func(t *testing.T, dir string, args ...string) {
		t.Helper()
		if err := goCmd(dir, env, &testWriter{t}, args...); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("tidy", func(t *testing.T) {
		if err := check(repo, io.Discard); err != nil {
			t.Error(err)
		}
		for _, m := range modules {
			if err := goCmd(filepath.Join(root, m.dir), env, &testWriter{t}, "mod", "tidy", "-diff"); err != nil {
				t.Errorf("%s is not tidy: %v\n(run: go run ./tools/release sync %s)", m.dir, err, version)
			}
		}
	})

	t.Run("install", func(t *testing.T) {
		gocmd(t, work, "install", "github.com/ccfs-go/ccfs/cmd/ccfs@"+version)
		bin := filepath.Join(work, "bin", "ccfs")
		data := filepath.Join(work, "data")
		addr := freeAddr(t)
		serve := exec.Command(bin, "serve", "--plain-http", "--addr", addr, "--data", data, "--rate", "0")
		out, err := serve.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		serve.Stderr = &stderr
		if err := serve.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { serve.Process.Signal(os.Interrupt); serve.Wait() }()
		ak, sk := devKey(t, bufio.NewScanner(out), &stderr)
		wav := filepath.Join(work, "prompt.wav")
		if err := os.WriteFile(wav, alawWAV(8000), 0o644); err != nil {
			t.Fatal(err)
		}
		up := exec.Command(bin, "upload", "--url", "http://"+addr, "--ak", ak, "--sk", sk, "--vdn", "1", wav)
		got, err := up.CombinedOutput()
		if err != nil || !strings.Contains(string(got), "3rdfile/1/thirdvoicebotfile/") {
			t.Fatalf("the installed ccfs did not store an upload: %v\n%s\nserver: %s", err, got, stderr.String())
		}
	})

	t.Run("import", func(t *testing.T) {
		dir := filepath.Join(work, "consumer")
		os.MkdirAll(dir, 0o755)
		write(t, filepath.Join(dir, "go.mod"), "module example.com/consumer\n\ngo 1.26\n")
		write(t, filepath.Join(dir, "main.go"), `package main

import (
	"fmt"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth/redisreplay"
	"github.com/ccfs-go/ccfs/console/accounts"
	"github.com/ccfs-go/ccfs/convert"
	"github.com/ccfs-go/ccfs/convert/mp3"
	"github.com/ccfs-go/ccfs/events/redisevents"
	"github.com/ccfs-go/ccfs/idempotency/redisidempotency"
	"github.com/ccfs-go/ccfs/metrics/prom"
	"github.com/ccfs-go/ccfs/quota/redisquota"
	"github.com/ccfs-go/ccfs/store/s3store"
)

func main() {
	fmt.Println(ccfs.UploadPath, redisreplay.DefaultPrefix, redisquota.DefaultPrefix, redisevents.DefaultPrefix, redisidempotency.DefaultPrefix, s3store.Options{}.Bucket, prom.DefaultBuckets[0], mp3.Decoder.Name, convert.Decoders(), accounts.DefaultParams.Memory)
}
`)
		gocmd(t, dir, "get", "github.com/ccfs-go/ccfs@"+version, "github.com/ccfs-go/ccfs/store/s3store@"+version,
			"github.com/ccfs-go/ccfs/auth/redisreplay@"+version, "github.com/ccfs-go/ccfs/quota/redisquota@"+version,
			"github.com/ccfs-go/ccfs/events/redisevents@"+version, "github.com/ccfs-go/ccfs/idempotency/redisidempotency@"+version,
			"github.com/ccfs-go/ccfs/metrics/prom@"+version, "github.com/ccfs-go/ccfs/convert/mp3@"+version,
			"github.com/ccfs-go/ccfs/console/accounts@"+version)
		gocmd(t, dir, "build", "./...")
		gocmd(t, dir, "mod", "verify")
	})
}

// devKey reads the development key "ccfs serve" prints on its first run,
// and waits until it says it is serving.
func devKey(t *testing.T, out *bufio.Scanner, stderr *bytes.Buffer) (ak, sk string) {
	t.Helper()
	akRe, skRe := regexp.MustCompile(`access key\s+(\S+)`), regexp.MustCompile(`secret key\s+(\S+)`)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for out.Scan() {
			line := out.Text()
			if m := akRe.FindStringSubmatch(line); m != nil {
				ak = m[1]
			}
			if m := skRe.FindStringSubmatch(line); m != nil {
				sk = m[1]
			}
			if strings.Contains(line, "serving") {
				return
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("ccfs serve did not start: %s", stderr.String())
	}
	if ak == "" || sk == "" {
		t.Fatalf("ccfs serve printed no development key: %s", stderr.String())
	}
	return ak, sk
}

// alawWAV returns a minimal A-law WAV file, 8000 Hz mono, of n samples.
func alawWAV(n int) []byte {
	var b bytes.Buffer
	le := binary.LittleEndian
	b.WriteString("RIFF")
	binary.Write(&b, le, uint32(36+n))
	b.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(6), uint16(1), uint32(8000), uint32(8000), uint16(1), uint16(8)} {
		binary.Write(&b, le, v) // fmt: A-law, mono, 8000 Hz, 8000 B/s, align 1, 8 bits
	}
	b.WriteString("data")
	binary.Write(&b, le, uint32(n))
	b.Write(bytes.Repeat([]byte{0xd5}, n)) // A-law silence
	return b.Bytes()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func write(t *testing.T, file, text string) {
	t.Helper()
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// testWriter sends a go command's output to the test log.
type testWriter struct{ t *testing.T }

func (w *testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
