package wavcheck

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/go-audio/wav"
)

// WAV format tags.
const (
	tagPCM        = 0x0001
	tagFloat      = 0x0003
	tagALaw       = 0x0006
	tagMuLaw      = 0x0007
	tagExtensible = 0xFFFE
)

// extensibleSuffix is what follows the two-byte format tag in the SubFormat
// GUID of every standard WAVE_FORMAT_EXTENSIBLE subformat
// (xxxxxxxx-0000-0010-8000-00AA00389B71).
var extensibleSuffix = [14]byte{0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71}

// Format is what a WAV file's fmt and data chunks say.
type Format struct {
	// FormatTag is the effective format tag, resolved through the
	// SubFormat GUID for WAVE_FORMAT_EXTENSIBLE; Extensible says whether
	// the file used that header.
	FormatTag  uint16
	Extensible bool
	// Codec is the accepted codec the format tag and bit depth name, or 0.
	Codec         Codec
	Channels      int
	SampleRate    int
	BitsPerSample int
	ByteRate      int
	BlockAlign    int
	// DataSize is the size of the data chunk in bytes, and Duration the
	// time it plays for (0 if ByteRate is 0).
	DataSize int64
	Duration time.Duration
}

// Encoding names the sample encoding: "8-bit A-law", "16-bit PCM".
func (f Format) Encoding() string {
	return fmt.Sprintf("%d-bit %s", f.BitsPerSample, tagName(f.FormatTag))
}

// String describes the format in one line.
func (f Format) String() string {
	return fmt.Sprintf("%s, %d Hz, %s, %d bytes of audio (%s)",
		f.Encoding(), f.SampleRate, channelName(f.Channels), f.DataSize, f.Duration.Round(time.Millisecond))
}

func tagName(tag uint16) string {
	switch tag {
	case tagPCM:
		return "PCM"
	case tagFloat:
		return "IEEE float"
	case tagALaw:
		return "A-law"
	case tagMuLaw:
		return "µ-law"
	case 0x0002:
		return "MS ADPCM"
	case 0x0011:
		return "IMA ADPCM"
	case 0x0031:
		return "GSM 6.10"
	case 0x0055:
		return "MP3"
	case tagExtensible:
		return "WAVE_FORMAT_EXTENSIBLE with an unknown SubFormat"
	}
	return fmt.Sprintf("format 0x%04X", tag)
}

func channelName(n int) string {
	switch n {
	case 1:
		return "mono"
	case 2:
		return "2 channels (stereo)"
	}
	return fmt.Sprintf("%d channels", n)
}

// decodeFmt decodes a fmt chunk body of 16, 18 or 40 bytes. The basic
// fields go through github.com/go-audio/wav, which is handed a minimal RIFF
// file holding nothing but this chunk, so it can neither allocate nor read
// beyond it; block alignment (which it does not expose) and the extensible
// part are read here.
func decodeFmt(body []byte) (Format, error) {
	var riff [12 + 8 + 16]byte
	copy(riff[:], "RIFF")
	binary.LittleEndian.PutUint32(riff[4:], uint32(len(riff)-8))
	copy(riff[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(riff[16:], 16)
	copy(riff[20:], body[:16])
	d := wav.NewDecoder(bytes.NewReader(riff[:]))
	d.ReadInfo()
	if err := d.Err(); err != nil {
		return Format{}, fmt.Errorf("fmt chunk cannot be decoded: %v", err)
	}
	f := Format{
		FormatTag:     d.WavAudioFormat,
		Channels:      int(d.NumChans),
		SampleRate:    int(d.SampleRate),
		BitsPerSample: int(d.BitDepth),
		ByteRate:      int(d.AvgBytesPerSec),
		BlockAlign:    int(binary.LittleEndian.Uint16(body[12:14])),
	}
	if f.FormatTag == tagExtensible {
		if len(body) < 40 {
			return f, fmt.Errorf("WAVE_FORMAT_EXTENSIBLE header in a %d-byte fmt chunk; need 40", len(body))
		}
		f.Extensible = true
		// An unknown SubFormat leaves the tag at tagExtensible, which no
		// policy accepts.
		if guid := body[24:40]; bytes.Equal(guid[2:], extensibleSuffix[:]) {
			f.FormatTag = binary.LittleEndian.Uint16(guid[:2])
		}
	}
	switch {
	case f.FormatTag == tagALaw && f.BitsPerSample == 8:
		f.Codec = ALaw
	case f.FormatTag == tagMuLaw && f.BitsPerSample == 8:
		f.Codec = MuLaw
	case f.FormatTag == tagPCM && f.BitsPerSample == 8:
		f.Codec = PCM8
	}
	return f, nil
}

// problems lists every way f falls short of p: the encoding, the channel
// count, the sample rate, and a byte rate or block alignment that does not
// follow from the rest.
func (p Policy) problems(f Format) []error {
	var errs []error
	if f.Codec == 0 || !p.Accepts(f.Codec) {
		errs = append(errs, &FormatError{Field: "codec", Msg: f.Encoding() + "; need " + p.want()})
	}
	if f.Channels != Channels {
		errs = append(errs, &FormatError{Field: "channels", Msg: channelName(f.Channels) + "; need mono"})
	}
	if f.SampleRate != SampleRate {
		errs = append(errs, &FormatError{Field: "sample rate", Msg: fmt.Sprintf("%d Hz; need %d Hz", f.SampleRate, SampleRate)})
	}
	bytesPerFrame := f.Channels * ((f.BitsPerSample + 7) / 8)
	if f.BlockAlign != bytesPerFrame {
		errs = append(errs, &FormatError{Field: "block align", Msg: fmt.Sprintf(
			"block align %d does not match %d channel(s) of %d bits; need %d", f.BlockAlign, f.Channels, f.BitsPerSample, BlockAlign)})
	}
	if f.ByteRate != f.SampleRate*bytesPerFrame {
		errs = append(errs, &FormatError{Field: "byte rate", Msg: fmt.Sprintf(
			"byte rate %d (%d kbit/s) does not match %d Hz × %d byte(s); need %d (64 kbit/s)",
			f.ByteRate, f.ByteRate*8/1000, f.SampleRate, bytesPerFrame, ByteRate)})
	}
	return errs
}
