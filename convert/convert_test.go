package convert_test

import (
	"bytes"
	"encoding/binary"
	"math"
	"testing"

	"github.com/ccfs-go/ccfs/convert"
	"github.com/ccfs-go/ccfs/internal/g711"
	"github.com/ccfs-go/ccfs/internal/wavfile"
	"github.com/ccfs-go/ccfs/wavcheck"
)

// tone returns seconds of a sine at freq Hz, sampled at rate.
func tone(freq float64, rate int, seconds float64, amp float64) []float64 {
	x := make([]float64, int(float64(rate)*seconds))
	for i := range x {
		x[i] = amp * math.Sin(2*math.Pi*freq*float64(i)/float64(rate))
	}
	return x
}

// power returns the power of x at freq (Goertzel), normalised so a full
// sine of amplitude a gives a²/2... roughly.
func power(x []float64, freq float64, rate int) float64 {
	w := 2 * math.Pi * freq / float64(rate)
	var re, im float64
	for i, v := range x {
		re += v * math.Cos(w*float64(i))
		im -= v * math.Sin(w*float64(i))
	}
	n := float64(len(x))
	return (re*re + im*im) / (n * n) * 2
}

func rms(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v * v
	}
	return math.Sqrt(s / float64(len(x)))
}

func TestResampleKeepsTheTone(t *testing.T) {
	in := tone(1000, 16000, 1, 0.5)
	out := convert.Resample(in, 16000, 8000)
	if len(out) != 8000 {
		t.Fatalf("%d samples", len(out))
	}
	mid := out[1000:7000] // away from the edges
	p1k := power(mid, 1000, 8000)
	if math.Abs(math.Sqrt(2*p1k)-0.5) > 0.01 {
		t.Fatalf("1 kHz amplitude after resampling %.4f, want 0.5", math.Sqrt(2*p1k))
	}
	// Nearly all the energy is at 1 kHz.
	if r := rms(mid); math.Abs(r-0.5/math.Sqrt2) > 0.005 {
		t.Fatalf("rms %.4f", r)
	}
	for _, f := range []float64{500, 2000, 3000} {
		if p := power(mid, f, 8000); p > 1e-6 {
			t.Errorf("power at %v Hz: %g", f, p)
		}
	}
}

func TestResampleRemovesWhatWouldAlias(t *testing.T) {
	// 6 kHz at 16 kHz would fold back to 2 kHz if samples were dropped.
	in := tone(6000, 16000, 1, 0.5)
	out := convert.Resample(in, 16000, 8000)[1000:7000]
	dropped := make([]float64, 0, 8000)
	for i := 0; i < len(in); i += 2 {
		dropped = append(dropped, in[i])
	}
	if rms(dropped) < 0.3 {
		t.Fatal("the test tone does not alias when decimated; the test proves nothing")
	}
	if r := rms(out); 20*math.Log10(r/rms(in)) > -60 {
		t.Fatalf("6 kHz attenuated only to %.1f dB", 20*math.Log10(r/rms(in)))
	}
}

func TestResampleUp(t *testing.T) {
	out := convert.Resample(tone(1000, 6000, 1, 0.5), 6000, 8000)
	if len(out) != 8000 || math.Abs(math.Sqrt(2*power(out[1000:7000], 1000, 8000))-0.5) > 0.01 {
		t.Fatal("1 kHz at 6 kHz did not come out as 1 kHz at 8 kHz")
	}
}

// pcmFile builds a WAV of x (mono or interleaved) in the given PCM format.
func pcmFile(x []float64, rate, channels, bits int, float bool) []byte {
	var data []byte
	for _, v := range x {
		switch {
		case float:
			data = binary.LittleEndian.AppendUint32(data, math.Float32bits(float32(v)))
		case bits == 8:
			data = append(data, byte(128+int(math.Round(v*127))))
		case bits == 16:
			data = binary.LittleEndian.AppendUint16(data, uint16(int16(math.Round(v*32767))))
		case bits == 24:
			s := int32(math.Round(v * 8388607))
			data = append(data, byte(s), byte(s>>8), byte(s>>16))
		case bits == 32:
			data = binary.LittleEndian.AppendUint32(data, uint32(int32(math.Round(v*2147483647))))
		}
	}
	tag := uint16(wavfile.TagPCM)
	if float {
		tag = wavfile.TagFloat
	}
	f := wavfile.Fmt{Tag: tag, Channels: channels, Rate: rate, Bits: bits}
	return wavfile.Build(f.Chunk(), wavfile.Chunk{ID: "data", Data: data})
}

func TestConvertEveryInputFormat(t *testing.T) {
	for _, tc := range []struct {
		name     string
		rate     int
		channels int
		bits     int
		float    bool
	}{
		{"16-bit 16 kHz mono", 16000, 1, 16, false},
		{"16-bit 22.05 kHz stereo", 22050, 2, 16, false},
		{"24-bit 48 kHz mono", 48000, 1, 24, false},
		{"32-bit 44.1 kHz stereo", 44100, 2, 32, false},
		{"float 24 kHz mono", 24000, 1, 32, true},
		{"8-bit 8 kHz mono", 8000, 1, 8, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mono := tone(1000, tc.rate, 0.5, 0.5)
			x := mono
			if tc.channels == 2 {
				x = make([]float64, 2*len(mono))
				for i, v := range mono {
					x[2*i], x[2*i+1] = v, v
				}
			}
			for _, codec := range []wavcheck.Codec{wavcheck.ALaw, wavcheck.MuLaw} {
				out, err := convert.Convert(pcmFile(x, tc.rate, tc.channels, tc.bits, tc.float), codec)
				if err != nil {
					t.Fatal(err)
				}
				format, err := wavcheck.Inspect(bytes.NewReader(out), wavcheck.Policy{Codecs: []wavcheck.Codec{codec}})
				if err != nil {
					t.Fatalf("%v: converted file refused: %v", codec, err)
				}
				if format.DataSize != 4000 {
					t.Fatalf("%v: %d samples, want 4000", codec, format.DataSize)
				}
				dec := g711.ALawDecode
				if codec == wavcheck.MuLaw {
					dec = g711.MuLawDecode
				}
				pcm := out[44:]
				y := make([]float64, len(pcm))
				for i, c := range pcm {
					y[i] = float64(dec(c)) / 32768
				}
				if a := math.Sqrt(2 * power(y[500:3500], 1000, 8000)); math.Abs(a-0.5) > 0.02 {
					t.Fatalf("%v: 1 kHz amplitude %.3f, want 0.5", codec, a)
				}
			}
		})
	}
}

func TestConvertRefuses(t *testing.T) {
	for name, in := range map[string][]byte{
		"not a WAV":  []byte("ID3 mp3 data here"),
		"MP3 in WAV": wavfile.File(wavfile.Fmt{Tag: 0x55, Channels: 1, Rate: 8000, Bits: 0}, 100),
		"12-bit":     wavfile.File(wavfile.Fmt{Tag: wavfile.TagPCM, Channels: 1, Rate: 8000, Bits: 12}, 100),
		"truncated":  wavfile.File(wavfile.ALaw8k, 100)[:80],
	} {
		if _, err := convert.Convert(in, wavcheck.ALaw); err == nil {
			t.Errorf("%s: converted", name)
		}
	}
}
