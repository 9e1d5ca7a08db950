package wavcheck_test

import (
	"bytes"
	"io"
	"testing"

	"github.com/ccfs-go/ccfs/bench/ratio"
	"github.com/ccfs-go/ccfs/internal/wavfile"
	"github.com/ccfs-go/ccfs/wavcheck"
)

// sink stands for a store: it copies what it is given into a fixed buffer.
type sink struct{ buf [32 << 10]byte }

func (s *sink) Write(p []byte) (int, error) {
	for rest := p; len(rest) > 0; {
		rest = rest[copy(s.buf[:], rest):]
	}
	return len(p), nil
}

// BenchmarkChecker copies a 5 MiB file through a Checker to a sink and
// reports, measured in the same run, the plain io.Copy of the same bytes
// to the same sink (copy-MB/s) and the ratio (x-copy; the target is
// >= 0.9, that is, checking adds under 10 %).
func BenchmarkChecker(b *testing.B) {
	file := wavfile.File(alaw, 5<<20-44)
	dst := &sink{}
	buf := make([]byte, 32<<10)
	plain := ratio.Baseline{Name: "copy"}
	b.SetBytes(int64(len(file)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		plain.Run(b, func() { io.CopyBuffer(dst, struct{ io.Reader }{bytes.NewReader(file)}, buf) })
		c := wavcheck.NewChecker(wavcheck.Policy{})
		if _, err := io.CopyBuffer(io.MultiWriter(c, dst), struct{ io.Reader }{bytes.NewReader(file)}, buf); err != nil {
			b.Fatal(err)
		}
		if err := c.Close(); err != nil {
			b.Fatal(err)
		}
	}
	plain.Report(b, int64(len(file)))
}
