package mp3

import (
	"encoding/binary"
	"fmt"
)

// An MPEG audio version, as a frame header's two version bits say it.
const (
	mpeg25 = 0 // MPEG-2.5, an unofficial extension to 8, 11.025 and 12 kHz
	mpeg2  = 2
	mpeg1  = 3
)

// A frameHeader is the four bytes that begin an MPEG audio frame, read
// for Layer III only.
type frameHeader struct {
	version  int  // mpeg1, mpeg2 or mpeg25
	crc      bool // a 16-bit CRC follows the header
	bitrate  int  // kbit/s
	rate     int  // Hz
	padding  int  // 1 if the frame has an extra byte
	mono     bool // channel mode 3, single channel
	channels int
}

// Layer III bitrates in kbit/s, by bitrate index (0 is "free format",
// which neither go-mp3 nor this package reads; 15 is invalid).
var (
	bitratesV1 = [15]int{0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320}
	bitratesV2 = [15]int{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160}
	ratesV1    = [3]int{44100, 48000, 32000}
)

// parseHeader reads b's first four bytes as a Layer III frame header with
// a valid bitrate (not free format) and sample rate.
func parseHeader(b []byte) (frameHeader, bool) {
	if len(b) < 4 {
		return frameHeader{}, false
	}
	w := binary.BigEndian.Uint32(b)
	if w&0xffe00000 != 0xffe00000 {
		return frameHeader{}, false
	}
	h := frameHeader{version: int(w>>19) & 3, crc: w>>16&1 == 0}
	layer := int(w>>17) & 3
	bri := int(w>>12) & 15
	sri := int(w>>10) & 3
	if h.version == 1 || layer != 1 || bri == 0 || bri == 15 || sri == 3 || w&3 == 2 {
		return frameHeader{}, false
	}
	h.padding = int(w>>9) & 1
	h.mono = w>>6&3 == 3
	h.channels = 2
	if h.mono {
		h.channels = 1
	}
	switch h.version {
	case mpeg1:
		h.bitrate, h.rate = bitratesV1[bri], ratesV1[sri]
	case mpeg2:
		h.bitrate, h.rate = bitratesV2[bri], ratesV1[sri]/2
	default:
		h.bitrate, h.rate = bitratesV2[bri], ratesV1[sri]/4
	}
	return h, true
}

// samplesPerFrame is how many samples (of each channel) a frame holds.
func (h frameHeader) samplesPerFrame() int {
	if h.version == mpeg1 {
		return 1152
	}
	return 576
}

// size is the frame's length in bytes, header included.
func (h frameHeader) size() int {
	return h.samplesPerFrame()/8*h.bitrate*1000/h.rate + h.padding
}

// sideInfoSize is the length of the side information after the header
// (and its CRC, if any).
func (h frameHeader) sideInfoSize() int {
	switch {
	case h.version == mpeg1 && h.mono:
		return 17
	case h.version == mpeg1:
		return 32
	case h.mono:
		return 9
	}
	return 17
}

func (h frameHeader) String() string { return h.describe(false, nil) }

// describe says h's rate and mode and the audio's bitrate: "variable" if
// vbr, else that of the frame header next begins, if it is one, else h's.
func (h frameHeader) describe(vbr bool, next []byte) string {
	mode := "stereo"
	if h.mono {
		mode = "mono"
	}
	rate := fmt.Sprintf("%d kbit/s", h.bitrate)
	if n, ok := parseHeader(next); vbr {
		rate = "variable bitrate"
	} else if ok {
		rate = fmt.Sprintf("%d kbit/s", n.bitrate)
	}
	return fmt.Sprintf("%d Hz %s, %s", h.rate, mode, rate)
}

// A xingHeader is what the first frame of a file says of the others when
// an encoder wrote a Xing (VBR) or Info (CBR) header into it, which LAME
// and FFmpeg do: the number of audio frames after it and, in LAME's
// extension, the encoder's delay and padding in samples.
type xingHeader struct {
	frames         int64 // -1 if not said
	delay, padding int   // -1 if there is no LAME extension
	encoder        string
	vbr            bool // a Xing header, which says a variable bitrate, not Info
}

// parseXing looks for a Xing or Info header in frame, a whole first frame
// whose header is h.
func parseXing(h frameHeader, frame []byte) (xingHeader, bool) {
	off := 4 + h.sideInfoSize()
	if h.crc {
		off += 2
	}
	if len(frame) < off+8 {
		return xingHeader{}, false
	}
	b := frame[off:]
	if tag := string(b[:4]); tag != "Xing" && tag != "Info" {
		return xingHeader{}, false
	}
	x := xingHeader{frames: -1, delay: -1, padding: -1, vbr: string(b[:4]) == "Xing"}
	flags := binary.BigEndian.Uint32(b[4:])
	b = b[8:]
	field := func(flag uint32, n int) ([]byte, bool) {
		if flags&flag == 0 {
			return nil, true
		}
		if len(b) < n {
			return nil, false
		}
		f := b[:n]
		b = b[n:]
		return f, true
	}
	frames, ok1 := field(1, 4)
	_, ok2 := field(2, 4)   // bytes
	_, ok3 := field(4, 100) // the seek table
	_, ok4 := field(8, 4)   // quality
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return xingHeader{}, false
	}
	if frames != nil {
		x.frames = int64(binary.BigEndian.Uint32(frames))
	}
	// LAME's extension: 9 bytes naming the encoder, then at offset 21
	// the delay and the padding, 12 bits each.
	if len(b) >= 24 && lameEncoder(b[:4]) {
		x.encoder = string(trimNUL(b[:9]))
		x.delay = int(b[21])<<4 | int(b[22])>>4
		x.padding = int(b[22]&15)<<8 | int(b[23])
	}
	return x, true
}

// lameEncoder reports whether an encoder's name begins the bytes after a
// Xing header: LAME's own, or FFmpeg's (which writes LAME's extension
// with its own name).
func lameEncoder(b []byte) bool {
	switch string(b) {
	case "LAME", "Lavf", "Lavc", "L3.9", "GOGO":
		return true
	}
	return false
}

func trimNUL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == 0 || b[len(b)-1] == ' ') {
		b = b[:len(b)-1]
	}
	return b
}
