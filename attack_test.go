package ccfs_test

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/ccfs-go/ccfs"
	"github.com/ccfs-go/ccfs/internal/wavfile"
	"github.com/ccfs-go/ccfs/wavcheck"
)

// TestAttackUploadConvertStreamedALaw: with Convert on, an A-law 8 kHz
// file a TTS engine streamed (data and RIFF sizes left 0xFFFFFFFF) was
// passed through as "already accepted" and refused by the WAV checks with
// 0300003, "file is 4294967303 bytes", for an 8 KB upload — while the
// same audio as 16-bit PCM was converted. It is converted: stored with
// its sizes written, the audio as sent.
func TestAttackUploadConvertStreamedALaw(t *testing.T) {
	e := convertEnv(t, nil)
	wav := tone(wavfile.ALaw8k, 8000)
	binary.LittleEndian.PutUint32(wav[4:], 0xFFFFFFFF)
	binary.LittleEndian.PutUint32(wav[40:], 0xFFFFFFFF)
	_, resp, _ := e.do(req{body: body(b64(wav))})
	if resp.ResultCode != ccfs.SuccessCode {
		t.Fatalf("got %s %q; want it converted and stored", resp.ResultCode, resp.ResultDesc)
	}
	got := stored(t, e, resp)
	if _, err := wavcheck.Inspect(bytes.NewReader(got), wavcheck.Policy{}); err != nil {
		t.Fatalf("stored a file the checks refuse: %v", err)
	}
	if !bytes.Equal(got[44:], wav[44:]) {
		t.Fatal("the audio changed")
	}
	if c := resp.ResultData.Converted; c == nil || c.Seconds != 1 {
		t.Fatalf("converted %+v; want 1 s", c)
	}
}
