package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/internal/wavfile"
)

func benchCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := newFlags("bench", "--url URL --ak AK --sk SK --vdn N [--size 5MiB] [--concurrency 16] [--duration 30s] [--insecure]",
		"Load-tests a server for capacity planning: uploads signed A-law files from several clients at once,\nshows progress every second, and ends with uploads/s, MB/s, latency percentiles and a count of\neach result code. Exits 1 if no upload succeeded.",
		"  ccfs bench --url https://127.0.0.1:28443 --ak dev-abc --sk SECRET --vdn 1 --insecure --size 1MiB --concurrency 8 --duration 20s", stderr)
	srv := addServerFlags(fl)
	sizeFlag := fl.String("size", "5MiB", "file size: bytes, or with KiB or MiB")
	concurrency := fl.Int("concurrency", 16, "clients uploading at once")
	duration := fl.Duration("duration", 30*time.Second, "how long to run")
	if code := parse(fl, args); code >= 0 {
		return code
	}
	size, err := parseSize(*sizeFlag)
	switch {
	case err != nil:
		fmt.Fprintf(stderr, "ccfs bench: --size: %v\n", err)
		return 2
	case !srv.complete() || fl.NArg() != 0:
		fmt.Fprintln(stderr, "ccfs bench: need --url, --ak, --sk and --vdn (see --help)")
		return 2
	case *concurrency < 1 || *duration <= 0:
		fmt.Fprintln(stderr, "ccfs bench: --concurrency and --duration must be positive")
		return 2
	}
	client := srv.client(*concurrency)
	defer client.HTTPClient.CloseIdleConnections()

	var (
		mu        sync.Mutex
		latencies []time.Duration
		codes     = map[string]int{}
		okBytes   int64
	)
	ctx, cancel := context.WithTimeout(ctx, *duration)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for w := range *concurrency {
		// Each client's file differs, so that two clients signing in the
		// same millisecond never send the same request (a replay).
		wav := wavfile.File(wavfile.ALaw8k, size-44)
		wav[44] = byte(w)
		wav[45] = byte(w >> 8)
		wg.Go(func() {
			for ctx.Err() == nil {
				t0 := time.Now()
				_, err := client.Upload(ctx, *srv.vdn, wav)
				d := time.Since(t0)
				code := "0"
				var ce ccfs.Error
				switch {
				case errors.As(err, &ce):
					code = ce.Code()
				case err != nil && ctx.Err() != nil:
					return // cut off by the end of the run
				case err != nil:
					code = "error: " + strings.TrimPrefix(err.Error(), "ccfs: ")
				}
				mu.Lock()
				codes[code]++
				latencies = append(latencies, d)
				if code == "0" {
					okBytes += int64(len(wav))
				}
				mu.Unlock()
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	report := func() (int, float64) {
		mu.Lock()
		defer mu.Unlock()
		el := time.Since(start).Seconds()
		fmt.Fprintf(stderr, "%5.0fs  %6d uploads  %7.1f uploads/s  %7.1f MB/s  %d failed\n",
			el, codes["0"], float64(codes["0"])/el, float64(okBytes)/el/1e6, len(latencies)-codes["0"])
		return codes["0"], el
	}
wait:
	for {
		select {
		case <-done:
			break wait
		case <-tick.C:
			report()
		}
	}
	elapsed := time.Since(start).Seconds()
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(latencies)
	fmt.Fprintf(stdout, "%d requests of %s in %.1fs from %d clients\n", len(latencies), *sizeFlag, elapsed, *concurrency)
	fmt.Fprintf(stdout, "uploads/s  %.1f\nMB/s       %.1f (of WAV)\n", float64(codes["0"])/elapsed, float64(okBytes)/elapsed/1e6)
	if n := len(latencies); n > 0 {
		pct := func(p float64) time.Duration { return latencies[int(p*float64(n-1))].Round(time.Millisecond) }
		fmt.Fprintf(stdout, "latency    p50 %v  p90 %v  p99 %v  max %v\n", pct(0.5), pct(0.9), pct(0.99), latencies[n-1].Round(time.Millisecond))
	}
	keys := make([]string, 0, len(codes))
	for k := range codes {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	fmt.Fprintln(stdout, "result codes:")
	for _, k := range keys {
		fmt.Fprintf(stdout, "  %-10s %d\n", k, codes[k])
	}
	if codes["0"] == 0 {
		return 1
	}
	return 0
}

// parseSize reads "5MiB", "64KiB" or a number of bytes.
func parseSize(s string) (int, error) {
	mult := 1
	switch {
	case strings.HasSuffix(s, "MiB"):
		mult, s = 1<<20, strings.TrimSuffix(s, "MiB")
	case strings.HasSuffix(s, "KiB"):
		mult, s = 1<<10, strings.TrimSuffix(s, "KiB")
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q is not a size such as 5MiB, 64KiB or 4096", s)
	}
	if n*mult < 45 || n*mult > 1<<30 {
		return 0, fmt.Errorf("%d bytes is not between 45 bytes (the smallest WAV file) and 1 GiB", n*mult)
	}
	return n * mult, nil
}
