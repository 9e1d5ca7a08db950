//go:build linux

package main

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs/bench/ratio"
	"github.com/ccfs-go/ccfs/internal/wavfile"
)

// benchSeconds is the length of BenchmarkConvertCommand's input: 10
// minutes of 48 kHz 16-bit stereo, 115 MB, a long TTS file.
const benchSeconds = 600

// benchConvertedSize is what that converts to: 8000 bytes a second and
// the 44-byte header.
const benchConvertedSize = benchSeconds*8000 + 44

// BenchmarkConvertCommand runs the built "ccfs convert" on a 10-minute
// 48 kHz stereo 16-bit WAV file, and, in the same loop as the baseline,
// ffmpeg's own conversion of it (ffmpeg -i IN -ar 8000 -ac 1 -c:a
// pcm_alaw OUT). ns/op is ccfs's wall time, the process started to ended
// (ffmpeg's is outside the timer; x-ffmpeg is ffmpeg's wall time over
// ccfs's). The metrics, each the mean over the iterations but peaks,
// which are the largest:
//
//	ccfs-cpu-s, ffmpeg-cpu-s   the child process's CPU time, user + system
//	cpu-x-ffmpeg               ccfs's CPU time as a multiple of ffmpeg's
//	ccfs-peak-rss-MB,          the child's peak resident set (its rusage
//	ffmpeg-peak-rss-MB         ru_maxrss), in MiB, through a launcher
//	                           (see runChild)
//	floor-rss-MB               what /bin/true reports the same way: the
//	                           least a peak can read
//
// ccfs fsyncs its output and renames it into place; ffmpeg does neither.
// Both read the input from the page cache after the first iteration. It
// is skipped without ffmpeg.
func BenchmarkConvertCommand(b *testing.B) {
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		b.Skipf("ffmpeg not found (%v): BenchmarkConvertCommand measures ccfs convert against it", err)
	}
	bin := buildCommand(b)
	in := benchInput(b, filepath.Dir(bin))
	dir := b.TempDir()
	ours, theirs := filepath.Join(dir, "ccfs.wav"), filepath.Join(dir, "ffmpeg.wav")

	// What a child that does nothing reports: the launcher's own peak,
	// carried into its child (see runChild); a figure near it would be
	// the launcher's, not the converter's.
	trueBin, err := exec.LookPath("true")
	if err != nil {
		b.Fatal(err)
	}
	_, floor := runChild(b, trueBin)

	var cpu, ffCPU time.Duration
	var rss, ffRSS int64
	base := ratio.Baseline{Name: "ffmpeg"}
	b.ResetTimer()
	for range b.N {
		c, r := runChild(b, bin, "convert", in, ours)
		cpu += c
		rss = max(rss, r)
		base.Run(b, func() {
			c, r := runChild(b, ffmpeg, "-nostdin", "-loglevel", "error", "-y", "-i", in, "-ar", "8000", "-ac", "1", "-c:a", "pcm_alaw", theirs)
			ffCPU += c
			ffRSS = max(ffRSS, r)
		})
		b.StopTimer()
		for _, p := range []string{ours, theirs} {
			st, err := os.Stat(p)
			if err != nil {
				b.Fatal(err)
			}
			if p == ours && st.Size() != benchConvertedSize {
				b.Fatalf("ccfs convert wrote %d bytes; want %d", st.Size(), benchConvertedSize)
			}
			os.Remove(p)
		}
		b.StartTimer()
	}
	b.StopTimer()
	// The input is 115 MB: a converter that read it whole would hold
	// that much.
	if rss > 64<<10 {
		b.Fatalf("ccfs convert's peak RSS was %d MiB; a streaming conversion needs a few", rss>>10)
	}
	st, _ := os.Stat(in)
	base.Report(b, st.Size())
	n := float64(b.N)
	b.ReportMetric(cpu.Seconds()/n, "ccfs-cpu-s")
	b.ReportMetric(ffCPU.Seconds()/n, "ffmpeg-cpu-s")
	if ffCPU > 0 {
		b.ReportMetric(cpu.Seconds()/ffCPU.Seconds(), "cpu-x-ffmpeg")
	}
	b.ReportMetric(float64(rss)/1024, "ccfs-peak-rss-MB")
	b.ReportMetric(float64(ffRSS)/1024, "ffmpeg-peak-rss-MB")
	b.ReportMetric(float64(floor)/1024, "floor-rss-MB")
}

// runChild runs name with args through the rusage launcher and returns
// the child's CPU time, user + system, and its peak resident set in KiB.
//
// Not directly: os/exec starts a child with vfork (CLONE_VM), and Linux
// carries the parent's peak RSS into the child's ru_maxrss at its exec,
// so a child of this test binary reports at least the test binary's own
// peak. The launcher, a small separate program, starts the child the
// same way, but its own peak is a few MiB (the floor-rss-MB metric), below
// what either converter uses.
func runChild(b *testing.B, name string, args ...string) (time.Duration, int64) {
	report := filepath.Join(b.TempDir(), "rusage")
	cmd := exec.Command(launcher(b), append([]string{report, name}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("%s: %v\n%s", filepath.Base(name), err, out)
	}
	data, err := os.ReadFile(report)
	if err != nil {
		b.Fatal(err)
	}
	var cpuNS, maxRSS int64
	if _, err := fmt.Sscan(string(data), &cpuNS, &maxRSS); err != nil {
		b.Fatalf("the launcher's report %q: %v", data, err)
	}
	return time.Duration(cpuNS), maxRSS
}

// launcherSource is the rusage launcher: it runs argv[2:], writes the
// child's CPU time (ns) and ru_maxrss (KiB) to argv[1], and exits with
// the child's status.
const launcherSource = `package main

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

func main() {
	cmd := exec.Command(os.Args[2], os.Args[3:]...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	err := cmd.Run()
	if cmd.ProcessState == nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ps := cmd.ProcessState
	cpu := ps.UserTime() + ps.SystemTime()
	if werr := os.WriteFile(os.Args[1], []byte(fmt.Sprintf("%d %d\n", cpu.Nanoseconds(), ps.SysUsage().(*syscall.Rusage).Maxrss)), 0o600); werr != nil {
		fmt.Fprintln(os.Stderr, werr)
		os.Exit(2)
	}
	os.Exit(ps.ExitCode())
}
`

var (
	launcherOnce sync.Once
	launcherPath string
	launcherErr  error
)

// launcher builds the rusage launcher once, beside the built command.
func launcher(b *testing.B) string {
	launcherOnce.Do(func() {
		dir := filepath.Dir(buildCommand(b))
		src := filepath.Join(dir, "launcher.go")
		if launcherErr = os.WriteFile(src, []byte(launcherSource), 0o600); launcherErr != nil {
			return
		}
		launcherPath = filepath.Join(dir, "launcher")
		cmd := exec.Command("go", "build", "-o", launcherPath, src)
		cmd.Dir, cmd.Env = dir, append(os.Environ(), "GOWORK=off", "GOFLAGS=")
		if out, err := cmd.CombinedOutput(); err != nil {
			launcherErr = fmt.Errorf("go build of the rusage launcher: %v\n%s", err, out)
		}
	})
	if launcherErr != nil {
		b.Fatal(launcherErr)
	}
	return launcherPath
}

var (
	benchInputOnce sync.Once
	benchInputPath string
	benchInputErr  error
)

// benchInput writes the benchmark's input into dir (the built command's,
// removed by TestMain) once per test binary, and returns its path.
func benchInput(b *testing.B, dir string) string {
	benchInputOnce.Do(func() {
		benchInputPath = filepath.Join(dir, "tts-48k-stereo.wav")
		benchInputErr = writeBenchInput(benchInputPath)
	})
	if benchInputErr != nil {
		b.Fatal(benchInputErr)
	}
	return benchInputPath
}

// writeBenchInput writes benchSeconds of 48 kHz 16-bit stereo: a second
// of a chord on the left and a tone on the right, repeated.
func writeBenchInput(path string) error {
	const rate = 48000
	f := wavfile.Fmt{Tag: wavfile.TagPCM, Channels: 2, Rate: rate, Bits: 16}
	head := wavfile.Build(f.Chunk(), wavfile.Chunk{ID: "data", Size: wavfile.U32(uint32(rate * 4 * benchSeconds))})
	binary.LittleEndian.PutUint32(head[4:], uint32(len(head)-8+rate*4*benchSeconds))
	sec := make([]byte, rate*4)
	for i := range rate {
		t := float64(i) / rate
		l := 6000*math.Sin(2*math.Pi*220*t) + 4000*math.Sin(2*math.Pi*1370*t) + 2000*math.Sin(2*math.Pi*3100*t)
		r := 9000 * math.Sin(2*math.Pi*500*t)
		binary.LittleEndian.PutUint16(sec[i*4:], uint16(int16(l)))
		binary.LittleEndian.PutUint16(sec[i*4+2:], uint16(int16(r)))
	}
	file, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(file, 1<<20)
	w.Write(head)
	for range benchSeconds {
		w.Write(sec)
	}
	if err := w.Flush(); err != nil {
		file.Close()
		return err
	}
	return file.Close()
}
