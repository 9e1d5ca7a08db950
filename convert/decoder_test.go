package convert_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/ccfs-go/ccfs/convert"
	"github.com/ccfs-go/ccfs/internal/wavfile"
	"github.com/ccfs-go/ccfs/wavcheck"
)

// A test format, registered as a Decoder: "TPCM", then the rate (4
// bytes), channels (2), the frames to skip (2) and to keep (4; all ones
// for unknown), then 16-bit PCM. An "ERR!" in the audio is a decoding
// error.
func init() {
	convert.Register(convert.Decoder{
		Name:  "TPCM",
		Match: func(head []byte) bool { return bytes.HasPrefix(head, []byte("TPCM")) },
		Open: func(r io.Reader) (convert.Stream, error) {
			var h [16]byte
			if _, err := io.ReadFull(r, h[:]); err != nil {
				return nil, err
			}
			s := &tpcm{r: r}
			s.info.Rate = int(binary.LittleEndian.Uint32(h[4:]))
			s.info.Channels = int(binary.LittleEndian.Uint16(h[8:]))
			s.info.Skip = int64(binary.LittleEndian.Uint16(h[10:]))
			s.info.Frames = int64(int32(binary.LittleEndian.Uint32(h[12:])))
			s.info.From = fmt.Sprintf("TPCM %d Hz", s.info.Rate)
			if s.info.Rate == 0 {
				return nil, errors.New("a zero rate")
			}
			return s, nil
		},
	})
}

type tpcm struct {
	r    io.Reader
	n    int
	info convert.StreamInfo
}

func (s *tpcm) Info() convert.StreamInfo { return s.info }

func (s *tpcm) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if bytes.Contains(p[:n], []byte("ERR!")) {
		return 0, errors.New("a bad frame")
	}
	s.n += n
	if err == io.EOF && s.n%2 == 1 {
		return n, io.ErrUnexpectedEOF
	}
	return n, err
}

// tpcmFile is a TPCM file of total frames, saying it skips skip of them
// and keeps frames (-1: not saying): skip frames of noise, then a 1 kHz
// tone from its first sample on.
func tpcmFile(rate, ch, skip, frames, total int) []byte {
	b := []byte("TPCM")
	b = binary.LittleEndian.AppendUint32(b, uint32(rate))
	b = binary.LittleEndian.AppendUint16(b, uint16(ch))
	b = binary.LittleEndian.AppendUint16(b, uint16(skip))
	b = binary.LittleEndian.AppendUint32(b, uint32(int32(frames)))
	x := sine(1000, rate, max(0, total-skip), 0.5)
	noise := make([]float64, min(skip, total))
	for i := range noise {
		noise[i] = float64(i%7-3) / 4
	}
	return append(b, pcm(interleave(append(noise, x...), ch), wavfile.TagPCM, 16)...)
}

func TestDecoderSkipAndFrames(t *testing.T) {
	for _, tc := range []struct {
		name                        string
		rate, ch, skip, keep, total int
		want                        int
	}{
		{"exact", 16000, 2, 0, 16000, 16000, 8000},
		{"delay and padding trimmed", 16000, 2, 1105, 16000, 16000 + 1105 + 700, 8000},
		{"length unknown: all of it, held", 24000, 1, 300, -1, 24000 + 300, 8000},
		{"44.1 kHz", 44100, 2, 529, 22050, 22050 + 529 + 1000, 4000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, r := convertAll(t, tpcmFile(tc.rate, tc.ch, tc.skip, tc.keep, tc.total), convert.Options{})
			y := decodeOut(t, out, wavcheck.ALaw)
			if len(y) != tc.want {
				t.Fatalf("%d samples, want %d", len(y), tc.want)
			}
			if s := r.Source(); s.Kind != "TPCM" || s.Encoding != "TPCM" || s.From != fmt.Sprintf("TPCM %d Hz", tc.rate) || s.Rate != tc.rate || s.Channels != tc.ch {
				t.Fatalf("Source %+v", s)
			}
			// The skipped frames are gone: the tone starts at its start,
			// so the first samples are near zero and rising.
			if y[0] > 0.05 || y[0] < -0.05 || y[1] <= y[0] {
				t.Fatalf("the first samples %.3f %.3f: the skipped frames were not dropped", y[0], y[1])
			}
		})
	}
}

func TestDecoderFaults(t *testing.T) {
	short := tpcmFile(16000, 1, 100, 16000, 9000)
	bad := tpcmFile(16000, 1, 0, 16000, 16000)
	copy(bad[2000:], "ERR!")
	for _, tc := range []struct {
		name string
		in   []byte
		want string
	}{
		{"ends before the frames it states", short, "stops"},
		{"cut inside a sample", tpcmFile(16000, 1, 0, -1, 16000)[:1001], "ends early"},
		{"a decoding error", bad, "cannot be decoded: a bad frame"},
		{"refused by Open", tpcmFile(0, 1, 0, -1, 0), "cannot be decoded: a zero rate"},
		{"cut in its header", []byte("TPCM\x01\x02"), "ends early"},
		{"a rate out of range", tpcmFile(4000, 1, 0, -1, 400), "1 to 256 channels at 8000 to 192000 Hz"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := io.ReadAll(convert.NewReader(bytes.NewReader(tc.in), convert.Options{}))
			var ce *convert.Error
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "TPCM") {
				t.Fatalf("%v; want a *convert.Error naming TPCM and saying %q", err, tc.want)
			}
		})
	}
	_, err := io.ReadAll(convert.NewReader(bytes.NewReader(short), convert.Options{}))
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("a stream cut short: %v does not wrap io.ErrUnexpectedEOF", err)
	}
}

func TestRegister(t *testing.T) {
	if !slices.Contains(convert.Decoders(), "TPCM") {
		t.Fatalf("Decoders() = %v, without the registered TPCM", convert.Decoders())
	}
	for name, d := range map[string]convert.Decoder{
		"twice":    {Name: "TPCM", Match: func([]byte) bool { return false }, Open: func(io.Reader) (convert.Stream, error) { return nil, nil }},
		"no name":  {Match: func([]byte) bool { return false }, Open: func(io.Reader) (convert.Stream, error) { return nil, nil }},
		"no Match": {Name: "X", Open: func(io.Reader) (convert.Stream, error) { return nil, nil }},
		"no Open":  {Name: "Y", Match: func([]byte) bool { return false }},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Register %s did not panic", name)
				}
			}()
			convert.Register(d)
		}()
	}
	// An unknown file names every kind the converter reads.
	_, err := io.ReadAll(convert.NewReader(strings.NewReader("what is this?"), convert.Options{}))
	if err == nil || !strings.Contains(err.Error(), "not a WAV file or TPCM") {
		t.Fatalf("%v; want it to name WAV and TPCM", err)
	}
}

// TestHeaderIsBuild: the converted file's header is what wavfile.Build
// writes for the same format and length, the pad byte after an odd
// length included.
func TestHeaderIsBuild(t *testing.T) {
	for _, n := range []int{1, 2, 999, 1000} {
		f := wavfile.Fmt{Tag: wavfile.TagPCM, Channels: 1, Rate: 8000, Bits: 16}
		in := wavfile.Build(f.Chunk(), wavfile.Chunk{ID: "data", Data: make([]byte, 2*n)})
		out, _ := convertAll(t, in, convert.Options{})
		want := wavfile.Build(wavfile.ALaw8k.Chunk(), wavfile.Chunk{ID: "data", Data: out[44 : 44+n]})
		if !bytes.Equal(out, want) {
			t.Errorf("%d samples: the file is\n%x\nwant\n%x", n, out[:44], want[:44])
		}
	}
}

// FuzzReader: whatever the input, the Reader ends (no panic, no endless
// loop), and what it makes, if it makes a file, is one CC-FS accepts.
func FuzzReader(f *testing.F) {
	pcm16 := wavfile.Fmt{Tag: wavfile.TagPCM, Channels: 2, Rate: 22050, Bits: 16}
	f.Add(wavfile.Build(pcm16.Chunk(), wavfile.Chunk{ID: "data", Data: make([]byte, 400)}))
	f.Add(wavfile.File(wavfile.ALaw8k, 50))
	f.Add(wavfile.Build(wavfile.Fmt{Tag: wavfile.TagFloat, Channels: 3, Rate: 44100, Bits: 64}.Chunk(), wavfile.Chunk{ID: "data", Data: make([]byte, 480), Size: wavfile.U32(0xFFFFFFFF)}))
	f.Add(tpcmFile(16000, 1, 3, 100, 110))
	f.Fuzz(func(t *testing.T, in []byte) {
		r := convert.NewReader(bytes.NewReader(in), convert.Options{Policy: wavcheck.Policy{MaxSize: 1 << 20}})
		out, err := io.ReadAll(io.LimitReader(r, 2<<20))
		if err != nil {
			return
		}
		if int64(len(out)) > 1<<20 {
			t.Fatalf("%d bytes out, over MaxSize", len(out))
		}
		if _, err := wavcheck.Inspect(bytes.NewReader(out), wavcheck.Policy{Codecs: []wavcheck.Codec{wavcheck.ALaw}, MaxSize: 1 << 20}); err != nil {
			t.Fatalf("made a file CC-FS refuses: %v", err)
		}
	})
}
