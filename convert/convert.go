// Package convert turns the WAV files that TTS engines and sound editors
// write — 8, 16, 24 or 32-bit integer or 32-bit float PCM, any sample rate,
// any number of channels — into the 8000 Hz, 8-bit, mono G.711 files CC-FS
// accepts: it mixes the channels down, resamples through a windowed-sinc
// low-pass filter (so that what lies above 4 kHz is removed, not folded
// back), and encodes per ITU-T G.711.
package convert

import (
	"bytes"
	"errors"
	"fmt"
	"math"

	"github.com/go-audio/wav"

	"github.com/ccfs-go/ccfs/internal/g711"
	"github.com/ccfs-go/ccfs/internal/wavfile"
	"github.com/ccfs-go/ccfs/wavcheck"
)

// MaxInput is the largest input file Convert reads.
const MaxInput = 1 << 30

// Convert converts the WAV file in data to codec (ALaw or MuLaw) and
// returns the new file.
func Convert(data []byte, codec wavcheck.Codec) ([]byte, error) {
	if len(data) > MaxInput {
		return nil, fmt.Errorf("convert: input is over %d bytes", MaxInput)
	}
	if codec != wavcheck.ALaw && codec != wavcheck.MuLaw {
		return nil, fmt.Errorf("convert: can encode A-law or µ-law, not %v", codec)
	}
	// wavcheck validates the structure and resolves extensible headers;
	// format problems are what conversion is for.
	format, err := wavcheck.Inspect(bytes.NewReader(data), wavcheck.Policy{MaxSize: 1<<32 + 8})
	var problems wavcheck.Problems
	if err != nil && !errors.As(err, &problems) {
		return nil, fmt.Errorf("convert: %w", err)
	}
	float := false
	switch {
	case format.FormatTag == 1 && (format.BitsPerSample == 8 || format.BitsPerSample == 16 || format.BitsPerSample == 24 || format.BitsPerSample == 32):
	case format.FormatTag == 3 && format.BitsPerSample == 32:
		float = true
	case format.FormatTag == 6 || format.FormatTag == 7:
		if format.BitsPerSample != 8 {
			return nil, fmt.Errorf("convert: %s is not a valid G.711 file", format.Encoding())
		}
	default:
		return nil, fmt.Errorf("convert: cannot read %s (need integer or float PCM, or G.711)", format.Encoding())
	}
	if format.Channels < 1 || format.SampleRate < 1000 || format.SampleRate > 384000 {
		return nil, fmt.Errorf("convert: %d channels at %d Hz is not a file to convert", format.Channels, format.SampleRate)
	}
	samples, err := decode(data, format, float)
	if err != nil {
		return nil, err
	}
	mono := downmix(samples, format.Channels)
	out := resample(mono, format.SampleRate, wavcheck.SampleRate)
	enc := g711.ALaw
	tag := uint16(wavfile.TagALaw)
	if codec == wavcheck.MuLaw {
		enc, tag = g711.MuLaw, wavfile.TagMuLaw
	}
	f := wavfile.Fmt{Tag: tag, Channels: 1, Rate: wavcheck.SampleRate, Bits: 8}
	file, pcm, err := wavfile.New(f, max(1, len(out)))
	if err != nil {
		return nil, fmt.Errorf("convert: %w", err)
	}
	for i, v := range out {
		pcm[i] = enc(toInt16(v))
	}
	if len(out) == 0 {
		pcm[0] = enc(0)
	}
	return file, nil
}

// decode returns the interleaved samples of data as floats in [-1, 1].
func decode(data []byte, format wavcheck.Format, float bool) ([]float64, error) {
	d := wav.NewDecoder(bytes.NewReader(data))
	buf, err := d.FullPCMBuffer()
	if err != nil {
		return nil, fmt.Errorf("convert: decoding samples: %w", err)
	}
	out := make([]float64, len(buf.Data))
	for i, v := range buf.Data {
		switch {
		case format.FormatTag == 6:
			out[i] = float64(g711.ALawDecode(byte(v))) / 32768
		case format.FormatTag == 7:
			out[i] = float64(g711.MuLawDecode(byte(v))) / 32768
		case float:
			out[i] = float64(math.Float32frombits(uint32(v)))
		case format.BitsPerSample == 8:
			out[i] = float64(v-128) / 128
		default:
			out[i] = float64(v) / float64(int64(1)<<(format.BitsPerSample-1))
		}
	}
	return out, nil
}

// downmix averages the channels of interleaved samples.
func downmix(x []float64, channels int) []float64 {
	if channels == 1 {
		return x
	}
	out := make([]float64, len(x)/channels)
	for i := range out {
		var sum float64
		for c := range channels {
			sum += x[i*channels+c]
		}
		out[i] = sum / float64(channels)
	}
	return out
}

// halfTaps is the filter's half length in samples of the lower rate.
const halfTaps = 32

// resample converts x from rate from to rate to with a Blackman-windowed
// sinc filter whose cut-off is 0.45 of the lower rate: everything above
// the new Nyquist frequency is attenuated by the filter, not aliased.
func resample(x []float64, from, to int) []float64 {
	if from == to {
		return x
	}
	n := int(int64(len(x)) * int64(to) / int64(from))
	out := make([]float64, n)
	lower := float64(min(from, to))
	cutoff := 0.45 * lower / float64(from) // cycles per input sample
	width := float64(halfTaps) * float64(from) / lower
	step := float64(from) / float64(to)
	for i := range out {
		t := float64(i) * step // position in input samples
		lo := max(0, int(math.Ceil(t-width)))
		hi := min(len(x)-1, int(math.Floor(t+width)))
		var acc float64
		for k := lo; k <= hi; k++ {
			d := t - float64(k)
			acc += x[k] * kernel(d, cutoff, width)
		}
		out[i] = acc
	}
	return out
}

// kernel is the windowed sinc at distance d (in input samples).
func kernel(d, cutoff, width float64) float64 {
	if math.Abs(d) >= width {
		return 0
	}
	s := 2 * cutoff
	if d != 0 {
		s = math.Sin(2*math.Pi*cutoff*d) / (math.Pi * d)
	}
	w := 0.42 + 0.5*math.Cos(math.Pi*d/width) + 0.08*math.Cos(2*math.Pi*d/width)
	return s * w
}

func toInt16(v float64) int16 {
	v = math.Round(v * 32767)
	return int16(max(-32768, min(32767, v)))
}
