package mp3

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/ccfs-go/ccfs/convert"
	"github.com/ccfs-go/ccfs/internal/testkit/tonefit"
	"github.com/ccfs-go/ccfs/wavcheck"
)

// The MP3 quality suite, convert's TestQuality for MP3 input: 1 s tones
// at the MP3 rates a TTS engine writes, mono and stereo, encoded by
// ffmpeg's libmp3lame (constant bitrate, with the Info header that gives
// LAME's delay and padding), converted to A-law by a convert.Reader (this
// package's Decoder) and, for comparison, by ffmpeg from the same MP3
// (ffmpeg -i x.mp3 -ar 8000 -ac 1 -c:a pcm_alaw out.wav), measured on the
// decoded A-law output by tonefit, as TestQuality measures.
//
// The thresholds, TestQuality's:
//
//   - a kept tone (1013, 3011 Hz) keeps the input tone's level within
//     mp3LevelDB. The MP3's own coding is counted in it: LAME leaves these
//     tones 0.43 dB low at 64 and 128 kbit/s (its quantiser rounds
//     magnitudes down), and ffmpeg's decoding measures the same. So, with
//     ffmpeg, ours must also be within mp3LevelFFmpegDB of ffmpeg's, which
//     decodes the same MP3: what is left is the resamplers' passband
//     ripple (±0.07 dB in TestQuality);
//   - a removed tone (5003, 6007 Hz) comes out at least mp3RejectDB below
//     the input tone: the output's whole power, and the component at the
//     frequency it folds to;
//   - the kept tone's SNR is no worse than ffmpeg's by more than
//     mp3SNRSlackDB (TestQuality's 0.5 dB, for the same reason: both end in
//     an A-law quantiser, which sets the SNR), and at least mp3SNRFloorDB;
//   - the output has round(seconds × 8000) samples, ± mp3LengthSlack: the
//     decoder drops LAME's delay and padding by the Info header.
//
// The bitrates are ones go-mp3 decodes at the rate: 128 kbit/s for 44.1
// and 48 kHz, 64 kbit/s for 16 to 24 kHz (at 22050 Hz, 64 kbit/s frames
// are 208 or 209 bytes, 144 × 64000 / 22050 rounding down to 417, odd, so
// go-mp3's padded-frame defect is not met). Without ffmpeg no MP3 can be
// made: the committed tone fixtures (testdata/README.md) are held to the
// same thresholds, but for the comparison, with ffmpeg or without it.
const (
	mp3LevelDB       = 0.5
	mp3LevelFFmpegDB = 0.15
	mp3RejectDB      = 60.0
	mp3SNRSlackDB    = 0.5
	mp3SNRFloorDB    = 35.5
	mp3LengthSlack   = 2

	mp3KeptAmp   = 0.35 // TestQuality's keptAmp, −9 dBFS peak
	mp3RejectAmp = 0.9  // TestQuality's rejectAmp
)

var (
	mp3KeptTones   = []float64{1013, 3011}
	mp3RejectTones = []float64{5003, 6007}
	mp3Rates       = []struct {
		rate    int
		bitrate string
	}{{16000, "64k"}, {22050, "64k"}, {24000, "64k"}, {44100, "128k"}, {48000, "128k"}}
)

// toneSource is ffmpeg's lavfi source of a 1 s tone of amplitude amp at
// freq, sampled at rate, on ch channels alike.
func toneSource(rate, ch int, freq, amp float64) string {
	one := fmt.Sprintf("%g*sin(2*PI*%g*t)", amp, freq)
	expr := one
	if ch == 2 {
		expr += "|" + one
	}
	return fmt.Sprintf("aevalsrc=%s:s=%d:d=1", expr, rate)
}

// mp3Figures are one output's measures, ours or ffmpeg's.
type mp3Figures struct {
	tonefit.Figures
	samples int
}

// mp3Result is one case: ours, and ffmpeg's (ok false without it).
type mp3Result struct {
	rate, ch int
	bitrate  string
	freq     float64
	ours, ff mp3Figures
	ffOK     bool
}

// convertMP3 converts an MP3 file with a convert.Reader and returns the
// Reader's Source and the decoded A-law samples.
func convertMP3(data []byte) (convert.Source, []float64, error) {
	r := convert.NewReader(bytes.NewReader(data), convert.Options{
		Policy: wavcheck.Policy{Codecs: []wavcheck.Codec{wavcheck.ALaw}, MaxSize: 1<<32 + 8},
	})
	out, err := io.ReadAll(r)
	if err != nil {
		return r.Source(), nil, fmt.Errorf("convert: %w", err)
	}
	x, err := tonefit.ALawSamples(out)
	return r.Source(), x, err
}

// measureOutput measures x, the output of a 1 s tone, and checks its
// length.
func measureOutput(x []float64, freq, amp float64) (mp3Figures, error) {
	f, err := tonefit.Measure(x, freq, amp)
	return mp3Figures{Figures: f, samples: len(x)}, err
}

// checkFigures holds ours to the thresholds; ff is ffmpeg's, or nil.
func checkFigures(t *testing.T, name string, freq float64, ours mp3Figures, ff *mp3Figures) {
	t.Helper()
	if d := ours.samples - tonefit.Rate; d < -mp3LengthSlack || d > mp3LengthSlack {
		t.Errorf("%s: %d samples out of a 1 s tone; want 8000 ± %d", name, ours.samples, mp3LengthSlack)
	}
	if freq < 4000 {
		if math.Abs(ours.LevelDB) > mp3LevelDB {
			t.Errorf("%s: the tone comes out %+.2f dB; want within %.1f dB", name, ours.LevelDB, mp3LevelDB)
		}
		if ours.SNRDB < mp3SNRFloorDB {
			t.Errorf("%s: SNR %.2f dB; want at least %.1f dB", name, ours.SNRDB, mp3SNRFloorDB)
		}
		if ff != nil && math.Abs(ours.LevelDB-ff.LevelDB) > mp3LevelFFmpegDB {
			t.Errorf("%s: the tone comes out %+.2f dB, ffmpeg's %+.2f dB: more than %.2f dB apart", name, ours.LevelDB, ff.LevelDB, mp3LevelFFmpegDB)
		}
		if ff != nil && ours.SNRDB < ff.SNRDB-mp3SNRSlackDB {
			t.Errorf("%s: SNR %.2f dB, ffmpeg's %.2f dB: worse by more than %.1f dB", name, ours.SNRDB, ff.SNRDB, mp3SNRSlackDB)
		}
		return
	}
	if ours.RejectDB < mp3RejectDB {
		t.Errorf("%s: the output is only %.1f dB below the tone; want at least %.0f dB", name, ours.RejectDB, mp3RejectDB)
	}
	if ours.AliasDB < mp3RejectDB {
		t.Errorf("%s: the tone's alias at %.0f Hz is only %.1f dB below it; want at least %.0f dB", name, 8000-freq, ours.AliasDB, mp3RejectDB)
	}
}

func TestQuality(t *testing.T) {
	t.Run("fixtures", testQualityFixtures)
	t.Run("ffmpeg", testQualityFFmpeg)
}

// The committed tone fixtures, held to the thresholds with ffmpeg or
// without it.
func testQualityFixtures(t *testing.T) {
	for _, c := range []struct {
		file string
		freq float64
		from string
	}{
		{"tone-1013-44100-stereo-128k.mp3", 1013, "MP3 44100 Hz stereo, 128 kbit/s"},
		{"tone-3011-24000-mono-64k.mp3", 3011, "MP3 24000 Hz mono, 64 kbit/s"},
		{"tone-6007-48000-mono-128k.mp3", 6007, "MP3 48000 Hz mono, 128 kbit/s"},
	} {
		t.Run(c.file, func(t *testing.T) {
			amp := mp3KeptAmp
			if c.freq > 4000 {
				amp = mp3RejectAmp
			}
			src, x, err := convertMP3(fixture(t, c.file))
			if err != nil {
				t.Fatal(err)
			}
			if src.From != c.from {
				t.Errorf("From %q; want %q", src.From, c.from)
			}
			f, err := measureOutput(x, c.freq, amp)
			if err != nil {
				t.Fatal(err)
			}
			checkFigures(t, c.file, c.freq, f, nil)
			if c.freq < 4000 {
				t.Logf("%d samples; level %+.2f dB, SNR %.1f dB", f.samples, f.LevelDB, f.SNRDB)
			} else {
				t.Logf("%d samples; whole output %.1f dB down, alias %.1f dB down", f.samples, f.RejectDB, f.AliasDB)
			}
		})
	}
}

// Every rate, channel count and tone, encoded by ffmpeg and converted by
// both.
func testQualityFFmpeg(t *testing.T) {
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg is not installed (apt-get install ffmpeg): the MP3 quality sweep needs it to encode MP3 files and to compare; the fixtures subtest checks the committed ones")
	}
	dir := t.TempDir()
	var (
		mu      sync.Mutex
		results []mp3Result
	)
	t.Run("rates", func(t *testing.T) {
		for _, r := range mp3Rates {
			t.Run(fmt.Sprint(r.rate), func(t *testing.T) {
				t.Parallel()
				res := mp3QualityGroup(t, ffmpeg, dir, r.rate, r.bitrate)
				mu.Lock()
				results = append(results, res...)
				mu.Unlock()
			})
		}
	})
	logMP3Table(t, results)
}

// mp3QualityGroup encodes every tone at rate, mono and stereo, in one run
// of ffmpeg, converts the MP3s to A-law in a second (tonefit.FFmpegALaw),
// converts each with a Reader, checks ours and returns the figures.
func mp3QualityGroup(t *testing.T, ffmpeg, dir string, rate int, bitrate string) []mp3Result {
	type tone struct {
		ch             int
		freq, amp      float64
		mp3, ffmpegOut string
	}
	var tones []tone
	enc := []string{"-nostdin", "-loglevel", "error", "-y"}
	for _, ch := range []int{1, 2} {
		for _, freq := range append(append([]float64(nil), mp3KeptTones...), mp3RejectTones...) {
			amp := mp3KeptAmp
			if freq > 4000 {
				amp = mp3RejectAmp
			}
			base := filepath.Join(dir, fmt.Sprintf("%d-%d-%.0f", rate, ch, freq))
			tones = append(tones, tone{ch, freq, amp, base + ".mp3", base + ".ffmpeg.wav"})
			enc = append(enc, "-f", "lavfi", "-i", toneSource(rate, ch, freq, amp))
		}
	}
	var mp3s, outs []string
	for i, c := range tones {
		enc = append(enc, "-map", fmt.Sprintf("%d:a", i), "-c:a", "libmp3lame", "-b:a", bitrate, c.mp3)
		mp3s, outs = append(mp3s, c.mp3), append(outs, c.ffmpegOut)
	}
	if msg, err := exec.Command(ffmpeg, enc...).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg, encoding: %v\n%s", err, msg)
	}
	if err := tonefit.FFmpegALaw(ffmpeg, mp3s, outs); err != nil {
		t.Fatal(err)
	}
	var results []mp3Result
	for _, c := range tones {
		name := fmt.Sprintf("%d Hz %d ch %s, %.0f Hz", rate, c.ch, bitrate, c.freq)
		res := mp3Result{rate: rate, ch: c.ch, bitrate: bitrate, freq: c.freq}
		data, err := os.ReadFile(c.mp3)
		if err != nil {
			t.Fatal(err)
		}
		src, x, err := convertMP3(data)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		mode := "mono"
		if c.ch == 2 {
			mode = "stereo"
		}
		if want := fmt.Sprintf("MP3 %d Hz %s, %s", rate, mode, strings.ReplaceAll(bitrate, "k", " kbit/s")); src.From != want {
			t.Errorf("%s: From %q; want %q", name, src.From, want)
		}
		if res.ours, err = measureOutput(x, c.freq, c.amp); err != nil {
			t.Errorf("%s: ours: %v", name, err)
			continue
		}
		ff, err := os.ReadFile(c.ffmpegOut)
		if err != nil {
			t.Fatal(err)
		}
		y, err := tonefit.ALawSamples(ff)
		if err == nil {
			res.ff, err = measureOutput(y, c.freq, c.amp)
		}
		if err != nil {
			t.Errorf("%s: ffmpeg's output: %v", name, err)
			continue
		}
		res.ffOK = true
		checkFigures(t, name, c.freq, res.ours, &res.ff)
		results = append(results, res)
	}
	return results
}

// logMP3Table logs a row per input (rate, channels): the kept tones' SNR
// and level, the removed tones' rejection (whole output, then the alias),
// and the outputs' lengths, ours/ffmpeg's; then the extremes.
func logMP3Table(t *testing.T, results []mp3Result) {
	if len(results) == 0 {
		return
	}
	type key struct{ rate, ch int }
	byInput := map[key]map[float64]mp3Result{}
	var keys []key
	for _, r := range results {
		k := key{r.rate, r.ch}
		if byInput[k] == nil {
			byInput[k] = map[float64]mp3Result{}
			keys = append(keys, k)
		}
		byInput[k][r.freq] = r
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].rate != keys[j].rate {
			return keys[i].rate < keys[j].rate
		}
		return keys[i].ch < keys[j].ch
	})
	pair := func(format string, a, b float64) string { return fmt.Sprintf(format+"/"+format, a, b) }
	var sb strings.Builder
	fmt.Fprintf(&sb, "ours/ffmpeg, dB: SNR after A-law and level change of the kept tones; how far below the removed tones the whole output is, and the alias's component; the outputs' samples (all tones)\n")
	fmt.Fprintf(&sb, "%6s %2s %4s | %-11s %-11s | %-11s %-11s | %-11s %-11s | %-11s %-11s | %s\n",
		"Hz", "ch", "kbps", "SNR 1013", "SNR 3011", "lvl 1013", "lvl 3011", "all 5003", "all 6007", "alias 5003", "alias 6007", "samples")
	minSNR, minFFSNR, minMargin := math.Inf(1), math.Inf(1), math.Inf(1)
	minRej, minFFRej, minAlias, minFFAlias := math.Inf(1), math.Inf(1), math.Inf(1), math.Inf(1)
	maxLevel, maxFFLevel, maxLen, maxFFLen := 0.0, 0.0, 0, 0
	for _, k := range keys {
		m := byInput[k]
		k1, k3, r5, r6 := m[mp3KeptTones[0]], m[mp3KeptTones[1]], m[mp3RejectTones[0]], m[mp3RejectTones[1]]
		lengths := map[string]bool{}
		for _, r := range []mp3Result{k1, k3, r5, r6} {
			if r.freq == 0 {
				continue
			}
			lengths[fmt.Sprintf("%d/%d", r.ours.samples, r.ff.samples)] = true
			maxLen = max(maxLen, abs(r.ours.samples-tonefit.Rate))
			maxFFLen = max(maxFFLen, abs(r.ff.samples-tonefit.Rate))
			if r.freq < 4000 {
				minSNR, minFFSNR = math.Min(minSNR, r.ours.SNRDB), math.Min(minFFSNR, r.ff.SNRDB)
				minMargin = math.Min(minMargin, r.ours.SNRDB-r.ff.SNRDB)
				maxLevel, maxFFLevel = math.Max(maxLevel, math.Abs(r.ours.LevelDB)), math.Max(maxFFLevel, math.Abs(r.ff.LevelDB))
			} else {
				minRej, minFFRej = math.Min(minRej, r.ours.RejectDB), math.Min(minFFRej, r.ff.RejectDB)
				minAlias, minFFAlias = math.Min(minAlias, r.ours.AliasDB), math.Min(minFFAlias, r.ff.AliasDB)
			}
		}
		var ls []string
		for l := range lengths {
			ls = append(ls, l)
		}
		sort.Strings(ls)
		fmt.Fprintf(&sb, "%6d %2d %4s | %-11s %-11s | %-11s %-11s | %-11s %-11s | %-11s %-11s | %s\n",
			k.rate, k.ch, strings.TrimSuffix(k1.bitrate, "k"),
			pair("%.1f", k1.ours.SNRDB, k1.ff.SNRDB), pair("%.1f", k3.ours.SNRDB, k3.ff.SNRDB),
			pair("%+.2f", k1.ours.LevelDB, k1.ff.LevelDB), pair("%+.2f", k3.ours.LevelDB, k3.ff.LevelDB),
			pair("%.1f", r5.ours.RejectDB, r5.ff.RejectDB), pair("%.1f", r6.ours.RejectDB, r6.ff.RejectDB),
			pair("%.0f", r5.ours.AliasDB, r5.ff.AliasDB), pair("%.0f", r6.ours.AliasDB, r6.ff.AliasDB),
			strings.Join(ls, " "))
	}
	fmt.Fprintf(&sb, "%d cases. Ours: SNR ≥ %.1f dB, level within ±%.2f dB, whole output ≥ %.1f dB down, alias ≥ %.1f dB down, length within ±%d samples of 8000.\n",
		len(results), minSNR, maxLevel, minRej, minAlias, maxLen)
	fmt.Fprintf(&sb, "ffmpeg's: SNR ≥ %.1f dB, level within ±%.2f dB, whole output ≥ %.1f dB down, alias ≥ %.1f dB down, length within ±%d samples of 8000. Ours − ffmpeg's SNR ≥ %+.2f dB",
		minFFSNR, maxFFLevel, minFFRej, minFFAlias, maxFFLen, minMargin)
	t.Log("\n" + sb.String())
}
