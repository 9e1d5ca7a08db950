package main

// The helpers of the command's tests, in one place: running a command
// in-process, reading what serve prints (parseBanner), a built serve
// process (startNode) and nodes sharing a bucket and Redis
// (startCluster), and the files the tests write and send.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/auth/redisreplay/redistest"
	"github.com/ccfs-go/ccfs/health"
	"github.com/ccfs-go/ccfs/internal/wavfile"
	"github.com/ccfs-go/ccfs/metrics/prom/promtest"
	"github.com/ccfs-go/ccfs/store/s3store/s3test"
	dto "github.com/prometheus/client_model/go"
)

// In-process: a command run by run, serve and what it prints.

// runCmd runs one ccfs command in-process.
func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errs bytes.Buffer
	code := run(context.Background(), args, &out, &errs)
	return code, out.String(), errs.String()
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// banner is what "ccfs serve" prints on its standard output before it
// serves: where it serves, its admin listener (with --admin-addr) and the
// development key it generated on a first run; "" for what it did not
// print.
type banner struct {
	base, admin, ak, sk string
	printed             string // the lines read, for a failure's message
}

// bannerLines are the lines of the banner and the field each fills.
var bannerLines = []struct {
	re    *regexp.Regexp
	field func(*banner) *string
}{
	{regexp.MustCompile(`serving (https?://127\.0\.0\.1:\d+)/`), func(b *banner) *string { return &b.base }},
	{regexp.MustCompile(`admin on (http://127\.0\.0\.1:\d+)`), func(b *banner) *string { return &b.admin }},
	{regexp.MustCompile(`access key\s+(\S+)`), func(b *banner) *string { return &b.ak }},
	{regexp.MustCompile(`secret key\s+(\S+)`), func(b *banner) *string { return &b.sk }},
}

// scan reads one line of serve's output into b.
func (b *banner) scan(line string) {
	b.printed += line + "\n"
	for _, l := range bannerLines {
		if m := l.re.FindStringSubmatch(line); m != nil {
			*l.field(b) = m[1]
		}
	}
}

// parseBanner reads what serve printed.
func parseBanner(printed string) banner {
	var b banner
	for line := range strings.Lines(printed) {
		b.scan(strings.TrimSuffix(line, "\n"))
	}
	return b
}

// devKey returns the development key serve generated, and fails the test
// if it printed none.
func (b banner) devKey(t *testing.T) (ak, sk string) {
	t.Helper()
	if b.ak == "" || b.sk == "" {
		t.Fatalf("no dev key printed: %s", b.printed)
	}
	return b.ak, b.sk
}

// startServe runs "ccfs serve" in-process on a free loopback port and
// returns what it printed before it served.
func startServe(t *testing.T, args ...string) banner {
	ctx, cancel := context.WithCancel(context.Background())
	out, errs := &syncBuffer{}, &syncBuffer{}
	done := make(chan int)
	go func() { done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), out, errs) }()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve exited %d: %s", code, errs)
		}
	})
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if b := parseBanner(out.String()); b.base != "" {
			return b
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited %d: %s", code, errs)
		default:
		}
	}
	t.Fatalf("serve did not start: %s %s", out, errs)
	return banner{}
}

// devServer starts serve and returns its URL, data directory and dev key.
func devServer(t *testing.T) (base, data, ak, sk string) {
	data = t.TempDir()
	b := startServe(t, "--data", data)
	ak, sk = b.devKey(t)
	return b.base, data, ak, sk
}

// A built process: "ccfs serve" as an operator runs it.

// The command, built once for the tests that run it as a process.
var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// TestMain removes the built command when the tests end.
func TestMain(m *testing.M) {
	code := m.Run()
	if builtBin != "" {
		os.RemoveAll(filepath.Dir(builtBin))
	}
	os.Exit(code)
}

// buildCommand builds this command once per test binary and returns its
// path.
func buildCommand(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "ccfs-bin-")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "ccfs")
		if out, err := exec.Command("go", "build", "-o", builtBin, ".").CombinedOutput(); err != nil {
			buildErr = errors.New("go build: " + err.Error() + "\n" + string(out))
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

// node is a built "ccfs serve" process.
type node struct {
	banner       // base, admin "" without --admin-addr, the generated dev key if any
	cmd          *exec.Cmd
	stderr       *syncBuffer
	exited       chan struct{}
	insecureHTTP *http.Client
}

// startNode runs the built command's serve on a free port with args and
// env, and returns once it serves. The process is killed when the test
// ends.
func startNode(t *testing.T, env []string, args ...string) *node {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the command")
	}
	args = append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)
	n := &node{cmd: exec.Command(buildCommand(t), args...), stderr: &syncBuffer{}, exited: make(chan struct{}),
		insecureHTTP: insecureClient()}
	n.cmd.Env = append(os.Environ(), env...)
	stdout, _ := n.cmd.StdoutPipe()
	n.cmd.Stderr = n.stderr
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { n.cmd.Wait(); close(n.exited) }()
	t.Cleanup(func() { n.cmd.Process.Kill(); <-n.exited })
	sc := bufio.NewScanner(stdout)
	for n.base == "" && sc.Scan() {
		n.scan(sc.Text())
	}
	go io.Copy(io.Discard, stdout)
	if n.base == "" {
		t.Fatalf("serve %v did not start: %s", args, n.stderr)
	}
	return n
}

// waitLog waits up to 10 s for the node's log to hold text, and fails
// the test if it does not. The log comes on a pipe of its own: a line
// logged before the node served may arrive after startNode returned.
func (n *node) waitLog(t *testing.T, text string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(n.stderr.String(), text); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the log has no %q within 10 s:\n%s", text, n.stderr)
		}
	}
}

// startAdminNode is startNode with an admin listener and no rate limit.
func startAdminNode(t *testing.T, env []string, args ...string) *node {
	t.Helper()
	n := startNode(t, env, append([]string{"--admin-addr", "127.0.0.1:0", "--rate", "0"}, args...)...)
	if n.admin == "" {
		t.Fatalf("serve did not start its admin listener: %s", n.stderr)
	}
	return n
}

// client returns a client for the node. Like every Client on the system
// clock, it never signs two requests alike, however quickly it sends them.
func (n *node) client(ak, sk string) *ccfs.Client {
	return &ccfs.Client{BaseURL: n.base, AccessKey: ak, SecretKey: sk, HTTPClient: n.insecureHTTP}
}

// insecureClient is an HTTP client that trusts any certificate: a dev
// server's own, self-signed.
func insecureClient() *http.Client {
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
}

// get fetches an admin path.
func (n *node) get(t *testing.T, path string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(n.admin + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// readyz fetches the admin /readyz and its report.
func (n *node) readyz(t *testing.T) (int, health.Report) {
	t.Helper()
	code, b := n.get(t, "/readyz")
	var rep health.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatalf("/readyz: %q: %v", b, err)
	}
	return code, rep
}

// metrics scrapes the node's admin /metrics and parses it with the
// Prometheus text parser; promtest.Value reads a series of it.
func (n *node) metrics(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	code, body := n.get(t, "/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	return promtest.Parse(t, bytes.NewReader(body))
}

// Nodes sharing a bucket and Redis.

// cluster is built "ccfs serve" nodes on one versitygw bucket (under
// ccfs/) and one redis-server, as behind a balancer, with one key for VDN
// 53 in a credentials file they share.
type cluster struct {
	gw    *s3test.Gateway
	rd    *redistest.Server
	key   auth.Key
	creds string   // the credentials file
	env   []string // the gateway's keys, for serve and usage
	where []string // --store, --s3-endpoint and --redis
}

// startCluster starts the bucket and Redis; node starts each node.
func startCluster(t *testing.T) *cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the command and starts servers")
	}
	c := &cluster{gw: s3test.Start(t), rd: redistest.Start(t),
		key: auth.Key{AccessKey: "chatbot-a", SecretKey: "cluster-test-secret", VDNs: []int{53}}}
	c.creds = writeKeys(t, 0o600, c.key)
	c.env = gatewayEnv(c.gw)
	c.where = []string{"--store", "s3://" + c.gw.Bucket + "/ccfs/", "--s3-endpoint", c.gw.Endpoint, "--redis", "redis://" + c.rd.Addr}
	return c
}

// node starts one more node with a data directory of its own and args.
func (c *cluster) node(t *testing.T, args ...string) *node {
	t.Helper()
	return startNode(t, c.env, append(append([]string{"--data", t.TempDir(), "--credentials", c.creds}, args...), c.where...)...)
}

// gatewayEnv is the environment that gives `ccfs serve` the gateway's keys.
func gatewayEnv(gw *s3test.Gateway) []string {
	return []string{"AWS_ACCESS_KEY_ID=" + gw.AccessKey, "AWS_SECRET_ACCESS_KEY=" + gw.SecretKey}
}

// Files: written, read, and the WAV files the tests send.

// writeFile writes data to name in a temporary directory and returns its
// path.
func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// readFile returns name's content, failing the test if it cannot be
// read.
func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// writeKeys writes a credentials file of keys, of mode perm, and returns
// its name.
func writeKeys(t *testing.T, perm os.FileMode, keys ...auth.Key) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "keys.json")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := auth.WriteCredentials(f, keys...); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, perm); err != nil {
		t.Fatal(err)
	}
	return path
}

// tts16k returns what a TTS engine might write: 16-bit stereo at 16 kHz,
// one second of a 440 Hz tone.
func tts16k() []byte {
	var pcm []byte
	for i := range 16000 {
		v := int16(12000 * math.Sin(2*math.Pi*440*float64(i)/16000))
		pcm = binary.LittleEndian.AppendUint16(pcm, uint16(v))
		pcm = binary.LittleEndian.AppendUint16(pcm, uint16(v))
	}
	f := wavfile.Fmt{Tag: wavfile.TagPCM, Channels: 2, Rate: 16000, Bits: 16}
	return wavfile.Build(f.Chunk(), wavfile.Chunk{ID: "data", Data: pcm})
}

// tts returns 16-bit PCM at rate with channels (each the same), of a
// 440 Hz tone lasting seconds: a TTS engine's or an editor's file, for
// the converter.
func tts(rate, channels int, seconds float64) []byte {
	var pcm []byte
	for i := range int(seconds * float64(rate)) {
		v := int16(12000 * math.Sin(2*math.Pi*440*float64(i)/float64(rate)))
		for range channels {
			pcm = binary.LittleEndian.AppendUint16(pcm, uint16(v))
		}
	}
	f := wavfile.Fmt{Tag: wavfile.TagPCM, Channels: channels, Rate: rate, Bits: 16}
	return wavfile.Build(f.Chunk(), wavfile.Chunk{ID: "data", Data: pcm})
}

// alaw returns an A-law prompt, 8000 Hz mono, of n samples (n bytes of
// audio, at least 1) of a 1 kHz tone.
func alaw(n int) []byte { return wavfile.File(wavfile.ALaw8k, max(1, n)) }

// helpFlags returns the flags a command's --help lists.
func helpFlags(t *testing.T, command string) map[string]bool {
	t.Helper()
	code, out, errs := runCmd(t, command, "--help")
	if code != 0 {
		t.Fatalf("%s --help: %d", command, code)
	}
	set := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^  -([a-z0-9-]+)`).FindAllStringSubmatch(out+errs, -1) {
		set[m[1]] = true
	}
	return set
}
