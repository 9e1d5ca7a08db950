// Command prompts measures the upload a caller waits for: short prompts,
// as a chatbot synthesises them on every turn of a call, arriving at fixed
// rates whatever the server's answers (open loop), over TLS.
//
//	go run ./bench/prompts [-rates 50,200,500] [-duration 20s] [-conns 64]
//	go run ./bench/prompts -smoke     # a few seconds; exits 1 if any upload fails
//
// It builds "ccfs serve" and the naive peer (bench/naiveserve,
// which stores the careful plain way: temporary file, fsync, rename,
// directory fsync), starts both on 127.0.0.1 with their files on the same
// disk, and first times that disk: a 40 KB write and fsync of a new file,
// and the careful plain commit (write, fsync, rename, directory fsync).
// Then, for each rate and each server in turn, it sends A-law prompts of
// 8–80 KB (uniformly spread, 16 keys and VDNs, Poisson arrivals) through
// 64 keep-alive connections opened beforehand. A request's latency runs
// from the moment it was due to the end of its answer, so a slow server
// is charged for the requests queued behind it; a failed upload counts as
// infinitely slow. The server's CPU time (user + system) comes from
// /proc/PID/stat, so the load client, which shares the cores, is not
// counted. Last, for each server, it looks for the highest rate held with
// p99 ≤ 50 ms (-ceiling=false skips this). Linux only.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/bench/load"
	"github.com/ccfs-go/ccfs/bench/servers"
	"github.com/ccfs-go/ccfs/internal/wavfile"
)

// config is what the flags say.
type config struct {
	rates      []float64
	duration   time.Duration
	conns      int
	keys       int
	minSize    int
	maxSize    int
	ceiling    bool
	ceilingP99 time.Duration
	step       time.Duration
	fsyncs     int
	smoke      bool
	perf       string
	baseline   string
	out        io.Writer
}

func main() {
	c := config{out: os.Stdout}
	rates := flag.String("rates", "50,200,500", "arrival rates, uploads per second, comma-separated")
	flag.DurationVar(&c.duration, "duration", 20*time.Second, "how long each rate is offered to each server")
	flag.IntVar(&c.conns, "conns", 64, "keep-alive TLS connections to each server")
	flag.IntVar(&c.keys, "keys", 16, "access keys (each with its own VDN) the uploads are spread over")
	flag.IntVar(&c.minSize, "min", 8000, "smallest prompt, bytes of WAV")
	flag.IntVar(&c.maxSize, "max", 80000, "largest prompt, bytes of WAV")
	flag.BoolVar(&c.ceiling, "ceiling", true, "look for the highest rate each server holds with p99 within -p99")
	flag.DurationVar(&c.ceilingP99, "p99", 50*time.Millisecond, "the p99 latency the ceiling search holds to")
	flag.DurationVar(&c.step, "step", 10*time.Second, "how long each rate of the ceiling search is offered")
	flag.IntVar(&c.fsyncs, "fsyncs", 400, "samples of each disk timing")
	flag.BoolVar(&c.smoke, "smoke", false, "a short run for CI: rates 50 and 200 for 2 s, no ceiling search; exit 1 if any upload fails")
	flag.StringVar(&c.baseline, "baseline", "", "a ccfs binary (another build) to measure beside this checkout's, as \"ccfs baseline\"")
	flag.StringVar(&c.perf, "perf", "", "record ccfs serve with perf(1) into this file during the rate steps, and print where its CPU time goes")
	flag.Parse()
	for _, f := range strings.Split(*rates, ",") {
		r, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || r <= 0 {
			fmt.Fprintf(os.Stderr, "prompts: -rates: %q is not a positive number\n", f)
			os.Exit(2)
		}
		c.rates = append(c.rates, r)
	}
	if c.smoke {
		c.rates, c.duration, c.ceiling, c.fsyncs = []float64{50, 200}, 2*time.Second, false, 50
	}
	if c.conns < 1 || c.keys < 1 || c.minSize < 100 || c.maxSize < c.minSize || c.duration <= 0 {
		fmt.Fprintln(os.Stderr, "prompts: need -conns, -keys ≥ 1, 100 ≤ -min ≤ -max and a positive -duration")
		os.Exit(2)
	}
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "prompts:", err)
		os.Exit(1)
	}
}

const secretPrefix = "prompts-secret-"

func run(c config) error {
	// ext4 without a journal, when it allocates an inode, passes over
	// each one freed in the last minute — six while the freed inode's
	// table block is still dirty — looking every one up. Syncing first
	// and last keeps that to a minute after a run (or anything else that
	// removed many files); docs/performance.md says more.
	syscall.Sync()
	keys := make([]auth.Key, c.keys)
	for i := range keys {
		keys[i] = auth.Key{AccessKey: "chatbot-" + strconv.Itoa(i+1), SecretKey: secretPrefix + strconv.Itoa(i+1), AnyVDN: true}
	}
	w, err := servers.NewWorkspace("ccfs-prompts-", keys...)
	if err != nil {
		return err
	}
	defer func() { w.Remove(); syscall.Sync() }()
	tmp, data := w.Dir, w.Data

	disk, err := timeDisk(filepath.Join(tmp, "disk"), c.fsyncs, 40_000)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.out, "Disk of %s, %d samples each, nothing else running:\n\n", tmp, c.fsyncs)
	fmt.Fprintln(c.out, "| operation | p50 | p99 | p99.9 |")
	fmt.Fprintln(c.out, "|---|---|---|---|")
	fmt.Fprintf(c.out, "| write 40 KB to a new file, fsync | %s | %s | %s |\n", ms(disk.fsync.pct(50)), ms(disk.fsync.pct(99)), ms(disk.fsync.pct(99.9)))
	fmt.Fprintf(c.out, "| the same, rename, fsync the directory | %s | %s | %s |\n\n", ms(disk.commit.pct(50)), ms(disk.commit.pct(99)), ms(disk.commit.pct(99.9)))

	// No rate limit: the point is what the server does with the load.
	// In-flight caps well above what the rates need, so that a refusal
	// is a failure of the server, not of its settings.
	cp, err := servers.StartCCFS(w.Bins.CCFS, "127.0.0.1:28471", data,
		"--rate", "0", "--max-inflight", "4096", "--max-inflight-per-key", "4096")
	if err != nil {
		return err
	}
	defer cp.Stop()
	targets := []*target{newTarget(cp, keys, c.conns)}
	targets[0].logsDurations = true
	if c.baseline != "" { // another build of ccfs, on its own data directory
		bdata := filepath.Join(tmp, "baseline")
		if err := os.MkdirAll(bdata, 0o750); err != nil {
			return err
		}
		if err := servers.WriteCredentials(filepath.Join(bdata, "credentials.json"), keys...); err != nil {
			return err
		}
		bp, err := servers.StartCCFS(c.baseline, "127.0.0.1:28473", bdata,
			"--rate", "0", "--max-inflight", "4096", "--max-inflight-per-key", "4096")
		if err != nil {
			return err
		}
		defer bp.Stop()
		bp.Name = "ccfs baseline"
		targets = append(targets, newTarget(bp, keys, c.conns))
		targets[1].logsDurations = true
	}
	np, err := servers.StartNaive(w.Bins.Naive, "127.0.0.1:28472", filepath.Join(tmp, "naive"), data)
	if err != nil {
		return err
	}
	defer np.Stop()
	targets = append(targets, newTarget(np, keys, c.conns))
	defer func() {
		for _, t := range targets {
			t.hc.CloseIdleConnections()
		}
	}()
	prompts := makePrompts(c.minSize, c.maxSize, 256)
	var sum int
	for _, p := range prompts {
		sum += len(p)
	}
	fmt.Fprintf(c.out, "Prompts of %d–%d bytes (mean %d), open-loop Poisson arrivals, %d keep-alive TLS connections per server, %d keys; latency from when a request was due to the end of its answer; server CPU from /proc (user + sys) per stored upload:\n\n",
		c.minSize, c.maxSize, sum/len(prompts), c.conns, c.keys)
	fmt.Fprintln(c.out, "| rate/s | server | stored | failed | p50 | p99 | p99.9 | in the server p50 / p99 | CPU ms/upload | user | sys | CPU × naive |")
	fmt.Fprintln(c.out, "|---|---|---|---|---|---|---|---|---|---|---|---|")
	stopRec := func() {}
	if c.perf != "" {
		if stopRec, err = cp.Record(c.perf); err != nil {
			return err
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var failed int
	naive := len(targets) - 1
	byRate := map[float64][]stepResult{}
	for _, rate := range c.rates {
		pair := make([]stepResult, len(targets))
		for i, t := range targets { // interleaved, so that drift in the machine hits all alike
			r, err := t.step(rate, c.duration, prompts, rng)
			if err != nil {
				return fmt.Errorf("%s: %v\n%s", t.p.Name, err, tail(t.p.Logs()))
			}
			pair[i] = r
			failed += r.failed
		}
		byRate[rate] = pair
		for i, t := range targets {
			r := pair[i]
			ratio := "—"
			if i != naive && pair[naive].cpuPer() > 0 {
				ratio = fmt.Sprintf("%.2f×", float64(r.cpuPer())/float64(pair[naive].cpuPer()))
			}
			inServer := "—"
			if len(r.inServer) > 0 {
				inServer = ms(r.inServer.pct(50)) + " / " + ms(r.inServer.pct(99))
			}
			fmt.Fprintf(c.out, "| %g | %s | %d | %d | %s | %s | %s | %s | %.2f | %.2f | %.2f | %s |\n", rate, t.p.Name, r.stored, r.failed,
				ms(r.lat.pct(50)), ms(r.lat.pct(99)), ms(r.lat.pct(99.9)), inServer,
				msf(r.cpuPer()), msf(r.cpu.User/time.Duration(max(1, r.stored))), msf(r.cpu.Sys/time.Duration(max(1, r.stored))), ratio)
		}
	}
	stopRec()
	if r, ok := byRate[200]; ok {
		fmt.Fprintln(c.out)
		check(c.out, "at 200/s, ccfs CPU per upload ≤ 0.5× naive", float64(r[0].cpuPer())/float64(r[naive].cpuPer()), 0.5, "×")
		check(c.out, "at 200/s, ccfs p99 ≤ 3× the disk's fsync p99", float64(r[0].lat.pct(99))/float64(disk.fsync.pct(99)), 3, "× fsync p99")
	}
	if c.ceiling {
		fmt.Fprintf(c.out, "\nHighest rate held with p99 ≤ %s and nothing failed (%s per rate tried):\n\n", ms(c.ceilingP99), c.step)
		fmt.Fprintln(c.out, "| server | rate/s | p99 there | tried |")
		fmt.Fprintln(c.out, "|---|---|---|---|")
		start := slices.Max(c.rates)
		for _, t := range targets {
			best, p99, tried, err := ceiling(start, func(rate float64) (time.Duration, bool, error) {
				r, err := t.step(rate, c.step, prompts, rng)
				return r.lat.pct(99), r.failed == 0 && r.lat.pct(99) <= c.ceilingP99, err
			})
			if err != nil {
				return fmt.Errorf("%s: %v\n%s", t.p.Name, err, tail(t.p.Logs()))
			}
			fmt.Fprintf(c.out, "| %s | %.0f | %s | %s |\n", t.p.Name, best, ms(p99), tried)
		}
	}
	if c.perf != "" {
		out, err := servers.Report(c.perf, 0.5)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.out, "\nccfs serve during the rate steps, where its CPU time goes (perf, %% of samples):\n\n%s", out)
	}
	if c.smoke && failed > 0 {
		return fmt.Errorf("%d uploads failed", failed)
	}
	return nil
}

// check prints whether a target is met.
func check(w io.Writer, what string, got, limit float64, unit string) {
	verdict := "met"
	switch {
	case math.IsNaN(got) || math.IsInf(got, 0):
		verdict = "not measured"
	case got > limit:
		verdict = fmt.Sprintf("missed by %.0f %%", (got/limit-1)*100)
	}
	fmt.Fprintf(w, "- %s: %.2f%s, %s\n", what, got, unit, verdict)
}

// ceiling finds the highest rate at which try holds, starting at start:
// it goes up by half until a rate fails, then halves the gap between the
// last rate held and the first that failed three times. It returns the
// rate held, its p99 and the rates tried.
func ceiling(start float64, try func(rate float64) (time.Duration, bool, error)) (best float64, bestP99 time.Duration, tried string, err error) {
	var log []string
	attempt := func(rate float64) (bool, error) {
		p99, ok, err := try(rate)
		mark := "✗"
		if ok {
			mark = "✓"
			best, bestP99 = rate, p99
		}
		log = append(log, fmt.Sprintf("%.0f%s", rate, mark))
		return ok, err
	}
	lo, hi := 0.0, 0.0
	for rate := start; hi == 0; rate *= 1.5 {
		ok, err := attempt(rate)
		if err != nil {
			return 0, 0, "", err
		}
		if ok {
			lo = rate
		} else {
			hi = rate
		}
		if rate > 1e5 {
			break
		}
	}
	for range 3 {
		if hi == 0 {
			break
		}
		mid := math.Round((lo + hi) / 2)
		if mid <= lo || mid >= hi {
			break
		}
		ok, err := attempt(mid)
		if err != nil {
			return 0, 0, "", err
		}
		if ok {
			lo = mid
		} else {
			hi = mid
		}
	}
	return best, bestP99, strings.Join(log, " "), nil
}

// makePrompts returns n A-law prompts of sizes spread evenly over
// [minSize, maxSize], each different from the others.
func makePrompts(minSize, maxSize, n int) [][]byte {
	rng := rand.New(rand.NewPCG(3, 4))
	out := make([][]byte, n)
	for i := range out {
		size := minSize + rng.IntN(maxSize-minSize+1)
		w := wavfile.File(wavfile.ALaw8k, size-44)
		w[44], w[45] = byte(i), byte(i>>8)
		out[i] = w
	}
	return out
}

// target is one server under load.
type target struct {
	p       *servers.Process
	hc      *http.Client
	clients []*ccfs.Client // one per key
	conns   int
	// logsDurations: the server logs each request's duration (ccfs
	// serve, not the naive peer).
	logsDurations bool
}

func newTarget(p *servers.Process, keys []auth.Key, conns int) *target {
	hc := &http.Client{Transport: &http.Transport{
		TLSClientConfig:     &tls.Config{InsecureSkipVerify: true}, // the servers' self-signed certificate, on loopback
		MaxConnsPerHost:     conns,
		MaxIdleConnsPerHost: conns,
	}}
	t := &target{p: p, hc: hc, conns: conns}
	for _, k := range keys {
		// Each key its own sequence of signing times: at most a
		// thousand a second per key rather than per process.
		var ts auth.Timestamps
		c := &ccfs.Client{BaseURL: "https://" + p.Addr, AccessKey: k.AccessKey, SecretKey: k.SecretKey, HTTPClient: hc, Retries: -1,
			Now: func() time.Time { return ts.Next(time.Now(), time.Millisecond, time.Now) }}
		t.clients = append(t.clients, c)
	}
	return t
}

// stepResult is what one rate did to one server.
type stepResult struct {
	stored, failed int
	lat            samples
	inServer       samples // as the server logged them, if it does
	cpu            servers.CPU
}

// cpuPer is the server's CPU time per stored upload.
func (r stepResult) cpuPer() time.Duration {
	if r.stored == 0 {
		return 0
	}
	return r.cpu.Total() / time.Duration(r.stored)
}

// step offers rate uploads a second for d and waits for the last answer.
// The server's connections are opened (and its code warmed) before,
// outside the measurement. The stored files stay until the end of the
// run: removing them would make the next step slower than it is (ext4
// skips inodes freed in the last minutes when it allocates one, looking at
// each in turn).
func (t *target) step(rate float64, d time.Duration, prompts [][]byte, rng *rand.Rand) (stepResult, error) {
	if err := t.warm(prompts); err != nil {
		return stepResult{}, fmt.Errorf("warming up: %w", err)
	}
	logged := t.p.LogSize()
	cpu0, err := t.p.CPU()
	if err != nil {
		return stepResult{}, err
	}
	var (
		mu        sync.Mutex
		lat       samples
		failed    int
		firstFail error
	)
	load.Open(context.Background(), rate, d, rng,
		func(i int) error {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			_, err := t.clients[i%len(t.clients)].Upload(ctx, i%len(t.clients)+1, prompts[(i*7919)%len(prompts)])
			return err
		},
		func(_ int, took time.Duration, err error) {
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				took = math.MaxInt64
				failed++
				if firstFail == nil {
					firstFail = err
				}
			}
			lat = append(lat, took)
		})
	cpu1, err := t.p.CPU()
	if err != nil {
		return stepResult{}, err
	}
	if firstFail != nil {
		fmt.Fprintf(os.Stderr, "prompts: %s at %g/s: %d of %d failed, the first: %v\n", t.p.Name, rate, failed, len(lat), firstFail)
	}
	slices.Sort(lat)
	r := stepResult{stored: len(lat) - failed, failed: failed, lat: lat, cpu: cpu1.Sub(cpu0)}
	if t.logsDurations {
		if r.inServer, err = t.p.LoggedDurations(logged, ccfs.InterfaceUpload); err != nil {
			return r, err
		}
		slices.Sort(r.inServer)
	}
	return r, nil
}

// warm opens the connections with one upload on each, at once.
func (t *target) warm(prompts [][]byte) error {
	var wg sync.WaitGroup
	errs := make([]error, t.conns)
	for i := range t.conns {
		wg.Go(func() {
			_, errs[i] = t.clients[i%len(t.clients)].Upload(context.Background(), 1, prompts[i%len(prompts)])
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// samples are sorted durations.
type samples []time.Duration

// pct is the p-th percentile.
func (s samples) pct(p float64) time.Duration { return load.Percentile(s, p) }

// diskTimes are the disk's own latencies.
type diskTimes struct{ fsync, commit samples }

// timeDisk times n writes of size bytes to a new file with an fsync, and
// n careful commits (the same, then a rename and an fsync of the
// directory), in dir.
func timeDisk(dir string, n, size int) (diskTimes, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return diskTimes{}, err
	}
	// The files stay until the end of the run (see run).
	d, err := os.Open(dir)
	if err != nil {
		return diskTimes{}, err
	}
	defer d.Close()
	buf := make([]byte, size)
	var out diskTimes
	for i := range 2 * n {
		name := filepath.Join(dir, strconv.Itoa(i))
		t0 := time.Now()
		f, err := os.OpenFile(name+".tmp", os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
		if err != nil {
			return out, err
		}
		_, werr := f.Write(buf)
		if err := errors.Join(werr, f.Sync(), f.Close()); err != nil {
			return out, err
		}
		if i%2 == 0 {
			out.fsync = append(out.fsync, time.Since(t0))
			continue
		}
		if err := errors.Join(os.Rename(name+".tmp", name), d.Sync()); err != nil {
			return out, err
		}
		out.commit = append(out.commit, time.Since(t0))
	}
	slices.Sort(out.fsync)
	slices.Sort(out.commit)
	return out, nil
}

// ms formats a latency in milliseconds; an infinite one (a failure) as ∞.
func ms(d time.Duration) string {
	if d == math.MaxInt64 {
		return "∞"
	}
	return fmt.Sprintf("%.2f ms", msf(d))
}

func msf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// tail is the end of a server's log.
func tail(s string) string {
	if len(s) > 2000 {
		s = "…" + s[len(s)-2000:]
	}
	return s
}
