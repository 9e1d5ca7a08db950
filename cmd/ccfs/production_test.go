package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/auth/redisreplay/redistest"
	"github.com/ccfs-go/ccfs/metrics/prom/promtest"
	"github.com/ccfs-go/ccfs/store/s3store/s3test"
)

// TestAdminMetrics: after a mix of requests, the metrics of a built
// ccfs serve, scraped from its admin listener and parsed with the
// Prometheus text parser, add up to what was sent; health answers there,
// and nothing of it on the public port.
func TestAdminMetrics(t *testing.T) {
	data := t.TempDir()
	n := startAdminNode(t, nil, "--data", data)
	c := n.client(n.ak, n.sk)
	ctx := context.Background()
	var stored float64
	var firstName string
	for i := range 5 {
		wav := alaw(4000 + i)
		rd, err := c.Upload(ctx, 1, wav)
		if err != nil {
			t.Fatal(err)
		}
		stored += float64(len(wav))
		if i == 0 {
			firstName = rd.FileName
		}
	}
	for range 3 {
		if _, err := c.Upload(ctx, 1, tts16k()); !errors.Is(err, ccfs.ErrFormat) {
			t.Fatalf("a TTS file: %v", err)
		}
	}
	for range 2 {
		if _, err := n.client(n.ak, "wrong").Upload(ctx, 1, alaw(4000)); !errors.Is(err, ccfs.ErrAuth) {
			t.Fatalf("a wrong secret: %v", err)
		}
	}
	var back bytes.Buffer
	if _, err := c.Download(ctx, firstName, &back); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, firstName, ""); err != nil {
		t.Fatal(err)
	}

	// A download's Event follows its last byte, which the client may
	// have read already: wait for it.
	families := n.metrics(t)
	for deadline := time.Now().Add(5 * time.Second); promtest.Value(families, "ccfs_requests_total", "code=0", "interface=download") != 1 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
		families = n.metrics(t)
	}
	for _, c := range []struct {
		family string
		labels []string
		want   float64
	}{
		{"ccfs_requests_total", []string{"code=0", "interface=upload"}, 5},
		{"ccfs_requests_total", []string{"code=0300004", "interface=upload"}, 3},
		{"ccfs_requests_total", []string{"code=0300010", "interface=upload"}, 2},
		{"ccfs_requests_total", []string{"code=0", "interface=download"}, 1},
		{"ccfs_requests_total", []string{"code=0", "interface=delete"}, 1},
		{"ccfs_request_duration_seconds", []string{"interface=upload"}, 10},
		{"ccfs_stored_bytes_total", nil, stored},
		{"ccfs_sent_bytes_total", nil, float64(back.Len())},
		{"ccfs_inflight_requests", nil, 0},
		{"ccfs_replay_entries", nil, 10}, // every signature that held: 5 stored, 3 refused for their audio, the download, the delete
	} {
		if got := promtest.Value(families, c.family, c.labels...); got != c.want {
			t.Errorf("%s{%s} = %v, want %v", c.family, strings.Join(c.labels, ","), got, c.want)
		}
	}
	if families["go_goroutines"] == nil || families["process_cpu_seconds_total"] == nil {
		t.Error("no Go runtime or process metrics")
	}
	if code, _ := n.get(t, "/healthz"); code != 200 {
		t.Errorf("/healthz: %d", code)
	}
	if code, rep := n.readyz(t); code != 200 || rep.Checks["store"] != "ok" {
		t.Errorf("/readyz: %d %+v", code, rep)
	}
	if code, _ := n.get(t, "/debug/pprof/"); code != 404 {
		t.Errorf("/debug/pprof/ without --pprof: %d", code)
	}
	for _, path := range []string{"/metrics", "/healthz", "/readyz", "/debug/pprof/"} {
		resp, err := n.insecureHTTP.Get(n.base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Errorf("public port %s: %d", path, resp.StatusCode)
		}
	}
}

// TestAdminPprof: --pprof serves the profiles on the admin listener.
func TestAdminPprof(t *testing.T) {
	n := startAdminNode(t, nil, "--data", t.TempDir(), "--pprof")
	if code, body := n.get(t, "/debug/pprof/"); code != 200 || !bytes.Contains(body, []byte("goroutine")) {
		t.Fatalf("/debug/pprof/: %d", code)
	}
}

// TestReadyzDrainsOnSIGTERM: on SIGTERM /readyz turns 503 ("draining")
// while the public listener still takes connections, for --drain-delay;
// then the process ends.
func TestReadyzDrainsOnSIGTERM(t *testing.T) {
	n := startAdminNode(t, nil, "--data", t.TempDir(), "--drain-delay", "3s")
	if code, _ := n.readyz(t); code != 200 {
		t.Fatalf("/readyz before: %d", code)
	}
	n.cmd.Process.Signal(syscall.SIGTERM)
	deadline := time.Now().Add(2 * time.Second)
	for {
		code, rep := n.readyz(t)
		if code == 503 && rep.Status == "draining" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz after SIGTERM: %d %+v", code, rep)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Still draining: the public listener takes connections and answers.
	resp, err := n.insecureHTTP.Get(n.base + ccfs.UploadPath)
	if err != nil {
		t.Fatalf("the public listener closed before the drain delay: %v", err)
	}
	resp.Body.Close()
	select {
	case <-n.exited:
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not exit after the drain delay")
	}
	if _, err := net.DialTimeout("tcp", strings.TrimPrefix(n.base, "https://"), time.Second); err == nil {
		t.Fatal("the public listener is still open after exit")
	}
}

// TestReadyzFollowsStoreAndRedis: /readyz says not ready, naming the
// check, when the bucket's gateway or Redis stops.
func TestReadyzFollowsStoreAndRedis(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command and starts servers")
	}
	gw := s3test.Start(t)
	rd := redistest.Start(t)
	env := gatewayEnv(gw)
	n := startAdminNode(t, env, "--data", t.TempDir(), "--store", "s3://"+gw.Bucket+"/ccfs/", "--s3-endpoint", gw.Endpoint,
		"--redis", "redis://"+rd.Addr)
	if code, rep := n.readyz(t); code != 200 || rep.Checks["store"] != "ok" || rep.Checks["replay"] != "ok" {
		t.Fatalf("/readyz with both up: %d %+v", code, rep)
	}
	rd.Stop()
	if code, rep := n.readyz(t); code != 503 || rep.Checks["replay"] == "ok" || rep.Checks["store"] != "ok" {
		t.Fatalf("/readyz with Redis stopped: %d %+v", code, rep)
	}
	gw.Stop()
	if code, rep := n.readyz(t); code != 503 || rep.Checks["store"] == "ok" {
		t.Fatalf("/readyz with the gateway stopped too: %d %+v", code, rep)
	}
	if code, _ := n.get(t, "/healthz"); code != 200 {
		t.Fatalf("/healthz: %d (the process is alive)", code)
	}
}

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
