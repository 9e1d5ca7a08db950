package convert

import (
	"io"
	"sync"
)

// A Decoder reads one kind of compressed audio file that is not WAV — MP3,
// in the nested module github.com/ccfs-go/ccfs/convert/mp3 — for the
// converter. Register it once, from an init function, as image/png
// registers itself with image; a program then turns it on with a blank
// import:
//
//	import _ "github.com/ccfs-go/ccfs/convert/mp3"
//
// Decoders live outside this module so that the root module's
// dependencies stay few: a program that wants MP3 pays for the decoder.
type Decoder struct {
	// Name names the kind of file in messages, e.g. "MP3".
	Name string
	// Match reports whether a file that begins with head (its first
	// MatchLen bytes, or all of a shorter file) is of this kind. It must
	// not keep head.
	Match func(head []byte) bool
	// Open starts decoding the file read from r, which begins with the
	// bytes Match saw. It reads no more of r than it needs to say the
	// Stream's Info.
	Open func(r io.Reader) (Stream, error)
}

// MatchLen is how many bytes of a file a Decoder's Match sees.
const MatchLen = 16

// A Stream is an opened file's audio: interleaved 16-bit little-endian
// PCM samples, read in pieces. Read returns io.EOF at the audio's end, and
// io.ErrUnexpectedEOF (possibly wrapped) if the file ends before its
// header said it would; any other error says the file cannot be read.
type Stream interface {
	io.Reader
	// Info describes the audio. It is fixed once Open has returned.
	Info() StreamInfo
}

// StreamInfo describes a Stream's audio.
type StreamInfo struct {
	// From describes the file for an operator and the upload's answer,
	// e.g. "MP3 44100 Hz stereo".
	From string
	// Rate is the sample rate in Hz, Channels the number of interleaved
	// channels (at least 1).
	Rate, Channels int
	// Skip is how many frames (one sample of every channel) at the start
	// of the stream are not audio: the encoder's and the decoder's delay,
	// where the file says it.
	Skip int64
	// Frames is how many frames of audio follow Skip, if the file says
	// (an MP3's Xing or LAME header does), or -1. The converter keeps
	// exactly that many, dropping the encoder's padding after them.
	Frames int64
}

var (
	decodersMu sync.RWMutex
	decoders   []Decoder
)

// Register makes d available to every converter. It panics if d lacks
// Name, Match or Open, or if a Decoder of that Name is already
// registered.
func Register(d Decoder) {
	if d.Name == "" || d.Match == nil || d.Open == nil {
		panic("convert: Register of an incomplete Decoder")
	}
	decodersMu.Lock()
	defer decodersMu.Unlock()
	for _, e := range decoders {
		if e.Name == d.Name {
			panic("convert: Register called twice for " + d.Name)
		}
	}
	decoders = append(decoders, d)
}

// Decoders returns the names of the registered Decoders, in the order
// they were registered.
func Decoders() []string {
	decodersMu.RLock()
	defer decodersMu.RUnlock()
	names := make([]string, len(decoders))
	for i, d := range decoders {
		names[i] = d.Name
	}
	return names
}

// decoderFor returns the registered Decoder that matches head.
func decoderFor(head []byte) (Decoder, bool) {
	decodersMu.RLock()
	defer decodersMu.RUnlock()
	for _, d := range decoders {
		if d.Match(head) {
			return d, true
		}
	}
	return Decoder{}, false
}
