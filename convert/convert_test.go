package convert_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/ccfs-go/ccfs/convert"
	"github.com/ccfs-go/ccfs/internal/g711"
	"github.com/ccfs-go/ccfs/internal/wavfile"
	"github.com/ccfs-go/ccfs/wavcheck"
)

// sine returns n samples of a sine at freq Hz, sampled at rate.
func sine(freq float64, rate, n int, amp float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = amp * math.Sin(2*math.Pi*freq*float64(i)/float64(rate))
	}
	return x
}

// level returns the amplitude of the sine at freq in x (Goertzel over a
// whole number of cycles' worth, near enough over many).
func level(x []float64, freq float64, rate int) float64 {
	w := 2 * math.Pi * freq / float64(rate)
	var re, im float64
	for i, v := range x {
		re += v * math.Cos(w*float64(i))
		im -= v * math.Sin(w*float64(i))
	}
	return 2 * math.Hypot(re, im) / float64(len(x))
}

func rms(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v * v
	}
	return math.Sqrt(s / float64(len(x)))
}

func db(x float64) float64 { return 20 * math.Log10(x) }

// rates are the input rates the filter is measured at: the common ones
// and odd ones, whose tables round the position to the nearest phase
// (44056: of 512; 96001: of 363, to hold the table to 1 MB).
var rates = []int{8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000, 88200, 96000, 192000, 44056, 96001}

// TestTablesAreBounded: a caller choosing odd rates makes no table over
// 1 MB, and the cache holds a dozen at most.
func TestTablesAreBounded(t *testing.T) {
	for rate := 190000; rate < 190000+40; rate++ {
		if phases, taps := convert.TableSize(rate); taps > 1<<18 || phases < 1 {
			t.Fatalf("%d Hz: %d phases, %d taps", rate, phases, taps)
		}
		f := wavfile.Fmt{Tag: wavfile.TagPCM, Channels: 1, Rate: rate, Bits: 16}
		if _, err := io.ReadAll(convert.NewReader(bytes.NewReader(wavfile.Build(f.Chunk(), wavfile.Chunk{ID: "data", Data: make([]byte, 200)})), convert.Options{})); err != nil {
			t.Fatal(err)
		}
		if n := convert.Tables(); n > 12 {
			t.Fatalf("%d tables cached", n)
		}
	}
}

func TestFilterPassesTheTelephoneBandFlat(t *testing.T) {
	for _, rate := range rates {
		for _, f := range []float64{100, 300, 1000, 2000, 3000, 3400} {
			x := sine(f, rate, rate, 0.5)
			y := widen(convert.Resample(narrow(x), rate))
			if len(y) != 8000 {
				t.Fatalf("%d Hz: %d samples out of %d in, want 8000", rate, len(y), rate)
			}
			if g := db(level(y[400:7600], f, 8000) / 0.5); math.Abs(g) > 0.1 {
				t.Errorf("%d Hz in: a %v Hz tone comes out %+.3f dB; want within 0.1 dB", rate, f, g)
			}
		}
	}
}

func TestFilterRejectsWhatWouldFoldBack(t *testing.T) {
	for _, rate := range rates[1:] {
		for f := 4050.0; f < float64(rate)/2; f *= 1.07 {
			x := sine(f, rate, rate/2, 0.5)
			y := widen(convert.Resample(narrow(x), rate))
			// Whatever comes out of a tone above 4 kHz is its alias.
			if r := db(rms(y[400:len(y)-400]) / rms(x)); r > -60 {
				t.Errorf("%d Hz in: a %.0f Hz tone is only %.1f dB down; want at least 60", rate, f, -r)
			}
		}
	}
	// The test can fail: without the filter, 6 kHz at 16 kHz folds to
	// 2 kHz at full level.
	x := sine(6000, 16000, 16000, 0.5)
	dropped := make([]float64, 0, 8000)
	for i := 0; i < len(x); i += 2 {
		dropped = append(dropped, x[i])
	}
	if db(rms(dropped)/rms(x)) < -1 {
		t.Fatal("decimating 6 kHz does not alias; the test above proves nothing")
	}
}

func narrow(x []float64) []float32 {
	y := make([]float32, len(x))
	for i, v := range x {
		y[i] = float32(v)
	}
	return y
}

func widen(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

// pcm encodes interleaved samples in [-1, 1] as a WAV data chunk's bytes.
func pcm(x []float64, tag uint16, bits int) []byte {
	var b []byte
	for _, v := range x {
		switch {
		case tag == wavfile.TagFloat && bits == 32:
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(float32(v)))
		case tag == wavfile.TagFloat:
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
		case tag == wavfile.TagALaw:
			b = append(b, g711.ALaw(int16(math.Round(v*32767))))
		case tag == wavfile.TagMuLaw:
			b = append(b, g711.MuLaw(int16(math.Round(v*32767))))
		case bits == 8:
			b = append(b, byte(128+int(math.Round(v*127))))
		case bits == 16:
			b = binary.LittleEndian.AppendUint16(b, uint16(int16(math.Round(v*32767))))
		case bits == 24:
			s := int32(math.Round(v * 8388607))
			b = append(b, byte(s), byte(s>>8), byte(s>>16))
		case bits == 32:
			b = binary.LittleEndian.AppendUint32(b, uint32(int32(math.Round(v*2147483647))))
		}
	}
	return b
}

// interleave repeats each mono sample on ch channels.
func interleave(mono []float64, ch int) []float64 {
	x := make([]float64, 0, len(mono)*ch)
	for _, v := range mono {
		for range ch {
			x = append(x, v)
		}
	}
	return x
}

// decodeOut returns a converted file's samples, checking it is what
// CC-FS accepts in codec.
func decodeOut(t *testing.T, out []byte, codec wavcheck.Codec) []float64 {
	t.Helper()
	f, err := wavcheck.Inspect(bytes.NewReader(out), wavcheck.Policy{Codecs: []wavcheck.Codec{codec}, MaxSize: 1 << 30})
	if err != nil {
		t.Fatalf("the converted file is refused: %v", err)
	}
	data := out[44 : 44+f.DataSize]
	y := make([]float64, len(data))
	for i, c := range data {
		switch codec {
		case wavcheck.MuLaw:
			y[i] = float64(g711.MuLawDecode(c)) / 32768
		case wavcheck.PCM8:
			y[i] = float64(int(c)-128) / 128
		default:
			y[i] = float64(g711.ALawDecode(c)) / 32768
		}
	}
	return y
}

func convertAll(t *testing.T, in []byte, o convert.Options) ([]byte, *convert.Reader) {
	t.Helper()
	r := convert.NewReader(bytes.NewReader(in), o)
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return out, r
}

func TestEveryInputFormat(t *testing.T) {
	ext := func(f wavfile.Fmt) wavfile.Fmt {
		f.SubTag, f.Tag, f.Size = f.Tag, wavfile.TagExtensible, 40
		return f
	}
	for _, tc := range []struct {
		name string
		f    wavfile.Fmt
		from string
	}{
		{"8-bit PCM", wavfile.Fmt{Tag: wavfile.TagPCM, Channels: 1, Rate: 16000, Bits: 8}, "PCM 8-bit 16000 Hz mono"},
		{"16-bit PCM stereo", wavfile.Fmt{Tag: wavfile.TagPCM, Channels: 2, Rate: 22050, Bits: 16}, "PCM 16-bit 22050 Hz stereo"},
		{"16-bit PCM 6 channels", wavfile.Fmt{Tag: wavfile.TagPCM, Channels: 6, Rate: 48000, Bits: 16}, "PCM 16-bit 48000 Hz 6 channels"},
		{"24-bit PCM", wavfile.Fmt{Tag: wavfile.TagPCM, Channels: 1, Rate: 48000, Bits: 24}, "PCM 24-bit 48000 Hz mono"},
		{"32-bit PCM stereo", wavfile.Fmt{Tag: wavfile.TagPCM, Channels: 2, Rate: 44100, Bits: 32}, "PCM 32-bit 44100 Hz stereo"},
		{"32-bit float", wavfile.Fmt{Tag: wavfile.TagFloat, Channels: 1, Rate: 24000, Bits: 32}, "float 32-bit 24000 Hz mono"},
		{"64-bit float stereo", wavfile.Fmt{Tag: wavfile.TagFloat, Channels: 2, Rate: 32000, Bits: 64}, "float 64-bit 32000 Hz stereo"},
		{"extensible 24-bit", ext(wavfile.Fmt{Tag: wavfile.TagPCM, Channels: 2, Rate: 96000, Bits: 24}), "PCM 24-bit 96000 Hz stereo"},
		{"extensible float", ext(wavfile.Fmt{Tag: wavfile.TagFloat, Channels: 1, Rate: 44100, Bits: 32}), "float 32-bit 44100 Hz mono"},
		{"A-law 16 kHz", wavfile.Fmt{Tag: wavfile.TagALaw, Channels: 1, Rate: 16000, Bits: 8}, "A-law 8-bit 16000 Hz mono"},
		{"µ-law 8 kHz", wavfile.Fmt{Tag: wavfile.TagMuLaw, Channels: 1, Rate: 8000, Bits: 8}, "µ-law 8-bit 8000 Hz mono"},
		{"A-law 8 kHz stereo", wavfile.Fmt{Tag: wavfile.TagALaw, Channels: 2, Rate: 8000, Bits: 8}, "A-law 8-bit 8000 Hz stereo"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rate := tc.f.Rate
			mono := sine(1000, rate, rate*3/4, 0.5) // 0.75 s
			tag := tc.f.Tag
			if tag == wavfile.TagExtensible {
				tag = tc.f.SubTag
			}
			in := wavfile.Build(tc.f.Chunk(), wavfile.Chunk{ID: "data", Data: pcm(interleave(mono, tc.f.Channels), tag, tc.f.Bits)})
			for _, codec := range []wavcheck.Codec{wavcheck.ALaw, wavcheck.MuLaw, wavcheck.PCM8} {
				out, r := convertAll(t, in, convert.Options{Policy: wavcheck.Policy{Codecs: []wavcheck.Codec{codec}}})
				y := decodeOut(t, out, codec)
				if len(y) != 6000 {
					t.Fatalf("%v: %d samples, want 6000 (0.75 s)", codec, len(y))
				}
				tol := 0.3 // dB; G.711's and 8-bit PCM's own error
				if g := db(level(y[500:5500], 1000, 8000) / 0.5); math.Abs(g) > tol {
					t.Errorf("%v: 1 kHz at %+.2f dB", codec, g)
				}
				// A file the policy already accepts is passed through.
				same := tc.f.Rate == 8000 && tc.f.Channels == 1 && (tag == wavfile.TagMuLaw && codec == wavcheck.MuLaw || tag == wavfile.TagALaw && codec == wavcheck.ALaw)
				if got := r.Source(); got.From != tc.from || got.Kind != "WAV" || !strings.HasPrefix(tc.from, got.Encoding+" ") ||
					r.Converted() == same || r.Seconds() != 0.75 {
					t.Errorf("%v: Source %+v, Converted %v, Seconds %v; want From %q", codec, got, r.Converted(), r.Seconds(), tc.from)
				}
			}
		})
	}
}

func TestAcceptedFileIsPassedThroughAsItIs(t *testing.T) {
	in := wavfile.Build(wavfile.ALaw8k.Chunk(), wavfile.Chunk{ID: "LIST", Data: []byte("INFOISFT\x04\x00\x00\x00abc\x00")},
		wavfile.Data(wavfile.ALaw8k, 801), wavfile.Chunk{ID: "id3 ", Data: []byte("tag")})
	out, r := convertAll(t, in, convert.Options{})
	if !bytes.Equal(out, in) || r.Converted() {
		t.Fatalf("an accepted A-law file came out changed (%d bytes of %d), Converted %v", len(out), len(in), r.Converted())
	}
	// A policy that wants µ-law converts the same file.
	out, r = convertAll(t, in, convert.Options{Policy: wavcheck.Policy{Codecs: []wavcheck.Codec{wavcheck.MuLaw}}})
	if y := decodeOut(t, out, wavcheck.MuLaw); len(y) != 801 || !r.Converted() {
		t.Fatalf("A-law to µ-law: %d samples, Converted %v", len(y), r.Converted())
	}
}

// TestDurationIsKept checks the output's length, round(seconds × 8000),
// for lengths that do not divide evenly.
func TestDurationIsKept(t *testing.T) {
	for _, rate := range rates {
		for _, n := range []int{1, 2, 5, 6, 7, 137, 4411, rate + 3} {
			f := wavfile.Fmt{Tag: wavfile.TagPCM, Channels: 1, Rate: rate, Bits: 16}
			in := wavfile.Build(f.Chunk(), wavfile.Chunk{ID: "data", Data: pcm(sine(440, rate, n, 0.3), wavfile.TagPCM, 16)})
			want := int(math.Round(float64(n) * 8000 / float64(rate)))
			r := convert.NewReader(bytes.NewReader(in), convert.Options{})
			out, err := io.ReadAll(r)
			if want == 0 {
				var ce *convert.Error
				if !errors.As(err, &ce) || !strings.Contains(err.Error(), "no audio") {
					t.Errorf("%d samples at %d Hz: %v; want 'holds no audio'", n, rate, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%d samples at %d Hz: %v", n, rate, err)
			}
			if y := decodeOut(t, out, wavcheck.ALaw); len(y) != want || r.Seconds() != float64(want)/8000 {
				t.Errorf("%d samples at %d Hz: %d out (Seconds %v), want %d", n, rate, len(y), r.Seconds(), want)
			}
		}
	}
}

// TestPiecesMakeTheSameFile reads inputs a byte at a time, and with reads
// of odd sizes, and finds the same file as read whole.
func TestPiecesMakeTheSameFile(t *testing.T) {
	f := wavfile.Fmt{Tag: wavfile.TagPCM, Channels: 2, Rate: 44100, Bits: 24}
	in := wavfile.Build(f.Chunk(), wavfile.Chunk{ID: "data", Data: pcm(interleave(sine(700, 44100, 9001, 0.7), 2), wavfile.TagPCM, 24)},
		wavfile.Chunk{ID: "LIST", Data: []byte("INFO")})
	whole, _ := convertAll(t, in, convert.Options{})
	for name, r := range map[string]io.Reader{
		"a byte at a time": iotest.OneByteReader(bytes.NewReader(in)),
		"half reads":       iotest.HalfReader(bytes.NewReader(in)),
		"EOF with data":    iotest.DataErrReader(bytes.NewReader(in)),
	} {
		c := convert.NewReader(r, convert.Options{})
		var out []byte
		buf := make([]byte, 333)
		for {
			n, err := c.Read(buf)
			out = append(out, buf[:n]...)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		if !bytes.Equal(out, whole) || c.Written() != int64(len(whole)) {
			t.Errorf("%s: %d bytes (Written %d), want the %d of the whole read", name, len(out), c.Written(), len(whole))
		}
	}
	if err := iotest.TestReader(convert.NewReader(bytes.NewReader(in), convert.Options{}), whole); err != nil {
		t.Error(err)
	}
}

func TestUnknownLengthIsHeldToTheEnd(t *testing.T) {
	f := wavfile.Fmt{Tag: wavfile.TagPCM, Channels: 1, Rate: 16000, Bits: 16}
	in := wavfile.Build(f.Chunk(), wavfile.Chunk{ID: "data", Data: pcm(sine(1000, 16000, 8001, 0.5), wavfile.TagPCM, 16), Size: wavfile.U32(0xFFFFFFFF), NoPad: true})
	out, r := convertAll(t, in, convert.Options{})
	if y := decodeOut(t, out, wavcheck.ALaw); len(y) != 4001 || r.Seconds() != 4001.0/8000 {
		t.Fatalf("%d samples, Seconds %v; want 4001", len(y), r.Seconds())
	}
	// Held output is bounded by MaxHeld, with a reason that says what to
	// do instead.
	_, err := io.ReadAll(convert.NewReader(bytes.NewReader(in), convert.Options{MaxHeld: 4000}))
	var ce *convert.Error
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "PCM 16-bit 16000 Hz mono does not say how long it is, and is over 0.5 s") ||
		!strings.Contains(err.Error(), "Xing") {
		t.Fatalf("held past MaxHeld: %v", err)
	}
	if _, err := io.ReadAll(convert.NewReader(bytes.NewReader(in), convert.Options{MaxHeld: 4001})); err != nil {
		t.Fatalf("held up to MaxHeld: %v", err)
	}
	// And by the policy's size.
	_, err = io.ReadAll(convert.NewReader(bytes.NewReader(in), convert.Options{Policy: wavcheck.Policy{MaxSize: 2000}}))
	var se *wavcheck.SizeError
	if !errors.As(err, &se) || se.Limit != 2000 {
		t.Fatalf("held past MaxSize: %v", err)
	}
}

// TestRewriteStreamsWhatIsHeld: with Options.Rewrite, an input of
// unknown length streams behind a header of unknown sizes, and Header
// then gives the one that makes it the held file, byte for byte.
func TestRewriteStreamsWhatIsHeld(t *testing.T) {
	f := wavfile.Fmt{Tag: wavfile.TagPCM, Channels: 2, Rate: 22050, Bits: 16}
	in := wavfile.Build(f.Chunk(), wavfile.Chunk{ID: "data", Data: pcm(interleave(sine(1000, 22050, 22051, 0.5), 2), wavfile.TagPCM, 16), Size: wavfile.U32(0xFFFFFFFF), NoPad: true})
	held, _ := convertAll(t, in, convert.Options{})
	// Half the input, then a stall: the streamed output has begun.
	pr, pw := io.Pipe()
	go func() { pw.Write(in[:len(in)/2]) }()
	r := convert.NewReader(pr, convert.Options{Rewrite: true})
	first := make([]byte, 44+1000)
	if _, err := io.ReadFull(r, first); err != nil {
		t.Fatalf("the output does not stream before the input's end: %v", err)
	}
	if binary.LittleEndian.Uint32(first[40:]) != 0xFFFFFFFF || r.Header() != nil {
		t.Fatalf("the first header says %d samples, and Header is %x before the end", binary.LittleEndian.Uint32(first[40:]), r.Header())
	}
	go func() { pw.Write(in[len(in)/2:]); pw.Close() }()
	rest, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	out := append(first, rest...)
	copy(out, r.Header())
	if !bytes.Equal(out, held) {
		t.Fatalf("streamed and rewritten: %d bytes; held: %d, and they differ", len(out), len(held))
	}
	// The converted file's bound holds as it streams.
	_, err = io.ReadAll(convert.NewReader(bytes.NewReader(in), convert.Options{Rewrite: true, Policy: wavcheck.Policy{MaxSize: 5000}}))
	var se *wavcheck.SizeError
	if !errors.As(err, &se) || se.Limit != 5000 {
		t.Fatalf("streamed past MaxSize: %v", err)
	}
}

func TestSizes(t *testing.T) {
	f := wavfile.Fmt{Tag: wavfile.TagPCM, Channels: 1, Rate: 16000, Bits: 16}
	in := wavfile.Build(f.Chunk(), wavfile.Chunk{ID: "data", Data: make([]byte, 2*16000*3)}) // 3 s: 24044 bytes out
	var se *wavcheck.SizeError
	r := convert.NewReader(bytes.NewReader(in), convert.Options{Policy: wavcheck.Policy{MaxSize: 24000}})
	if n, err := r.Read(make([]byte, 100)); !errors.As(err, &se) || se.Size != 24044 || n != 0 {
		t.Fatalf("a converted file over MaxSize: %d bytes and %v; want a SizeError of 24044 before any byte", n, err)
	}
	if _, err := io.ReadAll(convert.NewReader(bytes.NewReader(in), convert.Options{MaxInput: 50000})); !errors.As(err, &se) || se.Limit != 50000 {
		t.Fatalf("an input over MaxInput: %v", err)
	}
	if _, err := io.ReadAll(convert.NewReader(bytes.NewReader(in), convert.Options{Policy: wavcheck.Policy{MaxSize: 24044}, MaxInput: int64(len(in))})); err != nil {
		t.Fatalf("at both limits: %v", err)
	}
}

func TestUnreadableFiles(t *testing.T) {
	pcm16 := wavfile.Fmt{Tag: wavfile.TagPCM, Channels: 1, Rate: 16000, Bits: 16}
	good := wavfile.Build(pcm16.Chunk(), wavfile.Chunk{ID: "data", Data: make([]byte, 3200)})
	for _, tc := range []struct {
		name, in, want string
	}{
		{"empty", "", "the file is empty"},
		{"not audio", "hello, world, this is text", "not a WAV file"},
		{"an MP3 with no decoder", "ID3\x04\x00\x00\x00\x00\x00\x00rest", "no MP3 decoder"},
		{"RF64", "RF64\xff\xff\xff\xffWAVEds64", "RF64"},
		{"AIFF", "FORM\x00\x00\x00\x10AIFFCOMM", "not a WAV file"},
		{"cut in the header", string(good[:30]), "ends after 30 bytes, inside the fmt chunk"},
		{"cut in the audio", string(good[:1000]), "ends after 1000 bytes, inside the data chunk"},
		{"garbage after the data", string(good) + "\x00\x01\x02garbage!", "not a chunk"},
		{"a chunk longer than the file", string(good) + "LIST\x00\x10\x00\x00abc", `inside the "LIST" chunk`},
		{"a few bytes after the data", string(good) + "abc", "3 bytes after the data chunk"},
		{"zero rate", string(wavfile.Build(wavfile.Fmt{Tag: wavfile.TagPCM, Channels: 1, Rate: 0, Bits: 16, ByteRate: 1, BlockAlign: 2}.Chunk(), wavfile.Chunk{ID: "data", Data: make([]byte, 100)})), "a sample rate of 0 Hz"},
		{"4 kHz", string(wavfile.File(wavfile.Fmt{Tag: wavfile.TagPCM, Channels: 1, Rate: 4000, Bits: 16}, 100)), "a sample rate of 4000 Hz"},
		{"no channels", string(wavfile.File(wavfile.Fmt{Tag: wavfile.TagPCM, Channels: 0, Rate: 16000, Bits: 16, BlockAlign: 2, ByteRate: 1}, 100)), "0 channels"},
		{"12-bit", string(wavfile.File(wavfile.Fmt{Tag: wavfile.TagPCM, Channels: 1, Rate: 16000, Bits: 12}, 100)), "12-bit PCM, which cannot be converted"},
		{"MP3 in WAV", string(wavfile.File(wavfile.Fmt{Tag: 0x55, Channels: 1, Rate: 16000, Bits: 0, BlockAlign: 1}, 100)), "format 0x0055"},
		{"ADPCM", string(wavfile.File(wavfile.Fmt{Tag: 0x11, Channels: 1, Rate: 8000, Bits: 4, BlockAlign: 256}, 100)), "4-bit format 0x0011"},
		{"wrong block align", string(wavfile.File(wavfile.Fmt{Tag: wavfile.TagPCM, Channels: 2, Rate: 16000, Bits: 16, BlockAlign: 2}, 100)), "block align of 2"},
		{"data before fmt", string(wavfile.Build(wavfile.Chunk{ID: "data", Data: []byte{1, 2}}, pcm16.Chunk())), "before the fmt chunk"},
		{"empty data", string(wavfile.Build(pcm16.Chunk(), wavfile.Chunk{ID: "data"})), "data chunk is empty"},
		{"one sample", string(wavfile.Build(wavfile.Fmt{Tag: wavfile.TagPCM, Channels: 1, Rate: 48000, Bits: 16}.Chunk(), wavfile.Chunk{ID: "data", Data: []byte{1, 0}})), "holds no audio"},
		{"bad chunk ID", "RIFF\x00\x00\x00\x00WAVE\x01\x02\x03\x04\x10\x00\x00\x00", "invalid ID"},
		{"unknown SubFormat", string(wavfile.File(wavfile.Fmt{Tag: wavfile.TagExtensible, Size: 40, SubTag: 0x1234, Channels: 1, Rate: 16000, Bits: 16}, 100)), "16-bit format 0x1234"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := io.ReadAll(convert.NewReader(strings.NewReader(tc.in), convert.Options{}))
			var ce *convert.Error
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("%v (after %d bytes out); want a *convert.Error saying %q", err, len(out), tc.want)
			}
		})
	}
}

func TestUnderlyingErrorsPassAsTheyAre(t *testing.T) {
	f := wavfile.Fmt{Tag: wavfile.TagPCM, Channels: 1, Rate: 16000, Bits: 16}
	in := wavfile.Build(f.Chunk(), wavfile.Chunk{ID: "data", Data: make([]byte, 32000)})
	boom := errors.New("boom")
	for _, at := range []int{0, 10, 44, 20000} {
		r := io.MultiReader(bytes.NewReader(in[:at]), iotest.ErrReader(boom))
		if _, err := io.ReadAll(convert.NewReader(r, convert.Options{})); err != boom {
			t.Errorf("an error after %d bytes came out as %v", at, err)
		}
	}
}

// TestMemoryDoesNotGrowWithTheFile converts 10 minutes of 48 kHz stereo
// generated on the fly and counts what the conversion allocates.
func TestMemoryDoesNotGrowWithTheFile(t *testing.T) {
	if testing.Short() {
		t.Skip("converts 10 minutes of audio")
	}
	alloc := func(seconds int) uint64 {
		in := generated(48000, 2, seconds)
		r := convert.NewReader(in, convert.Options{Policy: wavcheck.Policy{MaxSize: 1 << 30}})
		before := heapAlloc()
		n, err := io.Copy(io.Discard, r)
		if err != nil || n != int64(44+8000*seconds) {
			t.Fatalf("%d s: %d bytes, %v", seconds, n, err)
		}
		return heapAlloc() - before
	}
	short, long := alloc(10), alloc(600)
	t.Logf("allocated converting 10 s: %d KB; 600 s: %d KB", short>>10, long>>10)
	if long > 2*short+64<<10 {
		t.Fatalf("converting 600 s allocated %d KB, 10 s %d KB: it grows with the file", long>>10, short>>10)
	}
}
