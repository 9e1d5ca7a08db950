package ccfs_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/auth"
	"github.com/ccfs-go/ccfs/internal/g711"
	"github.com/ccfs-go/ccfs/internal/wavfile"
	"github.com/ccfs-go/ccfs/quota"
	"github.com/ccfs-go/ccfs/wavcheck"
)

// convertEnv is newEnv with conversion on for every VDN, and edit after.
func convertEnv(t *testing.T, edit func(*ccfs.Options)) *env {
	return newEnv(t, func(o *ccfs.Options) {
		o.Convert = ccfs.ConvertEvery
		if edit != nil {
			edit(o)
		}
	})
}

// tone returns a WAV file of format f holding frames frames of a 440 Hz
// tone at half scale, in every channel.
func tone(f wavfile.Fmt, frames int) []byte {
	size := (f.Bits + 7) / 8
	audio := make([]byte, frames*f.Channels*size)
	for i := range frames {
		v := 0.5 * math.Sin(2*math.Pi*440*float64(i)/float64(f.Rate))
		for c := range f.Channels {
			putSample(audio[(i*f.Channels+c)*size:], f, v)
		}
	}
	return wavfile.Build(f.Chunk(), wavfile.Chunk{ID: "data", Data: audio})
}

// putSample writes v (-1..1) as one sample of format f.
func putSample(b []byte, f wavfile.Fmt, v float64) {
	switch {
	case f.Tag == wavfile.TagALaw:
		b[0] = g711.ALaw(int16(v * 32767))
	case f.Tag == wavfile.TagMuLaw:
		b[0] = g711.MuLaw(int16(v * 32767))
	case f.Tag == wavfile.TagFloat && f.Bits == 32:
		binary.LittleEndian.PutUint32(b, math.Float32bits(float32(v)))
	case f.Tag == wavfile.TagFloat:
		binary.LittleEndian.PutUint64(b, math.Float64bits(v))
	case f.Bits == 8:
		b[0] = byte(128 + int(v*127))
	default: // little-endian signed PCM of 16, 24 or 32 bits
		s := int64(v * float64(int64(1)<<(f.Bits-1)-1))
		for i := range f.Bits / 8 {
			b[i] = byte(s >> (8 * i))
		}
	}
}

// stored returns the file an answer names, from e's Memory store.
func stored(t *testing.T, e *env, resp ccfs.Response) []byte {
	t.Helper()
	if resp.ResultData == nil {
		t.Fatalf("no resultData: %+v", resp)
	}
	b, ok := e.mem.Get(strings.TrimPrefix(resp.ResultData.FileName, "Y:/"))
	if !ok {
		t.Fatalf("%s is not in the store", resp.ResultData.FileName)
	}
	return b
}

var pcm16 = wavfile.Fmt{Tag: wavfile.TagPCM, Channels: 2, Rate: 22050, Bits: 16}

// TestUploadConvertsEachKind: with Convert on, each kind of WAV is stored
// as 8 kHz A-law mono of round(seconds × 8000) samples, and the answer,
// the Event and the log line say what it was converted from.
func TestUploadConvertsEachKind(t *testing.T) {
	cases := []struct {
		f      wavfile.Fmt
		frames int
		from   string
	}{
		{pcm16, 22050 * 3 / 4, "PCM 16-bit 22050 Hz stereo"},
		{wavfile.Fmt{Tag: wavfile.TagPCM, Channels: 1, Rate: 48000, Bits: 24}, 48000 + 7, "PCM 24-bit 48000 Hz mono"},
		{wavfile.Fmt{Tag: wavfile.TagFloat, Channels: 1, Rate: 44100, Bits: 32}, 44100 / 2, "float 32-bit 44100 Hz mono"},
		{wavfile.Fmt{Tag: wavfile.TagMuLaw, Channels: 1, Rate: 8000, Bits: 8}, 8001, "µ-law 8-bit 8000 Hz mono"},
		{wavfile.Fmt{Tag: wavfile.TagALaw, Channels: 1, Rate: 16000, Bits: 8}, 16000 + 3, "A-law 8-bit 16000 Hz mono"},
	}
	for _, c := range cases {
		t.Run(c.from, func(t *testing.T) {
			e := convertEnv(t, nil)
			status, resp, _ := e.do(req{body: body(b64(tone(c.f, c.frames)))})
			if status != 200 || resp.ResultCode != ccfs.SuccessCode {
				t.Fatalf("got %d %s %q", status, resp.ResultCode, resp.ResultDesc)
			}
			want := int64(math.Round(float64(c.frames) * 8000 / float64(c.f.Rate)))
			got := resp.ResultData.Converted
			if got == nil || got.From != c.from || got.Seconds != float64(want)/8000 {
				t.Fatalf("converted %+v; want from %q, %v seconds", got, c.from, float64(want)/8000)
			}
			file := stored(t, e, resp)
			format, err := wavcheck.Inspect(bytes.NewReader(file), wavcheck.Policy{})
			if err != nil {
				t.Fatalf("the stored file: %v", err)
			}
			if format.Codec != wavcheck.ALaw || format.SampleRate != 8000 || format.Channels != 1 || format.DataSize != want {
				t.Fatalf("stored %v; want A-law 8000 Hz mono, %d samples", format, want)
			}
			ev := e.waitEvent(t)
			if ev.ConvertedFrom.From != c.from || ev.ConvertedFrom.Kind != "WAV" || ev.FileBytes != int64(len(file)) {
				t.Fatalf("Event: ConvertedFrom %+v, FileBytes %d; want %q, %d", ev.ConvertedFrom, ev.FileBytes, c.from, len(file))
			}
			if line := `"convertedFrom":` + jsonString(c.from); !strings.Contains(e.logs.String(), line) {
				t.Fatalf("the log line lacks %s: %s", line, e.logs.String())
			}
		})
	}
}

// TestUploadConvertOff: without Convert, or for a VDN it reports false
// for, a file to convert is refused with every reason, as the vendor's
// server refuses it, and nothing is stored.
func TestUploadConvertOff(t *testing.T) {
	const want = "the format of data is incorrect: 16-bit PCM; need 8-bit A-law. 2 channels (stereo); need mono. 22050 Hz; need 8000 Hz"
	wav := tone(pcm16, 22050)
	for name, edit := range map[string]func(*ccfs.Options){
		"no Convert":          nil,
		"Convert for 54 only": func(o *ccfs.Options) { o.Convert = func(vdn int) bool { return vdn == 54 } },
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, edit)
			status, resp, _ := e.do(req{body: body(b64(wav))})
			if status != 200 || resp.ResultCode != ccfs.ErrFormat.Code() || resp.ResultDesc != want {
				t.Fatalf("got %d %s %q\nwant 200 %s %q", status, resp.ResultCode, resp.ResultDesc, ccfs.ErrFormat.Code(), want)
			}
			if names := e.mem.Names(); len(names) != 0 {
				t.Fatalf("stored %v", names)
			}
			if ev := e.waitEvent(t); ev.ConvertedFrom != (ccfs.Event{}).ConvertedFrom {
				t.Fatalf("Event.ConvertedFrom %+v for an upload not converted", ev.ConvertedFrom)
			}
			if edit != nil { // and VDN 54's is converted
				if _, resp, _ := e.do(req{query: "vdnId=54", body: body(b64(wav))}); resp.ResultCode != "0" || resp.ResultData.Converted == nil {
					t.Fatalf("VDN 54: %+v", resp)
				}
			}
		})
	}
}

// TestUploadConvertPassesAcceptedFiles: with Convert on, a file already
// accepted is stored byte for byte, and the answer says nothing of a
// conversion.
func TestUploadConvertPassesAcceptedFiles(t *testing.T) {
	e := convertEnv(t, nil)
	wav := tone(wavfile.ALaw8k, 8001)
	status, resp, _ := e.do(req{body: body(b64(wav))})
	if status != 200 || resp.ResultCode != "0" || resp.ResultData.Converted != nil {
		t.Fatalf("got %d %+v %+v", status, resp, resp.ResultData)
	}
	if !bytes.Equal(stored(t, e, resp), wav) {
		t.Fatal("the stored file differs from the one sent")
	}
	if ev := e.waitEvent(t); ev.ConvertedFrom.Kind != "" {
		t.Fatalf("Event.ConvertedFrom %+v for a file stored as it was sent", ev.ConvertedFrom)
	}
	if strings.Contains(e.logs.String(), "convertedFrom") {
		t.Fatalf("the log line says convertedFrom: %s", e.logs.String())
	}
}

// TestUploadConvertRefusesUnreadableFiles: a file the converter cannot
// read is refused with 0300004 and its reason, and leaves nothing: no
// file, no staging file, no quota used.
func TestUploadConvertRefusesUnreadableFiles(t *testing.T) {
	good := tone(pcm16, 22050/4)
	zeroRate := tone(wavfile.Fmt{Tag: wavfile.TagPCM, Channels: 1, Rate: 0, Bits: 16, ByteRate: 16000}, 100)
	cases := []struct {
		name string
		file []byte
		want string // in the description
		from string // Event.ConvertedFrom.From
	}{
		{"truncated", good[:len(good)/2], "ends after", "PCM 16-bit 22050 Hz stereo"},
		{"garbage after the header", append(bytes.Clone(good[:36]), bytes.Repeat([]byte{0xA5, 0x5A, 0x00, 0xFF}, 500)...), "invalid ID", ""},
		{"zero rate", zeroRate, "0 Hz", "PCM 16-bit 0 Hz mono"},
		{"text", []byte("this is not audio, only text about audio"), "not a WAV file", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, root := newDirStore(t)
			lim, _ := quota.ParseLimits("*=1GiB")
			usage := quota.NewMemory()
			e := convertEnv(t, func(o *ccfs.Options) { o.Quota, o.Usage = lim, usage })
			e.st = d
			status, resp, _ := e.do(req{body: body(b64(c.file))})
			const prefix = "the format of data is incorrect: "
			if status != 200 || resp.ResultCode != ccfs.ErrFormat.Code() || !strings.HasPrefix(resp.ResultDesc, prefix) ||
				len(resp.ResultDesc) < len(prefix)+10 || !strings.Contains(resp.ResultDesc, c.want) {
				t.Fatalf("got %d %s %q; want 0300004 with a reason saying %q", status, resp.ResultCode, resp.ResultDesc, c.want)
			}
			t.Logf("%s: %s", c.name, resp.ResultDesc)
			if ev := e.waitEvent(t); ev.ConvertedFrom.From != c.from {
				t.Errorf("Event.ConvertedFrom %+v; want From %q", ev.ConvertedFrom, c.from)
			}
			if left := filesUnder(t, root); len(left) != 0 {
				t.Fatalf("left %v", left)
			}
			if u, _ := usage.Usage(context.Background(), 53); u != (quota.Usage{}) {
				t.Fatalf("quota used: %+v", u)
			}
		})
	}
}

// TestUploadConvertHoldsLittle: a file that does not say how long it is
// is converted in memory up to 131 s (1 MiB of prompt), and a longer one
// is refused saying how to send it instead: whoever sends it, an upload
// in flight holds at most that much.
func TestUploadConvertHoldsLittle(t *testing.T) {
	e := convertEnv(t, func(o *ccfs.Options) { o.MaxFileMB = 3 })
	unsized := func(seconds int) []byte {
		f := tone(wavfile.Fmt{Tag: wavfile.TagPCM, Channels: 1, Rate: 8000, Bits: 16}, 8000*seconds)
		binary.LittleEndian.PutUint32(f[40:], 0xFFFFFFFF)
		return f
	}
	if _, resp, _ := e.do(req{body: body(b64(unsized(130)))}); resp.ResultCode != ccfs.SuccessCode || resp.ResultData.Converted.Seconds != 130 {
		t.Fatalf("130 s of unknown length: %s %q", resp.ResultCode, resp.ResultDesc)
	}
	_, resp, _ := e.do(req{body: body(b64(unsized(132)))})
	if resp.ResultCode != ccfs.ErrFormat.Code() || !strings.Contains(resp.ResultDesc, "does not say how long it is, and is over 131 s") {
		t.Fatalf("132 s of unknown length: %s %q; want 0300004 saying it is over 131 s", resp.ResultCode, resp.ResultDesc)
	}
	if names := e.mem.Names(); len(names) != 1 {
		t.Fatalf("stored %v; want the first upload alone", names)
	}
}

// TestUploadConvertBadSignature: the signature wins over a file that
// converts: 401, and nothing stored.
func TestUploadConvertBadSignature(t *testing.T) {
	d, root := newDirStore(t)
	e := convertEnv(t, nil)
	e.st = d
	status, resp, _ := e.do(req{body: body(b64(tone(pcm16, 22050))), sk: "wrong", ak: testAK})
	if status != 401 || resp.ResultCode != ccfs.ErrAuth.Code() {
		t.Fatalf("got %d %s %q", status, resp.ResultCode, resp.ResultDesc)
	}
	if left := filesUnder(t, root); len(left) != 0 {
		t.Fatalf("left %v", left)
	}
}

// TestUploadConvertMaxInputMB: a file over MaxInputMB is refused with
// 0300003 naming that limit: by Content-Length before the body when the
// body is over what it allows, and as the file streams when the body fits
// (or its Content-Length lies); a converted file over MaxFileMB is refused
// naming MaxFileMB. Nothing is stored.
func TestUploadConvertMaxInputMB(t *testing.T) {
	mono48 := wavfile.Fmt{Tag: wavfile.TagPCM, Channels: 1, Rate: 48000, Bits: 16}
	e := convertEnv(t, func(o *ccfs.Options) { o.MaxInputMB = 1 })
	check := func(what string, resp ccfs.Response, want ...string) {
		t.Helper()
		if resp.ResultCode != ccfs.ErrTooLong.Code() {
			t.Fatalf("%s: got %s %q; want 0300003", what, resp.ResultCode, resp.ResultDesc)
		}
		for _, w := range want {
			if !strings.Contains(resp.ResultDesc, w) {
				t.Fatalf("%s: %q does not say %q", what, resp.ResultDesc, w)
			}
		}
		if names := e.mem.Names(); len(names) != 0 {
			t.Fatalf("%s: stored %v", what, names)
		}
	}

	big := body(b64(tone(mono48, 600_000))) // 1.2 MB
	_, resp, _ := e.do(req{body: big})
	check("by Content-Length", resp, "request body is too long", "a 1 MB file to convert (MaxInputMB)")

	over := body(b64(tone(mono48, (1<<20)/2+500))) // 1000 bytes over 1 MiB; the body fits
	_, resp, _ = e.do(req{body: over})
	check("streamed", resp, "the file to convert is over 1048576 bytes as uploaded", "MaxInputMB 1")

	// A Content-Length that lies (the server sees it, but Go's server
	// would not let a client send it): the file's bound holds alone.
	sr := httptest.NewRequest("POST", ccfs.UploadPath+"?vdnId=53", bytes.NewReader(big))
	sr.Header.Set("Content-Type", "application/json;charset=UTF-8")
	sr.Header.Set("Content-Length", "1000")
	sr.ContentLength = 1000
	if err := (&auth.Signer{AccessKey: testAK, SecretKey: testSK, Now: e.clock}).Sign(sr, big); err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, sr)
	var out ccfs.Response
	json.Unmarshal(w.Body.Bytes(), &out)
	check("a lying Content-Length", out, "MaxInputMB 1")

	// 8 kHz 16-bit PCM converts to half its size: 2.2 MB to 1.1 MB.
	f := newEnv(t, func(o *ccfs.Options) { o.Convert = ccfs.ConvertEvery })
	_, resp, _ = f.do(req{body: body(b64(tone(wavfile.Fmt{Tag: wavfile.TagPCM, Channels: 1, Rate: 8000, Bits: 16}, 1_100_000)))})
	e = f
	check("converted over MaxFileMB", resp, "converted, the file is 1100044 bytes", "MaxFileMB 1")

	// A file stored as it is sent may be as large as MaxFileMB allows,
	// over a smaller MaxInputMB.
	g := convertEnv(t, func(o *ccfs.Options) { o.MaxInputMB, o.MaxFileMB = 1, 2 })
	if _, resp, _ = g.do(req{body: body(b64(wavfile.File(wavfile.ALaw8k, 1_500_000)))}); resp.ResultCode != ccfs.SuccessCode || resp.ResultData.Converted != nil {
		t.Fatalf("a 1.5 MB A-law file, MaxInputMB 1 and MaxFileMB 2: %s %q", resp.ResultCode, resp.ResultDesc)
	}
}

// TestUploadConvertQuota: a converted upload claims its stored size, not
// the uploaded one's, from its VDN's quota.
func TestUploadConvertQuota(t *testing.T) {
	lim, _ := quota.ParseLimits("53=100KiB")
	usage := quota.NewMemory()
	e := convertEnv(t, func(o *ccfs.Options) { o.Quota, o.Usage = lim, usage })
	wav := tone(pcm16, 22050*3) // 265 KB uploaded, 24 KB stored
	_, resp, _ := e.do(req{body: body(b64(wav))})
	if resp.ResultCode != "0" {
		t.Fatalf("got %s %q", resp.ResultCode, resp.ResultDesc)
	}
	file := stored(t, e, resp)
	if u, _ := usage.Usage(context.Background(), 53); u.Bytes != int64(len(file)) || u.Files != 1 {
		t.Fatalf("usage %+v; want the stored %d bytes, 1 file", u, len(file))
	}
	// Five more fill 100 KiB: the last is refused, and claims nothing.
	for range 3 {
		e.do(req{body: body(b64(wav))})
	}
	_, resp, _ = e.do(req{body: body(b64(wav))})
	if resp.ResultCode != ccfs.ErrQuota.Code() {
		t.Fatalf("got %s %q; want 0300024", resp.ResultCode, resp.ResultDesc)
	}
	if u, _ := usage.Usage(context.Background(), 53); u.Bytes != 4*int64(len(file)) || u.Files != 4 {
		t.Fatalf("usage %+v; want 4 files of %d bytes", u, len(file))
	}
}

// TestUploadConvertMemoryFlat: a minute of 48 kHz 16-bit stereo (an
// 11.5 MB file, a 15.4 MB body) converts with the default MaxInputMB, in
// a heap that does not grow with the file: measured halfway through the
// body, which the test generates as it is read.
func TestUploadConvertMemoryFlat(t *testing.T) {
	e := convertEnv(t, func(o *ccfs.Options) { o.Logger = slog.New(slog.DiscardHandler) })
	const frames = 60 * 48000
	gen := minuteBody(frames)
	size := gen.size()
	r := httptest.NewRequest("POST", ccfs.UploadPath+"?vdnId=53", nil)
	r.Header.Set("Content-Type", "application/json;charset=UTF-8")
	r.Header.Set("Content-Length", strconv.FormatInt(size, 10))
	r.ContentLength = size
	if err := (&auth.Signer{AccessKey: testAK, SecretKey: testSK, Now: e.clock}).SignReader(r, minuteBody(frames).reader()); err != nil {
		t.Fatal(err)
	}
	reached, release := make(chan struct{}), make(chan struct{})
	first := gen.reader()
	half := io.LimitReader(first, size/2)
	r.Body = io.NopCloser(io.MultiReader(half, pause{reached, release}, first))
	w := httptest.NewRecorder()
	before := heapInUse()
	done := make(chan struct{})
	go func() { defer close(done); e.h.ServeHTTP(w, r) }()
	<-reached
	during := heapInUse()
	close(release)
	<-done
	var resp ccfs.Response
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil || resp.ResultCode != "0" {
		t.Fatalf("%d %s", w.Code, w.Body.String())
	}
	if c := resp.ResultData.Converted; c == nil || c.From != "PCM 16-bit 48000 Hz stereo" || c.Seconds != 60 {
		t.Fatalf("converted %+v", c)
	}
	if n := len(stored(t, e, resp)); n != 44+480000 {
		t.Fatalf("stored %d bytes", n)
	}
	grew := int64(during) - int64(before)
	t.Logf("a %d-byte body: the heap grew by %d bytes halfway through (the store holding %d bytes of it)", size, grew, 240000)
	if grew > 1<<20 {
		t.Fatalf("the heap grew by %d bytes halfway through a %d-byte upload; want under 1 MiB", grew, size)
	}
}

// minuteBody generates an upload's body of a 16-bit 48 kHz stereo WAV
// file of frames frames, as it is read.
type minuteBody int

const (
	bodyHead = `{"request":{"version":"2.0"},"msgBody":{"data":"`
	bodyTail = `"}}`
)

func (m minuteBody) fileSize() int64 { return 44 + int64(m)*4 }

func (m minuteBody) size() int64 {
	return int64(len(bodyHead)) + (m.fileSize()+2)/3*4 + int64(len(bodyTail))
}

// reader returns the body, generated as it is read.
func (m minuteBody) reader() *io.PipeReader {
	f := wavfile.Fmt{Tag: wavfile.TagPCM, Channels: 2, Rate: 48000, Bits: 16}
	head := wavfile.File(f, 0)[:44]
	binary.LittleEndian.PutUint32(head[4:], uint32(m.fileSize()-8))
	binary.LittleEndian.PutUint32(head[40:], uint32(m)*4)
	pr, pw := io.Pipe()
	go func() {
		enc := base64.NewEncoder(base64.StdEncoding, pw)
		if _, err := pw.Write([]byte(bodyHead)); err != nil {
			return
		}
		enc.Write(head)
		buf := make([]byte, 4*4800)
		for i := 0; i < int(m); i += 4800 {
			n := min(4800, int(m)-i)
			for j := range n {
				v := int16(8000 * math.Sin(2*math.Pi*440*float64(i+j)/48000))
				binary.LittleEndian.PutUint16(buf[4*j:], uint16(v))
				binary.LittleEndian.PutUint16(buf[4*j+2:], uint16(v))
			}
			if _, err := enc.Write(buf[:4*n]); err != nil {
				return
			}
		}
		enc.Close()
		pw.Write([]byte(bodyTail))
		pw.Close()
	}()
	return pr
}

// TestUploadConvertStreamedALaw: with Convert on, an A-law 8 kHz
// file a TTS engine streamed (data and RIFF sizes left 0xFFFFFFFF) was
// passed through as "already accepted" and refused by the WAV checks with
// 0300003, "file is 4294967303 bytes", for an 8 KB upload — while the
// same audio as 16-bit PCM was converted. It is converted: stored with
// its sizes written, the audio as sent.
func TestUploadConvertStreamedALaw(t *testing.T) {
	e := convertEnv(t, nil)
	wav := tone(wavfile.ALaw8k, 8000)
	binary.LittleEndian.PutUint32(wav[4:], 0xFFFFFFFF)
	binary.LittleEndian.PutUint32(wav[40:], 0xFFFFFFFF)
	_, resp, _ := e.do(req{body: body(b64(wav))})
	if resp.ResultCode != ccfs.SuccessCode {
		t.Fatalf("got %s %q; want it converted and stored", resp.ResultCode, resp.ResultDesc)
	}
	got := stored(t, e, resp)
	if _, err := wavcheck.Inspect(bytes.NewReader(got), wavcheck.Policy{}); err != nil {
		t.Fatalf("stored a file the checks refuse: %v", err)
	}
	if !bytes.Equal(got[44:], wav[44:]) {
		t.Fatal("the audio changed")
	}
	if c := resp.ResultData.Converted; c == nil || c.Seconds != 1 {
		t.Fatalf("converted %+v; want 1 s", c)
	}
}
