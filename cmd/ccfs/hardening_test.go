package main

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs/auth"
)

// botKey is the key of the credentials files hardening tests write.
var botKey = auth.Key{AccessKey: "bot", SecretKey: "sk-secret", VDNs: []int{1}}

// A password in the --redis URL is refused before anything starts, and
// the refusal does not repeat it.
func TestServeRefusesPasswordInRedisURL(t *testing.T) {
	for _, u := range []string{"redis://:hunter2@127.0.0.1:1/0", "redis://user:hunter2@127.0.0.1:1"} {
		code, _, errs := runCmd(t, "serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--redis", u)
		if code != 2 || !strings.Contains(errs, "CCFS_REDIS_PASSWORD") || strings.Contains(errs, "hunter2") {
			t.Fatalf("%s: %d %s", u, code, errs)
		}
	}
}

func TestAdminAddressWarning(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:9090": true, "[::1]:9090": true, "127.0.0.2:9090": true,
		"0.0.0.0:9090": false, "[::]:9090": false, "10.0.0.5:9090": false,
	} {
		a, err := net.ResolveTCPAddr("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := loopback(a); got != want {
			t.Errorf("loopback(%s) = %v", addr, got)
		}
	}
}

// The admin listener serves at most adminMaxConns connections at once:
// idle connections beyond that wait, and cannot starve the node.
func TestAdminCapsConnections(t *testing.T) {
	n := startAdminNode(t, nil, "--data", t.TempDir())
	host := strings.TrimPrefix(n.admin, "http://")
	var idle []net.Conn
	for range adminMaxConns {
		c, err := net.Dial("tcp", host)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		idle = append(idle, c)
	}
	time.Sleep(100 * time.Millisecond) // let the server accept them all
	quick := &http.Client{Timeout: 500 * time.Millisecond}
	if resp, err := quick.Get(n.admin + "/healthz"); err == nil {
		resp.Body.Close()
		t.Fatalf("served a connection past the cap of %d", adminMaxConns)
	}
	idle[0].Close()
	patient := &http.Client{Timeout: 5 * time.Second}
	resp, err := patient.Get(n.admin + "/healthz")
	if err != nil {
		t.Fatalf("once a connection closed: %v", err)
	}
	resp.Body.Close()
}

// Forty sockets that connect to the admin listener and send nothing do
// not keep a balancer's readiness probes (a 2 s timeout) waiting, and the
// listener drops them within seconds.
func TestAdminHoldsUpUnderIdleSockets(t *testing.T) {
	n := startAdminNode(t, nil, "--data", t.TempDir())
	addr := strings.TrimPrefix(n.admin, "http://")
	var idle []net.Conn
	for range 40 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		idle = append(idle, c)
	}
	probe := &http.Client{Timeout: 2 * time.Second}
	for i := range 10 {
		resp, err := probe.Get(n.admin + "/readyz")
		if err != nil {
			t.Fatalf("probe %d of 10 beside 40 idle sockets: %v", i, err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("probe %d: %s", i, resp.Status)
		}
	}
	for i, c := range idle {
		c.SetReadDeadline(time.Now().Add(15 * time.Second))
		if _, err := c.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
			t.Fatalf("idle socket %d: %v; want it closed by the listener", i, err)
		}
	}
}
