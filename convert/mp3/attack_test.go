package mp3

import (
	"bytes"
	"encoding/binary"
	"io"
	"strings"
	"testing"

	"github.com/ccfs-go/ccfs/convert"
)

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
func TestAttackXingUndercountIsNotDecodedToTheEnd(t *testing.T) {
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
func TestAttackSampleRateChangeIsRefused(t *testing.T) {
	data := append(fixture(t, "chirp-44100-mono-noxing.mp3"), withoutID3(fixture(t, "chirp-16000-stereo.mp3"))...)
	_, err := io.Copy(io.Discard, convert.NewReader(bytes.NewReader(data), convert.Options{}))
	if err == nil {
		t.Fatal("44.1 kHz frames then 16 kHz frames converted as one 44.1 kHz file; want an error naming the change")
	}
	t.Log(err)
}
