package convert

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"

	"github.com/ccfs-go/ccfs/internal/g711"
	"github.com/ccfs-go/ccfs/internal/wavfile"
)

// extensibleGUID is what follows the format tag in the SubFormat GUID of
// every standard WAVE_FORMAT_EXTENSIBLE subformat.
const extensibleGUID = "\x00\x00\x00\x00\x10\x00\x80\x00\x00\xAA\x00\x38\x9B\x71"

// maxChannels bounds the channel count, and so a frame's size, before
// anything is allocated for it: far above any real file (22.2 surround
// has 24).
const maxChannels = 256

// unknownSize is the data chunk size a writer that cannot seek back (a
// TTS engine streaming its output) leaves: the audio runs to the end of
// the file.
const unknownSize = 0xFFFFFFFF

// wavFormat is what a WAV file's fmt chunk says, the extensible header
// resolved.
type wavFormat struct {
	tag        uint16
	extensible bool
	channels   int
	rate       int
	byteRate   int
	blockAlign int
	bits       int
}

// parseFmt reads a fmt chunk's body (at least 16 bytes, at most 40 kept).
func parseFmt(b []byte) (wavFormat, error) {
	f := wavFormat{
		tag:        binary.LittleEndian.Uint16(b[0:]),
		channels:   int(binary.LittleEndian.Uint16(b[2:])),
		rate:       int(binary.LittleEndian.Uint32(b[4:])),
		byteRate:   int(binary.LittleEndian.Uint32(b[8:])),
		blockAlign: int(binary.LittleEndian.Uint16(b[12:])),
		bits:       int(binary.LittleEndian.Uint16(b[14:])),
	}
	if f.tag == wavfile.TagExtensible {
		if len(b) < 40 {
			return f, errorf("the WAVE_FORMAT_EXTENSIBLE header is in a %d-byte fmt chunk; it needs 40", len(b))
		}
		if string(b[26:40]) != extensibleGUID {
			return f, errorf("the WAVE_FORMAT_EXTENSIBLE header names an unknown SubFormat")
		}
		f.tag, f.extensible = binary.LittleEndian.Uint16(b[24:]), true
	}
	return f, nil
}

// readable lists the encodings the converter reads: each one's tag and
// bits, its Source.Encoding, and its decoder.
var readable = []struct {
	tag  uint16
	bits int
	name string
	dec  decodeFunc
}{
	{wavfile.TagPCM, 8, "PCM 8-bit", decodeU8},
	{wavfile.TagPCM, 16, "PCM 16-bit", decodeS16},
	{wavfile.TagPCM, 24, "PCM 24-bit", decodeS24},
	{wavfile.TagPCM, 32, "PCM 32-bit", decodeS32},
	{wavfile.TagFloat, 32, "float 32-bit", decodeF32},
	{wavfile.TagFloat, 64, "float 64-bit", decodeF64},
	{wavfile.TagALaw, 8, "A-law 8-bit", decodeALaw},
	{wavfile.TagMuLaw, 8, "µ-law 8-bit", decodeMuLaw},
}

// reading returns f's entry in readable, if it has one.
func (f wavFormat) reading() (name string, dec decodeFunc, ok bool) {
	for _, r := range readable {
		if r.tag == f.tag && r.bits == f.bits {
			return r.name, r.dec, true
		}
	}
	return "", nil, false
}

// decoder returns the function that turns f's frames into mono samples,
// or says why f cannot be read.
func (f wavFormat) decoder() (decodeFunc, error) {
	if f.channels < 1 || f.channels > maxChannels {
		return nil, errorf("%d channels; a file to convert has 1 to %d", f.channels, maxChannels)
	}
	if f.rate < minRate || f.rate > maxRate {
		return nil, errorf("a sample rate of %d Hz; a file to convert has %d to %d Hz", f.rate, minRate, maxRate)
	}
	_, dec, ok := f.reading()
	if !ok {
		return nil, errorf("%s, which cannot be converted (need 8, 16, 24 or 32-bit integer PCM, 32 or 64-bit float, or 8-bit A-law or µ-law)", f.encoding())
	}
	if want := f.channels * f.bits / 8; f.blockAlign != want {
		return nil, errorf("a block align of %d, where %d channel(s) of %d bits need %d", f.blockAlign, f.channels, f.bits, want)
	}
	return dec, nil
}

// encoding names any sample encoding, read or not, as "12-bit PCM".
func (f wavFormat) encoding() string {
	name := fmt.Sprintf("format 0x%04X", f.tag)
	switch f.tag {
	case wavfile.TagPCM:
		name = "PCM"
	case wavfile.TagFloat:
		name = "float"
	case wavfile.TagALaw:
		name = "A-law"
	case wavfile.TagMuLaw:
		name = "µ-law"
	}
	return fmt.Sprintf("%d-bit %s", f.bits, name)
}

// kind is the Source's Encoding for f, "PCM 16-bit": one of readable's
// names, "other" for the rest.
func (f wavFormat) kind() string {
	if name, _, ok := f.reading(); ok {
		return name
	}
	return "other"
}

// describe is the Source's From for f: "PCM 16-bit 22050 Hz stereo".
func (f wavFormat) describe() string {
	kind := f.kind()
	if kind == "other" {
		kind = f.encoding()
	}
	return fmt.Sprintf("%s %d Hz %s", kind, f.rate, channelName(f.channels))
}

func channelName(n int) string {
	switch n {
	case 1:
		return "mono"
	case 2:
		return "stereo"
	}
	return fmt.Sprintf("%d channels", n)
}

// A decodeFunc decodes whole frames of ch interleaved channels from raw
// into dst, one mono sample per frame: the channels' mean, which cannot
// clip. Samples are scaled to [-1, 1).
type decodeFunc func(raw []byte, dst []float32, ch int)

// mix writes to dst the mean of each frame of ch values got by at(i).
func mix(dst []float32, ch int, at func(i int) float32) {
	if ch == 1 {
		for i := range dst {
			dst[i] = at(i)
		}
		return
	}
	inv := 1 / float32(ch)
	for i := range dst {
		var s float32
		for c := range ch {
			s += at(i*ch + c)
		}
		dst[i] = s * inv
	}
}

func decodeU8(raw []byte, dst []float32, ch int) {
	mix(dst, ch, func(i int) float32 { return float32(int(raw[i])-128) / 128 })
}

func decodeS16(raw []byte, dst []float32, ch int) {
	switch ch {
	case 1:
		raw = raw[:2*len(dst)]
		for i := range dst {
			dst[i] = float32(int16(binary.LittleEndian.Uint16(raw[2*i:]))) * (1.0 / 32768)
		}
	case 2: // the common case, unrolled
		raw = raw[:4*len(dst)]
		for i := range dst {
			l := int32(int16(binary.LittleEndian.Uint16(raw[4*i:])))
			r := int32(int16(binary.LittleEndian.Uint16(raw[4*i+2:])))
			dst[i] = float32(l+r) * (1.0 / 65536)
		}
	default:
		mix(dst, ch, func(i int) float32 { return float32(int16(binary.LittleEndian.Uint16(raw[2*i:]))) / 32768 })
	}
}

func decodeS24(raw []byte, dst []float32, ch int) {
	mix(dst, ch, func(i int) float32 {
		v := int32(uint32(raw[3*i])<<8|uint32(raw[3*i+1])<<16|uint32(raw[3*i+2])<<24) >> 8
		return float32(v) / (1 << 23)
	})
}

func decodeS32(raw []byte, dst []float32, ch int) {
	mix(dst, ch, func(i int) float32 {
		return float32(float64(int32(binary.LittleEndian.Uint32(raw[4*i:]))) / (1 << 31))
	})
}

func decodeF32(raw []byte, dst []float32, ch int) {
	mix(dst, ch, func(i int) float32 {
		return finite(float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))))
	})
}

func decodeF64(raw []byte, dst []float32, ch int) {
	mix(dst, ch, func(i int) float32 { return finite(math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))) })
}

// finite keeps a float sample finite and within ±4 (12 dB over full
// scale, where any real file's samples are): a NaN becomes silence, so
// that one bad sample cannot spread through the filter.
func finite(v float64) float32 {
	switch {
	case v != v:
		return 0
	case v > 4:
		return 4
	case v < -4:
		return -4
	}
	return float32(v)
}

// The G.711 codes, decoded once.
var aLawLinear, muLawLinear [256]float32

func init() {
	for i := range 256 {
		aLawLinear[i] = float32(g711.ALawDecode(byte(i))) / 32768
		muLawLinear[i] = float32(g711.MuLawDecode(byte(i))) / 32768
	}
}

func decodeALaw(raw []byte, dst []float32, ch int) {
	mix(dst, ch, func(i int) float32 { return aLawLinear[raw[i]] })
}

func decodeMuLaw(raw []byte, dst []float32, ch int) {
	mix(dst, ch, func(i int) float32 { return muLawLinear[raw[i]] })
}

// A header is what begin read of a WAV file up to its data chunk.
type header struct {
	format   wavFormat
	dataSize int64 // -1: to the end of the file
	riffSize int64 // what the RIFF header says
	odd      bool  // the data chunk's size is odd: a pad byte follows it
}

// readHeader reads a WAV file's chunks from in up to the data chunk's
// first byte. The RIFF size is not held against the chunks (writers that
// stream leave it 0 or too large); the chunks must be well formed.
func readHeader(in *input) (header, error) {
	var h header
	var b [40]byte
	if err := in.full(b[:12], "the RIFF header"); err != nil {
		return h, err
	}
	if string(b[8:12]) != "WAVE" {
		return h, errorf("a RIFF file of form %q, not WAVE", b[8:12])
	}
	h.riffSize = int64(binary.LittleEndian.Uint32(b[4:8]))
	seenFmt := false
	for {
		if err := in.full(b[:8], "a chunk header"); err != nil {
			return h, err
		}
		id, size := string(b[:4]), int64(binary.LittleEndian.Uint32(b[4:8]))
		at := in.n - 8
		if !fourCC(b[:4]) {
			return h, errorf("the chunk at byte %d has an invalid ID (bytes % X)", at, b[:4])
		}
		switch id {
		case "fmt ":
			if seenFmt {
				return h, errorf("a second fmt chunk at byte %d", at)
			}
			if size < 16 {
				return h, errorf("a fmt chunk of %d bytes; it needs at least 16", size)
			}
			keep := min(size, 40)
			if err := in.full(b[:keep], "the fmt chunk"); err != nil {
				return h, err
			}
			f, err := parseFmt(b[:keep])
			if err != nil {
				return h, err
			}
			if err := in.skip(size-keep+size&1, "the fmt chunk"); err != nil {
				return h, err
			}
			h.format, seenFmt = f, true
		case "data":
			if !seenFmt {
				return h, errorf("the data chunk comes before the fmt chunk")
			}
			switch size {
			case 0:
				return h, errorf("the data chunk is empty")
			case unknownSize:
				h.dataSize = -1
			default:
				h.dataSize, h.odd = size, size&1 == 1
			}
			return h, nil
		default:
			if err := in.skip(size+size&1, fmt.Sprintf("the %q chunk", id)); err != nil {
				return h, err
			}
		}
	}
}

// readTrailer reads what follows the data chunk to the end of the file:
// its pad byte, if the file has it, then whole chunks (LIST, id3 …).
func readTrailer(in *input, odd bool) error {
	var b [8]byte
	if odd {
		n, err := io.ReadFull(in, b[:1])
		if n == 0 && err == io.EOF {
			return nil // a final odd chunk written without its pad byte
		}
		if err != nil {
			return in.fault(err, "the data chunk's pad byte")
		}
	}
	for {
		n, err := io.ReadFull(in, b[:])
		switch {
		case n == 0 && err == io.EOF:
			return nil
		case err == io.ErrUnexpectedEOF:
			return errorf("%d bytes after the data chunk that are not a chunk", n)
		case err != nil:
			return in.fault(err, "a chunk after the data chunk")
		}
		if !fourCC(b[:4]) {
			return errorf("what follows the data chunk, at byte %d, is not a chunk (bytes % X)", in.n-8, b[:4])
		}
		size := int64(binary.LittleEndian.Uint32(b[4:]))
		if err := in.skip(size, fmt.Sprintf("the %q chunk", b[:4])); err != nil {
			return err
		}
		if size&1 == 1 { // its pad byte, if there is one
			if _, err := io.ReadFull(in, b[:1]); err != nil && err != io.EOF {
				return in.fault(err, "a pad byte")
			}
		}
	}
}

func fourCC(id []byte) bool {
	for _, c := range id {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}
