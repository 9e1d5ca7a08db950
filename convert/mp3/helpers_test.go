package mp3

import (
	"bytes"
	"encoding/binary"
	"io"
	"math"
	"testing"

	"github.com/ccfs-go/ccfs/convert"
)

// decodeAll opens data and reads its whole Stream: the samples as int16,
// interleaved, and the error that ended them (nil at io.EOF).
func decodeAll(t *testing.T, data []byte) (info convert.StreamInfo, pcm []int16, err error) {
	t.Helper()
	s, err := Decoder.Open(bytes.NewReader(data))
	if err != nil {
		return convert.StreamInfo{}, nil, err
	}
	raw, err := io.ReadAll(s)
	if len(raw)%2 != 0 {
		t.Fatalf("an odd number of bytes: %d", len(raw))
	}
	pcm = make([]int16, len(raw)/2)
	for i := range pcm {
		pcm[i] = int16(binary.LittleEndian.Uint16(raw[2*i:]))
	}
	return s.Info(), pcm, err
}

// readWAV reads a 16-bit PCM WAV file: its rate, channels and samples.
func readWAV(t *testing.T, data []byte) (rate, channels int, pcm []int16) {
	t.Helper()
	if len(data) < 12 || string(data[:4]) != "RIFF" || string(data[8:12]) != "WAVE" {
		t.Fatal("not a WAV file")
	}
	for b := data[12:]; len(b) >= 8; {
		id, size := string(b[:4]), int(binary.LittleEndian.Uint32(b[4:]))
		b = b[8:]
		if size > len(b) {
			size = len(b)
		}
		switch id {
		case "fmt ":
			channels = int(binary.LittleEndian.Uint16(b[2:]))
			rate = int(binary.LittleEndian.Uint32(b[4:]))
			if bits := binary.LittleEndian.Uint16(b[14:]); bits != 16 {
				t.Fatalf("%d-bit WAV", bits)
			}
		case "data":
			pcm = make([]int16, size/2)
			for i := range pcm {
				pcm[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
			}
			return rate, channels, pcm
		}
		b = b[size+size&1:]
	}
	t.Fatal("a WAV file without a data chunk")
	return
}

// channel returns channel ch of interleaved samples.
func channel(pcm []int16, channels, ch int) []float64 {
	out := make([]float64, len(pcm)/channels)
	for i := range out {
		out[i] = float64(pcm[i*channels+ch])
	}
	return out
}

// bestLag returns the lag in [-max, max] at which got best matches want
// (got[i+lag] ≈ want[i]), by normalized cross-correlation, and that
// correlation.
func bestLag(want, got []float64, max int) (lag int, corr float64) {
	corr = math.Inf(-1)
	for l := -max; l <= max; l++ {
		var dot, ww, gg float64
		for i, w := range want {
			j := i + l
			if j < 0 || j >= len(got) {
				continue
			}
			dot += w * got[j]
			ww += w * w
			gg += got[j] * got[j]
		}
		if ww == 0 || gg == 0 {
			continue
		}
		if c := dot / math.Sqrt(ww*gg); c > corr {
			lag, corr = l, c
		}
	}
	return lag, corr
}
