package wavcheck

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// A Codec is a sample encoding CC-FS may accept.
type Codec uint8

// The codecs a Policy can accept.
const (
	ALaw  Codec = iota + 1 // G.711 A-law, WAV format tag 6
	MuLaw                  // G.711 µ-law, WAV format tag 7
	PCM8                   // unsigned 8-bit PCM, WAV format tag 1
)

// String returns the codec's name as messages print it.
func (c Codec) String() string {
	switch c {
	case ALaw:
		return "A-law"
	case MuLaw:
		return "µ-law"
	case PCM8:
		return "PCM"
	}
	return fmt.Sprintf("Codec(%d)", uint8(c))
}

// Name returns the codec's name as ParseCodec reads it: "alaw", "mulaw"
// or "pcm8"; "" for none of them.
func (c Codec) Name() string {
	switch c {
	case ALaw:
		return "alaw"
	case MuLaw:
		return "mulaw"
	case PCM8:
		return "pcm8"
	}
	return ""
}

// ParseCodec maps "alaw", "mulaw" (or "ulaw") and "pcm8" to a Codec.
func ParseCodec(s string) (Codec, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "alaw", "a-law":
		return ALaw, nil
	case "mulaw", "ulaw", "µ-law", "u-law":
		return MuLaw, nil
	case "pcm8", "pcm":
		return PCM8, nil
	}
	return 0, fmt.Errorf("wavcheck: unknown codec %q (want alaw, mulaw or pcm8)", s)
}

// The fixed parts of the format CC-FS accepts.
const (
	SampleRate    = 8000
	BitsPerSample = 8
	Channels      = 1
	ByteRate      = 8000 // 64 kbit/s
	BlockAlign    = 1
)

// DefaultMaxSize is the default size limit: 5 MB, the vendor's default for
// "Third-Party Upload File Size Limit", as 5 × 1024 × 1024 bytes.
const DefaultMaxSize = 5 << 20

// minFileSize is the smallest possible accepted file: a 12-byte RIFF
// header, a 24-byte fmt chunk and a data chunk with one sample.
const minFileSize = 12 + 8 + 16 + 8 + 1

// A Policy says which files are accepted. The zero value is the default:
// A-law only, 5 MiB.
type Policy struct {
	// Codecs lists the accepted codecs. Default: ALaw only.
	Codecs []Codec
	// MaxSize is the largest accepted file, in bytes, headers included.
	// Default: DefaultMaxSize.
	MaxSize int64
}

// Validate reports whether p can be used.
func (p Policy) Validate() error {
	for _, c := range p.Codecs {
		if c < ALaw || c > PCM8 {
			return fmt.Errorf("wavcheck: %v is not a codec", c)
		}
	}
	if p.MaxSize < 0 || p.MaxSize > 0 && p.MaxSize < minFileSize {
		return fmt.Errorf("wavcheck: MaxSize %d is below the smallest WAV file (%d bytes)", p.MaxSize, minFileSize)
	}
	if p.MaxSize > 1<<32+8 {
		return errors.New("wavcheck: MaxSize is beyond what a RIFF file can hold")
	}
	return nil
}

func (p Policy) codecs() []Codec {
	if len(p.Codecs) == 0 {
		return []Codec{ALaw}
	}
	return p.Codecs
}

func (p Policy) maxSize() int64 {
	if p.MaxSize == 0 {
		return DefaultMaxSize
	}
	return p.MaxSize
}

// Accepts reports whether c is among the accepted codecs.
func (p Policy) Accepts(c Codec) bool { return slices.Contains(p.codecs(), c) }

// want describes the accepted encodings: "8-bit A-law", "8-bit A-law or µ-law".
func (p Policy) want() string {
	var names []string
	for _, c := range p.codecs() {
		names = append(names, c.String())
	}
	s := names[len(names)-1]
	if len(names) > 1 {
		s = strings.Join(names[:len(names)-1], ", ") + " or " + s
	}
	return "8-bit " + s
}
