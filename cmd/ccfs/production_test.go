package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs"
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
