// Command served measures what a stored upload costs a real server
// process: it builds "ccfs serve" and the naive peer (naiveserve), serves
// each over HTTPS on 127.0.0.1 with a store.Dir, uploads 5 MiB files from
// 8 clients of its own (ccfs.Client, in this process), and reads the
// server process's CPU time (user and system, /proc/PID/stat) before and
// after. It prints, per stored upload, the server's CPU milliseconds:
//
//	go run ./internal/bench/served [-uploads 240] [-clients 8] [-size 5242880]
//
// With -perf it also records the ccfs process with perf(1) and prints
// where its user time goes. Linux only.
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/internal/wavfile"
)

const (
	ak, sk = "bench", "bench-secret" // naiveserve's key; written for ccfs serve too
	vdn    = 1
)

func main() {
	uploads := flag.Int("uploads", 240, "uploads per server")
	clients := flag.Int("clients", 8, "clients uploading at once")
	size := flag.Int("size", 5<<20, "WAV file size in bytes")
	perf := flag.Bool("perf", false, "record the ccfs process with perf and print its top user-time functions")
	flag.Parse()
	if err := run(*uploads, *clients, *size, *perf); err != nil {
		fmt.Fprintln(os.Stderr, "served:", err)
		os.Exit(1)
	}
}

func run(uploads, clients, size int, perf bool) error {
	tmp, err := os.MkdirTemp("", "ccfs-served-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	ccfsBin, naiveBin := filepath.Join(tmp, "ccfs"), filepath.Join(tmp, "naiveserve")
	for bin, pkg := range map[string]string{ccfsBin: "./cmd/ccfs", naiveBin: "./internal/bench/naiveserve"} {
		if out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
		}
	}
	data := filepath.Join(tmp, "data")
	os.MkdirAll(data, 0o750)
	f, err := os.Create(filepath.Join(data, "credentials.json"))
	if err != nil {
		return err
	}
	auth.WriteCredentials(f, auth.Key{AccessKey: ak, SecretKey: sk, AnyVDN: true})
	f.Close()
	servers := []struct {
		name string
		cmd  *exec.Cmd
		addr string
	}{
		{"ccfs serve", exec.Command(ccfsBin, "serve", "--addr", "127.0.0.1:28461", "--data", data, "--rate", "0", "--log-format", "json"), "127.0.0.1:28461"},
		{"naive", nil, "127.0.0.1:28462"},
	}
	fmt.Printf("%d uploads of %d bytes from %d clients over loopback HTTPS, store.Dir, per stored upload:\n\n", uploads, size, clients)
	fmt.Println("| server | uploads/s | server CPU ms | user ms | sys ms |")
	fmt.Println("|---|---|---|---|---|")
	for i, s := range servers {
		if s.cmd == nil { // naive: the certificate ccfs serve generated
			s.cmd = exec.Command(naiveBin, "-addr", s.addr, "-dir", filepath.Join(tmp, "naive"),
				"-tls-cert", filepath.Join(data, "tls-cert.pem"), "-tls-key", filepath.Join(data, "tls-key.pem"))
		}
		var logs bytes.Buffer
		s.cmd.Stderr, s.cmd.Stdout = &logs, &logs
		if err := s.cmd.Start(); err != nil {
			return err
		}
		stop := func() { s.cmd.Process.Signal(os.Interrupt); s.cmd.Wait() }
		if err := waitListening(s.addr); err != nil {
			stop()
			return fmt.Errorf("%s: %v\n%s", s.name, err, logs.String())
		}
		var rec *exec.Cmd
		if perf && i == 0 {
			rec = exec.Command("perf", "record", "-F", "999", "-g", "-o", filepath.Join(tmp, "perf.data"), "-p", strconv.Itoa(s.cmd.Process.Pid))
			rec.Stderr = os.Stderr
			if err := rec.Start(); err != nil {
				return err
			}
			time.Sleep(500 * time.Millisecond)
		}
		r, err := load(s.cmd.Process.Pid, "https://"+s.addr, uploads, clients, size)
		if rec != nil {
			rec.Process.Signal(os.Interrupt)
			rec.Wait()
		}
		stop()
		if err != nil {
			return fmt.Errorf("%s: %v\n%s", s.name, err, logs.String())
		}
		per := func(ticks int64) float64 { return float64(ticks) * 1000 / clkTck / float64(r.stored) }
		fmt.Printf("| %s | %.1f | %.1f | %.1f | %.1f |\n", s.name, float64(r.stored)/r.elapsed.Seconds(),
			per(r.user+r.sys), per(r.user), per(r.sys))
	}
	if perf {
		out, err := exec.Command("perf", "report", "-i", filepath.Join(tmp, "perf.data"), "--no-children", "--sort", "symbol",
			"--stdio", "-g", "none", "--percent-limit", "0.4").CombinedOutput()
		if err != nil {
			return fmt.Errorf("perf report: %v\n%s", err, out)
		}
		fmt.Printf("\nccfs serve, where its CPU time goes (perf, %% of samples):\n\n%s", out)
	}
	return nil
}

// clkTck is the unit of /proc/PID/stat's times (USER_HZ, 100 on Linux).
const clkTck = 100

type result struct {
	stored    int
	elapsed   time.Duration
	user, sys int64 // clock ticks spent by the server during the run
}

// load uploads n files from clients goroutines and measures the server
// process pid's CPU time across the run.
func load(pid int, base string, n, clients, size int) (result, error) {
	hc := &http.Client{Transport: &http.Transport{
		TLSClientConfig:     &tls.Config{InsecureSkipVerify: true}, // the server's self-signed certificate, on loopback
		MaxIdleConnsPerHost: clients,
	}}
	defer hc.CloseIdleConnections()
	c := &ccfs.Client{BaseURL: base, AccessKey: ak, SecretKey: sk, HTTPClient: hc}
	// Warm up: one upload per client, outside the measurement.
	files := make([][]byte, clients)
	for i := range files {
		files[i] = wavfile.File(wavfile.ALaw8k, size-44)
		files[i][44], files[i][45] = byte(i), byte(i>>8) // no two clients send the same request
		if _, err := c.Upload(context.Background(), vdn, files[i]); err != nil {
			return result{}, fmt.Errorf("warm-up upload: %w", err)
		}
	}
	u0, s0, err := cpuTicks(pid)
	if err != nil {
		return result{}, err
	}
	start := time.Now()
	var next, stored atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for i := range clients {
		wg.Go(func() {
			for next.Add(1) <= int64(n) {
				if _, err := c.Upload(context.Background(), vdn, files[i]); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				stored.Add(1)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	u1, s1, err := cpuTicks(pid)
	if err != nil {
		return result{}, err
	}
	if firstErr != nil {
		return result{}, firstErr
	}
	return result{stored: int(stored.Load()), elapsed: elapsed, user: u1 - u0, sys: s1 - s0}, nil
}

// cpuTicks reads utime and stime of pid from /proc/PID/stat.
func cpuTicks(pid int) (user, sys int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	// The command name, in parentheses, may hold spaces: fields count
	// from the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, errors.New("unexpected /proc/PID/stat")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, 0, errors.New("unexpected /proc/PID/stat")
	}
	// After the name: state(3) ... utime is field 14, stime 15 of the whole line.
	user, _ = strconv.ParseInt(f[11], 10, 64)
	sys, _ = strconv.ParseInt(f[12], 10, 64)
	return user, sys, nil
}

// waitListening waits for addr to accept connections.
func waitListening(addr string) error {
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return nil
		}
	}
	return errors.New("did not start listening")
}
