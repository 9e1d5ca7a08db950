package ccfstest

import (
	"log/slog"
	"time"

	"github.com/ccfs-go/ccfs/internal/wavfile"
	"github.com/ccfs-go/ccfs/wavcheck"
)

var discardLogger = slog.New(slog.DiscardHandler)

// WAV returns a valid file of duration d (whole samples, at least one) of
// a 1 kHz tone at 8000 Hz, mono, 8 bits, in codec c.
func WAV(d time.Duration, c wavcheck.Codec) []byte {
	tag := map[wavcheck.Codec]uint16{wavcheck.ALaw: wavfile.TagALaw, wavcheck.MuLaw: wavfile.TagMuLaw, wavcheck.PCM8: wavfile.TagPCM}[c]
	if tag == 0 {
		panic("ccfstest: WAV: unknown codec")
	}
	f := wavfile.ALaw8k
	f.Tag = tag
	return wavfile.File(f, max(1, int(d*8000/time.Second)))
}

// Stereo returns a one-second A-law file with two channels: refused.
func Stereo() []byte {
	return wavfile.File(wavfile.Fmt{Tag: wavfile.TagALaw, Channels: 2, Rate: 8000, Bits: 8}, 16000)
}

// Rate16k returns a one-second A-law file at 16000 Hz: refused.
func Rate16k() []byte {
	return wavfile.File(wavfile.Fmt{Tag: wavfile.TagALaw, Channels: 1, Rate: 16000, Bits: 8}, 16000)
}

// PCM16 returns a one-second 16-bit PCM file at 8000 Hz: refused.
func PCM16() []byte {
	return wavfile.File(wavfile.Fmt{Tag: wavfile.TagPCM, Channels: 1, Rate: 8000, Bits: 16}, 16000)
}

// Truncated returns a valid one-second A-law file cut short in its data
// chunk: refused.
func Truncated() []byte {
	b := WAV(time.Second, wavcheck.ALaw)
	return b[:len(b)-1000]
}
