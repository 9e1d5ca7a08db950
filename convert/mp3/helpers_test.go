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
