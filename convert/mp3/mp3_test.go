package mp3

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/ccfs-go/ccfs/convert"
)

// chirp is what testdata/README.md's commands give aevalsrc: left rises
// from 100 Hz, right (a stereo file's) falls from 2000 Hz, n samples at
// rate, as 16-bit samples (to within the one of rounding).
func chirp(rate, channels, n int) [][]float64 {
	out := make([][]float64, channels)
	for ch := range out {
		out[ch] = make([]float64, n)
		for i := range n {
			t := float64(i) / float64(rate)
			x := 0.5 * math.Sin(2*math.Pi*(100+3000*t)*t)
			if ch == 1 {
				x = 0.4 * math.Sin(2*math.Pi*(2000-1500*t)*t)
			}
			out[ch][i] = math.Round(x * 32768)
		}
	}
	return out
}

// aligned decodes data and checks that, Skip dropped and Frames kept, it
// is orig: as long, and each channel lined up with orig's to within ±2
// samples. It returns the lag and correlation it measured, the worst
// channel's.
func aligned(t *testing.T, data []byte, rate int, orig [][]float64) (lag int, corr float64) {
	t.Helper()
	info, pcm, err := decodeAll(t, data)
	if err != nil {
		t.Fatal(err)
	}
	if info.Rate != rate || info.Channels != 2 {
		t.Fatalf("Info %+v, want %d Hz, 2 channels", info, rate)
	}
	n := int64(len(orig[0]))
	total := int64(len(pcm) / 2)
	if info.Frames != n {
		t.Fatalf("Frames %d, want %d (the original's length); Info %+v", info.Frames, n, info)
	}
	if total < info.Skip+info.Frames {
		t.Fatalf("%d frames decoded, fewer than Skip %d + Frames %d", total, info.Skip, info.Frames)
	}
	pcm = pcm[2*info.Skip : 2*(info.Skip+info.Frames)]
	corr = 1
	for ch, want := range orig {
		got := channel(pcm, 2, ch)
		if len(orig) == 1 {
			if other := channel(pcm, 2, 1); !slicesEqual(got, other) {
				t.Error("a mono file's two channels differ")
			}
		}
		l, c := bestLag(want, got, 50)
		if l < -2 || l > 2 {
			t.Errorf("channel %d is %d samples off the original (correlation %.3f)", ch, l, c)
		}
		if abs(l) > abs(lag) {
			lag = l
		}
		corr = min(corr, c)
	}
	return lag, corr
}

func slicesEqual(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// The committed fixtures, made by LAME through FFmpeg with a Xing (Info)
// header and LAME's delay and padding, line up with the chirp they were
// made from and are exactly as long.
func TestFixturesLineUp(t *testing.T) {
	for _, c := range []struct {
		file           string
		rate, channels int
		from           string
	}{
		{"chirp-44100-mono.mp3", 44100, 1, "MP3 44100 Hz mono, 32 kbit/s"},
		{"chirp-16000-stereo.mp3", 16000, 2, "MP3 16000 Hz stereo, 32 kbit/s"},
	} {
		t.Run(c.file, func(t *testing.T) {
			data := fixture(t, c.file)
			s, err := Decoder.Open(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Info().From; got != c.from {
				t.Errorf("From %q, want %q", got, c.from)
			}
			lag, corr := aligned(t, data, c.rate, chirp(c.rate, c.channels, c.rate*3/10))
			if corr < 0.9 {
				t.Errorf("correlation %.3f with the original", corr)
			}
			t.Logf("lag %d, correlation %.4f", lag, corr)
		})
	}
}

// Without a Xing header the file does not say its length or the
// encoder's delay: Skip is the decoder's delay alone, Frames -1, and the
// audio begins LAME's 576 samples later.
func TestNoXingHeader(t *testing.T) {
	info, pcm, err := decodeAll(t, fixture(t, "chirp-44100-mono-noxing.mp3"))
	if err != nil {
		t.Fatal(err)
	}
	if info.Skip != DecoderDelay || info.Frames != -1 {
		t.Fatalf("Info %+v, want Skip %d, Frames -1", info, DecoderDelay)
	}
	orig := chirp(44100, 1, 13230)[0]
	lag, corr := bestLag(orig, channel(pcm[2*info.Skip:], 2, 0), 1000)
	if lag < 574 || lag > 578 || corr < 0.9 {
		t.Errorf("after Skip the audio is %d samples in (correlation %.3f), want LAME's delay, 576", lag, corr)
	}
}

// go-mp3 does not decode MPEG-2.5 (8, 11.025 and 12 kHz); Match takes
// the file and Open says why it cannot read it.
func TestMPEG25(t *testing.T) {
	data := fixture(t, "chirp-8000-mono.mp3")
	if !Decoder.Match(data[:convert.MatchLen]) {
		t.Error("Match refuses an MPEG-2.5 file")
	}
	_, err := Decoder.Open(bytes.NewReader(data))
	if err == nil || !strings.Contains(err.Error(), "MPEG-2.5") {
		t.Errorf("Open: %v, want an error naming MPEG-2.5", err)
	}
}

// go-mp3 v0.3.4 reads a padded MPEG-2 frame a byte short when 144 ×
// bitrate / rate is even (22050 Hz at 32 kbit/s), and the audio after it
// is garbled (a correlation of 0.16 to 0.56 with the original, where
// FFmpeg's decoding has 0.9999): the Stream says so instead.
func TestPaddedMPEG2Misread(t *testing.T) {
	_, pcm, err := decodeAll(t, fixture(t, "chirp-22050-mono-32k.mp3"))
	if err == nil || !strings.Contains(err.Error(), "22050 Hz and 32 kbit/s") {
		t.Fatalf("%v, want the error that says go-mp3 misreads the file", err)
	}
	if len(pcm) > 2*2*576*3 {
		t.Errorf("%d samples before the error, more than the frames before the first padded one", len(pcm)/2)
	}
}

func TestMatch(t *testing.T) {
	for _, c := range []struct {
		head string
		want bool
	}{
		{"ID3\x04\x00\x00\x00\x00\x00\x23", true},
		{"\xff\xfb\x50\xc0", true},              // MPEG-1 Layer III, 64 kbit/s, 44.1 kHz
		{"\xff\xfa\x50\xc0", true},              // the same, with a CRC
		{"\xff\xf3\x40\xc0", true},              // MPEG-2 Layer III
		{"\xff\xe3\x20\xc0", true},              // MPEG-2.5 Layer III
		{"\xff\xfd\x50\xc0", false},             // Layer II
		{"\xff\xff\x50\xc0", false},             // Layer I
		{"\xff\xeb\x50\xc0", false},             // the reserved version
		{"\xff\xfb\xf0\xc0", false},             // bitrate index 15
		{"\xff\xfb\x00\xc0", false},             // free format
		{"\xff\xfb\x5c\xc0", false},             // sample rate index 3
		{"\xff\xfb\x50\xc2", false},             // reserved emphasis
		{"RIFF\x24\x00\x00\x00WAVEfmt ", false}, // a WAV file
		{"ID", false},
		{"", false},
	} {
		if got := Decoder.Match([]byte(c.head)); got != c.want {
			t.Errorf("Match(%q) = %v, want %v", c.head, got, c.want)
		}
	}
	if !Decoder.Match(fixture(t, "chirp-44100-mono-noxing.mp3")[:convert.MatchLen]) {
		t.Error("Match refuses a fixture")
	}
}

func TestRegistered(t *testing.T) {
	for _, name := range convert.Decoders() {
		if name == "MP3" {
			return
		}
	}
	t.Errorf("convert.Decoders() = %q, without MP3", convert.Decoders())
}

// A file cut anywhere after its first frame ends with an error wrapping
// io.ErrUnexpectedEOF: the Xing header's count of frames is not reached,
// or (with no Xing header) the last frame is cut short.
func TestTruncated(t *testing.T) {
	for _, file := range []string{"chirp-44100-mono.mp3", "chirp-16000-stereo.mp3", "chirp-44100-mono-noxing.mp3"} {
		data := fixture(t, file)
		for cut := 46; cut < len(data); cut += 37 {
			s, err := Decoder.Open(bytes.NewReader(data[:cut]))
			if err == nil {
				_, err = io.Copy(io.Discard, s)
			}
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("%s cut at %d of %d bytes: %v, want io.ErrUnexpectedEOF", file, cut, len(data), err)
			}
		}
	}
}

// A trailing ID3v1 tag is not a cut frame.
func TestID3v1Trailer(t *testing.T) {
	for _, file := range []string{"chirp-44100-mono.mp3", "chirp-44100-mono-noxing.mp3"} {
		data := append(fixture(t, file), "TAG"+strings.Repeat("x", 125)...)
		if _, _, err := decodeAll(t, data); err != nil {
			t.Errorf("%s with an ID3v1 tag: %v", file, err)
		}
	}
}

// Garbage is an error, not a panic, and not an endless loop.
func TestGarbage(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	id3 := []byte("ID3\x04\x00\x00\x00\x00\x00\x0a0123456789")
	noXing := fixture(t, "chirp-44100-mono-noxing.mp3")
	for name, data := range map[string][]byte{
		"random after an ID3 tag":     append(append([]byte{}, id3...), random(20000)...),
		"an ID3 tag alone":            id3,
		"an ID3 tag claiming 256 MiB": []byte("ID3\x04\x00\x00\x7f\x7f\x7f\x7f"),
		"a malformed ID3 tag":         []byte("ID3\x04\x00\x00\xff\xff\xff\xff"),
		"a frame header alone":        []byte("\xff\xfb\x50\xc0"),
		"zeros":                       make([]byte, 5000),
		"a Layer II frame":            append([]byte("\xff\xfd\x50\xc0"), make([]byte, 400)...),
	} {
		_, _, err := decodeAll(t, data)
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	// Random bytes in the middle of a file: an error or a shorter (or
	// noisier) file, but an end.
	for i := range 20 {
		data := append([]byte{}, noXing...)
		copy(data[200+i*40:], random(300))
		decodeAll(t, data)
	}
}

// Open reads the first frame and no more.
func TestOpenReadsLittle(t *testing.T) {
	data := fixture(t, "chirp-44100-mono.mp3")
	r := &countingReader{r: bytes.NewReader(data)}
	if _, err := Decoder.Open(r); err != nil {
		t.Fatal(err)
	}
	if r.n > 8192 {
		t.Errorf("Open read %d bytes", r.n)
	}
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// withoutID3 returns data past its leading ID3v2 tag.
func withoutID3(data []byte) []byte {
	if len(data) >= 10 && string(data[:3]) == "ID3" {
		return data[10+(int(data[6])<<21|int(data[7])<<14|int(data[8])<<7|int(data[9])):]
	}
	return data
}

// A Xing header that counts fewer frames than the file holds must not
// make the converter decode everything after them: the trailer's drain
// ran go-mp3 over the rest of the file, up to MaxInput (50 MB), for
// output it then threw away — seconds of CPU a stranger buys with one
// upload before its signature is checked (an 8 kbit/s MP3 costs about
// 5 s of CPU per MB to decode). Such a file is refused once the audio
// runs well past what its header counts.
func TestXingUndercountIsNotDecodedToTheEnd(t *testing.T) {
	base := fixture(t, "chirp-44100-mono.mp3")
	i := bytes.Index(base, []byte("Info"))
	if i < 0 {
		t.Fatal("no Info header in the fixture")
	}
	data := bytes.Clone(base)
	binary.BigEndian.PutUint32(data[i+8:], 2) // two frames, of the 14
	frames := withoutID3(fixture(t, "chirp-44100-mono-noxing.mp3"))
	for range 200 {
		data = append(data, frames...)
	}
	r := convert.NewReader(bytes.NewReader(data), convert.Options{})
	_, err := io.Copy(io.Discard, r)
	if err == nil || !strings.Contains(err.Error(), "Xing") {
		t.Fatalf("a file holding 200 times the frames its Xing header counts: %v; want it refused, saying the Xing header counts fewer", err)
	}
	t.Log(err)
	// A genuine file, and one whose Xing header counts a frame or two too
	// few, still convert.
	h, ok := parseHeader(frames)
	if !ok {
		t.Fatal("the fixture does not begin with a frame")
	}
	for _, extra := range [][]byte{nil, frames[:h.size()]} {
		if _, err := io.Copy(io.Discard, convert.NewReader(bytes.NewReader(append(bytes.Clone(base), extra...)), convert.Options{})); err != nil {
			t.Fatalf("%d bytes more than the Xing header counts: %v", len(extra), err)
		}
	}
}

// go-mp3 decodes frames of another sample rate after the first as if
// they were of the first's: MPEG-2 16 kHz frames after MPEG-1 44.1 kHz
// ones come out 2.76 times too fast, a garbled prompt stored as a
// success. No encoder writes such a file; it is refused.
func TestSampleRateChangeIsRefused(t *testing.T) {
	data := append(fixture(t, "chirp-44100-mono-noxing.mp3"), withoutID3(fixture(t, "chirp-16000-stereo.mp3"))...)
	_, err := io.Copy(io.Discard, convert.NewReader(bytes.NewReader(data), convert.Options{}))
	if err == nil {
		t.Fatal("44.1 kHz frames then 16 kHz frames converted as one 44.1 kHz file; want an error naming the change")
	}
	t.Log(err)
}
