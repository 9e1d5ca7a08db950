package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/bench/load"
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
	srv         *clientFlags
	sizeName    string
	size        int // the smallest file; the only size unless maxSize is larger
	maxSize     int
	concurrency int
	duration    time.Duration
	rate        float64 // uploads a second, open loop; 0: closed loop
}

// parseBench reads the flags of "ccfs bench". A code >= 0 means: exit
// with it.
func parseBench(args []string, stderr io.Writer) (*benchConfig, int) {
	fl := newFlags("bench", "--url URL --ak AK --sk SK --vdn N [--size 5MiB | --size 8KiB-80KiB] [--rate 200] [--concurrency 16] [--duration 30s] [--ca FILE | --insecure]",
		"Load-tests a server for capacity planning: uploads signed A-law files from several clients at once,\nshows progress every second, and ends with uploads/s, MB/s, latency percentiles and a count of\neach result code. Exits 1 if no upload succeeded.\n\nWith --rate it offers that many uploads a second whatever the server does (an open loop, Poisson\narrivals, through at most --concurrency connections) and times each from when it was due, so a\nserver that falls behind shows as latency, as a caller on the line would hear it; without, each\nclient sends its next upload when the last is answered.",
		"  ccfs bench --url https://127.0.0.1:28443 --ak dev-abc --sk SECRET --vdn 1 --insecure --size 1MiB --concurrency 8 --duration 20s\n  ccfs bench --url https://127.0.0.1:28443 --ak dev-abc --sk SECRET --vdn 1 --insecure --size 8KiB-80KiB --rate 200 --concurrency 64", stderr)
	c := &benchConfig{srv: addClientFlags(fl).addVDN(fl)}
	fl.StringVar(&c.sizeName, "size", "5MiB", "file size: bytes, or with KiB or MiB; or a range, MIN-MAX, spread evenly")
	fl.IntVar(&c.concurrency, "concurrency", 16, "clients uploading at once; with --rate, the most connections")
	fl.Float64Var(&c.rate, "rate", 0, "uploads a second, offered whatever the server answers (0: each client sends when answered)")
	fl.DurationVar(&c.duration, "duration", 30*time.Second, "how long to run")
	if code := parse(fl, args); code >= 0 {
		return nil, code
	}
	var err error
	lo, hi, isRange := strings.Cut(c.sizeName, "-")
	c.size, err = parseSize(lo)
	c.maxSize = c.size
	if err == nil && isRange {
		if c.maxSize, err = parseSize(hi); err == nil && c.maxSize < c.size {
			err = fmt.Errorf("%q: the range's end is below its start", c.sizeName)
		}
	}
	switch {
	case err != nil:
		fmt.Fprintf(stderr, "ccfs bench: --size: %v\n", err)
		return nil, 2
	case !c.srv.complete() || fl.NArg() != 0:
		fmt.Fprintln(stderr, "ccfs bench: need --url, --ak, --sk and --vdn (see --help)")
		return nil, 2
	case c.concurrency < 1 || c.duration <= 0 || c.rate < 0:
		fmt.Fprintln(stderr, "ccfs bench: --concurrency and --duration must be positive, --rate not negative")
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

// summary prints the result of the run; how says how it was loaded.
func (t *tally) summary(w io.Writer, sizeName, how string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	elapsed := time.Since(t.start).Seconds()
	slices.Sort(t.latencies)
	fmt.Fprintf(w, "%d requests of %s in %.1fs %s\n", len(t.latencies), sizeName, elapsed, how)
	fmt.Fprintf(w, "uploads/s  %.1f\nMB/s       %.1f (of WAV)\n", float64(t.codes[ccfs.SuccessCode])/elapsed, float64(t.okBytes)/elapsed/1e6)
	if n := len(t.latencies); n > 0 {
		pct := func(p float64) time.Duration { return load.Percentile(t.latencies, p).Round(100 * time.Microsecond) }
		fmt.Fprintf(w, "latency    p50 %v  p90 %v  p99 %v  p99.9 %v  max %v\n", pct(50), pct(90), pct(99), pct(99.9), t.latencies[n-1].Round(100*time.Microsecond))
	}
	fmt.Fprintln(w, "result codes:")
	for _, k := range slices.Sorted(maps.Keys(t.codes)) {
		fmt.Fprintf(w, "  %-10s %d\n", k, t.codes[k])
	}
}

// code is the result code of an upload's outcome, or its error.
func code(err error) string {
	var ce ccfs.Error
	switch {
	case err == nil:
		return ccfs.SuccessCode
	case errors.As(err, &ce):
		return ce.Code()
	case certProblem(err) != "":
		return "error: " + certProblem(err)
	}
	return "error: " + strings.TrimPrefix(err.Error(), "ccfs: ")
}

// files returns n A-law files of sizes spread evenly from c.size to
// c.maxSize, each different from the others.
func (c *benchConfig) files(n int) [][]byte {
	out := make([][]byte, n)
	for k := range out {
		size := c.size
		if n > 1 {
			size += (c.maxSize - c.size) * k / (n - 1)
		}
		wav := wavfile.File(wavfile.ALaw8k, max(1, size-44)) // an A-law file of size bytes
		if len(wav) > 45 {
			wav[44], wav[45] = byte(k), byte(k>>8)
		}
		out[k] = wav
	}
	return out
}

// run uploads for c.duration, closed loop or, with c.rate, open, printing
// progress every second to stderr and the summary to stdout. It returns 1
// if no upload succeeded.
func (c *benchConfig) run(ctx context.Context, stdout, stderr io.Writer) int {
	client, err := c.srv.client(c.concurrency)
	if err != nil {
		fmt.Fprintf(stderr, "ccfs bench: %v\n", err)
		return 2
	}
	defer client.HTTPClient.CloseIdleConnections()
	t := &tally{start: time.Now(), codes: map[string]int{}}
	done := make(chan struct{})
	how := fmt.Sprintf("from %d clients", c.concurrency)
	if c.rate > 0 {
		how = fmt.Sprintf("offered at %g/s (open loop; latency from when each was due) through at most %d connections", c.rate, c.concurrency)
		go func() { c.open(ctx, client, t); close(done) }()
	} else {
		go func() { c.closed(ctx, client, t); close(done) }()
	}
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
	t.summary(stdout, c.sizeName, how)
	if t.codes[ccfs.SuccessCode] == 0 {
		return 1
	}
	return 0
}

// closed has c.concurrency clients upload one file after another until
// c.duration has passed.
func (c *benchConfig) closed(ctx context.Context, client *ccfs.Client, t *tally) {
	ctx, cancel := context.WithTimeout(ctx, c.duration)
	defer cancel()
	var wg sync.WaitGroup
	// Each client's file differs, so that two clients signing in the
	// same millisecond never send the same request (a replay).
	for _, wav := range c.files(c.concurrency) {
		wg.Go(func() {
			for ctx.Err() == nil {
				t0 := time.Now()
				_, err := client.Upload(ctx, *c.srv.vdn, wav)
				if err != nil && ctx.Err() != nil {
					return // cut off by the end of the run
				}
				t.add(code(err), time.Since(t0), len(wav))
			}
		})
	}
	wg.Wait()
}

// open offers c.rate uploads a second for c.duration, and waits for the
// answer to the last one.
func (c *benchConfig) open(ctx context.Context, client *ccfs.Client, t *tally) {
	c.srv.transport.MaxConnsPerHost = c.concurrency
	files := c.files(max(1, min(64, (64<<20)/c.maxSize)))
	if c.size == c.maxSize {
		files = files[:1]
	}
	// Every request's file carries its number, so none is signed alike
	// and the client can sign on the plain clock, faster than one
	// request a millisecond.
	if c.size >= 52 {
		client.Now = time.Now
	}
	load.Open(ctx, c.rate, c.duration, rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1)),
		func(i int) error {
			ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
			defer cancel()
			wav := files[i%len(files)]
			s := &stamped{wav: wav}
			binary.LittleEndian.PutUint64(s.stamp[:], uint64(i))
			_, err := client.UploadFrom(ctx, *c.srv.vdn, s, int64(len(wav)))
			return err
		},
		func(i int, took time.Duration, err error) { t.add(code(err), took, len(files[i%len(files)])) })
}

// stamped reads as wav with its first eight audio bytes (from offset 44)
// replaced by stamp.
type stamped struct {
	wav   []byte
	stamp [8]byte
}

func (s *stamped) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(s.wav)) {
		return 0, io.EOF
	}
	n := copy(p, s.wav[off:])
	for i := max(off, 44); i < min(off+int64(n), 52); i++ {
		p[i-off] = s.stamp[i-44]
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
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
