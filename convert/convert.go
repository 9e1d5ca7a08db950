// Package convert turns the audio files TTS engines and sound editors
// write into the 8000 Hz, 8-bit, mono G.711 WAV files CC-FS accepts, as a
// stream: a Reader pulls the input a piece at a time and returns the
// converted file a piece at a time, in memory that does not grow with the
// file.
//
// It reads WAV files of 8, 16, 24 or 32-bit integer PCM, 32 or 64-bit
// float, or 8-bit A-law or µ-law, with a plain or a WAVE_FORMAT_EXTENSIBLE
// header, at 8 to 192 kHz, with 1 to 256 channels; and any kind a Decoder
// registers (MP3, with a blank import of
// github.com/ccfs-go/ccfs/convert/mp3, a module of its own). It averages
// the channels, low-passes and resamples with a polyphase Kaiser-windowed
// sinc filter (flat within 0.01 dB to 3.4 kHz, at least 60 dB down from
// 4 kHz), and encodes per ITU-T G.711.
//
// The upload handler (ccfs.Options.Convert), `ccfs convert` and Convert
// all use the one Reader.
package convert

import (
	"bytes"
	"fmt"
	"io"

	"github.com/ccfs-go/ccfs/wavcheck"
)

// MaxInput is the largest input file Convert reads.
const MaxInput = 1 << 30

// Convert converts the file in data to a WAV file of codec (ALaw or
// MuLaw) and returns it; a file already in that form is returned as it
// is. For a file that arrives in pieces, use a Reader.
func Convert(data []byte, codec wavcheck.Codec) ([]byte, error) {
	if codec != wavcheck.ALaw && codec != wavcheck.MuLaw {
		return nil, fmt.Errorf("convert: can encode A-law or µ-law, not %v", codec)
	}
	r := NewReader(bytes.NewReader(data), Options{
		Policy:   wavcheck.Policy{Codecs: []wavcheck.Codec{codec}, MaxSize: 1<<32 + 8},
		MaxInput: MaxInput,
	})
	out, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("convert: %w", err)
	}
	return out, nil
}
