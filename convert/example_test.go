package convert_test

import (
	"bytes"
	"fmt"

	"github.com/ccfs-go/ccfs/ccfstest"
	"github.com/ccfs-go/ccfs/convert"
	"github.com/ccfs-go/ccfs/wavcheck"
)

// Turn a 16-bit PCM file, as a TTS engine writes it, into an A-law prompt
// CC-FS accepts.
func ExampleConvert() {
	tts := ccfstest.PCM16()
	prompt, err := convert.Convert(tts, wavcheck.ALaw)
	if err != nil {
		fmt.Println(err)
		return
	}
	format, err := wavcheck.Inspect(bytes.NewReader(prompt), wavcheck.Policy{})
	fmt.Println(format, err)
	// Output:
	// 8-bit A-law, 8000 Hz, mono, 8000 bytes of audio (1s) <nil>
}
