package tonefit_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ccfs-go/ccfs/internal/g711"
	"github.com/ccfs-go/ccfs/internal/testkit/tonefit"
	"github.com/ccfs-go/ccfs/internal/wavfile"
)

// A known sine plus known noise: Measure finds the sine's level and the
// SNR the noise gives it, within 0.1 dB (the fit takes a little of the
// noise with it: 3 columns of 7200 samples).
func TestMeasureKnownSNR(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 8))
	for _, c := range []struct {
		freq, amp, gain, noise float64
	}{
		{1013, 0.35, 1, 0.003},
		{3011, 0.35, 0.9, 0.01},
		{440, 0.1, 1.05, 0.0001},
	} {
		x := make([]float64, tonefit.Rate)
		var noise float64
		for i := range x {
			n := c.noise * rng.NormFloat64()
			if i >= tonefit.Edge && i < len(x)-tonefit.Edge {
				noise += n * n
			}
			x[i] = c.gain*c.amp*math.Sin(2*math.Pi*c.freq*float64(i)/tonefit.Rate+0.3) + 0.002 + n
		}
		noise /= float64(len(x) - 2*tonefit.Edge)
		want := 10 * math.Log10(c.gain*c.gain*c.amp*c.amp/2/noise)
		f, err := tonefit.Measure(x, c.freq, c.amp)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(f.SNRDB-want) > 0.1 {
			t.Errorf("%.0f Hz: SNR %.3f dB; want %.3f", c.freq, f.SNRDB, want)
		}
		if want := tonefit.DB(c.gain); math.Abs(f.LevelDB-want) > 0.01 {
			t.Errorf("%.0f Hz: level %+.3f dB; want %+.3f", c.freq, f.LevelDB, want)
		}
	}
}

// A removed tone of amplitude 0.9 whose alias at 8000 − 6007 Hz is left
// 70 dB down, beside a tone at 1 kHz 50 dB down: the alias measure sees
// the alias alone (to within the little of the other tone the fit
// takes), the whole-output measure both.
func TestMeasureRejection(t *testing.T) {
	const amp = 0.9
	alias, other := amp*math.Pow(10, -70.0/20), amp*math.Pow(10, -50.0/20)
	x := make([]float64, tonefit.Rate)
	for i := range x {
		s := float64(i) / tonefit.Rate
		x[i] = alias*math.Sin(2*math.Pi*(8000-6007)*s) + other*math.Sin(2*math.Pi*1000*s)
	}
	f, err := tonefit.Measure(x, 6007, amp)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(f.AliasDB-70) > 0.05 {
		t.Errorf("alias %.3f dB down; want 70", f.AliasDB)
	}
	// The whole power: 10^-5 + 10^-7 of the tone's.
	if want := -10 * math.Log10(1e-5+1e-7); math.Abs(f.RejectDB-want) > 0.01 {
		t.Errorf("whole output %.3f dB down; want %.3f", f.RejectDB, want)
	}
	if _, err := tonefit.Measure(x[:4*tonefit.Edge-1], 6007, amp); err == nil {
		t.Error("Measure took too short an output")
	}
}

// ALawSamples reads an A-law file back, and refuses another format.
func TestALawSamples(t *testing.T) {
	audio := []byte{g711.ALaw(0), g711.ALaw(16384), g711.ALaw(-1000)}
	x, err := tonefit.ALawSamples(wavfile.Build(wavfile.ALaw8k.Chunk(), wavfile.Chunk{ID: "LIST", Data: []byte("INFOx")}, wavfile.Chunk{ID: "data", Data: audio}))
	if err != nil {
		t.Fatal(err)
	}
	if len(x) != 3 || math.Abs(x[1]-0.5) > 0.02 || math.Abs(x[2]+1000.0/32768) > 0.001 {
		t.Errorf("samples %v", x)
	}
	mu := wavfile.Fmt{Tag: wavfile.TagMuLaw, Channels: 1, Rate: 8000, Bits: 8, Size: 18}
	if _, err := tonefit.ALawSamples(wavfile.Build(mu.Chunk(), wavfile.Chunk{ID: "data", Data: audio})); err == nil {
		t.Error("a µ-law file read as A-law")
	}
	if _, err := tonefit.ALawSamples([]byte("RIFF\x04\x00\x00\x00WAVE")); err == nil {
		t.Error("a WAV file without data read")
	}
}
