package convert_test

import (
	"encoding/binary"
	"io"
	"math"
	"runtime"

	"github.com/ccfs-go/ccfs/internal/wavfile"
)

// generated returns a WAV file of seconds of 16-bit PCM at rate on ch
// channels (a 1 kHz tone on each), made as it is read: a file of any
// length that takes no memory.
func generated(rate, ch, seconds int) io.Reader {
	frames := rate * seconds
	f := wavfile.Fmt{Tag: wavfile.TagPCM, Channels: ch, Rate: rate, Bits: 16}
	head := wavfile.Build(f.Chunk(), wavfile.Chunk{ID: "data", Size: wavfile.U32(uint32(frames * ch * 2))})
	// One second of frames, repeated: a 1 kHz tone fits a whole number of
	// cycles in a second at every rate.
	sec := make([]byte, rate*ch*2)
	for i := range rate {
		v := uint16(int16(8000 * math.Sin(2*math.Pi*1000*float64(i)/float64(rate))))
		for c := range ch {
			binary.LittleEndian.PutUint16(sec[(i*ch+c)*2:], v)
		}
	}
	readers := []io.Reader{bytesReader(head)}
	for range seconds {
		readers = append(readers, bytesReader(sec))
	}
	return io.MultiReader(readers...)
}

type byteSlice struct {
	b []byte
	i int
}

func (s *byteSlice) Read(p []byte) (int, error) {
	if s.i >= len(s.b) {
		return 0, io.EOF
	}
	n := copy(p, s.b[s.i:])
	s.i += n
	return n, nil
}

func bytesReader(b []byte) io.Reader { return &byteSlice{b: b} }

// heapAlloc returns the bytes allocated on the heap so far, in all.
func heapAlloc() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.TotalAlloc
}
