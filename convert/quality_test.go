package convert_test

import (
	"bytes"
	"encoding/binary"
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
	"github.com/ccfs-go/ccfs/internal/g711"
	"github.com/ccfs-go/ccfs/internal/testkit/tonefit"
	"github.com/ccfs-go/ccfs/internal/wavfile"
	"github.com/ccfs-go/ccfs/wavcheck"
)

// The quality suite: tones in every input encoding, rate and channel
// count a TTS engine writes, converted to A-law by a Reader and, for
// comparison, by ffmpeg's own conversion of the same file
// (ffmpeg -i in.wav -ar 8000 -ac 1 -c:a pcm_alaw out.wav), measured on the
// decoded A-law output.
//
// The thresholds:
//
//   - a tone in the telephone band keeps its level within qualityLevelDB;
//   - a tone above 4 kHz comes out at least qualityRejectDB below the
//     input tone: the output's whole power against the tone's, whatever
//     frequency it folds to. Not for µ-law input: quantising the tone
//     to µ-law puts products of it below 4 kHz, about 43 dB under it, that
//     are the input's own audio and rightly kept, and they swamp the
//     measure. There the output's component at the frequency the tone
//     folds to (8000 − f) is measured instead, and the tones are a little
//     off round numbers so that no product of the µ-law quantiser falls on
//     that frequency (a tone of 6000 Hz at 16 kHz repeats every 8 samples
//     and its products lie on multiples of 2 kHz, the fold of 6000 among
//     them; a tone of 6007 Hz spreads them over every hertz). The
//     component is the alias itself, and both measures are logged for
//     every input;
//   - the kept tone's SNR (its fitted sine against everything else) is no
//     worse than ffmpeg's by more than qualitySNRSlackDB, and, with ffmpeg
//     or without it, at least qualitySNRFloorDB: A-law's own SNR for these
//     tones is about 37.5 dB, and µ-law input's noise takes it to 36.2.
//
// The slack: both outputs end in an A-law quantiser, which sets their
// SNR (about 37 dB for these tones); what is left is how its error falls
// on two sets of samples that differ in their last bits (0.1 dB on PCM
// input: both quantisers pick the nearest A-law level, so it is not
// their rounding).
// Measured once (not by this test): before A-law, on µ-law input at 24
// and 48 kHz, our SNR was 0.0–0.3 dB above ffmpeg's (its passband
// reaches further into the quantiser's products), and after A-law up
// to 0.46 dB below. 0.5 dB covers that and is much less than a real loss:
// a resampler adding noise 10 dB below A-law's own would cost 0.4 dB
// everywhere, one adding it at A-law's level 3 dB.
const (
	qualityLevelDB    = 0.5
	qualityRejectDB   = 60.0
	qualitySNRSlackDB = 0.5
	qualitySNRFloorDB = 35.5

	// −9 dBFS peak: a loud prompt. Not 0.5: its peaks would fall on
	// 16384, where A-law's top segment begins and its step doubles, and a
	// hundredth of a dB of gain would move the SNR by tenths.
	keptAmp = 0.35
	// An out-of-band tone near full scale, the hardest case for the filter.
	// A-law has no zero: its quietest output is ±8/32768 (−72 dBFS), so
	// a perfectly removed tone of this level measures about 68 dB down.
	rejectAmp = 0.9
)

// keptTones are in the telephone band; rejectTones must be removed. The
// kept ones are a little off round numbers so that their A-law error is
// not a short repeating pattern, the removed ones for the reason above.
var (
	keptTones   = []float64{1013, 3011}
	rejectTones = []float64{5003, 6007}
)

// qualityEncoding is an input encoding of the suite.
type qualityEncoding struct {
	name string
	fmt  func(rate, ch int) wavfile.Fmt
	put  func(b []byte, v float64) int // writes v, returns the bytes written
}

var qualityEncodings = []qualityEncoding{
	{"PCM16", func(rate, ch int) wavfile.Fmt {
		return wavfile.Fmt{Tag: wavfile.TagPCM, Channels: ch, Rate: rate, Bits: 16}
	}, func(b []byte, v float64) int {
		binary.LittleEndian.PutUint16(b, uint16(int16(math.Round(v*32767))))
		return 2
	}},
	{"PCM24", func(rate, ch int) wavfile.Fmt {
		return wavfile.Fmt{Tag: wavfile.TagPCM, Channels: ch, Rate: rate, Bits: 24}
	}, func(b []byte, v float64) int {
		s := int32(math.Round(v * 8388607))
		b[0], b[1], b[2] = byte(s), byte(s>>8), byte(s>>16)
		return 3
	}},
	{"float32", func(rate, ch int) wavfile.Fmt {
		return wavfile.Fmt{Tag: wavfile.TagFloat, Channels: ch, Rate: rate, Bits: 32, Size: 18}
	}, func(b []byte, v float64) int {
		binary.LittleEndian.PutUint32(b, math.Float32bits(float32(v)))
		return 4
	}},
	{"µ-law", func(rate, ch int) wavfile.Fmt {
		return wavfile.Fmt{Tag: wavfile.TagMuLaw, Channels: ch, Rate: rate, Bits: 8, Size: 18}
	}, func(b []byte, v float64) int {
		b[0] = g711.MuLaw(int16(math.Round(v * 32767)))
		return 1
	}},
}

var qualityRates = []int{16000, 22050, 24000, 44100, 48000}

// toneWAV returns a 1 s WAV file of enc at rate on ch channels holding a
// sine of amplitude amp at freq on every channel.
func toneWAV(enc qualityEncoding, rate, ch int, freq, amp float64) []byte {
	f := enc.fmt(rate, ch)
	width := (f.Bits + 7) / 8
	file, audio, err := wavfile.New(f, rate*ch*width)
	if err != nil {
		panic(err)
	}
	i := 0
	for n := range rate {
		v := amp * math.Sin(2*math.Pi*freq*float64(n)/float64(rate))
		for range ch {
			i += enc.put(audio[i:], v)
		}
	}
	return file
}

// measure returns, for the output x of a tone of amplitude amp at freq
// (1 s: 8000 samples), tonefit.Measure's figures: for a kept tone, its
// level change and SNR; for a removed one, how far below the tone the
// output is by its whole power (rejectDB) and by its component at the
// frequency the tone folds to (aliasDB).
func measure(x []float64, freq, amp float64) (levelDB, snrDB, rejectDB, aliasDB float64, err error) {
	if len(x) != 8000 {
		return 0, 0, 0, 0, fmt.Errorf("%d samples out of a 1 s tone; want 8000", len(x))
	}
	f, err := tonefit.Measure(x, freq, amp)
	return f.LevelDB, f.SNRDB, f.RejectDB, f.AliasDB, err
}

// qualityResult is one case's figures: ours, and ffmpeg's (NaN without it).
type qualityResult struct {
	enc        string
	rate, ch   int
	freq       float64
	level, snr float64 // kept tones
	reject     float64 // removed tones
	alias      float64 // removed tones, by the component they fold to
	ffAlias    float64
	ffLevel    float64
	ffSNR      float64
	ffReject   float64
}

func TestQuality(t *testing.T) {
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Logf("ffmpeg not found (%v): the comparison with ffmpeg is skipped; the level, rejection and SNR floor (%.1f dB) thresholds still run", err, qualitySNRFloorDB)
		ffmpeg = ""
	}
	dir := t.TempDir()
	var (
		mu      sync.Mutex
		results []qualityResult
	)
	t.Run("inputs", func(t *testing.T) {
		for _, enc := range qualityEncodings {
			for _, rate := range qualityRates {
				t.Run(fmt.Sprintf("%s/%d", enc.name, rate), func(t *testing.T) {
					t.Parallel()
					r := qualityGroup(t, ffmpeg, dir, enc, rate)
					mu.Lock()
					results = append(results, r...)
					mu.Unlock()
				})
			}
		}
	})
	logQualityTable(t, results, ffmpeg != "")
}

// qualityCase is one tone of a group.
type qualityCase struct {
	ch         int
	freq, amp  float64
	in         []byte
	inPath     string
	ffmpegPath string
}

func (c qualityCase) String() string { return fmt.Sprintf("%d ch, %.0f Hz", c.ch, c.freq) }

// qualityGroup converts every tone of one encoding and rate, mono and
// stereo, ours one by one and ffmpeg's in a single run of it (starting
// ffmpeg costs more than converting a 1 s tone: each output of the run
// has its own resampler, as if converted alone), checks ours, and returns
// the figures.
func qualityGroup(t *testing.T, ffmpeg, dir string, enc qualityEncoding, rate int) []qualityResult {
	var cases []qualityCase
	for _, ch := range []int{1, 2} {
		for _, freq := range append(append([]float64(nil), keptTones...), rejectTones...) {
			amp := keptAmp
			if freq > 4000 {
				amp = rejectAmp
			}
			base := filepath.Join(dir, fmt.Sprintf("%s-%d-%d-%.0f", strings.ReplaceAll(enc.name, "µ", "u"), rate, ch, freq))
			cases = append(cases, qualityCase{ch: ch, freq: freq, amp: amp, in: toneWAV(enc, rate, ch, freq, amp),
				inPath: base + ".in.wav", ffmpegPath: base + ".ffmpeg.wav"})
		}
	}
	if ffmpeg != "" {
		var ins, outs []string
		for _, c := range cases {
			if err := os.WriteFile(c.inPath, c.in, 0o644); err != nil {
				t.Fatal(err)
			}
			ins, outs = append(ins, c.inPath), append(outs, c.ffmpegPath)
		}
		if err := tonefit.FFmpegALaw(ffmpeg, ins, outs); err != nil {
			t.Fatal(err)
		}
	}
	var results []qualityResult
	for _, c := range cases {
		r, err := qualityMeasure(ffmpeg, enc, rate, c)
		if err != nil {
			t.Errorf("%s: %v", c, err)
			continue
		}
		results = append(results, r)
		if c.freq < 4000 {
			if math.Abs(r.level) > qualityLevelDB {
				t.Errorf("%s: the tone comes out %+.2f dB; want within %.1f dB", c, r.level, qualityLevelDB)
			}
			if r.snr < qualitySNRFloorDB {
				t.Errorf("%s: SNR %.2f dB; want at least %.1f dB", c, r.snr, qualitySNRFloorDB)
			}
			if r.snr < r.ffSNR-qualitySNRSlackDB {
				t.Errorf("%s: SNR %.2f dB, ffmpeg's %.2f dB: worse by more than %.1f dB", c, r.snr, r.ffSNR, qualitySNRSlackDB)
			}
		} else if enc.name != "µ-law" && r.reject < qualityRejectDB {
			t.Errorf("%s: the output is only %.1f dB below the tone; want at least %.0f dB", c, r.reject, qualityRejectDB)
		} else if r.alias < qualityRejectDB {
			t.Errorf("%s: the tone's alias at %.0f Hz is only %.1f dB below it; want at least %.0f dB", c, 8000-c.freq, r.alias, qualityRejectDB)
		}
	}
	return results
}

// qualityMeasure converts c's tone and measures ours, and ffmpeg's
// output if there is one.
func qualityMeasure(ffmpeg string, enc qualityEncoding, rate int, c qualityCase) (qualityResult, error) {
	r := qualityResult{enc: enc.name, rate: rate, ch: c.ch, freq: c.freq, ffLevel: math.NaN(), ffSNR: math.NaN(), ffReject: math.NaN(), ffAlias: math.NaN()}
	out, err := io.ReadAll(convert.NewReader(bytes.NewReader(c.in), convert.Options{
		Policy: wavcheck.Policy{Codecs: []wavcheck.Codec{wavcheck.ALaw}, MaxSize: 1<<32 + 8},
	}))
	if err != nil {
		return r, fmt.Errorf("convert: %w", err)
	}
	x, err := tonefit.ALawSamples(out)
	if err != nil {
		return r, fmt.Errorf("our output: %w", err)
	}
	if len(x) != 8000 {
		return r, fmt.Errorf("our output has %d samples; want 8000 (1 s)", len(x))
	}
	if r.level, r.snr, r.reject, r.alias, err = measure(x, c.freq, c.amp); err != nil {
		return r, err
	}
	if ffmpeg == "" {
		return r, nil
	}
	ff, err := os.ReadFile(c.ffmpegPath)
	if err != nil {
		return r, err
	}
	y, err := tonefit.ALawSamples(ff)
	if err != nil {
		return r, fmt.Errorf("ffmpeg's output: %w", err)
	}
	if r.ffLevel, r.ffSNR, r.ffReject, r.ffAlias, err = measure(y, c.freq, c.amp); err != nil {
		return r, fmt.Errorf("ffmpeg's output: %w", err)
	}
	return r, nil
}

// logQualityTable logs a row per input (encoding, rate, channels): the
// kept tones' SNR and level and the removed tones' rejection (the whole
// output, then the alias's component), ours and ffmpeg's; then the
// extremes.
func logQualityTable(t *testing.T, results []qualityResult, withFFmpeg bool) {
	if len(results) == 0 {
		return
	}
	type key struct {
		enc      string
		rate, ch int
	}
	byInput := map[key]map[float64]qualityResult{}
	var keys []key
	order := map[string]int{}
	for i, e := range qualityEncodings {
		order[e.name] = i
	}
	for _, r := range results {
		k := key{r.enc, r.rate, r.ch}
		if byInput[k] == nil {
			byInput[k] = map[float64]qualityResult{}
			keys = append(keys, k)
		}
		byInput[k][r.freq] = r
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.enc != b.enc {
			return order[a.enc] < order[b.enc]
		}
		if a.rate != b.rate {
			return a.rate < b.rate
		}
		return a.ch < b.ch
	})
	f := func(format string, v float64) string {
		if math.IsNaN(v) {
			return "—"
		}
		return fmt.Sprintf(format, v)
	}
	pair := func(format string, a, b float64) string { return f(format, a) + "/" + f(format, b) }
	var sb strings.Builder
	fmt.Fprintf(&sb, "ours/ffmpeg, dB: SNR after A-law and level change of the kept tones; how far below the removed tones the whole output is, and the alias's component\n")
	fmt.Fprintf(&sb, "%-8s %6s %2s | %-11s %-11s | %-11s %-11s | %-11s %-11s | %-11s %-11s\n",
		"input", "Hz", "ch", "SNR 1013", "SNR 3011", "lvl 1013", "lvl 3011", "all 5003", "all 6007", "alias 5003", "alias 6007")
	minMargin, minRej, minFFRej, maxLevel := math.Inf(1), math.Inf(1), math.Inf(1), 0.0
	minSNR, minFFSNR := math.Inf(1), math.Inf(1)
	minAlias, minFFAlias := math.Inf(1), math.Inf(1)
	for _, k := range keys {
		m := byInput[k]
		k1, k3, r5, r6 := m[keptTones[0]], m[keptTones[1]], m[rejectTones[0]], m[rejectTones[1]]
		fmt.Fprintf(&sb, "%-8s %6d %2d | %-11s %-11s | %-11s %-11s | %-11s %-11s | %-11s %-11s\n",
			k.enc, k.rate, k.ch,
			pair("%.1f", k1.snr, k1.ffSNR), pair("%.1f", k3.snr, k3.ffSNR),
			pair("%+.2f", k1.level, k1.ffLevel), pair("%+.2f", k3.level, k3.ffLevel),
			pair("%.1f", r5.reject, r5.ffReject), pair("%.1f", r6.reject, r6.ffReject),
			pair("%.0f", r5.alias, r5.ffAlias), pair("%.0f", r6.alias, r6.ffAlias))
		for _, r := range []qualityResult{k1, k3} {
			if r.freq == 0 {
				continue
			}
			minSNR, minFFSNR = math.Min(minSNR, r.snr), math.Min(minFFSNR, r.ffSNR)
			if !math.IsNaN(r.ffSNR) {
				minMargin = math.Min(minMargin, r.snr-r.ffSNR)
			}
			maxLevel = math.Max(maxLevel, math.Abs(r.level))
		}
		for _, r := range []qualityResult{r5, r6} {
			if r.freq == 0 {
				continue
			}
			minAlias, minFFAlias = math.Min(minAlias, r.alias), math.Min(minFFAlias, r.ffAlias)
			if r.enc != "µ-law" {
				minRej, minFFRej = math.Min(minRej, r.reject), math.Min(minFFRej, r.ffReject)
			}
		}
	}
	fmt.Fprintf(&sb, "%d cases. Ours: SNR ≥ %.1f dB, level within ±%.2f dB, whole output ≥ %.1f dB down (µ-law inputs aside), alias ≥ %.1f dB down", len(results), minSNR, maxLevel, minRej, minAlias)
	if withFFmpeg {
		fmt.Fprintf(&sb, ".\nffmpeg's: SNR ≥ %.1f dB, whole output ≥ %.1f dB down (µ-law inputs aside), alias ≥ %.1f dB down. Ours − ffmpeg's SNR ≥ %+.2f dB", minFFSNR, minFFRej, minFFAlias, minMargin)
	}
	t.Log("\n" + sb.String())
}
