package wavcheck_test

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/ccfs-go/ccfs/internal/testkit/steps"
	"github.com/ccfs-go/ccfs/internal/wavfile"
	"github.com/ccfs-go/ccfs/wavcheck"
)

var alaw = wavfile.ALaw8k

func with(f wavfile.Fmt, edit func(*wavfile.Fmt)) wavfile.Fmt { edit(&f); return f }

// check runs a Checker over b in pieces of every size from 1 to 9 and
// whole, requires the same outcome each time, and returns it.
func check(t *testing.T, p wavcheck.Policy, b []byte) error {
	t.Helper()
	c := wavcheck.NewChecker(p)
	_, err := c.Write(b)
	if err == nil {
		err = c.Close()
	}
	for step := 1; step <= 9; step++ {
		c := wavcheck.NewChecker(p)
		var e error
		for rest := b; len(rest) > 0 && e == nil; {
			n := min(step, len(rest))
			_, e = c.Write(rest[:n])
			rest = rest[n:]
		}
		if e == nil {
			e = c.Close()
		}
		if (e == nil) != (err == nil) || e != nil && e.Error() != err.Error() {
			t.Fatalf("in %d-byte pieces: %v; whole: %v", step, e, err)
		}
	}
	return err
}

func TestAccepted(t *testing.T) {
	junk := wavfile.Chunk{ID: "JUNK", Data: []byte{1, 2, 3}}
	list := wavfile.Chunk{ID: "LIST", Data: append([]byte("INFOISFT"), []byte{14, 0, 0, 0, 'L', 'a', 'v', 'f', '6', '0', '.', '3', '.', '1', '0', '0', 0, 0}...)}
	fact := wavfile.Chunk{ID: "fact", Data: []byte{0x40, 0x1f, 0, 0}}
	all := wavcheck.Policy{Codecs: []wavcheck.Codec{wavcheck.ALaw, wavcheck.MuLaw, wavcheck.PCM8}}
	tests := []struct {
		name  string
		p     wavcheck.Policy
		file  []byte
		codec wavcheck.Codec
		data  int64
	}{
		{"minimal A-law", wavcheck.Policy{}, wavfile.File(alaw, 8000), wavcheck.ALaw, 8000},
		{"one sample", wavcheck.Policy{}, wavfile.File(alaw, 1), wavcheck.ALaw, 1},
		{"fmt of 18 bytes", wavcheck.Policy{}, wavfile.Build(with(alaw, func(f *wavfile.Fmt) { f.Size = 18 }).Chunk(), fact, wavfile.Data(alaw, 800)), wavcheck.ALaw, 800},
		{"extensible A-law", wavcheck.Policy{}, wavfile.Build(with(alaw, func(f *wavfile.Fmt) { f.Size = 40; f.Tag = wavfile.TagExtensible; f.SubTag = wavfile.TagALaw }).Chunk(), wavfile.Data(alaw, 80)), wavcheck.ALaw, 80},
		{"LIST before fmt (ffmpeg)", wavcheck.Policy{}, wavfile.Build(list, alaw.Chunk(), wavfile.Data(alaw, 100)), wavcheck.ALaw, 100},
		{"fact chunk (sox)", wavcheck.Policy{}, wavfile.Build(alaw.Chunk(), fact, wavfile.Data(alaw, 100)), wavcheck.ALaw, 100},
		{"odd chunk padded", wavcheck.Policy{}, wavfile.Build(junk, alaw.Chunk(), wavfile.Data(alaw, 101)), wavcheck.ALaw, 101},
		{"odd data last without pad", wavcheck.Policy{}, wavfile.Build(alaw.Chunk(), wavfile.Chunk{ID: "data", Data: make([]byte, 101), NoPad: true}), wavcheck.ALaw, 101},
		{"LIST after data", wavcheck.Policy{}, wavfile.Build(alaw.Chunk(), wavfile.Data(alaw, 100), list), wavcheck.ALaw, 100},
		{"µ-law allowed", all, wavfile.File(with(alaw, func(f *wavfile.Fmt) { f.Tag = wavfile.TagMuLaw }), 100), wavcheck.MuLaw, 100},
		{"8-bit PCM allowed", all, wavfile.File(with(alaw, func(f *wavfile.Fmt) { f.Tag = wavfile.TagPCM }), 100), wavcheck.PCM8, 100},
		{"extensible µ-law allowed", all, wavfile.Build(with(alaw, func(f *wavfile.Fmt) { f.Size = 40; f.Tag = wavfile.TagExtensible; f.SubTag = wavfile.TagMuLaw }).Chunk(), wavfile.Data(alaw, 80)), wavcheck.MuLaw, 80},
		{"exactly the size limit", wavcheck.Policy{MaxSize: 1000}, wavfile.File(alaw, 1000-44), wavcheck.ALaw, 956},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := check(t, tt.p, tt.file); err != nil {
				t.Fatalf("refused: %v", err)
			}
			f, err := wavcheck.Inspect(bytes.NewReader(tt.file), tt.p)
			if err != nil {
				t.Fatalf("Inspect: %v", err)
			}
			if f.Codec != tt.codec || f.DataSize != tt.data || f.Channels != 1 || f.SampleRate != 8000 || f.BitsPerSample != 8 {
				t.Fatalf("format %+v", f)
			}
			if want := tt.data * 1e9 / 8000; int64(f.Duration) != want {
				t.Fatalf("duration %v, want %dns", f.Duration, want)
			}
		})
	}
}

func TestRefused(t *testing.T) {
	valid := wavfile.File(alaw, 100)
	stereo := with(alaw, func(f *wavfile.Fmt) { f.Channels = 2 })
	tests := []struct {
		name string
		p    wavcheck.Policy
		file []byte
		kind any // *wavcheck.StructureError, *FormatError or *SizeError
		msg  string
	}{
		{"empty", wavcheck.Policy{}, nil, &wavcheck.StructureError{}, "the file is empty"},
		{"short header", wavcheck.Policy{}, valid[:10], &wavcheck.StructureError{}, "ends after 10 bytes, inside the RIFF header"},
		{"ID3", wavcheck.Policy{}, append([]byte("ID3\x04\x00"), valid...), &wavcheck.StructureError{}, `not a WAV file (starts with "ID3", an MP3 file)`},
		{"MP3 frame", wavcheck.Policy{}, []byte{0xFF, 0xFB, 0x90, 0x64, 0, 0, 0, 0, 0, 0, 0, 0}, &wavcheck.StructureError{}, "an MP3 file"},
		{"Ogg", wavcheck.Policy{}, []byte("OggS\x00\x02........"), &wavcheck.StructureError{}, "an Ogg file"},
		{"JSON", wavcheck.Policy{}, []byte(`{"a":1}`), &wavcheck.StructureError{}, `not a WAV file (starts with "{\"a\"")`},
		{"AVI", wavcheck.Policy{}, append([]byte("RIFF\x04\x00\x00\x00AVI "), 0), &wavcheck.StructureError{}, `a RIFF file of type "AVI "`},
		{"µ-law by default", wavcheck.Policy{}, wavfile.File(with(alaw, func(f *wavfile.Fmt) { f.Tag = wavfile.TagMuLaw }), 100), &wavcheck.FormatError{}, "8-bit µ-law; need 8-bit A-law"},
		{"16-bit PCM", wavcheck.Policy{}, wavfile.File(wavfile.Fmt{Tag: wavfile.TagPCM, Channels: 1, Rate: 8000, Bits: 16}, 100), &wavcheck.FormatError{}, "16-bit PCM; need 8-bit A-law"},
		{"16-bit PCM, two codecs allowed", wavcheck.Policy{Codecs: []wavcheck.Codec{wavcheck.ALaw, wavcheck.MuLaw}}, wavfile.File(wavfile.Fmt{Tag: wavfile.TagPCM, Channels: 1, Rate: 8000, Bits: 16}, 100), &wavcheck.FormatError{}, "16-bit PCM; need 8-bit A-law or µ-law"},
		{"float", wavcheck.Policy{}, wavfile.File(wavfile.Fmt{Tag: wavfile.TagFloat, Channels: 1, Rate: 8000, Bits: 32}, 100), &wavcheck.FormatError{}, "32-bit IEEE float; need 8-bit A-law"},
		{"stereo", wavcheck.Policy{}, wavfile.File(stereo, 100), &wavcheck.FormatError{}, "2 channels (stereo); need mono"},
		{"16 kHz", wavcheck.Policy{}, wavfile.File(with(alaw, func(f *wavfile.Fmt) { f.Rate = 16000 }), 100), &wavcheck.FormatError{}, "16000 Hz; need 8000 Hz"},
		{"byte rate", wavcheck.Policy{}, wavfile.File(with(alaw, func(f *wavfile.Fmt) { f.ByteRate = 16000 }), 100), &wavcheck.FormatError{}, "byte rate 16000 (128 kbit/s)"},
		{"block align", wavcheck.Policy{}, wavfile.File(with(alaw, func(f *wavfile.Fmt) { f.BlockAlign = 2 }), 100), &wavcheck.FormatError{}, "block align 2"},
		{"extensible unknown subformat", wavcheck.Policy{}, wavfile.Build(func() wavfile.Chunk {
			c := with(alaw, func(f *wavfile.Fmt) { f.Size = 40; f.Tag = wavfile.TagExtensible; f.SubTag = 6 }).Chunk()
			c.Data[39] = 0
			return c
		}(), wavfile.Data(alaw, 10)), &wavcheck.FormatError{}, "unknown SubFormat"},
		{"extensible in 18 bytes", wavcheck.Policy{}, wavfile.File(with(alaw, func(f *wavfile.Fmt) { f.Size = 18; f.Tag = wavfile.TagExtensible }), 10), &wavcheck.StructureError{}, "WAVE_FORMAT_EXTENSIBLE header in a 18-byte fmt chunk"},
		{"fmt of 20 bytes", wavcheck.Policy{}, wavfile.Build(wavfile.Chunk{ID: "fmt ", Data: make([]byte, 20)}, wavfile.Data(alaw, 10)), &wavcheck.StructureError{}, "fmt chunk of 20 bytes; need 16, 18 or 40"},
		{"two fmt", wavcheck.Policy{}, wavfile.Build(alaw.Chunk(), alaw.Chunk(), wavfile.Data(alaw, 10)), &wavcheck.StructureError{}, "a second fmt chunk at byte 36"},
		{"data before fmt", wavcheck.Policy{}, wavfile.Build(wavfile.Data(alaw, 10), alaw.Chunk()), &wavcheck.StructureError{}, "the data chunk comes before the fmt chunk"},
		{"fmt after data", wavcheck.Policy{}, wavfile.Build(alaw.Chunk(), wavfile.Data(alaw, 10), alaw.Chunk()), &wavcheck.StructureError{}, "a second fmt chunk"},
		{"no data", wavcheck.Policy{}, wavfile.Build(alaw.Chunk(), wavfile.Chunk{ID: "LIST", Data: make([]byte, 8)}), &wavcheck.StructureError{}, "no data chunk"},
		{"no fmt", wavcheck.Policy{}, wavfile.Build(wavfile.Chunk{ID: "LIST", Data: make([]byte, 30)}), &wavcheck.StructureError{}, "no fmt chunk"},
		{"empty data", wavcheck.Policy{}, wavfile.Build(alaw.Chunk(), wavfile.Chunk{ID: "data"}), &wavcheck.StructureError{}, "the data chunk is empty"},
		{"two data", wavcheck.Policy{}, wavfile.Build(alaw.Chunk(), wavfile.Data(alaw, 10), wavfile.Data(alaw, 10)), &wavcheck.StructureError{}, "a second data chunk"},
		{"bad chunk id", wavcheck.Policy{}, wavfile.Build(alaw.Chunk(), wavfile.Chunk{ID: "\x00\x00\x00\x00", Data: make([]byte, 4)}, wavfile.Data(alaw, 10)), &wavcheck.StructureError{}, "invalid ID bytes 00 00 00 00"},
		{"trailing bytes", wavcheck.Policy{}, append(bytes.Clone(valid), 0, 0, 0), &wavcheck.StructureError{}, "the file goes on past the 144 bytes its RIFF header declares"},
		{"truncated data", wavcheck.Policy{}, valid[:100], &wavcheck.StructureError{}, "data chunk declares 100 bytes but the file ends after 100"},
		{"truncated in fmt", wavcheck.Policy{}, valid[:30], &wavcheck.StructureError{}, "the RIFF header declares 144 bytes but the file ends after 30"},
		{"data larger than the file", wavcheck.Policy{}, wavfile.Build(alaw.Chunk(), wavfile.Chunk{ID: "data", Data: make([]byte, 80000), Size: wavfile.U32(50000000)}), &wavcheck.StructureError{}, `"data" chunk at byte 36 declares 50000000 bytes but the file ends after 80044`},
		{"RIFF size too small", wavcheck.Policy{}, append([]byte("RIFF\x08\x00\x00\x00WAVE"), valid[12:]...), &wavcheck.StructureError{}, "too few for a WAV file"},
		{"over the size limit", wavcheck.Policy{MaxSize: 1000}, wavfile.File(alaw, 1000-43), &wavcheck.SizeError{}, "file is 1002 bytes; the limit is 1000 bytes"},
		{"RIFF size 0xFFFFFFFF", wavcheck.Policy{}, append([]byte("RIFF\xff\xff\xff\xffWAVE"), valid[12:]...), &wavcheck.SizeError{}, "file is 4294967303 bytes; the limit is 5242880 bytes (5 MB)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := check(t, tt.p, tt.file)
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not say %q", err, tt.msg)
			}
			var ok bool
			switch tt.kind.(type) {
			case *wavcheck.StructureError:
				var e *wavcheck.StructureError
				ok = errors.As(err, &e)
			case *wavcheck.FormatError:
				var e *wavcheck.FormatError
				ok = errors.As(err, &e)
			case *wavcheck.SizeError:
				var e *wavcheck.SizeError
				ok = errors.As(err, &e)
			}
			if !ok {
				t.Errorf("error %T, want %T", err, tt.kind)
			}
			if _, ierr := wavcheck.Inspect(bytes.NewReader(tt.file), tt.p); ierr == nil {
				t.Error("Inspect accepted what the Checker refused")
			}
		})
	}
}

func TestInspectListsEveryProblem(t *testing.T) {
	file := wavfile.File(wavfile.Fmt{Tag: wavfile.TagPCM, Channels: 2, Rate: 16000, Bits: 16}, 6400)
	f, err := wavcheck.Inspect(bytes.NewReader(file), wavcheck.Policy{})
	var problems wavcheck.Problems
	if !errors.As(err, &problems) || len(problems) != 3 {
		t.Fatalf("err = %v, want three problems", err)
	}
	want := "16-bit PCM; need 8-bit A-law. 2 channels (stereo); need mono. 16000 Hz; need 8000 Hz"
	if err.Error() != want {
		t.Fatalf("err = %q\nwant  %q", err, want)
	}
	if f.Channels != 2 || f.SampleRate != 16000 || f.BitsPerSample != 16 || f.DataSize != 6400 || f.Duration.Milliseconds() != 100 {
		t.Fatalf("format %+v", f)
	}
	if s := f.String(); s != "16-bit PCM, 16000 Hz, 2 channels (stereo), 6400 bytes of audio (100ms)" {
		t.Fatalf("String() = %q", s)
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// hostile returns 80 KB files whose headers lie about their sizes.
func hostile() map[string][]byte {
	audio := make([]byte, 80000)
	return map[string][]byte{
		"2 GiB fmt chunk":     wavfile.Build(wavfile.Chunk{ID: "fmt ", Data: audio, Size: wavfile.U32(1 << 31)}),
		"0x7FFFFFF0 fmt":      wavfile.Build(wavfile.Chunk{ID: "fmt ", Data: audio, Size: wavfile.U32(0x7FFFFFF0)}),
		"2 GiB LIST chunk":    wavfile.Build(wavfile.Chunk{ID: "LIST", Data: audio, Size: wavfile.U32(1 << 31)}, alaw.Chunk()),
		"data beyond file":    wavfile.Build(alaw.Chunk(), wavfile.Chunk{ID: "data", Data: audio, Size: wavfile.U32(50000000)}),
		"RIFF size 0xFFFFFFF": append([]byte("RIFF\xff\xff\xff\xffWAVE"), wavfile.Build(alaw.Chunk(), wavfile.Chunk{ID: "data", Data: audio})[12:]...),
		"RIFF size in limit, data beyond": func() []byte {
			b := wavfile.Build(alaw.Chunk(), wavfile.Chunk{ID: "data", Data: audio, Size: wavfile.U32(5 << 19)})
			copy(b[4:8], []byte{0xF0, 0xFF, 0x4F, 0}) // RIFF size 5 MiB - 16: within the limit
			return b
		}(),
	}
}

func TestHostileHeadersRefusedFastAndSmall(t *testing.T) {
	for name, file := range hostile() {
		t.Run(name, func(t *testing.T) {
			var err error
			var read int64
			var ms0, ms1 runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&ms0)
			const runs = 10
			for range runs {
				cr := &countingReader{r: bytes.NewReader(file)}
				_, err = wavcheck.Inspect(cr, wavcheck.Policy{})
				read = cr.n
			}
			runtime.ReadMemStats(&ms1)
			alloc := (ms1.TotalAlloc - ms0.TotalAlloc) / runs
			if err == nil {
				t.Fatal("accepted")
			}
			t.Logf("%v; read %d bytes, allocated %d bytes", err, read, alloc)
			// The last case can only be caught at the end, having read the
			// whole 80 KB file; the rest stop within the first buffer.
			if limit := int64(64 << 10); read >= limit && name != "RIFF size in limit, data beyond" {
				t.Errorf("read %d bytes before refusing", read)
			}
			if alloc >= 64<<10 {
				t.Errorf("allocated %d bytes per check", alloc)
			}
		})
	}
}

func TestPolicyValidate(t *testing.T) {
	for _, p := range []wavcheck.Policy{{MaxSize: -1}, {MaxSize: 10}, {Codecs: []wavcheck.Codec{9}}, {MaxSize: 1 << 40}} {
		if p.Validate() == nil {
			t.Errorf("%+v accepted", p)
		}
	}
	if err := (wavcheck.Policy{}).Validate(); err != nil {
		t.Fatal(err)
	}
	for s, want := range map[string]wavcheck.Codec{"alaw": wavcheck.ALaw, "MuLaw": wavcheck.MuLaw, "ulaw": wavcheck.MuLaw, "pcm8": wavcheck.PCM8} {
		if c, err := wavcheck.ParseCodec(s); err != nil || c != want {
			t.Errorf("ParseCodec(%q) = %v, %v", s, c, err)
		}
	}
	if _, err := wavcheck.ParseCodec("mp3"); err == nil {
		t.Error("ParseCodec(mp3) accepted")
	}
	for _, c := range []wavcheck.Codec{wavcheck.ALaw, wavcheck.MuLaw, wavcheck.PCM8} {
		if back, err := wavcheck.ParseCodec(c.Name()); err != nil || back != c {
			t.Errorf("ParseCodec(%v.Name() = %q) = %v, %v", c, c.Name(), back, err)
		}
	}
	if name := wavcheck.Codec(9).Name(); name != "" {
		t.Errorf("Codec(9).Name() = %q", name)
	}
}

// TestReader: a Reader passes an accepted file through unchanged and ends
// with io.EOF; for a refused file it returns the problem the Checker
// finds, before EOF; an error from below comes back as it is.
func TestReader(t *testing.T) {
	alaw := wavfile.Fmt{Tag: wavfile.TagALaw, Channels: 1, Rate: 8000, Bits: 8}
	valid := wavfile.File(alaw, 5000)
	for _, step := range []int{1, 7, 4096, 1 << 20} {
		got, err := io.ReadAll(wavcheck.NewReader(iotest.HalfReader(steps.Reader(valid, step)), wavcheck.Policy{}))
		if err != nil || !bytes.Equal(got, valid) {
			t.Fatalf("steps of %d: %d bytes, %v", step, len(got), err)
		}
	}
	stereo := wavfile.File(wavfile.Fmt{Tag: wavfile.TagALaw, Channels: 2, Rate: 8000, Bits: 8}, 5000)
	_, err := io.ReadAll(wavcheck.NewReader(bytes.NewReader(stereo), wavcheck.Policy{}))
	var fe *wavcheck.FormatError
	if !errors.As(err, &fe) {
		t.Fatalf("stereo: %v, want a *FormatError", err)
	}
	_, err = io.ReadAll(wavcheck.NewReader(bytes.NewReader(valid[:100]), wavcheck.Policy{}))
	var se *wavcheck.StructureError
	if !errors.As(err, &se) {
		t.Fatalf("truncated: %v, want a *StructureError", err)
	}
	boom := errors.New("boom")
	_, err = io.ReadAll(wavcheck.NewReader(io.MultiReader(bytes.NewReader(valid[:100]), iotest.ErrReader(boom)), wavcheck.Policy{}))
	if err != boom {
		t.Fatalf("a failing source: %v, want %v", err, boom)
	}
}

// TestStreamingNamesEveryFormatReason: the streaming Checker and Reader
// refuse a fmt chunk wrong in several ways with every reason in one
// problem, in the order and words Inspect uses, as soon as the fmt chunk
// is in (whatever the writes' sizes), without reading on.
func TestStreamingNamesEveryFormatReason(t *testing.T) {
	file := wavfile.File(wavfile.Fmt{Tag: wavfile.TagPCM, Channels: 2, Rate: 22050, Bits: 16}, 8000)
	const want = "16-bit PCM; need 8-bit A-law. 2 channels (stereo); need mono. 22050 Hz; need 8000 Hz"
	_, inspected := wavcheck.Inspect(bytes.NewReader(file), wavcheck.Policy{})
	if inspected == nil || inspected.Error() != want {
		t.Fatalf("Inspect: %v, want %q", inspected, want)
	}
	for _, step := range []int{1, 7, 44, 4096, len(file)} {
		c := wavcheck.NewChecker(wavcheck.Policy{})
		var err error
		for off := 0; off < len(file) && err == nil; off += step {
			_, err = c.Write(file[off:min(off+step, len(file))])
		}
		var problems wavcheck.Problems
		if !errors.As(err, &problems) || err.Error() != want {
			t.Fatalf("Checker, writes of %d: %v, want Problems %q", step, err, want)
		}
		if n := c.Written(); n > 12+8+16+int64(step) {
			t.Fatalf("Checker, writes of %d: read on to byte %d past the fmt chunk", step, n)
		}
		var fe *wavcheck.FormatError
		if !errors.As(err, &fe) || fe.Field != "codec" {
			t.Fatalf("Checker, writes of %d: errors.As finds %v, want the codec's FormatError first", step, fe)
		}
	}
	_, err := io.ReadAll(wavcheck.NewReader(iotest.HalfReader(bytes.NewReader(file)), wavcheck.Policy{}))
	if err == nil || err.Error() != want {
		t.Fatalf("Reader: %v, want %q", err, want)
	}
	// One reason alone stays a *FormatError, as before.
	one := wavfile.File(wavfile.Fmt{Tag: wavfile.TagALaw, Channels: 1, Rate: 22050, Bits: 8}, 8000)
	_, err = io.ReadAll(wavcheck.NewReader(bytes.NewReader(one), wavcheck.Policy{}))
	if fe, ok := err.(*wavcheck.FormatError); !ok || fe.Msg != "22050 Hz; need 8000 Hz" {
		t.Fatalf("one reason: %#v, want the *FormatError \"22050 Hz; need 8000 Hz\"", err)
	}
}

// ReadHeader stops at the first sample, whatever comes before the data
// chunk, reads a format CC-FS refuses, and refuses a broken header or one
// longer than its limit.
func TestReadHeader(t *testing.T) {
	junk := wavfile.Chunk{ID: "JUNK", Data: []byte{1, 2, 3}} // odd: a pad byte follows
	file := wavfile.Build(junk, alaw.Chunk(), wavfile.Data(alaw, 800))
	r := bytes.NewReader(file)
	f, start, err := wavcheck.ReadHeader(r, 1<<10)
	if err != nil || start != int64(len(file)-800) || f.Codec != wavcheck.ALaw || f.DataSize != 800 || f.SampleRate != 8000 {
		t.Fatalf("%+v, data at %d, %v (file of %d)", f, start, err, len(file))
	}
	if left := r.Len(); left != 800 {
		t.Fatalf("it read on into the samples: %d of 800 left", left)
	}
	// One byte at a time, the same.
	if _, start2, err := wavcheck.ReadHeader(iotest.OneByteReader(bytes.NewReader(file)), 1<<10); err != nil || start2 != start {
		t.Fatalf("a byte at a time: %d, %v", start2, err)
	}
	// 16-bit PCM is read, its Codec 0.
	pcm16 := with(alaw, func(f *wavfile.Fmt) { f.Tag, f.Bits, f.ByteRate, f.BlockAlign = 1, 16, 16000, 2 })
	if f, _, err := wavcheck.ReadHeader(bytes.NewReader(wavfile.File(pcm16, 100)), 1<<10); err != nil || f.Codec != 0 || f.BitsPerSample != 16 {
		t.Fatalf("16-bit PCM: %+v, %v", f, err)
	}
	for name, c := range map[string]struct {
		file  []byte
		limit int64
		says  string
	}{
		"not a WAV":           {[]byte("ID3\x04 an mp3 file, not a wave"), 1 << 10, "MP3"},
		"ends in its header":  {file[:30], 1 << 10, "ends after 30 bytes"},
		"a header over limit": {file, 40, "more than 40 bytes before the data chunk"},
		"no data chunk":       {wavfile.Build(alaw.Chunk()), 1 << 10, "no data chunk"},
		"data before its fmt": {wavfile.Build(wavfile.Data(alaw, 10), alaw.Chunk()), 1 << 10, "before the fmt chunk"},
	} {
		_, _, err := wavcheck.ReadHeader(bytes.NewReader(c.file), c.limit)
		var se *wavcheck.StructureError
		if !errors.As(err, &se) || !strings.Contains(se.Reason, c.says) {
			t.Errorf("%s: %v, want a StructureError saying %q", name, err, c.says)
		}
	}
}
