package console_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ccfs-go/ccfs/ccfstest"
	"github.com/ccfs-go/ccfs/internal/g711"
	"github.com/ccfs-go/ccfs/internal/wavfile"
	"github.com/ccfs-go/ccfs/wavcheck"
)

// decodedWAV reads a 16-bit PCM mono WAV file of 44-byte header, as the
// console sends, and returns its sample rate and samples.
func decodedWAV(t *testing.T, b []byte) (int, []int16) {
	t.Helper()
	f, err := wavcheck.Inspect(bytes.NewReader(b), wavcheck.Policy{Codecs: []wavcheck.Codec{wavcheck.PCM8}, MaxSize: 1 << 32})
	if f.FormatTag != 1 || f.BitsPerSample != 16 || f.Channels != 1 || f.BlockAlign != 2 || f.ByteRate != 2*f.SampleRate {
		t.Fatalf("not a 16-bit PCM mono WAV file: %v (%v)", f, err)
	}
	if err != nil && !strings.Contains(err.Error(), "need 8-bit PCM") {
		t.Fatalf("the WAV file is not well formed: %v", err)
	}
	if string(b[36:40]) != "data" || int64(len(b)-44) != f.DataSize {
		t.Fatalf("the data chunk does not follow the fmt chunk to the end: %q, %d of %d", b[36:40], f.DataSize, len(b)-44)
	}
	s := make([]int16, (len(b)-44)/2)
	binary.Read(bytes.NewReader(b[44:]), binary.LittleEndian, s)
	return f.SampleRate, s
}

func TestAudioIsTheDecodedPrompt(t *testing.T) {
	e := newPromptsEnv(t, nil)
	decode := map[wavcheck.Codec]func(byte) int16{
		wavcheck.ALaw:  g711.ALawDecode,
		wavcheck.MuLaw: g711.MuLawDecode,
		wavcheck.PCM8:  func(b byte) int16 { return int16(int(b)-128) << 8 },
	}
	for codec, dec := range decode {
		base := codec.Name() + ".wav"
		src := ccfstest.WAV(700*time.Millisecond+125*time.Microsecond, codec) // 5601 samples: an odd data chunk
		e.put(53, base, src)
		res := e.do(http.MethodGet, "/console/vdn/53/prompt/"+base+"/audio.wav", nil)
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %.300s", base, res.StatusCode, body)
		}
		for k, want := range map[string]string{
			"Content-Type": "audio/wav", "Cache-Control": "private, max-age=60",
			"Content-Length": strconv.Itoa(44 + 2*5601), "Accept-Ranges": "bytes",
		} {
			if got := res.Header.Get(k); got != want {
				t.Errorf("%s: %s %q; want %q", base, k, got, want)
			}
		}
		rate, samples := decodedWAV(t, body)
		if rate != 8000 || len(samples) != 5601 {
			t.Fatalf("%s: %d Hz, %d samples", base, rate, len(samples))
		}
		data := src[len(src)-5601-1 : len(src)-1] // the data chunk, before its pad byte
		for i, c := range data {
			if samples[i] != dec(c) {
				t.Fatalf("%s: sample %d is %d; want %d", base, i, samples[i], dec(c))
			}
		}
	}
}

// Chrome asks for "bytes=0-" and then for ranges of the file as it
// seeks: each is the same bytes as the whole file's.
func TestAudioAnswersRanges(t *testing.T) {
	e := newPromptsEnv(t, nil)
	e.put(53, "a.wav", ccfstest.WAV(time.Second, wavcheck.ALaw))
	_, whole := e.get("/console/vdn/53/prompt/a.wav/audio.wav")
	if len(whole) != 44+16000 {
		t.Fatalf("%d bytes", len(whole))
	}
	for _, c := range []struct {
		rng        string
		from, upTo int // the bytes wanted: whole[from:upTo]
	}{
		{"bytes=0-", 0, len(whole)},
		{"bytes=0-1", 0, 2},
		{"bytes=40-49", 40, 50},
		{"bytes=45-45", 45, 46},
		{"bytes=1001-9000", 1001, 9001},
		{"bytes=-3", len(whole) - 3, len(whole)},
		{"bytes=16000-", 16000, len(whole)},
	} {
		res := e.do(http.MethodGet, "/console/vdn/53/prompt/a.wav/audio.wav", nil, "Range", c.rng)
		body, _ := io.ReadAll(res.Body)
		want := fmt.Sprintf("bytes %d-%d/%d", c.from, c.upTo-1, len(whole))
		if res.StatusCode != http.StatusPartialContent || res.Header.Get("Content-Range") != want {
			t.Errorf("%s: %d %q; want 206 %q", c.rng, res.StatusCode, res.Header.Get("Content-Range"), want)
			continue
		}
		if string(body) != whole[c.from:c.upTo] {
			t.Errorf("%s: the bytes differ from the whole file's", c.rng)
		}
	}
	res := e.do(http.MethodGet, "/console/vdn/53/prompt/a.wav/audio.wav", nil, "Range", "bytes=99999-")
	if res.StatusCode != http.StatusRequestedRangeNotSatisfiable {
		t.Errorf("a range past the end: %d", res.StatusCode)
	}
}

func TestAudioOfAFileThatIsNoPlayableWAVIs422(t *testing.T) {
	e := newPromptsEnv(t, nil)
	e.put(53, "junk.wav", []byte("RIFF\x10\x00\x00\x00WAVEjunk"))
	e.put(53, "stereo.wav", ccfstest.Stereo())
	e.put(53, "pcm16.wav", ccfstest.PCM16())
	big := wavfile.Build(wavfile.ALaw8k.Chunk(), wavfile.Chunk{ID: "LIST", Data: make([]byte, 70<<10)}, wavfile.Data(wavfile.ALaw8k, 100))
	e.put(53, "longheader.wav", big)
	for base, want := range map[string]string{
		"junk.wav":       "too few for a WAV file",
		"stereo.wav":     "2 channels",
		"pcm16.wav":      "16-bit PCM",
		"longheader.wav": "before the data chunk",
	} {
		for _, suffix := range []string{"audio.wav", "waveform.svg"} {
			status, page := e.get("/console/vdn/53/prompt/" + base + "/" + suffix)
			if status != http.StatusUnprocessableEntity || !strings.Contains(page, want) {
				t.Errorf("%s/%s: %d; want 422 saying %q: %.800s", base, suffix, status, want, page)
			}
		}
	}
}

// A prompt whose header has other chunks before its data, and whose
// RIFF and data chunk sizes declare more than the file holds (a writer
// that never went back to fill them in: wavcheck takes sizes within the
// RIFF's), still plays what there is.
func TestAudioSkipsOtherChunksAndTrustsTheFileSize(t *testing.T) {
	e := newPromptsEnv(t, nil)
	data := wavfile.Data(wavfile.ALaw8k, 801)
	data.Size = wavfile.U32(5000)
	data.NoPad = true
	src := wavfile.Build(wavfile.Chunk{ID: "LIST", Data: []byte("INFOx")}, wavfile.ALaw8k.Chunk(), data)
	binary.LittleEndian.PutUint32(src[4:], 1<<32-1)
	e.put(53, "odd.wav", src)
	_, body := e.get("/console/vdn/53/prompt/odd.wav/audio.wav")
	_, samples := decodedWAV(t, []byte(body))
	if len(samples) != 801 {
		t.Fatalf("%d samples; want the 801 the file holds", len(samples))
	}
	for i, c := range data.Data {
		if samples[i] != g711.ALawDecode(c) {
			t.Fatalf("sample %d differs", i)
		}
	}
	_, page := e.get("/console/vdn/53/")
	if row := promptsRow(t, page, "odd.wav"); !strings.Contains(row, `data-sort="0.100">0.10 s`) {
		t.Errorf("duration: %s", row)
	}
}
