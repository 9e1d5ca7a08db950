package wavcheck_test

import (
	"bytes"
	"fmt"
	"io"

	"github.com/ccfs-go/ccfs/internal/wavfile"
	"github.com/ccfs-go/ccfs/wavcheck"
)

// Inspect a file a TTS engine wrote at 16 kHz, 16 bits, stereo: every
// reason CC-FS would refuse it, at once.
func ExampleInspect() {
	file := wavfile.File(wavfile.Fmt{Tag: wavfile.TagPCM, Channels: 2, Rate: 16000, Bits: 16}, 64000)
	format, err := wavcheck.Inspect(bytes.NewReader(file), wavcheck.Policy{})
	fmt.Println(format)
	fmt.Println(err)
	// Output:
	// 16-bit PCM, 16000 Hz, 2 channels (stereo), 64000 bytes of audio (1s)
	// 16-bit PCM; need 8-bit A-law. 2 channels (stereo); need mono. 16000 Hz; need 8000 Hz
}

// Copy a file only if it is one CC-FS accepts: the copy sees io.EOF only
// once the whole file checked out, so a writer that keeps its bytes only
// at EOF keeps nothing of a refused one.
func ExampleReader() {
	stereo := wavfile.File(wavfile.Fmt{Tag: wavfile.TagALaw, Channels: 2, Rate: 8000, Bits: 8}, 8000)
	var kept bytes.Buffer
	_, err := io.Copy(&kept, wavcheck.NewReader(bytes.NewReader(stereo), wavcheck.Policy{}))
	fmt.Println(err)
	// Output:
	// 2 channels (stereo); need mono
}

// Check a file as it streams past, as the upload handler does.
func ExampleChecker() {
	c := wavcheck.NewChecker(wavcheck.Policy{})
	file := wavfile.File(wavfile.ALaw8k, 8000)
	for len(file) > 0 { // as the bytes arrive
		n := min(len(file), 1000)
		if _, err := c.Write(file[:n]); err != nil {
			fmt.Println("refused:", err)
			return
		}
		file = file[n:]
	}
	if err := c.Close(); err != nil {
		fmt.Println("refused:", err)
		return
	}
	f, _ := c.Format()
	fmt.Println("accepted:", f)
	// Output:
	// accepted: 8-bit A-law, 8000 Hz, mono, 8000 bytes of audio (1s)
}
