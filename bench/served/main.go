// Command served measures what a stored upload costs a real server
// process: it builds "ccfs serve" and the naive peer (naiveserve), serves
// each over HTTPS on 127.0.0.1 (ccfs on a store.Dir), uploads 5 MiB files from
// 8 clients of its own (ccfs.Client, in this process), and reads the
// server process's CPU time (user and system, /proc/PID/stat) before and
// after. It prints, per stored upload, the server's CPU milliseconds:
//
//	go run ./bench/served [-uploads 240] [-clients 8] [-size 5242880]
//
// With -perf it also records the ccfs process with perf(1) and prints
// where its user time goes. Linux only.
package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/bench/servers"
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
	w, err := servers.NewWorkspace("ccfs-served-", auth.Key{AccessKey: ak, SecretKey: sk, AnyVDN: true})
	if err != nil {
		return err
	}
	defer w.Remove()
	tmp, data := w.Dir, w.Data
	fmt.Printf("%d uploads of %d bytes from %d clients over loopback HTTPS, per stored upload:\n\n", uploads, size, clients)
	fmt.Println("| server | uploads/s | server CPU ms | user ms | sys ms |")
	fmt.Println("|---|---|---|---|---|")
	for i, name := range []string{"ccfs serve", "naive"} {
		var p *servers.Process
		if i == 0 {
			p, err = servers.StartCCFS(w.Bins.CCFS, "127.0.0.1:28461", data, "--rate", "0")
		} else { // after ccfs serve, which made the certificate
			p, err = servers.StartNaive(w.Bins.Naive, "127.0.0.1:28462", filepath.Join(tmp, "naive"), data)
		}
		if err != nil {
			return err
		}
		stopRec := func() {}
		if perf && i == 0 {
			if stopRec, err = p.Record(filepath.Join(tmp, "perf.data")); err != nil {
				p.Stop()
				return err
			}
		}
		r, err := load(p, uploads, clients, size)
		stopRec()
		p.Stop()
		if err != nil {
			return fmt.Errorf("%s: %v\n%s", name, err, p.Logs())
		}
		per := func(d time.Duration) float64 { return d.Seconds() * 1000 / float64(r.stored) }
		fmt.Printf("| %s | %.1f | %.1f | %.1f | %.1f |\n", name, float64(r.stored)/r.elapsed.Seconds(),
			per(r.cpu.Total()), per(r.cpu.User), per(r.cpu.Sys))
	}
	if perf {
		out, err := servers.Report(filepath.Join(tmp, "perf.data"), 0.4)
		if err != nil {
			return err
		}
		fmt.Printf("\nccfs serve, where its CPU time goes (perf, %% of samples):\n\n%s", out)
	}
	return nil
}

type result struct {
	stored  int
	elapsed time.Duration
	cpu     servers.CPU // spent by the server during the run
}

// load uploads n files from clients goroutines and measures the server
// process's CPU time across the run.
func load(p *servers.Process, n, clients, size int) (result, error) {
	hc := &http.Client{Transport: &http.Transport{
		TLSClientConfig:     &tls.Config{InsecureSkipVerify: true}, // the server's self-signed certificate, on loopback
		MaxIdleConnsPerHost: clients,
	}}
	defer hc.CloseIdleConnections()
	c := &ccfs.Client{BaseURL: "https://" + p.Addr, AccessKey: ak, SecretKey: sk, HTTPClient: hc}
	// Warm up: one upload per client, outside the measurement.
	files := make([][]byte, clients)
	for i := range files {
		files[i] = wavfile.File(wavfile.ALaw8k, size-44)
		files[i][44], files[i][45] = byte(i), byte(i>>8) // no two clients send the same request
		if _, err := c.Upload(context.Background(), vdn, files[i]); err != nil {
			return result{}, fmt.Errorf("warm-up upload: %w", err)
		}
	}
	cpu0, err := p.CPU()
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
	cpu1, err := p.CPU()
	if err != nil {
		return result{}, err
	}
	if firstErr != nil {
		return result{}, firstErr
	}
	return result{stored: int(stored.Load()), elapsed: elapsed, cpu: cpu1.Sub(cpu0)}, nil
}
