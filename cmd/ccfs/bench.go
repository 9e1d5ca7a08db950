package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/internal/wavfile"
)

// benchCmd runs "ccfs bench": it reads the flags into a benchConfig and
// runs it.
func benchCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c, code := parseBench(args, stderr)
	if code >= 0 {
		return code
	}
	return c.run(ctx, stdout, stderr)
}

// benchConfig is what the flags of "ccfs bench" say.
type benchConfig struct {
	srv         *serverFlags
	sizeName    string
	size        int
	concurrency int
	duration    time.Duration
}

// parseBench reads the flags of "ccfs bench". A code >= 0 means: exit
// with it.
func parseBench(args []string, stderr io.Writer) (*benchConfig, int) {
	fl := newFlags("bench", "--url URL --ak AK --sk SK --vdn N [--size 5MiB] [--concurrency 16] [--duration 30s] [--insecure]",
		"Load-tests a server for capacity planning: uploads signed A-law files from several clients at once,\nshows progress every second, and ends with uploads/s, MB/s, latency percentiles and a count of\neach result code. Exits 1 if no upload succeeded.",
		"  ccfs bench --url https://127.0.0.1:28443 --ak dev-abc --sk SECRET --vdn 1 --insecure --size 1MiB --concurrency 8 --duration 20s", stderr)
	c := &benchConfig{srv: addServerFlags(fl)}
	fl.StringVar(&c.sizeName, "size", "5MiB", "file size: bytes, or with KiB or MiB")
	fl.IntVar(&c.concurrency, "concurrency", 16, "clients uploading at once")
	fl.DurationVar(&c.duration, "duration", 30*time.Second, "how long to run")
	if code := parse(fl, args); code >= 0 {
		return nil, code
	}
	var err error
	c.size, err = parseSize(c.sizeName)
	switch {
	case err != nil:
		fmt.Fprintf(stderr, "ccfs bench: --size: %v\n", err)
		return nil, 2
	case !c.srv.complete() || fl.NArg() != 0:
		fmt.Fprintln(stderr, "ccfs bench: need --url, --ak, --sk and --vdn (see --help)")
		return nil, 2
	case c.concurrency < 1 || c.duration <= 0:
		fmt.Fprintln(stderr, "ccfs bench: --concurrency and --duration must be positive")
		return nil, 2
	}
	return c, -1
}

// tally counts what a bench run got back.
type tally struct {
	mu        sync.Mutex
	start     time.Time
	latencies []time.Duration
	codes     map[string]int
	okBytes   int64
}

func (t *tally) add(code string, d time.Duration, size int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.codes[code]++
	t.latencies = append(t.latencies, d)
	if code == ccfs.SuccessCode {
		t.okBytes += int64(size)
	}
}

// progress prints one line of progress.
func (t *tally) progress(w io.Writer) {
	t.mu.Lock()
	defer t.mu.Unlock()
	el := time.Since(t.start).Seconds()
	ok := t.codes[ccfs.SuccessCode]
	fmt.Fprintf(w, "%5.0fs  %6d uploads  %7.1f uploads/s  %7.1f MB/s  %d failed\n",
		el, ok, float64(ok)/el, float64(t.okBytes)/el/1e6, len(t.latencies)-ok)
}

// summary prints the result of the run.
func (t *tally) summary(w io.Writer, sizeName string, clients int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	elapsed := time.Since(t.start).Seconds()
	slices.Sort(t.latencies)
	fmt.Fprintf(w, "%d requests of %s in %.1fs from %d clients\n", len(t.latencies), sizeName, elapsed, clients)
	fmt.Fprintf(w, "uploads/s  %.1f\nMB/s       %.1f (of WAV)\n", float64(t.codes[ccfs.SuccessCode])/elapsed, float64(t.okBytes)/elapsed/1e6)
	if n := len(t.latencies); n > 0 {
		pct := func(p float64) time.Duration { return t.latencies[int(p*float64(n-1))].Round(time.Millisecond) }
		fmt.Fprintf(w, "latency    p50 %v  p90 %v  p99 %v  max %v\n", pct(0.5), pct(0.9), pct(0.99), t.latencies[n-1].Round(time.Millisecond))
	}
	fmt.Fprintln(w, "result codes:")
	for _, k := range slices.Sorted(maps.Keys(t.codes)) {
		fmt.Fprintf(w, "  %-10s %d\n", k, t.codes[k])
	}
}

// run uploads from c.concurrency clients for c.duration, printing progress
// every second to stderr and the summary to stdout. It returns 1 if no
// upload succeeded.
func (c *benchConfig) run(ctx context.Context, stdout, stderr io.Writer) int {
	client := c.srv.client(c.concurrency)
	defer client.HTTPClient.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(ctx, c.duration)
	defer cancel()
	t := &tally{start: time.Now(), codes: map[string]int{}}
	var wg sync.WaitGroup
	for w := range c.concurrency {
		// Each client's file differs, so that two clients signing in the
		// same millisecond never send the same request (a replay).
		wav := wavfile.File(wavfile.ALaw8k, max(1, c.size-44)) // an A-law file of c.size bytes
		wav[44] = byte(w)
		wav[45] = byte(w >> 8)
		wg.Go(func() {
			for ctx.Err() == nil {
				t0 := time.Now()
				_, err := client.Upload(ctx, *c.srv.vdn, wav)
				code := ccfs.SuccessCode
				var ce ccfs.Error
				switch {
				case errors.As(err, &ce):
					code = ce.Code()
				case err != nil && ctx.Err() != nil:
					return // cut off by the end of the run
				case err != nil:
					code = "error: " + strings.TrimPrefix(err.Error(), "ccfs: ")
				}
				t.add(code, time.Since(t0), len(wav))
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			t.progress(stderr)
			continue
		case <-done:
		}
		break
	}
	t.summary(stdout, c.sizeName, c.concurrency)
	if t.codes[ccfs.SuccessCode] == 0 {
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
