// Package s3test starts a real S3-compatible server for tests: versitygw
// (github.com/versity/versitygw) with its posix backend on a temporary
// directory, listening on 127.0.0.1 only.
//
// The binary is found as $VERSITYGW, on $PATH, or in $(go env GOPATH)/bin.
// When it is absent the test is skipped with the command that installs it;
// the project's .ci/run installs it, so in CI these tests always run.
package s3test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ccfs-go/ccfs/store/s3store"
)

// Install is the command that installs the gateway these tests use.
const Install = "go install github.com/versity/versitygw/cmd/versitygw@v1.8.0"

// Gateway is a running versitygw with one bucket.
type Gateway struct {
	// Endpoint is the base URL, "http://127.0.0.1:PORT".
	Endpoint string
	// AccessKey and SecretKey are the gateway's root credentials.
	AccessKey, SecretKey string
	// Bucket exists and is empty when Start returns.
	Bucket string

	cmd    *exec.Cmd
	exited chan struct{}
}

// Binary returns the path of the versitygw binary, or an error saying how
// to install it.
func Binary() (string, error) {
	if p := os.Getenv("VERSITYGW"); p != "" {
		return p, nil
	}
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, nil
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		for _, dir := range filepath.SplitList(strings.TrimSpace(string(out))) {
			p := filepath.Join(dir, "bin", "versitygw")
			if _, err := os.Stat(p); err == nil {
				return p, nil
			}
		}
	}
	return "", errors.New("versitygw is not installed (" + Install + "); .ci/run installs it")
}

// Start runs a gateway for the rest of the test and creates a bucket.
// It skips the test only when the binary is absent.
func Start(t testing.TB) *Gateway {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		t.Skip(err)
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	g := &Gateway{
		Endpoint:  "http://127.0.0.1:" + strconv.Itoa(port),
		AccessKey: "ccfs-test-" + strings.ToLower(rand.Text()[:8]),
		SecretKey: rand.Text(),
		Bucket:    "ccfs-" + strings.ToLower(rand.Text()[:12]),
	}
	g.cmd = exec.Command(bin, "--port", "127.0.0.1:"+strconv.Itoa(port), "posix", t.TempDir())
	// The root credentials go through the environment, not the command line.
	g.cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY="+g.AccessKey, "ROOT_SECRET_KEY="+g.SecretKey)
	log := &tail{}
	g.cmd.Stdout, g.cmd.Stderr = log, log
	if err := g.cmd.Start(); err != nil {
		t.Fatalf("starting versitygw: %v", err)
	}
	exited := make(chan struct{})
	g.exited = exited
	go func() { g.cmd.Wait(); close(exited) }()
	t.Cleanup(g.Stop)

	client := g.Client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		_, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(g.Bucket)})
		if err == nil {
			return g
		}
		select {
		case <-exited:
			t.Fatalf("versitygw exited: %s", log)
		case <-ctx.Done():
			t.Fatalf("versitygw did not come up on %s: %v\n%s", g.Endpoint, err, log)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Stop kills the gateway; tests call it to simulate an outage. Calling it
// again does nothing.
func (g *Gateway) Stop() {
	g.cmd.Process.Kill()
	<-g.exited
}

// Client returns an S3 client for the gateway, set up as s3store.NewClient
// sets one up.
func (g *Gateway) Client(t testing.TB) *s3.Client {
	t.Helper()
	c, err := s3store.NewClient(s3store.ClientConfig{Endpoint: g.Endpoint, AccessKey: g.AccessKey, SecretKey: g.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Store returns an s3store.Store on the gateway's bucket.
func (g *Gateway) Store(t testing.TB, opts s3store.Options) *s3store.Store {
	t.Helper()
	if opts.Bucket == "" {
		opts.Bucket = g.Bucket
	}
	s, err := s3store.New(g.Client(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tail keeps the last few KB the gateway printed, for failure messages.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

func (w *tail) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	if over := len(w.buf) - 8<<10; over > 0 {
		w.buf = w.buf[over:]
	}
	return len(p), nil
}

func (w *tail) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return fmt.Sprintf("versitygw output:\n%s", w.buf)
}
