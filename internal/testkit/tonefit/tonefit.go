// Package tonefit measures what a converter made of a test tone: the
// quality suites of convert and convert/mp3 convert 1 s tones to 8 kHz
// A-law, with convert.Reader and with ffmpeg, and compare the two
// outputs. It is a test-only kit (hence internal/testkit): no program
// links it.
//
// An output is measured on its decoded A-law samples (ALawSamples),
// less Edge samples at each end, where a resampler's filter is still
// filling or emptying. A tone kept in the telephone band (below 4 kHz) is
// measured by a least-squares fit (FitSine) of a sine at its frequency,
// with a constant: the fitted sine's amplitude against the input tone's
// is the level change, and its power against the residual's (everything
// that is not the tone: the quantisers' noise, the filter's, any
// distortion) is the SNR. A tone above 4 kHz, which the converter must
// remove, is measured twice: the output's whole power below the tone's
// (the rejection), and the output's component at the frequency the tone
// folds to at 8 kHz, fitted the same way, below the tone (the alias). See
// Measure.
//
// FFmpegALaw converts a batch of files the way ffmpeg's own conversion
// would, one output per input, in one run of ffmpeg.
package tonefit

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os/exec"

	"github.com/ccfs-go/ccfs/internal/g711"
	"github.com/ccfs-go/ccfs/internal/wavfile"
)

// Rate is the sample rate of the outputs measured: 8 kHz, the prompts'.
const Rate = 8000

// Edge is how many samples Measure leaves out at each end of an output:
// 50 ms at Rate.
const Edge = 400

// ALawSamples returns the decoded samples of an 8000 Hz mono A-law WAV
// file (convert.Reader's, or ffmpeg's, which adds a LIST chunk), scaled
// to ±1. Any other format is an error.
func ALawSamples(file []byte) ([]float64, error) {
	if len(file) < 12 || string(file[:4]) != "RIFF" || string(file[8:12]) != "WAVE" {
		return nil, fmt.Errorf("not a WAV file")
	}
	var format []byte
	for p := 12; p+8 <= len(file); {
		id, size := string(file[p:p+4]), int(binary.LittleEndian.Uint32(file[p+4:]))
		body := file[p+8 : min(len(file), p+8+size)]
		switch id {
		case "fmt ":
			format = body
		case "data":
			if len(format) < 16 {
				return nil, fmt.Errorf("no fmt chunk before the data")
			}
			tag, ch := binary.LittleEndian.Uint16(format), binary.LittleEndian.Uint16(format[2:])
			rate, bits := binary.LittleEndian.Uint32(format[4:]), binary.LittleEndian.Uint16(format[14:])
			if tag != wavfile.TagALaw || ch != 1 || rate != Rate || bits != 8 {
				return nil, fmt.Errorf("format tag %d, %d channels, %d Hz, %d bits; want A-law 8000 Hz mono", tag, ch, rate, bits)
			}
			x := make([]float64, len(body))
			for i, c := range body {
				x[i] = float64(g711.ALawDecode(c)) / 32768
			}
			return x, nil
		}
		p += 8 + size + size%2
	}
	return nil, fmt.Errorf("no data chunk")
}

// FitSine fits a·cos + b·sin at freq (and a constant) to x sampled at
// rate, by least squares, and returns the fitted sine's amplitude,
// hypot(a, b), and the residual's mean square.
func FitSine(x []float64, freq float64, rate int) (amp, residual float64) {
	w := 2 * math.Pi * freq / float64(rate)
	// The normal equations for the columns cos, sin, 1.
	var m [3][3]float64
	var v [3]float64
	for i, s := range x {
		c, sn := math.Cos(w*float64(i)), math.Sin(w*float64(i))
		col := [3]float64{c, sn, 1}
		for r := range 3 {
			for k := range 3 {
				m[r][k] += col[r] * col[k]
			}
			v[r] += col[r] * s
		}
	}
	coef := solve3(m, v)
	var sum float64
	for i, s := range x {
		e := s - coef[0]*math.Cos(w*float64(i)) - coef[1]*math.Sin(w*float64(i)) - coef[2]
		sum += e * e
	}
	return math.Hypot(coef[0], coef[1]), sum / float64(len(x))
}

// solve3 solves m·x = v by Gaussian elimination with partial pivoting.
func solve3(m [3][3]float64, v [3]float64) [3]float64 {
	for c := range 3 {
		p := c
		for r := c + 1; r < 3; r++ {
			if math.Abs(m[r][c]) > math.Abs(m[p][c]) {
				p = r
			}
		}
		m[c], m[p] = m[p], m[c]
		v[c], v[p] = v[p], v[c]
		for r := c + 1; r < 3; r++ {
			f := m[r][c] / m[c][c]
			for k := c; k < 3; k++ {
				m[r][k] -= f * m[c][k]
			}
			v[r] -= f * v[c]
		}
	}
	var x [3]float64
	for r := 2; r >= 0; r-- {
		s := v[r]
		for k := r + 1; k < 3; k++ {
			s -= m[r][k] * x[k]
		}
		x[r] = s / m[r][r]
	}
	return x
}

// DB returns ratio, an amplitude ratio, in decibels: 20·log10(ratio).
func DB(ratio float64) float64 { return 20 * math.Log10(ratio) }

// Figures are what Measure finds in an output, in dB. For a kept tone
// (below 4 kHz) LevelDB and SNRDB are set and the others 0; for a removed
// one, RejectDB and AliasDB, and the others 0.
type Figures struct {
	// LevelDB is the fitted tone's amplitude against the input tone's:
	// 0 for a tone kept at its level.
	LevelDB float64
	// SNRDB is the fitted tone's power against the residual's.
	SNRDB float64
	// RejectDB is how far the output's whole power (its mean square) is
	// below the input tone's.
	RejectDB float64
	// AliasDB is how far the output's component at the frequency the tone
	// folds to at Rate (8000 − f for a tone between 4 and 8 kHz) is below
	// the input tone; at most 120 dB.
	AliasDB float64
}

// Measure measures x, the output at Rate of a tone of amplitude amp at
// freq, less Edge samples at each end: a tone below 4 kHz was to be kept,
// one above removed. x must hold at least 4·Edge samples.
func Measure(x []float64, freq, amp float64) (Figures, error) {
	if len(x) < 4*Edge {
		return Figures{}, fmt.Errorf("%d samples; want at least %d to measure", len(x), 4*Edge)
	}
	x = x[Edge : len(x)-Edge]
	if freq < Rate/2 {
		a, res := FitSine(x, freq, Rate)
		return Figures{LevelDB: DB(a / amp), SNRDB: 10 * math.Log10(a*a/2/res)}, nil
	}
	var sum float64
	for _, v := range x {
		sum += v * v
	}
	folded := math.Mod(freq, Rate)
	if folded > Rate/2 {
		folded = Rate - folded
	}
	a, _ := FitSine(x, folded, Rate)
	return Figures{
		RejectDB: -10 * math.Log10(sum/float64(len(x))/(amp*amp/2)),
		AliasDB:  math.Min(-DB(a/amp), 120),
	}, nil
}

// FFmpegALaw runs ffmpeg once to convert each of inputs to the output of
// the same index, as "ffmpeg -i IN -ar 8000 -ac 1 -c:a pcm_alaw OUT" would
// one by one: each output has its own resampler. Starting ffmpeg costs
// more than converting a 1 s tone, hence the batch. ffmpeg is the
// program's path (exec.LookPath("ffmpeg")).
func FFmpegALaw(ffmpeg string, inputs, outputs []string) error {
	if len(inputs) != len(outputs) {
		return errors.New("tonefit: as many outputs as inputs, please")
	}
	args := []string{"-nostdin", "-loglevel", "error", "-y"}
	for _, in := range inputs {
		args = append(args, "-i", in)
	}
	for i, out := range outputs {
		args = append(args, "-map", fmt.Sprintf("%d:a", i), "-ar", "8000", "-ac", "1", "-c:a", "pcm_alaw", out)
	}
	if msg, err := exec.Command(ffmpeg, args...).CombinedOutput(); err != nil {
		return fmt.Errorf("ffmpeg: %v\n%s", err, msg)
	}
	return nil
}
