package convert_test

import (
	"bytes"
	"io"
	"testing"

	"github.com/ccfs-go/ccfs/bench/ratio"
	"github.com/ccfs-go/ccfs/convert"
	"github.com/ccfs-go/ccfs/internal/wavfile"
)

// BenchmarkOddRate converts a 57-byte file at a rate no table is cached
// for (191001 Hz and up, a new one each time), which a caller can send
// before its signature is checked: each designs a filter table (the
// largest, 2^18 taps). The baseline, in the same run, is converting
// 256 KB of 16 kHz audio, whose table is cached; x-256KB is its time over
// the odd-rate file's (above 1: the odd-rate file costs less than 256 KB
// of audio does).
func BenchmarkOddRate(b *testing.B) {
	plain := wavfile.Build(wavfile.Fmt{Tag: wavfile.TagPCM, Channels: 1, Rate: 16000, Bits: 16}.Chunk(),
		wavfile.Chunk{ID: "data", Data: make([]byte, 256<<10)})
	base := ratio.Baseline{Name: "256KB"}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		base.Run(b, func() {
			if _, err := io.ReadAll(convert.NewReader(bytes.NewReader(plain), convert.Options{})); err != nil {
				b.Fatal(err)
			}
		})
		rate := 191001 + 2*(i%1000)
		i++
		f := wavfile.Fmt{Tag: wavfile.TagPCM, Channels: 1, Rate: rate, Bits: 8}
		in := wavfile.Build(f.Chunk(), wavfile.Chunk{ID: "data", Data: make([]byte, rate/8000+1)})
		if _, err := io.ReadAll(convert.NewReader(bytes.NewReader(in), convert.Options{})); err != nil {
			b.Fatal(err)
		}
	}
	base.Report(b, int64(len(plain)))
}
