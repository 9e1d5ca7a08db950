// Package wavfile builds RIFF WAVE files byte by byte. It is a runtime
// part: "ccfs bench" builds its load with File, and convert names format
// tags by its constants. The tests and ccfstest
// build their fixtures with it too, valid or deliberately broken (a
// Chunk's Size and NoPad).
package wavfile

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/ccfs-go/ccfs/internal/g711"
)

// Format tags.
const (
	TagPCM        = 0x0001
	TagFloat      = 0x0003
	TagALaw       = 0x0006
	TagMuLaw      = 0x0007
	TagExtensible = 0xFFFE
)

// A Chunk is one RIFF chunk. Size, when not nil, is written instead of
// len(Data); the pad byte after odd-sized data is written unless NoPad.
type Chunk struct {
	ID    string
	Data  []byte
	Size  *uint32
	NoPad bool
}

// Fmt describes a fmt chunk. Zero ByteRate and BlockAlign are derived from
// the other fields; Size is 16 (default), 18 or 40 (extensible, with
// SubTag in the SubFormat GUID).
type Fmt struct {
	Tag        uint16
	Channels   int
	Rate       int
	Bits       int
	ByteRate   int
	BlockAlign int
	Size       int
	SubTag     uint16
}

// ALaw8k is the format CC-FS accepts by default.
var ALaw8k = Fmt{Tag: TagALaw, Channels: 1, Rate: 8000, Bits: 8}

// Chunk returns the fmt chunk.
func (f Fmt) Chunk() Chunk {
	align := f.BlockAlign
	if align == 0 {
		align = f.Channels * ((f.Bits + 7) / 8)
	}
	rate := f.ByteRate
	if rate == 0 {
		rate = f.Rate * align
	}
	size := f.Size
	if size == 0 {
		size = 16
	}
	b := make([]byte, size)
	binary.LittleEndian.PutUint16(b[0:], f.Tag)
	binary.LittleEndian.PutUint16(b[2:], uint16(f.Channels))
	binary.LittleEndian.PutUint32(b[4:], uint32(f.Rate))
	binary.LittleEndian.PutUint32(b[8:], uint32(rate))
	binary.LittleEndian.PutUint16(b[12:], uint16(align))
	binary.LittleEndian.PutUint16(b[14:], uint16(f.Bits))
	if size >= 18 {
		binary.LittleEndian.PutUint16(b[16:], uint16(size-18))
	}
	if size == 40 {
		binary.LittleEndian.PutUint16(b[18:], uint16(f.Bits))
		binary.LittleEndian.PutUint32(b[20:], 4) // front centre
		binary.LittleEndian.PutUint16(b[24:], f.SubTag)
		copy(b[26:], []byte{0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71})
	}
	return Chunk{ID: "fmt ", Data: b}
}

// Data returns a data chunk of n bytes of a 1 kHz tone, G.711-encoded for
// A-law and µ-law, unsigned for 8-bit PCM, little-endian otherwise.
func Data(f Fmt, n int) Chunk {
	b := make([]byte, n)
	for i := range b {
		frame := i / max(1, f.Channels*((f.Bits+7)/8))
		v := math.Sin(2 * math.Pi * 1000 * float64(frame) / float64(max(1, f.Rate)))
		switch f.Tag {
		case TagALaw:
			b[i] = g711.ALaw(int16(v * 8000))
		case TagMuLaw:
			b[i] = g711.MuLaw(int16(v * 8000))
		default:
			b[i] = byte(128 + int(v*60))
		}
	}
	return Chunk{ID: "data", Data: b}
}

// Build returns a RIFF WAVE file holding chunks, with the RIFF size that
// matches them, in one allocation of the file's size. Its sizes are 32
// bits: chunks of 4 GiB or more get sizes that are wrong, as a test may
// want; a program's file comes from New, which refuses them.
func Build(chunks ...Chunk) []byte {
	size := len("WAVE")
	for _, c := range chunks {
		size += len(c.ID) + 4 + len(c.Data) + c.pad()
	}
	out := make([]byte, 0, 8+size)
	out = append(out, "RIFF"...)
	out = binary.LittleEndian.AppendUint32(out, uint32(size))
	out = append(out, "WAVE"...)
	for _, c := range chunks {
		out = append(out, c.ID...)
		n := uint32(len(c.Data))
		if c.Size != nil {
			n = *c.Size
		}
		out = binary.LittleEndian.AppendUint32(out, n)
		out = append(out, c.Data...)
		out = out[:len(out)+c.pad()] // the pad byte, zero
	}
	return out
}

// pad is the number of pad bytes written after the chunk's data.
func (c Chunk) pad() int {
	if len(c.Data)%2 == 1 && !c.NoPad {
		return 1
	}
	return 0
}

// New returns a file of format f whose data chunk holds n bytes of audio,
// in one allocation (for the tests' large files): file is the whole file, audio the part of it to fill
// (zero until then). It refuses an n whose file the 32-bit RIFF size
// cannot describe (about 4 GiB).
func New(f Fmt, n int) (file, audio []byte, err error) {
	head := Build(f.Chunk(), Chunk{ID: "data", Size: U32(uint32(n))})
	whole := uint64(len(head)) + uint64(n) + uint64(n%2)
	if n < 0 || uint64(n) > math.MaxUint32 || whole-8 > math.MaxUint32 || whole > math.MaxInt {
		return nil, nil, fmt.Errorf("wavfile: %d bytes of audio do not fit in a WAV file", n)
	}
	file = make([]byte, whole)
	copy(file, head)
	binary.LittleEndian.PutUint32(file[4:], uint32(whole-8))
	return file, file[len(head) : len(head)+n], nil
}

// File returns a valid file of format f with n bytes of audio.
func File(f Fmt, n int) []byte {
	return Build(f.Chunk(), Data(f, n))
}

// U32 returns a pointer to v, for Chunk.Size.
func U32(v uint32) *uint32 { return &v }
