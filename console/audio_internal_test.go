package console

import (
	"encoding/binary"
	"testing"
)

// TestPCMHeaderOfAHugePromptSaysAtMost4GiB: a prompt of more than 2 GiB
// (one written straight into the store) decodes to more than a WAV
// header's 32-bit sizes can say; they then say their largest value, as
// a WAV of unknown length does, rather than a wrapped small one that
// would have a browser stop early.
func TestPCMHeaderOfAHugePromptSaysAtMost4GiB(t *testing.T) {
	le := binary.LittleEndian
	for _, samples := range []int64{1<<31 - 18, 1 << 31, 3 << 30, 1 << 40} {
		h := pcmHeader(8000, samples)
		riff, data := int64(le.Uint32(h[4:])), int64(le.Uint32(h[40:]))
		if riff != min(36+2*samples, 1<<32-1) || data != min(2*samples, 1<<32-1) {
			t.Errorf("%d samples: RIFF size %d, data size %d", samples, riff, data)
		}
	}
}
